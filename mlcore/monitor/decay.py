"""Model decay: is the model worse on newly labelled rows than it was on its holdout, beyond noise?

Both scores are estimates from a finite number of rows, so each gets a bootstrap confidence interval
(rows resampled with replacement), and the drop counts only when a one-sided bootstrap interval of
holdout minus current excludes 0 in the bad direction. The scores themselves are `mlcore.metrics`'
(the same numbers as the leaderboard); the resamples are computed in bulk: metrics of predicted
labels from resampled confusion matrices (resampling rows is drawing the table's cells from a
multinomial), regression metrics and log loss from resampled per-row errors, ROC AUC as a weighted
Mann–Whitney statistic of each resample's row multiplicities.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from mlcore.errors import MLCoreError
from mlcore.formatting import number, plural
from mlcore.metrics import METRICS, Metric, classification_metrics, regression_metrics
from mlcore.schema import Task

CELLS = 4_000_000  # resamples × rows held in memory at once


class DecayInputError(MLCoreError):
    """The labelled rows, the metric or the settings cannot be compared."""


@dataclass(frozen=True)
class Labelled:
    """Rows with their true labels and the model's answers; `proba` has a column per class, in the
    order of the `classes` given to `decay` (needed only by ROC AUC and log loss)."""

    y_true: np.ndarray | Sequence[Any]
    y_pred: np.ndarray | Sequence[Any]
    proba: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y_true)


@dataclass(frozen=True)
class Interval:
    """An estimate and its bootstrap confidence interval."""

    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class Decay:
    """The holdout and current scores, and whether the current one is worse beyond noise.

    `worse_by` is holdout − current in the metric's bad direction (positive: worse now);
    `worse_by_low` its one-sided lower confidence bound: above 0, the drop is beyond noise.
    """

    metric: str
    label: str
    greater_is_better: bool
    holdout: Interval
    current: Interval
    n_holdout: int
    n_current: int
    worse_by: float
    worse_by_low: float
    beyond_noise: bool
    confidence: float
    resamples: int
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (NaN as null)."""
        return {k: _finite(v) for k, v in asdict(self).items()}


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return None if isinstance(value, float) and not math.isfinite(value) else value


def decay(
    current: Labelled,
    holdout: Labelled,
    task: Task | str,
    metric: str,
    classes: Sequence[Any] | None = None,
    seed: int = 0,
    resamples: int = 1000,
    confidence: float = 0.95,
) -> Decay:
    """The metric on the newly labelled rows against the holdout's at training time.

    Intervals are two-sided percentile intervals at `confidence`; the drop is beyond noise when the
    `confidence` one-sided lower bound of (holdout − current, bad direction positive) is above 0.
    """
    task = Task(task)
    spec = _check(current, holdout, task, metric, resamples, confidence)
    labels = _labels(classes, current, holdout) if task is Task.CLASSIFICATION else []
    scored = list(classes) if classes is not None else labels
    scores = [_score(rows, task, metric, scored) for rows in (holdout, current)]
    draws = [
        _resampled(rows, task, metric, labels, len(scored), resamples, np.random.default_rng([seed, i]))
        for i, rows in enumerate((holdout, current))
    ]
    sign = 1.0 if spec.greater_is_better else -1.0
    low = float(np.nanquantile(sign * (draws[0] - draws[1]), 1 - confidence))
    result = Decay(
        metric,
        spec.label,
        spec.greater_is_better,
        _interval(scores[0], draws[0], confidence),
        _interval(scores[1], draws[1], confidence),
        len(holdout),
        len(current),
        sign * (scores[0] - scores[1]),
        low,
        low > 0,
        confidence,
        resamples,
        "",
    )
    return replace(result, sentence=_sentence(result))


def _interval(estimate: float, draws: np.ndarray, confidence: float) -> Interval:
    """The two-sided percentile interval at `confidence`."""
    tail = (1 - confidence) / 2
    low, high = np.nanquantile(draws, [tail, 1 - tail])
    return Interval(estimate, float(low), float(high))


