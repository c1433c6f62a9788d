"""Evaluation of trained runs from their stored holdout predictions: metrics, per-class report,
confusion matrices, ROC / precision-recall / calibration curve data, threshold analysis and residuals.

Nothing here refits: every number comes from a run's `y_true`, `y_pred` and class scores, so a
`RunEvaluation` can be cached per run id and a change of selection or threshold only redraws.
Analyses that must refit the run's pipeline (pooled out-of-fold predictions, learning and validation
curves) live in `mlcore.evaluate.refit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.formatting import row_numbers
from mlcore.metrics import (
    DEFAULT_THRESHOLDS,
    METRICS,
    ScoreKind,
    class_scores,
    classification_metrics,
    regression_metrics,
)
from mlcore.schema import Task
from mlcore.train.leaderboard import leaderboard
from mlcore.train.runs import Run


class EvalError(MLCoreError):
    """A run or a request that cannot be evaluated (no holdout, no scores, data no longer loaded)."""


THRESHOLD_METRICS = {  # the threshold panel's scores: F1 of the positive class, and three of the registry's
    "f1": "F1",
    **{key: METRICS[key].label for key in ("balanced_accuracy", "accuracy", "mcc")},
}


def class_report(
    y_true: np.ndarray, y_pred: np.ndarray, classes: tuple[Any, ...] | list[Any]
) -> pd.DataFrame:
    """Precision, recall, F1 and support per class (the rows of sklearn's classification report)."""
    labels = list(classes)
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return pd.DataFrame(
        {"class": [str(c) for c in labels], "precision": p, "recall": r, "F1": f, "support": s.astype(int)}
    )


# ---------- confusion matrices ----------


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts with actual classes as rows and predicted classes as columns, in `labels` order."""

    labels: tuple[str, ...]
    counts: np.ndarray

    @property
    def normalized(self) -> np.ndarray:
        """Each row divided by its total: the share of each actual class given each prediction."""
        totals = self.counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nan_to_num(self.counts / totals)

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def confusion(
    y_true: np.ndarray, y_pred: np.ndarray, classes: tuple[Any, ...] | list[Any]
) -> ConfusionMatrix:
    """The confusion matrix over the model's classes plus any class only the true labels have."""
    labels = list(classes) + [c for c in pd.unique(np.asarray(y_true)) if c not in set(classes)]
    counts = skm.confusion_matrix(y_true, y_pred, labels=labels)
    return ConfusionMatrix(tuple(str(c) for c in labels), counts)


# ---------- curves ----------


@dataclass(frozen=True)
class Curve:
    """One ROC or precision-recall curve for one class against the rest.

    ROC: x = false positive rate, y = true positive rate, area = ROC AUC.
    PR: x = recall, y = precision, area = average precision, baseline = the class's share.
    """

    label: str
    x: np.ndarray
    y: np.ndarray
    thresholds: np.ndarray
    area: float
    baseline: float


def _one_vs_rest(classes: tuple[Any, ...], positive: Any | None) -> list[int]:
    """Columns to draw: the positive class for binary problems, every class otherwise."""
    if len(classes) == 2:
        return [list(classes).index(classes[1] if positive is None else positive)]
    return list(range(len(classes)))


def roc_curves(
    y_true: np.ndarray, scores: np.ndarray, classes: tuple[Any, ...], positive: Any | None = None
) -> list[Curve]:
    curves = []
    for k in _one_vs_rest(classes, positive):
        hit = np.asarray(y_true) == classes[k]
        if hit.all() or not hit.any():
            continue
        fpr, tpr, thresholds = skm.roc_curve(hit, scores[:, k])
        curves.append(
            Curve(str(classes[k]), fpr, tpr, thresholds, float(skm.roc_auc_score(hit, scores[:, k])), 0.5)
        )
    return curves


def pr_curves(
    y_true: np.ndarray, scores: np.ndarray, classes: tuple[Any, ...], positive: Any | None = None
) -> list[Curve]:
    curves = []
    for k in _one_vs_rest(classes, positive):
        hit = np.asarray(y_true) == classes[k]
        if not hit.any():
            continue
        precision, recall, thresholds = skm.precision_recall_curve(hit, scores[:, k])
        ap = float(skm.average_precision_score(hit, scores[:, k]))
        curves.append(Curve(str(classes[k]), recall, precision, thresholds, ap, float(hit.mean())))
    return curves


@dataclass(frozen=True)
class CalibrationCurve:
    """Mean predicted probability against the observed share of the class, per probability bin."""

    label: str
    mean_predicted: np.ndarray
    fraction_positive: np.ndarray
    counts: np.ndarray  # rows per non-empty bin
    brier: float


def calibration_curves(
    y_true: np.ndarray,
    proba: np.ndarray,
    classes: tuple[Any, ...],
    positive: Any | None = None,
    n_bins: int = 10,
) -> list[CalibrationCurve]:
    """Uniform bins over [0, 1], as sklearn's `calibration_curve(strategy="uniform")`."""
    from sklearn.calibration import calibration_curve

    if n_bins < 2:
        raise EvalError("A calibration curve needs at least two bins.", "Ten bins is the usual choice.")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    curves = []
    for k in _one_vs_rest(classes, positive):
        hit = np.asarray(y_true) == classes[k]
        if hit.all() or not hit.any():
            continue
        fraction, mean_predicted = calibration_curve(hit, proba[:, k], n_bins=n_bins, strategy="uniform")
        counts = np.bincount(np.searchsorted(edges[1:-1], proba[:, k]), minlength=n_bins)
        brier = float(skm.brier_score_loss(hit, proba[:, k]))
        curves.append(CalibrationCurve(str(classes[k]), mean_predicted, fraction, counts[counts > 0], brier))
    return curves


# ---------- threshold analysis (binary) ----------


@dataclass(frozen=True)
class ThresholdPoint:
    """The confusion matrix and scores when rows with a score above `threshold` are called positive."""

    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / (self.tp + self.fp + self.fn + self.tn)

    def value(self, metric: str) -> float:
        return self.scores()[metric]

    def scores(self) -> dict[str, float]:
        """Every threshold metric at this point, from one vectorised pass."""
        tp, fp, fn, tn = (np.array([v], dtype=float) for v in (self.tp, self.fp, self.fn, self.tn))
        return {k: float(v[0]) for k, v in _threshold_scores(tp, fp, fn, tn).items()}


def _threshold_scores(
    tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray
) -> dict[str, np.ndarray]:
    """Vectorised metrics over many thresholds (zero where a ratio is undefined, as sklearn does)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(tp / (tp + fp))
        recall = np.nan_to_num(tp / (tp + fn))
        specificity = np.nan_to_num(tn / (tn + fp))
        f1 = np.nan_to_num(2 * tp / (2 * tp + fp + fn))
        mcc = np.nan_to_num((tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": (tp + tn) / (tp + fp + fn + tn),
        "balanced_accuracy": (recall + specificity) / 2,
        "mcc": mcc,
    }


class ThresholdAnalysis:
    """Any threshold's confusion matrix in O(log n) from the sorted scores of one binary run.

    A row is predicted positive when its score is strictly above the threshold, which is exactly the
    model's own rule at the default threshold (0.5 for probabilities, 0 for decision values): ties
    go to the negative class, as `argmax` does.
    """

    def __init__(
        self, y_true: np.ndarray, score: np.ndarray, positive: Any, negative: Any, kind: ScoreKind
    ) -> None:
        if len(y_true) != len(score) or len(score) == 0:
            raise EvalError(
                "The threshold analysis needs one score per holdout row.", "Train with a holdout."
            )
        self.positive, self.negative, self.kind = positive, negative, kind
        order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
        self._scores = np.asarray(score, dtype=float)[order]  # descending
        self._ascending = -self._scores  # for searchsorted, which needs ascending values
        hits = (np.asarray(y_true) == positive)[order]
        self._tps = np.concatenate([[0], np.cumsum(hits)])
        self._fps = np.concatenate([[0], np.cumsum(~hits)])
        self.n_positive, self.n = int(hits.sum()), len(hits)
        self.default = DEFAULT_THRESHOLDS[kind]  # the model's own rule
        if kind == "probability":
            self.low, self.high = 0.0, 1.0
        else:
            self.low = float(np.floor(min(self._scores[-1], 0.0)))
            self.high = float(np.ceil(max(self._scores[0], 0.0)))

    def _counts(self, thresholds: np.ndarray) -> tuple[np.ndarray, ...]:
        above = np.searchsorted(self._ascending, -np.asarray(thresholds, dtype=float), side="left")
        tp, fp = self._tps[above], self._fps[above]
        fn, tn = self.n_positive - tp, (self.n - self.n_positive) - fp
        return tp, fp, fn, tn

    def at(self, threshold: float) -> ThresholdPoint:
        tp, fp, fn, tn = (int(v[0]) for v in self._counts(np.array([threshold])))
        return ThresholdPoint(float(threshold), tp, fp, fn, tn)

    def confusion(self, threshold: float | ThresholdPoint) -> ConfusionMatrix:
        """In the run's class order (negative, positive) when the positive class is the second one."""
        p = threshold if isinstance(threshold, ThresholdPoint) else self.at(threshold)
        counts = np.array([[p.tn, p.fp], [p.fn, p.tp]])
        return ConfusionMatrix((str(self.negative), str(self.positive)), counts)

    def sweep(self, points: int = 201) -> pd.DataFrame:
        """Precision, recall, F1 … and the number of rows flagged positive on an even grid of
        thresholds, for a chart."""
        grid = np.linspace(self.low, self.high, points)
        tp, fp, fn, tn = (c.astype(float) for c in self._counts(grid))
        flagged = (tp + fp).astype(int)  # precision is undefined (shown as 0) where no row is flagged
        return pd.DataFrame({"threshold": grid, "flagged": flagged, **_threshold_scores(tp, fp, fn, tn)})

    def best(self, metric: str = "f1") -> ThresholdPoint:
        """The threshold with the highest `metric`, in the middle of the range of thresholds giving
        the same predictions (the highest such range on ties)."""
        if metric not in THRESHOLD_METRICS:
            raise EvalError(
                f"'{metric}' cannot be used to choose a threshold.",
                f"Choose one of: {', '.join(THRESHOLD_METRICS)}.",
            )
        distinct = np.unique(self._scores)[::-1]  # descending
        # Each candidate range [lower, upper) predicts the same rows; its midpoint stands for it.
        uppers = np.concatenate([[max(self.high, distinct[0])], distinct])
        lowers = np.concatenate([distinct, [min(self.low, distinct[-1])]])
        keep = uppers > lowers  # an empty range cannot be reached (a score at the slider's end)
        keep[0] = True  # "all negative" is reached at the slider's top end whatever the scores
        lowers, uppers = lowers[keep], uppers[keep]
        tp, fp, fn, tn = (c.astype(float) for c in self._counts(lowers))
        values = _threshold_scores(tp, fp, fn, tn)[metric]
        i = int(np.argmax(values))
        return self.at(float((lowers[i] + uppers[i]) / 2)) if uppers[i] > lowers[i] else self.at(lowers[i])


# ---------- regression ----------


def residual_frame(run: Run) -> pd.DataFrame:
    """Actual, predicted, residual (actual − predicted) and absolute error per holdout row."""
    actual = np.asarray(run.y_true, dtype=float)
    predicted = np.asarray(run.y_pred, dtype=float)
    residual = actual - predicted
    return pd.DataFrame(
        {"actual": actual, "predicted": predicted, "residual": residual, "abs_error": np.abs(residual)},
        index=pd.Index(run.holdout_index, name="row"),
    )


def numbered(table: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """A table indexed by frame labels (`largest_errors`) with its rows numbered as the user counts them."""
    return table.set_axis(pd.Index(row_numbers(dataset.frame.index, table.index), name="row"), axis=0)


def largest_errors(run: Run, dataset: Dataset | None = None, n: int = 10) -> pd.DataFrame:
    """The `n` holdout rows with the largest absolute error, with their columns when the data is loaded."""
    if n < 1:
        raise EvalError("Ask for at least one row.", "Ten rows is a good start.")
    top = residual_frame(run).nlargest(n, "abs_error")
    if dataset is None or dataset.content_hash != run.dataset_hash:
        return top
    rows = dataset.frame.loc[top.index].drop(columns=[run.target], errors="ignore")
    return top.join(rows)


# ---------- one run ----------


def holdout_scores(run: Run, dataset: Dataset | None = None) -> tuple[np.ndarray | None, ScoreKind | None]:
    """The run's class scores on the holdout: its stored probabilities, or else decision values.

    Models without probabilities (linear SVM, SVM) store none, so their decision values are computed
    once from the fitted pipeline on the holdout rows, when the run's data is still loaded.
    """
    if run.proba is not None:
        return np.asarray(run.proba, dtype=float), "probability"
    pipeline = run.pipeline
    if (
        pipeline is None
        or not hasattr(pipeline, "decision_function")
        or dataset is None
        or dataset.content_hash != run.dataset_hash
        or run.holdout_index is None
        or not len(run.holdout_index)
    ):
        return None, None
    columns = list(getattr(pipeline, "feature_names_in_", dataset.features))
    return class_scores(None, pipeline.decision_function(dataset.frame.loc[run.holdout_index, columns]))


@dataclass
class RunEvaluation:
    """Everything the Evaluate page shows for one run, computed once (cache it per run id)."""

    run: Run
    scores: np.ndarray | None = None
    kind: ScoreKind | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def classes(self) -> tuple[Any, ...]:
        return tuple(self.run.classes or ())

    @property
    def binary(self) -> bool:
        return self.run.task is Task.CLASSIFICATION and len(self.classes) == 2

    @cached_property
    def confusion(self) -> ConfusionMatrix:
        return confusion(self.run.y_true, self.run.y_pred, self.classes)

    @cached_property
    def report(self) -> pd.DataFrame:
        return class_report(self.run.y_true, self.run.y_pred, self.classes)

    @cached_property
    def roc(self) -> list[Curve]:
        return [] if self.scores is None else roc_curves(self.run.y_true, self.scores, self.classes)

    @cached_property
    def pr(self) -> list[Curve]:
        return [] if self.scores is None else pr_curves(self.run.y_true, self.scores, self.classes)

    @cached_property
    def calibration(self) -> list[CalibrationCurve]:
        if self.kind != "probability":
            return []
        return calibration_curves(self.run.y_true, self.scores, self.classes)

    @cached_property
    def threshold(self) -> ThresholdAnalysis | None:
        """Binary runs with scores only; the positive class is the run's second class."""
        if not self.binary or self.scores is None:
            return None
        negative, positive = self.classes
        return ThresholdAnalysis(self.run.y_true, self.scores[:, 1], positive, negative, self.kind)

    @cached_property
    def residuals(self) -> pd.DataFrame:
        return residual_frame(self.run)


def evaluate_run(run: Run, dataset: Dataset | None = None) -> RunEvaluation:
    """Holdout metrics and the data behind every chart of one finished run."""
    if not run.ok:
        raise EvalError(f"{run.label} did not finish ({run.status.value}).", "Choose a run that trained.")
    if run.y_true is None or run.y_pred is None or not len(run.y_true):
        raise EvalError(
            f"{run.label} has no holdout predictions to evaluate.",
            "Train with a holdout share above 0 to compare models on unseen rows.",
        )
    if run.task is Task.REGRESSION:
        metrics = regression_metrics(run.y_true, run.y_pred)
        notes = ("MAPE is not shown: the target has zeros, and a percentage of zero is undefined.",)
        return RunEvaluation(run, metrics=metrics, notes=notes if np.isnan(metrics["mape"]) else ())
    scores, kind = holdout_scores(run, dataset)
    metrics = classification_metrics(run.y_true, run.y_pred, run.classes, scores, kind)
    notes = []
    if scores is None:
        notes.append(
            f"{run.label} gives no class scores, so ROC AUC, log loss and the curves are not available."
        )
    elif kind == "decision":
        notes.append(
            f"{run.label} gives decision values, not probabilities: curves use them, log loss and the "
            "calibration curve are not available."
        )
    return RunEvaluation(run, scores, kind, metrics, tuple(notes))


# ---------- naming and ordering runs (also used by the Explain and Predict pages) ----------


def display_names(runs: list[Run]) -> dict[str, str]:
    """A unique short name per run id (the model label, numbered when two runs share it)."""
    names: dict[str, str] = {}
    seen: dict[str, int] = {}
    for run in runs:
        if run.id in names:
            continue
        seen[run.label] = seen.get(run.label, 0) + 1
        names[run.id] = run.label if seen[run.label] == 1 else f"{run.label} #{seen[run.label]}"
    return names


def ranked(runs: list[Run], metric: str | None = None) -> list[Run]:
    """Finished runs, best first by the leaderboard's order."""
    ok = [r for r in runs if r.ok]
    if not ok:
        return []
    order = leaderboard(ok, metric)["run id"].tolist()
    by_id = {r.id: r for r in ok}
    return [by_id[i] for i in dict.fromkeys(order)]
