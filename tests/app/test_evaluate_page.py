"""AppTest for the Evaluate page with trained runs put into the workspace."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from apptest_support import plotly_array
from sklearn import metrics as skm
from sklearn.metrics import precision_score
from streamlit.testing.v1 import AppTest

from mlcore.data.samples import load_sample
from mlcore.evaluate import refit
from mlcore.evaluate.holdout import evaluate_run
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec
from mlcore.workspace import Workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/evaluate.py"


def _runs(sample: str, *models: str):
    dataset = load_sample(sample)
    request = TrainRequest(dataset, split=SplitSpec(test_size=0.25, cv_folds=3))
    return dataset, [train_model(request, ModelChoice(m)) for m in models]


@pytest.fixture(scope="module")
def binary():
    return _runs("breast_cancer", "logistic_regression", "naive_bayes", "decision_tree", "linear_svm")


@pytest.fixture(scope="module")
def iris():
    return _runs("iris", "logistic_regression", "naive_bayes")


def _older(runs: list) -> list:
    """The runs as a project saved before training kept out-of-fold predictions holds them (new ids,
    as the page's caches are per run id)."""
    return [replace(r, oof=None, id=r.id[::-1]) for r in runs]


def _open(dataset=None, runs=()) -> AppTest:
    ws = Workspace(dataset=dataset, runs=list(runs))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["workspace"] = ws
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _tab(at: AppTest, label: str) -> None:
    at.session_state["evaluate_tab"] = label
    at.run()
    assert not at.exception


def _charts(at: AppTest) -> dict[str, dict]:
    """Plotly figures drawn, by their element key."""
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _chart(at: AppTest, key: str) -> dict:
    return next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if key in c.proto.id)


def _text(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "info", "success") for e in at.get(kind))


def test_without_runs_the_page_points_to_training(binary):
    at = _open()
    assert any("No dataset yet" in i.value for i in at.info)
    at = _open(binary[0])
    assert any("No trained model" in i.value for i in at.info)


def test_default_selection_is_the_top_of_the_leaderboard_and_scores_match(binary):
    dataset, runs = binary
    at = _open(dataset, runs)
    by_accuracy = sorted(runs, key=lambda r: -r.cv_mean["accuracy"])
    picker = at.multiselect[0]
    assert picker.value == [r.id for r in by_accuracy[:3]]
    assert [t.label for t in at.tabs][:5] == [
        "Scores",
        "Per-class report",
        "Confusion matrices",
        "ROC, PR and calibration",
        "Threshold",
    ]
    cv, holdout = (d.value.set_index(d.value.columns[0]) for d in at.dataframe)
    assert list(cv.columns) == [r.label for r in by_accuracy[:3]] + ["best"]
    best = by_accuracy[0]
    assert holdout.loc["accuracy", best.label] == f"{evaluate_run(best, dataset).metrics['accuracy']:.4f}"
    assert "leads" in _text(at)  # the paired fold comparison of the two best

    _tab(at, "Per-class report")
    report = at.dataframe[0].value
    assert set(report["model"]) == {r.label for r in by_accuracy[:3]} and report["class"].iloc[0] == "benign"
    row = report[(report["class"] == "benign") & (report["model"] == best.label)].iloc[0]
    expected = precision_score(best.y_true, best.y_pred, pos_label="benign")
    assert row["precision"] == pytest.approx(expected)
    _tab(at, "Scores")

    picker.set_value([runs[3].id, runs[1].id]).run()  # linear SVM and naive Bayes
    assert not at.exception
    holdout = at.dataframe[1].value.set_index("metric")
    assert list(holdout.columns) == ["Linear SVM", "Gaussian naive Bayes", "best"]
    assert holdout.loc["log loss", "Linear SVM"] == "—"  # no probabilities
    assert at.session_state["workspace"].evaluation.selected == (runs[3].id, runs[1].id)