def _check(
    current: Labelled, holdout: Labelled, task: Task, metric: str, resamples: int, confidence: float
) -> Metric:
    spec = METRICS.get(metric)
    if spec is None or spec.task is not task:
        keys = ", ".join(m.key for m in METRICS.values() if m.task is task)
        raise DecayInputError(f"'{metric}' is not a {task.value} metric.", f"Choose one of {keys}.")
    for rows, which in ((current, "new"), (holdout, "holdout")):
        if len(rows) == 0:
            raise DecayInputError(f"There are no labelled {which} rows.", "Label some rows first.")
        if len(rows.y_pred) != len(rows) or (rows.proba is not None and len(rows.proba) != len(rows)):
            raise DecayInputError(f"The {which} rows' labels and predictions differ in length.")
        if task is Task.CLASSIFICATION and spec.reads != "labels" and rows.proba is None:
            raise DecayInputError(f"{spec.label} needs the model's probabilities.", "Choose another metric.")
    if resamples < 2 or not 0.5 <= confidence < 1:
        raise DecayInputError(
            "Use at least 2 resamples and a confidence in [0.5, 1).", "The defaults: 1000, 0.95."
        )
    return spec


def _labels(classes: Sequence[Any] | None, *batches: Labelled) -> list[Any]:
    """The model's classes first (their order is the probabilities'), then any other label seen."""
    seen = set()
    for rows in batches:
        seen |= set(np.unique(np.asarray(rows.y_true))) | set(np.unique(np.asarray(rows.y_pred)))
    known = list(classes) if classes is not None else []
    return known + sorted(seen - set(known), key=str)


