"""Evaluate figures: each draws exactly the numbers it is given, and refuses bad arguments."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from mlcore.evaluate import plots
from mlcore.evaluate.holdout import (
    CalibrationCurve,
    ConfusionMatrix,
    Curve,
    ThresholdAnalysis,
    calibration_curves,
    pr_curves,
    roc_curves,
)
from mlcore.evaluate.refit import LearningCurve, ValidationCurve

RNG = np.random.default_rng(0)
Y = np.where(RNG.random(3000) < 0.3, "yes", "no")
SCORE = np.clip(0.35 * (Y == "yes") + RNG.random(3000) * 0.65, 0, 1)
PROBA = np.column_stack([1 - SCORE, SCORE])
CLASSES = ("no", "yes")


def test_thin_keeps_both_ends_and_at_most_the_limit():
    x, y = np.arange(1000.0), np.arange(1000.0) ** 2
    tx, ty = plots.thin(x, y, 50)
    assert len(tx) <= 50 and tx[0] == 0 and tx[-1] == 999 and np.array_equal(ty, tx**2)
    assert plots.thin(x[:10], y[:10], 50)[0].tolist() == x[:10].tolist()
    with pytest.raises(ValueError):
        plots.thin(x, y, 1)
    with pytest.raises(ValueError):
        plots.thin(x, y[:5])


def test_fold_spread_draws_one_box_per_model_with_every_fold():
    fig = plots.fold_spread({"a": (0.9, 0.8, 0.85), "b": (0.7, 0.75, 0.72)}, "accuracy")
    assert [t.type for t in fig.data] == ["box", "box"]
    assert list(fig.data[0].y) == [0.9, 0.8, 0.85] and fig.data[1].name == "b"
    assert fig.data[0].boxpoints == "all" and fig.data[0].marker.color != fig.data[1].marker.color
    with pytest.raises(ValueError):
        plots.fold_spread({}, "accuracy")
    with pytest.raises(ValueError):
        plots.fold_spread({"a": ()}, "accuracy")


def test_confusion_heatmap_shows_counts_or_row_shares_with_class_names():
    cm = ConfusionMatrix(("cat", "dog"), np.array([[8, 2], [1, 9]]))
    counts = plots.confusion_heatmap(cm, title="m")
    (trace,) = counts.data
    assert np.array_equal(np.array(trace.z), cm.counts) and list(trace.x) == ["cat", "dog"]
    assert list(trace.text[0]) == ["8", "2"]
    assert counts.layout.yaxis.autorange == "reversed" and counts.layout.title.text == "m"
    shares = plots.confusion_heatmap(cm, normalized=True).data[0]
    assert np.allclose(np.array(shares.z), [[0.8, 0.2], [0.1, 0.9]]) and list(shares.text[0]) == [
        "80%",
        "20%",
    ]
    # A single mistake never rounds away: shares round to whole percent unless that reads 0% or 100%.
    rare = ConfusionMatrix(("cat", "dog"), np.array([[284, 1], [9999, 1]]))
    assert [list(row) for row in plots.confusion_heatmap(rare, normalized=True).data[0].text] == [
        ["99.6%", "0.4%"],
        [">99.9%", "<0.1%"],
    ]
    with pytest.raises(ValueError):
        plots.confusion_heatmap(ConfusionMatrix(("a", "b"), np.array([[1, 2, 3]])))


def test_roc_and_pr_figures_overlay_the_curves_they_are_given():
    roc = roc_curves(Y, PROBA, CLASSES)[0]
    fig = plots.roc_figure([("model A", roc), ("model B", roc)], max_points=100)
    guide, a, b = fig.data
    assert list(guide.x) == [0, 1] and "guessing" in guide.name
    assert a.name == f"model A (AUC {roc.area:.3f})" and len(a.x) <= 100
    assert a.x[0] == roc.x[0] and a.x[-1] == roc.x[-1] and a.line.color != b.line.color
    pr = pr_curves(Y, PROBA, CLASSES)[0]
    fig = plots.pr_figure([("model A", pr)])
    baseline, curve = fig.data
    assert baseline.y[0] == pytest.approx((Y == "yes").mean(), abs=1e-6) and "AP" in curve.name
    with pytest.raises(ValueError):
        plots.roc_figure([])
    with pytest.raises(ValueError):
        plots.pr_figure([])


def test_calibration_figure_draws_the_bins():
    (curve,) = calibration_curves(Y, PROBA, CLASSES)
    fig = plots.calibration_figure([("m", curve)])
    assert np.array_equal(fig.data[1].x, curve.mean_predicted) and np.array_equal(
        fig.data[1].y, curve.fraction_positive
    )
    assert list(fig.data[1].customdata) == list(curve.counts)
    with pytest.raises(ValueError):
        plots.calibration_figure([])
    empty = CalibrationCurve("x", np.array([]), np.array([]), np.array([]), 0.0)
    assert len(plots.calibration_figure([("m", empty)]).data) == 2


def test_confusion_grid_puts_each_model_in_its_own_cell():
    cms = [(f"model {i}", ConfusionMatrix(("no", "yes"), np.array([[i, 2], [3, 4]]))) for i in range(4)]
    fig = plots.confusion_grid(cms, per_row=3)
    assert [a.text for a in fig.layout.annotations] == ["model 0", "model 1", "model 2", "model 3"]
    assert [(t.xaxis, t.yaxis) for t in fig.data] == [("x", "y"), ("x2", "y2"), ("x3", "y3"), ("x4", "y4")]
    for (_, cm), heat in zip(cms, fig.data, strict=True):
        assert np.array_equal(heat.z, cm.counts) and list(heat.y) == ["no", "yes"]
    assert fig.layout.xaxis4.domain == fig.layout.xaxis.domain  # the fourth starts the second row
    assert fig.layout.yaxis4.domain[1] < fig.layout.yaxis.domain[0]
    assert (fig.layout.yaxis.title.text, fig.layout.yaxis4.title.text, fig.layout.yaxis2.title.text) == (
        "actual",
        "actual",
        None,
    )
    shares = plots.confusion_grid(cms[:1], normalized=True).data[0]
    assert np.allclose(np.asarray(shares.z).sum(axis=1), 1.0)
    with pytest.raises(ValueError):
        plots.confusion_grid([])


def test_threshold_figure_marks_the_chosen_and_best_thresholds():
    t = ThresholdAnalysis(Y, SCORE, "yes", "no", "probability")
    best = t.best("f1")
    fig = plots.threshold_figure(t, 0.3, best, points=51)
    assert [trace.name for trace in fig.data[:3]] == ["precision", "recall", "F1"]
    sweep = t.sweep(51)
    assert np.allclose(fig.data[2].y, sweep["f1"]) and len(fig.data[0].x) == 51
    assert [trace.name for trace in fig.data[3:]] == [f"best ({best.threshold:.3f})", "chosen threshold"]
    # Precision is a gap where no row is flagged (at the top end), not a drop to 0.
    nothing_flagged = sweep["flagged"].to_numpy() == 0
    assert nothing_flagged[-1] and np.isnan(np.asarray(fig.data[0].y, dtype=float)[nothing_flagged]).all()
    assert np.allclose(
        np.asarray(fig.data[0].y, dtype=float)[~nothing_flagged], sweep["precision"][~nothing_flagged]
    )
    assert list(fig.data[3].x) == [best.threshold] * 2 and list(fig.data[4].x) == [0.3, 0.3]
    with pytest.raises(ValueError):
        plots.threshold_figure(t, 1.5)


def test_learning_and_validation_curve_figures():
    train = np.array([[1.0, 0.9], [0.95, 0.93]])
    valid = np.array([[0.7, 0.8], [0.85, 0.87]])
    fig = plots.learning_curve_figure(LearningCurve("accuracy", train, valid, (50, 100)), "accuracy")
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["training score", "validation score"]
    assert np.allclose(lines[1].y, [0.75, 0.86]) and list(lines[1].x) == [50, 100]
    with pytest.raises(ValueError):
        plots.learning_curve_figure(LearningCurve("accuracy", train, valid, (50,)), "accuracy")
    curve = ValidationCurve("r2", train, valid, "alpha", "Alpha", (0.1, 10.0), 10.0, True, ("0.1", "10"))
    fig = plots.validation_curve_figure(curve, "R²")
    assert fig.layout.xaxis.type == "log" and fig.layout.shapes[0].x0 == 10.0
    assert fig.layout.annotations[0].x == 1.0  # log10(10): plotly places log-axis annotations in log units
    assert list(fig.layout.xaxis.tickvals) == [0.1, 10.0] and list(fig.layout.xaxis.ticktext) == ["0.1", "10"]
    depth = ValidationCurve(
        "r2", train, valid, "max_depth", "Depth", (3, None), None, False, ("3", "no limit")
    )
    fig = plots.validation_curve_figure(depth, "R²")
    assert fig.layout.xaxis.type == "category" and list(fig.data[1].x) == ["3", "no limit"]
    with pytest.raises(ValueError):
        plots.validation_curve_figure(ValidationCurve("r2", train, valid, "a", "A", ()), "R²")


def _residuals(n: int, shift: float = 0.0) -> pd.DataFrame:
    actual = RNG.normal(size=n) * 10
    predicted = actual + RNG.normal(size=n) + shift
    return pd.DataFrame({"actual": actual, "predicted": predicted, "residual": actual - predicted})


def test_regression_figures_sample_big_scatters_and_bin_residuals():
    series = {"a": _residuals(5000), "b": _residuals(300, shift=2.0)}
    fig = plots.predicted_vs_actual(series, max_points=1000)
    identity, a, b = fig.data
    assert identity.x[0] == identity.y[0] and identity.x[1] == identity.y[1]
    assert identity.x[0] <= series["a"]["actual"].min() and len(a.x) == 1000 and len(b.x) == 300
    assert fig.layout.title.subtitle.text == "a random sample of 1,000 of 5,000 rows"  # not in the title
    assert set(a.x) <= set(series["a"]["actual"])
    fig = plots.residuals_vs_predicted(series, max_points=10_000)
    assert len(fig.data[0].x) == 5000 and "sample" not in fig.layout.title.text
    hist = plots.residual_histogram(series, bins=20)
    assert [sum(t.y) for t in hist.data] == [5000, 300] and len(hist.data[0].x) == 20
    assert all(t.line.shape == "hvh" and t.fill is None for t in hist.data)  # outlines: no blended fills
    with pytest.raises(ValueError):
        plots.predicted_vs_actual({})
    with pytest.raises(ValueError):
        plots.residual_histogram({"a": pd.DataFrame({"actual": [1.0]})})
    with pytest.raises(ValueError):
        plots.residual_histogram(series, bins=1)


def test_curves_with_a_single_point_still_draw():
    curve = Curve("yes", np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0, 0.0]), 0.5, 0.5)
    assert len(plots.roc_figure([("m", curve)]).data[1].x) == 2


def test_threshold_view_puts_the_matrix_beside_the_curve():
    t = ThresholdAnalysis(Y, SCORE, "yes", "no", "probability")
    best = t.best("f1")
    fig = plots.threshold_view(t, 0.3, best, points=51)
    heat, chosen = fig.data[0], fig.data[-1]
    assert np.array_equal(heat.z, t.confusion(0.3).counts) and list(heat.x) == ["no", "yes"]
    assert [trace.name for trace in fig.data[1:4]] == ["precision", "recall", "F1"]
    assert np.allclose(fig.data[3].y, t.sweep(51)["f1"])
    assert list(chosen.x) == [0.3, 0.3] and (heat.xaxis, chosen.xaxis) == ("x", "x2")
    assert fig.layout.annotations[0].text == "At threshold 0.300"


def test_fast_redraws_equal_the_figures_built_from_scratch():
    t = ThresholdAnalysis(Y, SCORE, "yes", "no", "probability")
    best = t.best("f1")
    base = plots.threshold_view(t, t.default, best)
    moved = plots.move_threshold(base.to_dict(), t.confusion(0.2), 0.2)
    assert json.loads(pio.to_json(moved)) == json.loads(plots.threshold_view(t, 0.2, best).to_json())
    assert list(base.data[-1].x) == [0.5, 0.5]  # the input is left as it was
    assert np.array_equal(base.data[0].z, t.confusion(0.5).counts)
    with pytest.raises(ValueError):
        plots.move_threshold(base.to_dict(), ConfusionMatrix(("a", "b", "c"), np.eye(3, dtype=int)), 0.2)
