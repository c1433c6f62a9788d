"""The Discover page (issue 16): find the clusters of a table without a target, read what each is,
choose k, see the map, find the odd rows, and add the named clusters as a column; tracked in MLflow."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_support import page_text, plotly_array, shown
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_discover_data import blobs, dataset_of

from mlcore.discover.clustering import fit_clusters
from mlcore.discover.prepared import prepare
from mlcore.discover.profiles import describe_clusters
from mlcore.schema import ColumnType, Role
from mlcore.track.projects import ProjectStore
from mlcore.track.recorder import Recorder
from mlcore.track.tracking import Tracker
from mlcore.workspace import Workspace

PAGE = "pages/discover.py"


def _click(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception


def _until(at, done) -> None:
    """Rerun until `done(at)`: the page polls its background job."""
    deadline = time.monotonic() + 120
    while not done(at):
        assert time.monotonic() < deadline and not at.exception, page_text(at)
        time.sleep(0.3)
        at.run()


def _charts(at) -> dict[str, dict]:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _chart(at, key: str) -> dict:
    return next(spec for name, spec in _charts(at).items() if key in name)


def _tab(at, name: str) -> None:
    at.session_state["discover_tab"] = name
    at.run()
    assert not at.exception, at.exception


@pytest.fixture
def tracked(tmp_path) -> Workspace:
    """A workspace keeping projects in a home of its own, tracked in MLflow there."""
    home = tmp_path / "home"
    return Workspace(recorder=Recorder(ProjectStore(home), Tracker(f"sqlite:///{home / 'mlflow.db'}", home)))


def test_without_data_the_page_points_to_the_data_page(open_app):
    at = open_app(PAGE, Workspace())
    assert any("No dataset yet" in i.value for i in at.info)
    assert not at.button


def test_clusters_are_found_described_and_tracked(open_app, tracked):
    dataset, truth = blobs(400, centers=4)
    tracked.dataset = dataset
    tracked.start_project()
    tracked.set_discover_param("kmeans", "n_clusters", 4, {"n_clusters": 3})
    at = open_app(PAGE, tracked, timeout=120)
    _click(at, "Find clusters")
    _until(at, lambda at: any(m.label == "Clusters" for m in at.metric))
    assert next(m for m in at.metric if m.label == "Clusters").value == "4"

    expected = fit_clusters(prepare(dataset), "kmeans", {"n_clusters": 4})
    assert adjusted_rand_score(truth, expected.labels) == 1.0
    profiles = describe_clusters(dataset, expected.labels)
    shown = [m.value for m in at.markdown]
    assert all(f"- {p.sentence}" in shown for p in profiles.clusters)
    heatmap = _chart(at, "discover.heatmap")["data"][0]
    assert np.allclose(plotly_array(heatmap["z"]), profiles.heatmap.fillna(0).to_numpy())
    assert _chart(at, "discover.silhouettes")

    ws = at.session_state["workspace"]
    assert ws.recorder.flush(120) and ws.recorder.problem is None
    runs = ws.recorder.tracker.project_runs(ws.project.id)
    run = runs[runs["tags.mlcore.kind"] == "clustering"].iloc[0]
    assert run["metrics.n_clusters"] == 4 and run["params.param.n_clusters"] == "4"
    assert run["tags.mlflow.runName"] == "Clusters: k-means (4 clusters)"


def test_how_many_clusters_recommends_the_true_k_and_sets_it(open_app):
    dataset, _ = blobs(300, centers=4)
    at = open_app(PAGE, Workspace(dataset=dataset), timeout=120)
    _tab(at, "How many clusters?")
    _click(at, "Score k = 2 to 10")
    _until(at, lambda at: any(b.label.startswith("Use k = ") for b in at.button))
    assert any(shown(s.value).startswith("k = 4: the best silhouette") for s in at.success)
    figure = _chart(at, "discover.ks_figure")
    assert figure["data"][0]["x"] == list(range(2, 11))
    _click(at, "Use k = 4")
    assert at.session_state["workspace"].discover.settings("kmeans") == {"n_clusters": 4}


def test_the_map_draws_every_row_coloured_by_the_target(open_app):
    dataset, truth = blobs(300, centers=3)
    frame = dataset.frame.assign(kind=np.array(["a", "b", "c"])[truth])
    labelled = dataset_of(frame, target="kind")
    at = open_app(PAGE, Workspace(dataset=labelled), timeout=120)
    _tab(at, "Map")
    _click(at, "Map with PCA")
    _until(at, lambda at: any("discover.scatter" in c.proto.id for c in at.get("plotly_chart")))
    traces = _chart(at, "discover.scatter")["data"]
    assert sorted(t["name"] for t in traces) == ["a", "b", "c"]
    assert sum(len(plotly_array(t["x"])) for t in traces) == 300
    variance = _chart(at, "discover.variance")["data"][0]
    assert variance["x"] == ["PC1", "PC2", "PC3"]


def test_a_planted_odd_row_is_listed_first(open_app):
    dataset, _ = blobs(300, centers=3)
    frame = dataset.frame.copy()
    frame.loc[17, "b"] = 500.0
    at = open_app(PAGE, Workspace(dataset=dataset_of(frame)), timeout=120)
    _tab(at, "Anomalies")
    _click(at, "Find anomalies")
    _until(at, lambda at: any("discover.anomaly_scores" in c.proto.id for c in at.get("plotly_chart")))
    first = next(m.value for m in at.markdown if m.value.startswith("- Row "))
    assert first.startswith("- Row 18 ") and "`b` = 500" in first


def test_named_clusters_become_a_column_training_can_use(open_app):
    dataset, _ = blobs(240, centers=3)
    ws = Workspace(dataset=dataset)
    at = open_app(PAGE, ws, timeout=120)
    _click(at, "Find clusters")
    _until(at, lambda at: any(m.label == "Clusters" for m in at.metric))
    labels = at.session_state["workspace"].discover.results.values()[0].fit.labels
    _tab(at, "Use the result")
    boxes = [t for t in at.text_input if t.label.startswith("cluster ")]  # one name per cluster
    assert [t.value for t in boxes] == ["cluster 0", "cluster 1", "cluster 2"]
    sizes = np.bincount(labels)
    assert boxes[1].label.startswith(f"cluster 1 · {sizes[1]:,} rows · ")
    boxes[1].input("big spenders").run()
    _click(at, "Add the clusters as a column")
    ws = at.session_state["workspace"]
    added = ws.dataset
    assert (
        added.column("cluster").ctype is ColumnType.CATEGORICAL
        and added.column("cluster").role is Role.FEATURE
    )
    named = {0: "cluster 0", 1: "big spenders", 2: "cluster 2"}
    assert list(added.frame["cluster"]) == [named[label] for label in labels]
    assert "Added the column 'cluster'" in page_text(at)


def test_a_table_with_nothing_to_cluster_is_a_plain_message(open_app):
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(50)]})  # an identifier is not a feature
    at = open_app(PAGE, Workspace(dataset=dataset_of(frame)), timeout=120)
    _click(at, "Find clusters")
    _until(at, lambda at: at.error)
    assert shown(at.error[0].value).startswith(
        "**No column can be used: every column is the target, an identifier"
    )
    assert "set at least one number or category column's role to 'feature'" in at.error[0].value


def test_a_column_named_like_the_anomaly_score_is_listed_beside_it(open_app):
    """Regression: a table with a column called 'isolation score' crashed the list of odd rows."""
    dataset, _ = blobs(200, centers=3)
    frame = dataset.frame.assign(**{"isolation score": 1.0})
    at = open_app(PAGE, Workspace(dataset=dataset_of(frame)), timeout=120)
    _tab(at, "Anomalies")
    _click(at, "Find anomalies")
    _until(at, lambda at: any("discover.anomaly_scores" in c.proto.id for c in at.get("plotly_chart")))
    table = next(d.value for d in at.dataframe if "isolation score_2" in d.value.columns)
    assert (table["isolation score"] == 1.0).all() and table["isolation score_2"].is_monotonic_decreasing


def test_a_taken_or_empty_name_for_the_cluster_column_is_refused_before_adding(open_app):
    dataset, _ = blobs(120, centers=3)
    at = open_app(PAGE, Workspace(dataset=dataset), timeout=120)
    _click(at, "Find clusters")
    _until(at, lambda at: any(m.label == "Clusters" for m in at.metric))
    _tab(at, "Use the result")
    for name, said in (("a", "already has a column called 'a'"), ("  ", "Type a name")):
        at.text_input(key="discover.column").input(name).run()
        assert any(said in shown(w.value) for w in at.warning)
        assert not any(b.label == "Add the clusters as a column" for b in at.button)