def test_confusion_matrices_side_by_side_counts_and_shares(binary):
    dataset, runs = binary
    at = _open(dataset, runs)
    _tab(at, "Confusion matrices")
    (grid,) = _charts(at).values()  # one figure, a matrix per model
    chosen = [r for r in sorted(runs, key=lambda r: -r.cv_mean["accuracy"])[:3]]
    assert len(grid["data"]) == 3
    titles = [a["text"] for a in grid["layout"]["annotations"]]
    for heat, title, run in zip(grid["data"], titles, chosen, strict=True):
        assert heat["x"] == ["benign", "malignant"]  # the original class names
        assert title.startswith(run.label)
        assert np.array_equal(plotly_array(heat["z"]), evaluate_run(run, dataset).confusion.counts)
    at.segmented_control(key="evaluate_cm_view").set_value("shares").run()
    heat = next(iter(_charts(at).values()))["data"][0]
    assert np.allclose(plotly_array(heat["z"]).sum(axis=1), 1.0)


@pytest.mark.parametrize("kept", [True, False], ids=["kept by training", "an older project's runs"])
def test_out_of_fold_matrices_are_drawn_or_computed_on_demand(binary, kept):
    dataset, runs = binary
    runs = runs if kept else _older(runs)
    at = _open(dataset, runs)
    _tab(at, "Confusion matrices")
    at.segmented_control(key="evaluate_cm_source").set_value("oof").run()
    asked = [b for b in at.button if b.label == "Compute out-of-fold predictions"]
    if kept:
        assert not asked  # drawn at once
    else:
        assert not _charts(at) and "No confusion matrices" not in _text(at)  # nothing drawn until asked
        asked[0].click().run()
    deadline = time.monotonic() + 120
    while len(next(iter(_charts(at).values()), {"data": ()})["data"]) < 3:  # models finish one by one
        assert time.monotonic() < deadline and not at.exception
        time.sleep(0.5)
        at.run()
    (grid,) = _charts(at).values()
    best = max(runs, key=lambda r: r.cv_mean["accuracy"])
    oof = refit.out_of_fold(lambda _: None, replace(best, oof=None), dataset)  # refitted here, to compare
    expected = skm.confusion_matrix(oof.y_true, oof.y_pred, labels=list(best.classes))
    assert np.array_equal(plotly_array(grid["data"][0]["z"]), expected)
    assert expected.sum() == len(dataset.frame) - len(best.y_true)  # every training row once


def test_threshold_slider_updates_the_confusion_matrix(binary):
    dataset, runs = binary
    runs = _older(runs)  # chosen on the holdout until out-of-fold predictions are computed
    at = _open(dataset, runs)
    _tab(at, "Threshold")
    run = max(runs, key=lambda r: r.cv_mean["accuracy"])
    e = evaluate_run(run, dataset)
    slider = at.slider[0]
    assert slider.value == 0.5
    assert np.array_equal(plotly_array(_chart(at, "threshold_view")["data"][0]["z"]), e.confusion.counts)
    slider.set_value(0.05).run()
    assert not at.exception
    z = plotly_array(_chart(at, "threshold_view")["data"][0]["z"])
    assert np.array_equal(z, e.threshold.confusion(0.05).counts)
    assert not np.array_equal(z, e.confusion.counts)  # a lower threshold flags more rows as malignant
    assert at.session_state["workspace"].evaluation.thresholds[run.id] == 0.05
    next(b for b in at.button if b.label == "Use the best threshold").click().run()
    best = e.threshold.best("f1")
    value = at.slider[0].value
    assert abs(value - best.threshold) < 1e-3  # rounded to the slider's step when the matrix stays the same
    assert (e.threshold.at(value).tp, e.threshold.at(value).fp) == (best.tp, best.fp)
    assert f"{best.value('f1'):.3f}" in _text(at)
    assert "optimistic" in _text(at)  # chosen on the holdout until out-of-fold predictions exist


