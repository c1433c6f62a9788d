"""AppTest for the Explore page: overview, alerts and charts at once, every tab, and the full report."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_support import shown
from streamlit.testing.v1 import AppTest

from mlcore.data.loading import load_path
from mlcore.data.samples import load_sample
from mlcore.dataset import set_target
from mlcore.explore import profile_report
from mlcore.explore.profile_report import (
    ProfileCache,
    ProfileResult,
    ProfileSettings,
    cache_key,
    plan_profile,
)
from mlcore.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
TABS = ["Columns", "Relations", "Missing values", "Target", "Full report"]


@pytest.fixture
def explore(open_app):
    """`explore(workspace, tab=None)`: the Explore page, with `tab` as the tab last open there."""

    def open_(workspace: Workspace, tab: str | None = None) -> AppTest:
        state = {} if tab is None else {"explore_last_tab": tab}
        return open_app("pages/explore.py", workspace, **state)

    return open_


def test_without_data_the_page_points_to_the_data_page(explore):
    at = explore(Workspace())
    assert any("No dataset yet" in i.value for i in at.info)


def test_penguins_overview_alerts_and_charts_at_once(explore):
    at = explore(Workspace(dataset=load_sample("penguins")))
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["Rows"][0] == "344" and metrics["Missing cells"] == ("19", "0.7% of all cells")
    labels = [shown(e.label) for e in at.expander]
    assert any(label.startswith("Missing values in 5 columns: bill_length_mm") for label in labels)
    overview = at.dataframe[0].value
    assert list(overview["column"]) == list(load_sample("penguins").frame.columns)
    assert len(at.get("plotly_chart")) == 3  # target, the column's distribution, the column by target


def test_choosing_another_column_redraws_its_charts(explore):
    at = explore(Workspace(dataset=load_sample("penguins")))
    box = next(s for s in at.selectbox if s.label == "Look at a column")
    before = [c.proto.spec for c in at.get("plotly_chart")]
    box.set_value("body_mass_g").run()
    assert not at.exception
    after = [c.proto.spec for c in at.get("plotly_chart")]
    assert after[0] == before[0] and after[1:] != before[1:]  # the target chart stays


def _datasets() -> dict[str, Workspace]:
    return {
        "classification": Workspace(dataset=load_sample("penguins")),
        "regression": Workspace(dataset=load_sample("diabetes")),
        "no target": Workspace(dataset=set_target(load_sample("iris"), None)),
        "bad file": Workspace(dataset=load_path(ROOT / "tests" / "data" / "bad" / "mixed_types.csv")),
    }


@pytest.mark.parametrize("name", list(_datasets()))
def test_every_tab_draws_for_every_kind_of_table(name, explore):
    at = explore(_datasets()[name])
    for tab in TABS[1:]:
        at.session_state["explore_tab"] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
        if tab == "Relations":
            assert any(s.value == "Scatter plot" for s in at.subheader)
        if tab == "Target" and name == "no target":
            assert any("Choose a target" in i.value for i in at.info)
        if tab == "Full report":
            assert any(b.label == "Build the full report" for b in at.button)


def test_the_open_tab_is_remembered_across_page_switches(explore):
    at = explore(Workspace(dataset=load_sample("penguins")), "Target")
    assert at.session_state["explore_tab"] == "Target"
    assert any(s.value == "Features ranked by their relation to the target" for s in at.subheader)


def test_target_tab_ranks_features(explore):
    at = explore(Workspace(dataset=load_sample("penguins")), "Target")
    ranking = at.dataframe[-1].value
    assert ranking["feature"].iloc[0] == "flipper_length_mm"
    assert len(at.get("plotly_chart")) >= 5  # top chart, four strongest features, box by class


@pytest.mark.parametrize(
    ("key", "meaning"),
    [
        ("breast_cancer", "with being 'malignant' (the point-biserial correlation)"),
        ("iris", "Correlation is left blank: more than two classes have no order to correlate with."),
    ],
)
def test_target_tab_correlations_are_numbers_or_blank_never_none(explore, key, meaning):
    at = explore(Workspace(dataset=load_sample(key)), "Target")
    ranking = at.dataframe[-1]
    correlation = ranking.value["correlation"]
    if key == "breast_cancer":
        assert correlation.notna().all() and correlation.abs().max() > 0.7
    else:
        assert correlation.isna().all()
    assert ranking.proto.placeholder == ""  # a missing value shows as a blank cell
    assert any(meaning in c.value for c in at.caption)


def test_full_report_from_the_cache_is_shown_with_its_download(monkeypatch, explore):
    dataset = load_sample("penguins")
    cache, settings = ProfileCache(), ProfileSettings()
    result = ProfileResult("<html><body>penguin report</body></html>", plan_profile(344, 8, settings), 3.2)
    cache.put(cache_key(dataset, settings), result)
    monkeypatch.setattr(profile_report, "CACHE", cache)
    workspace = Workspace(dataset=dataset)
    at = explore(workspace, "Full report")
    next(b for b in at.button if b.label == "Build the full report").click().run()
    assert not at.exception
    assert workspace.profile_run.result is result
    assert any("Report ready, built in 3.2 s from 344 of 344 rows" in s.value for s in at.success)
    assert any(b.label == "Build it again with these settings" for b in at.button)
