"""The app shell: the sidebar shows the active dataset on every page.

AppTest drops sidebar elements from its tree on reruns of an `st.navigation` app, so each check
here is a first run with the workspace prepared beforehand.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mlcore.samples import load_sample
from mlcore.workspace import Workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_sidebar_shows_the_active_dataset():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["workspace"] = Workspace(dataset=load_sample("penguins"))
    at.run()
    assert not at.exception
    text = "\n".join(m.value for m in at.sidebar.markdown)
    assert "**Palmer penguins**" in text
    assert "344 rows × 8 columns" in text
    assert "Target: **species**" in text
    assert "Task: **classification**" in text
    assert at.sidebar.caption[0].value.startswith("7 feature(s)")


def test_sidebar_without_a_dataset_points_to_the_data_page():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "Start on the **Data** page" in at.sidebar.caption[0].value
