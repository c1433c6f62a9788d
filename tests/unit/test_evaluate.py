"""Evaluation of runs: every metric, matrix and curve checked against scikit-learn on the same predictions."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from mlcore.data.samples import load_sample
from mlcore.dataset import build_dataset, hash_frame
from mlcore.evaluate import compare as cmp
from mlcore.evaluate import holdout as ev
from mlcore.evaluate import refit
from mlcore.evaluate.glossary import EXPLANATIONS, explain
from mlcore.metrics import METRICS, regression_metrics
from mlcore.train.fit import failed_run, train_model
from mlcore.train.runs import ModelChoice, RunStatus, TrainRequest
from mlcore.train.split import SplitSpec


def _train(name: str, *models: str, cv: int = 3, test_size: float = 0.25):
    dataset = load_sample(name)
    request = TrainRequest(dataset, split=SplitSpec(test_size=test_size, cv_folds=cv), models=(), seed=1)
    return dataset, {m: train_model(request, ModelChoice(m)) for m in models}


@pytest.fixture(scope="module")
def binary():
    return _train("breast_cancer", "logistic_regression", "linear_svm", "decision_tree")


@pytest.fixture(scope="module")
def multiclass():
    return _train("iris", "logistic_regression", "linear_svm")


@pytest.fixture(scope="module")
def regression():
    return _train("diabetes", "ridge", "decision_tree")


# ---------- metrics ----------


def test_binary_metrics_equal_sklearns(binary):
    dataset, runs = binary
    run = runs["logistic_regression"]
    assert run.classes == ("benign", "malignant")  # string labels
    e = ev.evaluate_run(run, dataset)
    y, p, proba = run.y_true, run.y_pred, run.proba
    expected = {
        "accuracy": skm.accuracy_score(y, p),
        "balanced_accuracy": skm.balanced_accuracy_score(y, p),
        "precision_macro": skm.precision_score(y, p, average="macro"),
        "recall_macro": skm.recall_score(y, p, average="macro"),
        "f1_macro": skm.f1_score(y, p, average="macro"),
        "precision_weighted": skm.precision_score(y, p, average="weighted"),
        "recall_weighted": skm.recall_score(y, p, average="weighted"),
        "f1_weighted": skm.f1_score(y, p, average="weighted"),
        "roc_auc": skm.roc_auc_score(y == "malignant", proba[:, 1]),
        "log_loss": skm.log_loss(y, proba, labels=list(run.classes)),
        "mcc": skm.matthews_corrcoef(y, p),
    }
    assert e.kind == "probability"
    assert e.metrics == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert e.metrics["accuracy"] == run.holdout["accuracy"]
    assert e.metrics["roc_auc"] == pytest.approx(run.holdout["roc_auc"])


def test_multiclass_metrics_with_string_labels_equal_sklearns(multiclass):
    dataset, runs = multiclass
    run = runs["logistic_regression"]
    labels = list(run.classes)
    assert labels == ["setosa", "versicolor", "virginica"]
    e = ev.evaluate_run(run, dataset)
    y, p = run.y_true, run.y_pred
    assert e.metrics["roc_auc"] == skm.roc_auc_score(y, run.proba, multi_class="ovr", labels=labels)
    assert e.metrics["log_loss"] == skm.log_loss(y, run.proba, labels=labels)
    assert e.metrics["mcc"] == skm.matthews_corrcoef(y, p)
    assert e.metrics["f1_weighted"] == skm.f1_score(y, p, average="weighted")
    assert e.metrics["precision_macro"] == skm.precision_score(y, p, average="macro", zero_division=0)
    assert e.metrics["balanced_accuracy"] == skm.balanced_accuracy_score(y, p)


def test_decision_values_are_used_when_a_model_gives_no_probabilities(binary, multiclass):
    dataset, runs = binary
    run = runs["linear_svm"]
    assert run.proba is None
    e = ev.evaluate_run(run, dataset)
    decision = run.pipeline.decision_function(dataset.frame.loc[run.holdout_index, dataset.features])
    assert e.kind == "decision"
    assert np.array_equal(e.scores[:, 1], decision) and np.array_equal(e.scores[:, 0], -decision)
    assert e.metrics["roc_auc"] == skm.roc_auc_score(run.y_true == "malignant", decision)
    assert np.isnan(e.metrics["log_loss"]) and e.calibration == []
    assert any("decision values" in note for note in e.notes)
    # Multiclass decision values: the macro one-vs-rest AUC, class by class.
    dataset, runs = multiclass
    run = runs["linear_svm"]
    e = ev.evaluate_run(run, dataset)
    expected = np.mean(
        [skm.roc_auc_score(run.y_true == c, e.scores[:, k]) for k, c in enumerate(run.classes)]
    )
    assert e.metrics["roc_auc"] == pytest.approx(expected)
    # Without the data loaded there are no decision values, and the score-based metrics are missing.
    e = ev.evaluate_run(run, None)
    assert e.scores is None and np.isnan(e.metrics["roc_auc"]) and e.roc == []


def test_regression_metrics_equal_sklearns(regression):
    _, runs = regression
    run = runs["ridge"]
    e = ev.evaluate_run(run)
    y, p = run.y_true.astype(float), run.y_pred
    assert e.metrics == pytest.approx(
        {
            "mae": skm.mean_absolute_error(y, p),
            "mse": skm.mean_squared_error(y, p),
            "rmse": skm.root_mean_squared_error(y, p),
            "r2": skm.r2_score(y, p),
            "mape": skm.mean_absolute_percentage_error(y, p),
            "median_ae": skm.median_absolute_error(y, p),
        },
        rel=1e-12,
    )
    assert e.notes == ()


def test_mape_is_not_given_when_the_target_has_zeros():
    values = regression_metrics(np.array([0.0, 2.0, 4.0]), np.array([1.0, 2.0, 3.0]))
    assert np.isnan(values["mape"])
    assert values["mae"] == pytest.approx(2 / 3) and values["mse"] == pytest.approx(2 / 3)
    assert values["median_ae"] == 1.0


# ---------- report and confusion matrices ----------


def test_class_report_equals_sklearns_classification_report(multiclass):
    dataset, runs = multiclass
    run = runs["logistic_regression"]
    report = ev.evaluate_run(run, dataset).report
    expected = skm.classification_report(run.y_true, run.y_pred, labels=list(run.classes), output_dict=True)
    for row in report.itertuples():
        assert row.precision == pytest.approx(expected[row._1]["precision"])
        assert row.recall == pytest.approx(expected[row._1]["recall"])
        assert pytest.approx(expected[row._1]["f1-score"]) == row.F1
        assert row.support == expected[row._1]["support"]
    assert list(report["class"]) == ["setosa", "versicolor", "virginica"]


@pytest.mark.parametrize("fixture", ["binary", "multiclass"])
def test_confusion_matrices_equal_sklearns(fixture, request):
    dataset, runs = request.getfixturevalue(fixture)
    for run in runs.values():
        cm = ev.evaluate_run(run, dataset).confusion
        labels = list(run.classes)
        assert cm.labels == tuple(labels)  # the original class names, in the model's order
        assert np.array_equal(cm.counts, skm.confusion_matrix(run.y_true, run.y_pred, labels=labels))
        assert np.allclose(
            cm.normalized, skm.confusion_matrix(run.y_true, run.y_pred, labels=labels, normalize="true")
        )
        assert cm.total == len(run.y_true)


def test_confusion_matrix_keeps_a_class_the_model_never_saw():
    cm = ev.confusion(np.array(["a", "b", "c"]), np.array(["a", "b", "b"]), ("a", "b"))
    assert cm.labels == ("a", "b", "c")
    assert cm.counts.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 0]]
    assert cm.normalized[2].tolist() == [0, 1, 0]


# ---------- curves ----------


def test_roc_and_pr_curve_data_equal_sklearns(binary, multiclass):
    dataset, runs = binary
    for run in runs.values():
        e = ev.evaluate_run(run, dataset)
        hit = run.y_true == "malignant"
        (roc,), (pr,) = e.roc, e.pr
        fpr, tpr, thresholds = skm.roc_curve(hit, e.scores[:, 1])
        assert np.array_equal(roc.x, fpr) and np.array_equal(roc.y, tpr)
        assert np.array_equal(roc.thresholds, thresholds) and roc.label == "malignant"
        assert roc.area == skm.roc_auc_score(hit, e.scores[:, 1])
        precision, recall, pr_thresholds = skm.precision_recall_curve(hit, e.scores[:, 1])
        assert np.array_equal(pr.x, recall) and np.array_equal(pr.y, precision)
        assert np.array_equal(pr.thresholds, pr_thresholds)
        assert pr.area == skm.average_precision_score(hit, e.scores[:, 1]) and pr.baseline == hit.mean()
    dataset, runs = multiclass
    e = ev.evaluate_run(runs["logistic_regression"], dataset)
    assert [c.label for c in e.roc] == ["setosa", "versicolor", "virginica"]
    for k, curve in enumerate(e.roc):
        fpr, tpr, _ = skm.roc_curve(e.run.y_true == e.classes[k], e.run.proba[:, k])
        assert np.array_equal(curve.x, fpr) and np.array_equal(curve.y, tpr)


def test_calibration_curve_equals_sklearns(binary):
    dataset, runs = binary
    run = runs["logistic_regression"]
    (curve,) = ev.evaluate_run(run, dataset).calibration
    hit = run.y_true == "malignant"
    fraction, mean_predicted = calibration_curve(hit, run.proba[:, 1], n_bins=10)
    assert np.array_equal(curve.fraction_positive, fraction)
    assert np.array_equal(curve.mean_predicted, mean_predicted)
    assert curve.counts.sum() == len(hit) and len(curve.counts) == len(fraction)
    assert curve.brier == skm.brier_score_loss(hit, run.proba[:, 1])
    with pytest.raises(ev.EvalError):
        ev.calibration_curves(run.y_true, run.proba, run.classes, n_bins=1)


# ---------- threshold ----------


@pytest.mark.parametrize("model", ["logistic_regression", "linear_svm", "decision_tree"])
def test_threshold_at_the_default_gives_the_models_own_confusion_matrix(binary, model):
    dataset, runs = binary
    e = ev.evaluate_run(runs[model], dataset)
    t = e.threshold
    assert t.default == (0.0 if model == "linear_svm" else 0.5)
    assert np.array_equal(t.confusion(t.default).counts, e.confusion.counts)
    point = t.at(t.default)
    y, p = e.run.y_true, e.run.y_pred
    assert point.precision == skm.precision_score(y, p, pos_label="malignant")
    assert point.recall == skm.recall_score(y, p, pos_label="malignant")
    assert point.f1 == pytest.approx(skm.f1_score(y, p, pos_label="malignant"))
    assert point.value("mcc") == pytest.approx(skm.matthews_corrcoef(y, p))


def test_threshold_matrices_and_best_threshold_by_brute_force(binary):
    dataset, runs = binary
    e = ev.evaluate_run(runs["logistic_regression"], dataset)
    t, y, score = e.threshold, e.run.y_true, e.run.proba[:, 1]
    for threshold in (0.0, 0.05, 0.3, 0.5, 0.77, 0.99, 1.0):
        predicted = np.where(score > threshold, "malignant", "benign")
        expected = skm.confusion_matrix(y, predicted, labels=["benign", "malignant"])
        assert np.array_equal(t.confusion(threshold).counts, expected), threshold
    sweep = t.sweep(21)
    for row in sweep.itertuples():
        predicted = score > row.threshold
        assert row.precision == skm.precision_score(y == "malignant", predicted, zero_division=0)
        assert row.recall == skm.recall_score(y == "malignant", predicted)
    for metric, scorer in [
        ("f1", lambda pred: skm.f1_score(y == "malignant", pred)),
        ("mcc", lambda pred: skm.matthews_corrcoef(y == "malignant", pred)),
        ("balanced_accuracy", lambda pred: skm.balanced_accuracy_score(y == "malignant", pred)),
    ]:
        best = t.best(metric)
        brute = max(scorer(score > c) for c in np.concatenate([[-1.0], np.unique(score)]))
        assert best.value(metric) == pytest.approx(brute)
        assert best.value(metric) == pytest.approx(scorer(score > best.threshold))
        assert 0 <= best.threshold <= 1
    with pytest.raises(ev.EvalError):
        t.best("precision")


def test_threshold_by_hand():
    t = ev.ThresholdAnalysis(
        np.array(["n", "p", "p", "n", "p"]), np.array([0.1, 0.4, 0.6, 0.6, 0.9]), "p", "n", "probability"
    )
    assert t.at(0.5) == ev.ThresholdPoint(0.5, tp=2, fp=1, fn=1, tn=1)
    assert t.at(0.6) == ev.ThresholdPoint(0.6, tp=1, fp=0, fn=2, tn=2)  # ties go to the negative class
    assert t.at(1.0).tp == 0 and t.at(0.0) == ev.ThresholdPoint(0.0, 3, 2, 0, 0)
    best = t.best("f1")  # all positive: F1 = 6/8; above 0.1: F1 = 6/7 (best)
    assert best.threshold == pytest.approx(0.25) and best.f1 == pytest.approx(6 / 7)
    assert t.best("accuracy").accuracy == pytest.approx(0.8)
    with pytest.raises(ev.EvalError):
        ev.ThresholdAnalysis(np.array([]), np.array([]), "p", "n", "probability")


def test_only_binary_runs_with_scores_have_a_threshold(multiclass, regression, binary):
    assert ev.evaluate_run(multiclass[1]["logistic_regression"]).threshold is None
    assert ev.evaluate_run(regression[1]["ridge"]).threshold is None
    assert ev.evaluate_run(binary[1]["linear_svm"], None).threshold is None


# ---------- regression views ----------


def test_residuals_and_largest_errors_with_their_rows(regression):
    dataset, runs = regression
    run = runs["decision_tree"]
    frame = ev.evaluate_run(run).residuals
    assert np.array_equal(frame["residual"], run.y_true - run.y_pred)
    assert list(frame.index) == list(run.holdout_index)
    top = ev.largest_errors(run, dataset, n=5)
    assert len(top) == 5 and top["abs_error"].is_monotonic_decreasing
    assert top["abs_error"].iloc[0] == np.abs(run.y_true - run.y_pred).max()
    for row_id, row in top.iterrows():
        assert row["actual"] == dataset.frame.loc[row_id, "progression"]
        assert row["bmi"] == dataset.frame.loc[row_id, "bmi"]  # the row's own columns
    other = replace(dataset, content_hash="other")
    assert "bmi" not in ev.largest_errors(run, other, 3).columns  # other data: no rows to show
    with pytest.raises(ev.EvalError):
        ev.largest_errors(run, dataset, 0)


# ---------- comparing runs ----------


def test_regression_holdout_and_cv_tables_list_shared_metrics_in_one_order(regression):
    dataset, runs = regression
    chosen = list(runs.values())
    holdout = cmp.holdout_table([ev.evaluate_run(r, dataset) for r in chosen])
    cv = cmp.cv_table(chosen)
    assert list(holdout.index[: len(cv)]) == list(cv.index) == ["R²", "RMSE", "MAE"]


def test_side_by_side_tables(binary):
    dataset, runs = binary
    chosen = [runs["logistic_regression"], runs["decision_tree"]]
    evaluations = [ev.evaluate_run(r, dataset) for r in chosen]
    table = cmp.holdout_table(evaluations)
    assert list(table.columns) == ["Logistic regression", "Decision tree", "best"]
    assert table.loc["accuracy", "Decision tree"] == evaluations[1].metrics["accuracy"]
    better = (
        "Logistic regression"
        if evaluations[0].metrics["log_loss"] < evaluations[1].metrics["log_loss"]
        else "Decision tree"
    )
    assert table.loc["log loss", "best"] == better  # lower is better
    tied = pd.DataFrame({"a": [0.9], "b": [0.9], "c": [0.8]}).iloc[0]
    assert cmp._best_name(tied, True) == "a = b" and cmp._best_name(tied, False) == "c"
    cv = cmp.cv_table(chosen)
    mean, std = chosen[0].cv_mean["accuracy"], chosen[0].cv_std["accuracy"]
    assert cv.loc["accuracy", "Logistic regression"] == f"{mean:.4f} ± {std:.4f}"
    assert "best" in cv.columns and "best" not in cmp.cv_table(chosen[:1]).columns  # one run: no "best"
    assert list(cmp.holdout_table(evaluations[:1]).columns) == ["Logistic regression"]
    summary = cmp.cv_summary(chosen)
    assert set(summary["metric"]) == {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc"}
    assert (summary["folds"] == 3).all()
    report = cmp.class_report_table(evaluations)
    assert list(report["model"][:2]) == ["Logistic regression", "Decision tree"]
    assert list(report["class"]) == ["benign", "benign", "malignant", "malignant"]
    spread = cmp.fold_scores(chosen, "f1_macro")
    assert spread["Decision tree"] == chosen[1].fold_scores["f1_macro"]


def test_display_names_are_unique():
    _, runs = _train("iris", "decision_tree", cv=0)
    run = runs["decision_tree"]
    twin = replace(run, id="other")
    assert ev.display_names([run, twin, run]) == {run.id: "Decision tree", "other": "Decision tree #2"}


def test_fold_comparison_is_paired_over_the_same_folds(binary):
    _, runs = binary
    a, b = runs["logistic_regression"], runs["decision_tree"]
    c = cmp.compare_folds(a, b, "accuracy")
    diff = np.array(a.fold_scores["accuracy"]) - np.array(b.fold_scores["accuracy"])
    assert (
        np.allclose(c.differences, diff)
        and c.wins == int((diff > 0).sum())
        and c.losses == int((diff < 0).sum())
    )
    assert c.standard_error == pytest.approx(diff.std(ddof=1) / np.sqrt(3))
    assert c.clear == (diff.mean() > 2 * c.standard_error)
    assert "Logistic regression leads Decision tree" in c.sentence()
    assert cmp.compare_folds(a, replace(b, seed=9), "accuracy") is None  # other folds: not comparable


def test_runs_that_cannot_be_evaluated_say_why(binary):
    dataset, _ = binary
    request = TrainRequest(dataset, split=SplitSpec(cv_folds=3))
    with pytest.raises(ev.EvalError, match="did not finish"):
        ev.evaluate_run(failed_run(request, ModelChoice("knn"), RunStatus.FAILED, "boom"))
    no_holdout = train_model(
        replace(request, split=SplitSpec(test_size=0, cv_folds=3)), ModelChoice("naive_bayes")
    )
    with pytest.raises(ev.EvalError, match="no holdout"):
        ev.evaluate_run(no_holdout)


# ---------- refits: out-of-fold, learning and validation curves ----------


def _quiet(event):
    assert 0 < event["progress"] <= 1


@pytest.mark.parametrize("source", ["kept by training", "refitted"])
def test_out_of_fold_predictions_reproduce_the_fold_scores(binary, source):
    dataset, runs = binary
    run = runs["logistic_regression"]
    oof = refit.out_of_fold(_quiet, run if source == "kept by training" else replace(run, oof=None), dataset)
    assert len(oof.index) == len(dataset.frame) - len(run.y_true)  # every training row once
    assert not set(oof.index) & set(run.holdout_index)
    for fold in (1, 2, 3):
        rows = oof.fold == fold
        assert skm.accuracy_score(oof.y_true[rows], oof.y_pred[rows]) == run.fold_scores["accuracy"][fold - 1]
    assert oof.proba.shape == (len(oof.index), 2) and oof.classes == run.classes


def test_the_out_of_fold_predictions_training_keeps_are_those_a_refit_makes(binary):
    dataset, runs = binary
    for run in (runs["logistic_regression"], runs["linear_svm"]):
        kept, refitted = run.oof, refit.out_of_fold(_quiet, replace(run, oof=None), dataset)
        assert kept is not None and refit.out_of_fold(_quiet, run, dataset) is kept
        for name in ("index", "fold", "y_true", "y_pred", "proba", "decision"):
            a, b = getattr(kept, name), getattr(refitted, name)
            assert (a is None and b is None) or np.array_equal(a, b), name
        assert kept.classes == refitted.classes == run.classes


@pytest.mark.parametrize(
    ("model", "kind", "default"),
    [("logistic_regression", "probability", 0.5), ("linear_svm", "decision", 0.0)],
)
def test_out_of_fold_threshold_analysis_matches_the_pooled_predictions(binary, model, kind, default):
    dataset, runs = binary
    run = runs[model]
    oof = refit.out_of_fold(_quiet, run, dataset)
    chooser = refit.oof_threshold(oof, run, kind)
    # At the model's own threshold the out-of-fold matrix is that of the pooled predictions.
    assert np.array_equal(
        chooser.confusion(default).counts, ev.confusion(oof.y_true, oof.y_pred, run.classes).counts
    )
    best = chooser.best("f1")
    score = oof.proba[:, 1] if kind == "probability" else oof.decision
    called = np.where(score > best.threshold, run.classes[1], run.classes[0])
    assert best.value("f1") == pytest.approx(skm.f1_score(oof.y_true, called, pos_label=run.classes[1]))
    assert refit.oof_threshold(oof, run, "decision" if kind == "probability" else "probability") is None


def test_learning_curve_at_full_size_reproduces_the_fold_scores(multiclass):
    dataset, runs = multiclass
    run = runs["logistic_regression"]
    curve = refit.learning_curve(_quiet, run, dataset, "f1_macro", fractions=(0.3, 1.0))
    assert curve.sizes == (round(0.3 * 75), 75) and curve.metric == "f1_macro"  # 112 training rows, 3 folds
    assert np.array_equal(curve.validation[-1], run.fold_scores["f1_macro"])
    assert curve.train.shape == (2, 3) and np.all(curve.train_mean <= 1)
    with pytest.raises(ev.EvalError):
        refit.learning_curve(_quiet, run, dataset, fractions=(0.0, 1.0))
    with pytest.raises(ev.EvalError):
        refit.learning_curve(_quiet, run, dataset, metric="r2")


def test_validation_curve_at_the_runs_value_reproduces_the_fold_scores(regression):
    dataset, runs = regression
    run = runs["ridge"]
    values = refit.param_values(run, "alpha")
    assert 1.0 in values and min(values) >= 1e-4 and values == tuple(sorted(values))
    curve = refit.validation_curve(_quiet, run, dataset, "alpha", values=(0.1, 1.0, 10.0), metric="r2")
    assert np.array_equal(curve.validation[1], run.fold_scores["r2"])
    assert curve.current == 1.0 and curve.log and curve.label
    tree = runs["decision_tree"]
    assert refit.param_values(tree, "max_depth")[-1] is None  # "no limit" is one of the choices


def test_refits_check_the_data_and_the_folds(regression):
    dataset, runs = regression
    run = runs["ridge"]
    with pytest.raises(ev.EvalError, match="no longer the loaded dataset"):
        refit.out_of_fold(_quiet, run, replace(dataset, content_hash="other"))
    no_cv = replace(run, split=SplitSpec(test_size=run.split.test_size, cv_folds=0))
    with pytest.raises(ev.EvalError, match="without cross-validation"):
        refit.out_of_fold(_quiet, no_cv, dataset)


def test_analyses_store_keeps_results_and_runs_jobs(multiclass):
    dataset, runs = multiclass
    run = runs["logistic_regression"]
    store = refit.RefitAnalyses(max_results=1)
    key = store.key("oof", run.id)
    assert store.poll(key).state == "missing"
    store.start("oof", run, dataset)
    state = store.poll(key)
    while state.state == "running":
        time.sleep(0.05)
        state = store.poll(key)
    assert state.state == "done" and np.array_equal(
        state.result.y_pred, refit.out_of_fold(_quiet, run, dataset).y_pred
    )
    assert store.start("oof", run, dataset) == key and not store.running  # known: no new job
    learning = store.compute("learning", run, dataset, metric="accuracy", fractions=(1.0,))
    assert store.poll(store.key("learning", run.id, metric="accuracy", fractions=(1.0,))).result is learning
    assert store.poll(key).state == "missing"  # evicted: the store keeps one result


# ---------- explanations ----------


def test_every_metric_and_chart_has_an_explanation():
    for key in METRICS:  # the one registry: every metric the leaderboard or Evaluate shows
        assert explain(key).text
    for key in [
        "roc",
        "pr",
        "calibration",
        "threshold",
        "learning_curve",
        "validation_curve",
        "fold_spread",
        "confusion_counts",
        "confusion_normalized",
        "predicted_vs_actual",
        "residuals_vs_predicted",
        "residual_distribution",
        "largest_errors",
        "class_report",
        "cv_vs_holdout",
        "oof_confusion",
    ]:
        assert key in EXPLANATIONS
    with pytest.raises(ValueError, match="No explanation"):
        explain("nonsense")


def test_small_hand_made_dataset_end_to_end():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "z": rng.normal(size=60)})
    frame["y"] = np.where(frame["x"] > 0, "yes", "no")
    dataset = build_dataset(frame, name="t", source="test", content_hash=hash_frame(frame), target="y")
    request = TrainRequest(dataset, split=SplitSpec(test_size=0.5, cv_folds=2))
    run = train_model(request, ModelChoice("logistic_regression"))
    e = ev.evaluate_run(run, dataset)
    assert e.binary and e.confusion.total == 30 and e.metrics["accuracy"] > 0.8
