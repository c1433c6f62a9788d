"""The Teach page (issue 17, items 2 and 3): trained models' boundaries side by side, and the overfitting
panel whose scores follow its knob."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from apptest_support import plotly_array, shown

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from model_helpers import train

from mlcore.data.generators import GeneratorSpec, Shape, generate
from mlcore.formatting import number
from mlcore.teach.boundaries import boundary_grid, response_curve, response_surface
from mlcore.teach.overfitting import KNOBS, fit_at, sweep
from mlcore.train.split import SplitSpec
from mlcore.workspace import Workspace

PAGE = "pages/teach.py"


def _charts(at) -> dict[str, dict]:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _chart(at, key: str) -> dict:
    return next(spec for name, spec in _charts(at).items() if key in name)


@pytest.fixture(scope="module")
def moons():
    dataset = generate(GeneratorSpec(Shape.MOONS, n_samples=300, noise=0.2))
    split = SplitSpec(test_size=0.25, cv_folds=0)
    return dataset, [train(dataset, key, split=split) for key in ("logistic_regression", "decision_tree")]


def test_without_trained_models_the_page_points_to_training(open_app):
    at = open_app(PAGE, Workspace(dataset=generate(GeneratorSpec())))
    at.session_state["teach_tab"] = "Decision boundaries"
    at.run()
    assert any("Train two or more models" in i.value for i in at.info)


def test_two_models_boundaries_side_by_side_match_their_predictions(open_app, moons):
    dataset, runs = moons
    at = open_app(PAGE, Workspace(dataset=dataset, runs=list(runs)), timeout=120)
    at.session_state["teach_tab"] = "Decision boundaries"
    at.run()
    assert not at.exception
    heatmaps = [t for t in _chart(at, "teach.boundaries")["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 2
    for heatmap, run in zip(heatmaps, runs, strict=True):
        grid = boundary_grid(run.pipeline, dataset.frame, "x1", "x2", 200, run.label)
        assert np.array_equal(plotly_array(heatmap["z"]).reshape(grid.predicted.shape), grid.predicted)
    linear, tree = (boundary_grid(r.pipeline, dataset.frame, "x1", "x2", 200) for r in runs)
    assert not np.array_equal(linear.predicted, tree.predicted)  # two different boundaries


def test_the_overfitting_panel_follows_its_knob(open_app):
    at = open_app(PAGE, Workspace(), timeout=120)
    at.session_state["teach_tab"] = "Overfitting"
    at.run()
    at.selectbox(key="teach.knob").set_value("tree_depth").run()
    assert not at.exception
    frame = generate(GeneratorSpec(Shape.MOONS, n_samples=500, noise=0.3, n_classes=2, n_features=2)).frame
    knob = KNOBS["tree_depth"]
    found = sweep(frame, "target", knob, 0)
    assert shown(found.sentence) in [shown(m.value) for m in at.markdown]
    for value in (knob.values[0], knob.values[-1]):
        at.select_slider(key="teach.value.tree_depth").set_value(value).run()
        expected = fit_at(frame, "target", knob, value, 0)
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Training accuracy"] == number(expected.train, 3)
        assert metrics["Validation accuracy (rows held out)"] == number(expected.validation, 3)
    assert metrics["Training accuracy"] == "1"  # the deepest tree memorises its training rows


def test_stepping_through_k_means_shows_each_step_in_words_to_the_last(open_app):
    from mlcore.teach.steps import kmeans_steps

    at = open_app(PAGE, Workspace(), timeout=120)
    at.session_state["teach_tab"] = "Step through"
    at.run()
    data = generate(GeneratorSpec(Shape.BLOBS, n_samples=300, noise=0.3, n_classes=4)).frame
    steps = kmeans_steps(data, "x1", "x2", 3, 0)
    assert shown(at.main.markdown[-1].value) == f"**{steps.frames[0].sentence}**"
    for index in range(1, len(steps.frames)):
        next(b for b in at.button if b.label == "Next").click().run()
        assert shown(at.main.markdown[-1].value) == f"**{steps.frames[index].sentence}**"
    assert next(b for b in at.button if b.label == "Next").disabled
    final = steps.frames[-1]
    chart = _chart(at, "teach.steps.chart")
    assert f"Step {len(steps.frames) - 1} of {len(steps.frames) - 1}" in chart["layout"]["title"]["text"]
    next(b for b in at.button if b.label == "Back").click().run()
    assert shown(at.main.markdown[-1].value) == f"**{steps.frames[-2].sentence}**"
    assert final.changed == 0  # it stopped because no point changed cluster


def test_a_regression_model_is_drawn_as_its_curve_or_its_surface(open_app):
    dataset = generate(GeneratorSpec(Shape.REGRESSION, n_samples=200, n_features=2))
    run = train(dataset, "decision_tree", split=SplitSpec(test_size=0.25, cv_folds=0))
    at = open_app(PAGE, Workspace(dataset=dataset, runs=[run]), timeout=120)
    at.session_state["teach_tab"] = "Decision boundaries"
    at.run()
    curve = _chart(at, f"teach.response.{run.id}")["data"][-1]
    expected = response_curve(run.pipeline, dataset.frame, "x1", 200)
    np.testing.assert_allclose(plotly_array(curve["y"]), expected.predicted)
    at.selectbox(key="teach.y").set_value("x2").run()
    heatmap = _chart(at, f"teach.response.{run.id}")["data"][0]
    surface = response_surface(run.pipeline, dataset.frame, "x1", "x2", 100)
    np.testing.assert_allclose(plotly_array(heatmap["z"]).reshape(surface.predicted.shape), surface.predicted)


def test_the_overfitting_panel_works_on_the_painted_table(open_app):
    from mlcore.teach import paint

    frame = paint.fill_box(paint.empty(), (-2, 0.2), (-2, 2), "A", 120, seed=1)
    frame = paint.fill_box(frame, (-0.2, 2), (-2, 2), "B", 120, seed=2)
    painted = paint.painted_dataset(frame, paint.CLASS)
    at = open_app(PAGE, Workspace(dataset=painted), timeout=120)
    at.session_state["teach_tab"] = "Overfitting"
    at.run()
    assert at.selectbox(key="teach.shape").value == "The painted table"
    at.selectbox(key="teach.knob").set_value("tree_depth").run()
    at.select_slider(key="teach.value.tree_depth").set_value(20).run()
    expected = fit_at(painted.frame, paint.CLASS, KNOBS["tree_depth"], 20, 0)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training accuracy"] == number(expected.train, 3) == "1"  # the deep tree memorises
    assert metrics["Validation accuracy (rows held out)"] == number(expected.validation, 3)