@pytest.mark.parametrize(
    ("model", "kind", "kept"),
    [
        ("logistic_regression", "probability", True),
        ("linear_svm", "decision", True),
        ("logistic_regression", "probability", False),
    ],
)
def test_the_best_threshold_is_chosen_on_out_of_fold_rows(binary, model, kind, kept):
    """At once where training kept the out-of-fold predictions; once computed for an older run."""
    dataset, runs = binary
    runs = runs if kept else _older(runs)
    at = _open(dataset, runs)
    _tab(at, "Threshold")
    run = next(r for r in runs if r.model_key == model)
    at.selectbox(key="evaluate_threshold_run").set_value(run.id).run()
    at.selectbox(key="evaluate_threshold_metric").set_value("mcc").run()
    asked = [b for b in at.button if b.label.startswith("Choose it on the training rows")]
    assert len(asked) == (not kept)
    if asked:
        asked[0].click().run()
    deadline = time.monotonic() + 120
    while "Best Matthews correlation on the training rows" not in _text(at):
        assert time.monotonic() < deadline and not at.exception
        time.sleep(0.5)
        at.run()
    refitted = refit.out_of_fold(lambda _: None, replace(run, oof=None), dataset)
    chooser = refit.oof_threshold(refitted, run, kind)
    best, holdout = chooser.best("mcc"), evaluate_run(run, dataset).threshold
    assert f"**{best.value('mcc'):.3f}** at threshold **{best.threshold:.3f}**" in _text(at)
    assert f"Matthews correlation **{holdout.at(best.threshold).value('mcc'):.3f}**" in _text(at)
    table = next(m.value for m in at.markdown if m.value.startswith("| |"))
    assert "Matthews correlation" in table.split("\n")[0]  # the metric chosen by is a column too
    next(b for b in at.button if b.label == "Use the best threshold").click().run()
    value = at.slider[0].value
    assert (chooser.at(value).tp, chooser.at(value).fp) == (best.tp, best.fp)


def test_explanations_can_be_switched_off(binary):
    dataset, runs = binary
    at = _open(dataset, runs)
    assert any(e.label.startswith("What this means") for e in at.expander)
    at.toggle(key="explanations_toggle").set_value(False).run()
    assert not any("What" in e.label for e in at.expander)
    assert at.session_state["workspace"].show_explanations is False


def test_multiclass_curves_per_class_and_no_threshold(iris):
    dataset, runs = iris
    at = _open(dataset, runs)
    assert "Threshold" not in [t.label for t in at.tabs]
    _tab(at, "ROC, PR and calibration")
    at.selectbox(key="evaluate_curve_class").set_value("virginica").run()
    roc = _chart(at, "eval:roc")
    names = [t["name"] for t in roc["data"]]
    assert names[0].startswith("guessing") and len(names) == 3  # one curve per model for this class
    e = evaluate_run(runs[0], dataset)
    (curve,) = [c for c in e.roc if c.label == "virginica"]
    assert f"AUC {curve.area:.3f}" in " ".join(names)


def test_regression_views(tmp_path):
    dataset, runs = _runs("diabetes", "ridge", "decision_tree")
    at = _open(dataset, runs)
    assert [t.label for t in at.tabs] == [
        "Scores",
        "Predictions and residuals",
        "Largest errors",
        "Learning and validation curves",
    ]
    assert "RMSE" in set(at.dataframe[1].value["metric"])
    _tab(at, "Predictions and residuals")
    assert len(at.get("plotly_chart")) == 3
    _tab(at, "Largest errors")
    at.number_input(key="evaluate_errors_n").set_value(4).run()
    table = at.dataframe[0].value
    assert len(table) == 4 and "bmi" in table.columns and table["abs_error"].is_monotonic_decreasing
    assert set(table["row"]) <= set(dataset.frame.index)


def test_learning_curve_runs_in_the_background_and_is_kept(iris):
    dataset, runs = iris
    at = _open(dataset, runs)
    _tab(at, "Learning and validation curves")
    next(b for b in at.button if b.label == "Compute the learning curve").click().run()
    deadline = time.monotonic() + 120
    while not any("eval:learning" in c.proto.id for c in at.get("plotly_chart")):
        assert time.monotonic() < deadline and not at.exception
        time.sleep(0.5)
        at.run()
    spec = _chart(at, "eval:learning")
    validation = next(t for t in spec["data"] if t.get("name") == "validation score")
    run = next(r for r in runs if r.id == at.selectbox(key="evaluate_curve_run").value)
    assert plotly_array(validation["y"])[-1] == pytest.approx(
        run.cv_mean["accuracy"]
    )  # full size = the run's folds
    assert not any(b.label == "Compute the learning curve" for b in at.button)  # kept: no second run


def test_runs_with_other_splits_are_flagged(iris):
    dataset, runs = iris
    request = TrainRequest(dataset, split=SplitSpec(test_size=0.25, cv_folds=3), seed=5)
    other = train_model(request, ModelChoice("logistic_regression"))
    at = _open(dataset, [*runs, other])
    at.multiselect[0].set_value([runs[0].id, other.id]).run()
    assert any("different splits or seeds" in w.value for w in at.warning)
    assert not any("leads" in i.value for i in [*at.info, *at.success])  # folds differ: no paired comparison