def _score(rows: Labelled, task: Task, metric: str, labels: list[Any]) -> float:
    """The metric as the leaderboard computes it. Scikit-learn's warnings about absent classes and
    its refusals (a label the probabilities have no column for) become our own message."""
    proba = None if rows.proba is None else np.asarray(rows.proba, dtype=float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = (
                regression_metrics(rows.y_true, rows.y_pred)
                if task is Task.REGRESSION
                else classification_metrics(
                    np.asarray(rows.y_true),
                    np.asarray(rows.y_pred),
                    labels,
                    proba,
                    None if proba is None else "probability",
                )
            )
        value = values[metric]
    except ValueError:
        value = math.nan
    if math.isnan(value):
        raise DecayInputError(
            f"{METRICS[metric].label} cannot be computed on these {plural(len(rows), 'row')}.",
            "It may need every class among them, or a target without zeros: choose another metric.",
        )
    return float(value)


def _resampled(
    rows: Labelled,
    task: Task,
    metric: str,
    labels: list[Any],
    n_classes: int,
    resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The metric on `resamples` bootstrap resamples of the rows."""
    if task is Task.REGRESSION:
        y, pred = (np.asarray(v, dtype=float) for v in (rows.y_true, rows.y_pred))
        return np.concatenate(
            [regression_scores(y[i], pred[i], metric) for i in _index_chunks(len(y), resamples, rng)]
        )
    if METRICS[metric].reads == "labels":
        return confusion_scores(_resampled_confusion(rows, labels, resamples, rng), metric, n_classes)
    proba, classes = np.asarray(rows.proba, dtype=float), labels[:n_classes]
    if metric == "log_loss":
        losses = log_losses(rows.y_true, proba, classes)
        return np.concatenate([losses[i].mean(axis=-1) for i in _index_chunks(len(losses), resamples, rng)])
    chunks = _index_chunks(len(proba), resamples, rng)
    return np.concatenate([auc_scores(rows.y_true, proba, classes, _multiplicities(i)) for i in chunks])


def _index_chunks(n: int, resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Bootstrap row indices, a block of resamples at a time (each row of a block is one resample)."""
    block = max(1, CELLS // n)
    for start in range(0, resamples, block):
        yield rng.integers(0, n, size=(min(block, resamples - start), n))


def _multiplicities(index: np.ndarray) -> np.ndarray:
    """How many times each row is drawn in each resample (resamples × rows) from the drawn indices."""
    b, n = index.shape
    return np.bincount((index + n * np.arange(b)[:, None]).ravel(), minlength=b * n).reshape(b, n)


def _codes(values: Any, labels: list[Any]) -> np.ndarray:
    return pd.Categorical(np.asarray(values), categories=labels).codes.astype(np.int64)


def _resampled_confusion(
    rows: Labelled, labels: list[Any], resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Confusion matrices (resamples × true × predicted) of bootstrap resamples: resampling rows
    with replacement draws the cells' counts from the multinomial of the cells' shares."""
    k = len(labels)
    cells = _codes(rows.y_true, labels) * k + _codes(rows.y_pred, labels)
    shares = np.bincount(cells, minlength=k * k) / len(rows)
    return rng.multinomial(len(rows), shares, size=resamples).reshape(resamples, k, k)


def log_losses(y_true: Any, proba: np.ndarray, classes: list[Any]) -> np.ndarray:
    """Each row's log loss as scikit-learn counts it: −ln of its class's probability, clipped to
    [ε, 1 − ε] (a class outside `classes` has probability 0). Their mean is `log_loss`."""
    codes = _codes(y_true, classes)
    eps = np.finfo(float).eps
    chosen = np.where(codes >= 0, proba[np.arange(len(codes)), np.maximum(codes, 0)], 0.0)
    return -np.log(np.clip(chosen, eps, 1 - eps))


def auc_scores(y_true: Any, proba: np.ndarray, classes: list[Any], weights: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of `weights` (row multiplicities of one resample), as `mlcore.metrics`
    computes it: the second class's for two classes, else the mean of one-vs-rest AUCs; NaN when a
    class is absent. Each is the weighted Mann–Whitney statistic (ties count one half)."""
    y = np.asarray(y_true)
    columns = [1] if len(classes) == 2 else range(len(classes))
    return np.mean([_weighted_auc(y == classes[k], proba[:, k], weights) for k in columns], axis=0)


def _weighted_auc(positive: np.ndarray, score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    order = np.argsort(score, kind="stable")
    ranked = score[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])  # one group per tied score
    w = np.asarray(weights, dtype=float)[:, order]
    pos = np.add.reduceat(w * positive[order], starts, axis=1)
    neg = np.add.reduceat(w * ~positive[order], starts, axis=1)
    pairs = pos.sum(axis=1) * neg.sum(axis=1)
    won = (pos * (np.cumsum(neg, axis=1) - neg / 2)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, won / pairs, np.nan)


def confusion_scores(cm: np.ndarray, metric: str, n_classes: int) -> np.ndarray:
    """A labels metric of each confusion matrix (… × true × predicted) as scikit-learn computes it:
    precision, recall and F1 averaged over the first `n_classes` labels (the model's classes, unseen
    ones scoring 0); balanced accuracy over the labels that occur; MCC and accuracy over all."""
    cm = np.asarray(cm, dtype=float)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    true, pred = cm.sum(axis=-1), cm.sum(axis=-2)
    n = true.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "accuracy":
            return tp.sum(axis=-1) / n
        if metric == "balanced_accuracy":
            recall = np.where(true > 0, tp / true, np.nan)
            return np.nanmean(recall, axis=-1)
        if metric == "mcc":
            covariance = tp.sum(axis=-1) * n - (true * pred).sum(axis=-1)
            spread = (n**2 - (true * true).sum(axis=-1)) * (n**2 - (pred * pred).sum(axis=-1))
            return np.where(spread > 0, covariance / np.sqrt(spread), 0.0)
        name, average = metric.rsplit("_", 1)
        tp, true, pred = tp[..., :n_classes], true[..., :n_classes], pred[..., :n_classes]
        denominator = {"precision": pred, "recall": true, "f1": (true + pred) / 2}[name]
        per_class = np.where(denominator > 0, tp / denominator, 0.0)
    if average == "macro":
        return per_class.mean(axis=-1)
    support = true.sum(axis=-1)
    return np.where(support > 0, (per_class * true).sum(axis=-1) / support, 0.0)


def regression_scores(y: np.ndarray, pred: np.ndarray, metric: str) -> np.ndarray:
    """A regression metric of each row of `y` and `pred` (one resample per row), as scikit-learn
    computes it (R² of a constant target: 1 when predicted exactly, else 0)."""
    error = pred - y
    if metric in ("mse", "rmse"):
        mse = (error * error).mean(axis=-1)
        return np.sqrt(mse) if metric == "rmse" else mse
    if metric == "mae":
        return np.abs(error).mean(axis=-1)
    if metric == "median_ae":
        return np.median(np.abs(error), axis=-1)
    if metric == "mape":
        return (np.abs(error) / np.abs(y)).mean(axis=-1)
    residual = (error * error).sum(axis=-1)
    total = ((y - y.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1 - residual / total, np.where(residual == 0, 1.0, 0.0))


def _sentence(d: Decay) -> str:
    """'Balanced accuracy fell from 0.912 (0.884–0.934) on the holdout to 0.78 (0.74–0.82) on 412
    new labelled rows: worse beyond noise.'"""
    h, c = d.holdout, d.current
    verb = "fell" if c.estimate < h.estimate else "rose" if c.estimate > h.estimate else "went"
    verdict = "worse beyond noise" if d.beyond_noise else "within noise" if d.worse_by > 0 else "no worse"
    label = d.label[0].upper() + d.label[1:]
    return (
        f"{label} {verb} from {_interval_text(h)} on the holdout to {_interval_text(c)} on "
        f"{plural(d.n_current, 'new labelled row')}: {verdict}."
    )


def _interval_text(i: Interval) -> str:
    return f"{number(i.estimate, 3)} ({number(i.low, 3)}–{number(i.high, 3)})"
