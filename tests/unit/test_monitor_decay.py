"""Monitor, model decay: the resampled scores are `mlcore.metrics`' own, a real drop is seen, and
the same distribution as the holdout is not called a drop."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import log_loss

from mlcore.metrics import EVALUATION_KEYS, classification_metrics, regression_metrics, roc_auc
from mlcore.monitor.decay import (
    DecayInputError,
    Labelled,
    auc_scores,
    confusion_scores,
    decay,
    log_losses,
    regression_scores,
)

CLASSES = ["a", "b", "c"]


def _batch(rng: np.random.Generator, n: int, classes: list[str], flipped: float = 0.0) -> Labelled:
    """A model right on 85% of rows, confident in its answer; `flipped` rows get another true label."""
    y = rng.choice(classes, n, p=np.linspace(2, 1, len(classes)) / np.linspace(2, 1, len(classes)).sum())
    pred = np.where(rng.random(n) < 0.85, y, rng.choice(classes, n))
    proba = np.full((n, len(classes)), 0.2 / (len(classes) - 1))
    proba[np.arange(n), np.searchsorted(classes, pred)] = 0.8
    proba += rng.random(proba.shape) * 0.05  # ties broken, so ROC AUC has work to do
    proba /= proba.sum(axis=1, keepdims=True)
    flip = rng.random(n) < flipped
    shifted = np.array(classes)[(np.searchsorted(classes, y) + 1) % len(classes)]
    return Labelled(np.where(flip, shifted, y), pred, proba)


def _confusion(y: np.ndarray, pred: np.ndarray, labels: list[str]) -> np.ndarray:
    k = len(labels)
    cells = np.searchsorted(labels, y) * k + np.searchsorted(labels, pred)
    return np.bincount(cells, minlength=k * k).reshape(k, k)


# ---------- the resampled scores are the registry's ----------


@pytest.mark.parametrize("classes", [["a", "b"], CLASSES])
def test_resampled_classification_scores_equal_mlcore_metrics(classes):
    rng = np.random.default_rng(0)
    rows = _batch(rng, 300, classes)
    y, pred, proba = np.asarray(rows.y_true), np.asarray(rows.y_pred), rows.proba
    index = rng.integers(0, 300, size=(5, 300))
    weights = np.stack([np.bincount(i, minlength=300) for i in index])
    aucs, losses = auc_scores(y, proba, classes, weights), log_losses(y, proba, classes)
    for b, i in enumerate(index):
        expected = classification_metrics(y[i], pred[i], classes, proba[i], "probability")
        for key in EVALUATION_KEYS["classification"]:
            if key in ("roc_auc", "log_loss"):
                continue
            assert confusion_scores(_confusion(y[i], pred[i], classes), key, len(classes)) == pytest.approx(
                expected[key], abs=1e-12
            ), key
        assert aucs[b] == pytest.approx(roc_auc(y[i], proba[i], classes, "probability"), abs=1e-12)
        assert losses[i].mean() == pytest.approx(log_loss(y[i], proba[i], labels=classes), abs=1e-12)


def test_resampled_scores_with_a_class_the_model_never_learned_and_one_absent():
    y = np.array(["a", "a", "b", "b", "z", "z", "a"])  # 'z' is not a model class; 'c' never occurs
    pred = np.array(["a", "b", "b", "a", "a", "b", "a"])
    expected = classification_metrics(y, pred, CLASSES)
    cm = _confusion(y, pred, [*CLASSES, "z"])
    for key in ("accuracy", "balanced_accuracy", "mcc", "precision_macro", "recall_weighted", "f1_macro"):
        assert confusion_scores(cm, key, len(CLASSES)) == pytest.approx(expected[key], abs=1e-12), key
    only_a = np.zeros((1, 7))
    only_a[0, 0] = 7
    assert np.isnan(auc_scores(y, np.full((7, 3), 1 / 3), CLASSES, only_a)[0])  # one class: undefined


def test_resampled_regression_scores_equal_mlcore_metrics():
    rng = np.random.default_rng(1)
    y = rng.normal(5, 2, 200)
    pred = y + rng.normal(0, 1, 200)
    index = rng.integers(0, 200, size=(4, 200))
    for key in EVALUATION_KEYS["regression"]:
        scores = regression_scores(y[index], pred[index], key)
        expected = [regression_metrics(y[i], pred[i])[key] for i in index]
        assert scores == pytest.approx(expected, rel=1e-9), key
    constant = np.full((2, 3), 4.0)
    assert list(regression_scores(constant, constant, "r2")) == [1.0, 1.0]  # as scikit-learn says


# ---------- verdicts ----------


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss"])
def test_labels_flipped_on_30_percent_of_rows_is_a_drop_beyond_noise(metric):
    rng = np.random.default_rng(2)
    holdout = _batch(rng, 1500, CLASSES)
    flipped, same = _batch(rng, 400, CLASSES, flipped=0.3), _batch(rng, 400, CLASSES)
    worse = decay(flipped, holdout, "classification", metric, classes=CLASSES)
    assert worse.beyond_noise and worse.worse_by > 0 and worse.worse_by_low > 0
    steady = decay(same, holdout, "classification", metric, classes=CLASSES)
    assert not steady.beyond_noise and steady.worse_by_low <= 0
    for result in (worse, steady):
        for interval in (result.holdout, result.current):
            assert interval.low <= interval.estimate <= interval.high
    assert worse.current.estimate == pytest.approx(
        classification_metrics(flipped.y_true, flipped.y_pred, CLASSES, flipped.proba, "probability")[metric]
    )


def test_the_sentence_and_the_numbers_it_rests_on():
    rng = np.random.default_rng(3)
    holdout, flipped = _batch(rng, 1000, CLASSES), _batch(rng, 300, CLASSES, flipped=0.3)
    result = decay(flipped, holdout, "classification", "balanced_accuracy", classes=CLASSES, seed=5)
    assert result == decay(flipped, holdout, "classification", "balanced_accuracy", classes=CLASSES, seed=5)
    h, c = result.holdout, result.current
    assert result.sentence == (
        f"Balanced accuracy fell from {h.estimate:.3g} ({h.low:.3g}–{h.high:.3g}) on the holdout to "
        f"{c.estimate:.3g} ({c.low:.3g}–{c.high:.3g}) on 300 new labelled rows: worse beyond noise."
    )
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["beyond_noise"] is True and data["holdout"]["estimate"] == h.estimate


def test_regression_errors_that_doubled_are_a_rise_beyond_noise():
    rng = np.random.default_rng(4)
    y, y_new = rng.normal(size=1000), rng.normal(size=300)
    holdout = Labelled(y, y + rng.normal(0, 0.5, 1000))
    result = decay(Labelled(y_new, y_new + rng.normal(0, 1.0, 300)), holdout, "regression", "rmse")
    assert (
        result.beyond_noise and not result.greater_is_better and result.sentence.startswith("RMSE rose from")
    )


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_no_change_is_called_a_drop_at_most_at_the_promised_rate(task):
    """Holdout and new rows from one population, 200 times: the share called "worse beyond noise"
    stays at or below 5% plus three binomial standard errors (a one-sided 95% bound)."""
    rng = np.random.default_rng(6)
    trials, called = 200, 0
    for trial in range(trials):
        if task == "regression":
            y, y_new = rng.normal(size=800), rng.normal(size=200)
            rows = [Labelled(v, v + rng.normal(0, 0.5, len(v))) for v in (y_new, y)]
            metric = "rmse"
        else:
            rows = [_batch(rng, n, ["a", "b"]) for n in (200, 800)]
            metric = "accuracy"
        called += decay(*rows, task, metric, seed=trial, resamples=400).beyond_noise
    assert called / trials <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / trials)


@pytest.mark.parametrize(
    ("metric", "current", "message"),
    [
        ("r2", Labelled(["a"], ["a"]), "'r2' is not a classification metric."),
        ("lift", Labelled(["a"], ["a"]), "'lift' is not a classification metric."),
        ("accuracy", Labelled([], []), "There are no labelled new rows."),
        ("accuracy", Labelled(["a", "b"], ["a"]), "The new rows' labels and predictions differ in length."),
        ("roc_auc", Labelled(["a", "b"], ["a", "b"]), "ROC AUC needs the model's probabilities."),
        (
            "roc_auc",
            Labelled(["a", "a"], ["a", "b"], np.full((2, 3), 1 / 3)),
            "ROC AUC cannot be computed on these 2 rows.",
        ),
    ],
)
def test_bad_input_is_a_plain_message(metric, current, message):
    holdout = _batch(np.random.default_rng(5), 50, CLASSES)
    with pytest.raises(DecayInputError) as caught:
        decay(current, holdout, "classification", metric, classes=CLASSES)
    assert caught.value.message == message
