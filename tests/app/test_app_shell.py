"""The app shell: the sidebar shows the active dataset on every page, after every rerun."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from streamlit.testing.v1 import AppTest

from mlcore.data.samples import load_sample
from mlcore.workspace import Workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _sidebar_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


def test_sidebar_shows_the_active_dataset_on_every_page_and_rerun():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["workspace"] = Workspace(dataset=load_sample("penguins"))
    at.run()
    assert not at.exception
    for page in (None, "pages/explore.py", "pages/evaluate.py"):
        if page:
            at.switch_page(page)
        at.run()  # a rerun of the same page, as a widget change makes
        text = _sidebar_text(at)
        assert "**Palmer penguins**" in text
        assert "344 rows × 8 columns" in text
        assert "Target: **species**" in text
        assert "Task: **classification**" in text
        assert "7 feature(s)" in text


def test_sidebar_without_a_dataset_points_to_the_data_page():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "Start on the **Data** page" in _sidebar_text(at)


def test_a_name_with_markdown_characters_is_shown_as_written():
    dataset = load_sample("iris")
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["workspace"] = Workspace(dataset=dataclasses.replace(dataset, name="my_data*v2*.csv"))
    at.run()
    assert r"**my\_data\*v2\*.csv**" in _sidebar_text(at)


def test_a_mistyped_preset_is_the_one_thing_the_app_shows(monkeypatch):
    """With MLCORE_PRESET misspelt the page says so plainly, and offers no page that would fail on it."""
    monkeypatch.setenv("MLCORE_PRESET", "big")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "MLCORE_PRESET is 'big', which is not a preset. "
        "Use one of: standard, classroom, thorough (or leave it unset for standard)."
    ]
    monkeypatch.setenv("MLCORE_PRESET", "classroom")
    at.run()
    assert not at.error and "Preset: classroom" in _sidebar_text(at)


def test_a_bad_job_bound_is_the_one_thing_the_app_shows(monkeypatch):
    monkeypatch.setenv("MLCORE_JOB_MEMORY_MB", "2GB")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "MLCORE_JOB_MEMORY_MB is '2GB', which is not a whole number above zero. "
        "Set it to a number such as 2048, or leave it unset for an equal share of the memory for each job."
    ]
