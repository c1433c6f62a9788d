"""Every metric in one place: its key, label, direction, task and what it reads, and how it is computed.

The leaderboard (cross-validation and holdout), the Evaluate page, the HTML report, tuning and the
generated `train.py` (which copies `score` and what it calls, as it copies our transformers) all use
these definitions, so a number means the same everywhere. Modelled on scikit-learn's
`sklearn/metrics/_scorer.py`: a metric reads labels, class scores (probabilities or decision values)
or probabilities only. The default ranking is here too: on imbalanced classes (a 29 : 1 target, where
always answering the majority scores 97% accuracy) it is balanced accuracy, and the page says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.schema import Task

ScoreKind = Literal["probability", "decision"]
DEFAULT_THRESHOLDS: dict[str, float] = {"probability": 0.5, "decision": 0.0}  # the models' own rule


@dataclass(frozen=True)
class Metric:
    """One metric. `reads` is what it needs of a model: predicted labels, class scores (probabilities
    or decision values), or probabilities only; `leaderboard` ones are also scored per fold."""

    key: str
    label: str
    task: Task
    greater_is_better: bool = True
    reads: Literal["labels", "scores", "probabilities"] = "labels"
    leaderboard: bool = False


_C, _R = Task.CLASSIFICATION, Task.REGRESSION
REGISTRY: tuple[Metric, ...] = (
    Metric("accuracy", "accuracy", _C, leaderboard=True),
    Metric("balanced_accuracy", "balanced accuracy", _C, leaderboard=True),
    Metric("precision_macro", "precision (macro)", _C),
    Metric("recall_macro", "recall (macro)", _C),
    Metric("f1_macro", "F1 (macro)", _C, leaderboard=True),
    Metric("precision_weighted", "precision (weighted)", _C),
    Metric("recall_weighted", "recall (weighted)", _C),
    Metric("f1_weighted", "F1 (weighted)", _C),
    Metric("roc_auc", "ROC AUC", _C, reads="scores", leaderboard=True),
    Metric("log_loss", "log loss", _C, greater_is_better=False, reads="probabilities"),
    Metric("mcc", "Matthews correlation", _C),
    # R², RMSE and MAE first, in the order the cross-validation table lists them.
    Metric("r2", "R²", _R, leaderboard=True),
    Metric("rmse", "RMSE", _R, greater_is_better=False, leaderboard=True),
    Metric("mae", "MAE", _R, greater_is_better=False, leaderboard=True),
    Metric("mse", "MSE", _R, greater_is_better=False),
    Metric("mape", "MAPE", _R, greater_is_better=False),
    Metric("median_ae", "median absolute error", _R, greater_is_better=False),
)
METRICS: dict[str, Metric] = {m.key: m for m in REGISTRY}
# The same lists as plain data by task name, for the scoring functions (which train.py copies whole).
EVALUATION_KEYS: dict[str, tuple[str, ...]] = {
    t.value: tuple(m.key for m in REGISTRY if m.task is t) for t in Task
}
LEADERBOARD_KEYS: dict[str, tuple[str, ...]] = {
    t.value: tuple(m.key for m in REGISTRY if m.task is t and m.leaderboard) for t in Task
}


def metrics_for(task: Task) -> list[str]:
    """The leaderboard's metrics of a task (scored on every fold and on the holdout), in order."""
    return list(LEADERBOARD_KEYS[task.value])


def evaluation_metrics_for(task: Task) -> list[str]:
    """Every metric of a task, as the Evaluate page and the report show them."""
    return list(EVALUATION_KEYS[task.value])


# ---------- computing them ----------


def score(
    task: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None = None,
    decision: np.ndarray | None = None,
    classes: Any = None,
) -> dict[str, float]:
    """The leaderboard's metrics of one set of predictions (`task` is a `Task` or its name).

    `proba` has a column per class in `classes` order; `decision` is a model's decision values (one
    column for two classes, one per class otherwise), used for ROC AUC when there are no probabilities.
    """
    if task == "regression":
        values = regression_metrics(y_true, y_pred)
    else:
        scores, kind = class_scores(proba, decision)
        values = classification_metrics(y_true, y_pred, classes, scores, kind)
    return {key: values[key] for key in LEADERBOARD_KEYS[str(task)]}


def class_scores(
    proba: np.ndarray | None, decision: np.ndarray | None
) -> tuple[np.ndarray | None, ScoreKind | None]:
    """A model's class scores as one column per class, and whether they are probabilities.

    A two-class model's decision value scores the second class; the first gets its negation.
    """
    if proba is not None:
        return np.asarray(proba, dtype=float), "probability"
    if decision is None:
        return None, None
    decision = np.asarray(decision, dtype=float)
    if decision.ndim == 1:
        decision = np.column_stack([-decision, decision])
    return decision, "decision"


def classification_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: Any,
    scores: np.ndarray | None = None,
    kind: ScoreKind | None = None,
) -> dict[str, float]:
    """Every classification metric over the model's `classes`; the score-based ones are NaN without
    scores, and log loss without probabilities."""
    from sklearn import metrics as skm  # here, not at the top: Explore reads this module without sklearn

    labels = list(classes) if classes is not None else sorted(set(np.unique(y_true)) | set(np.unique(y_pred)))
    out = {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y_true, y_pred),
        "mcc": skm.matthews_corrcoef(y_true, y_pred),
    }
    for average in ("macro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        out |= {f"precision_{average}": p, f"recall_{average}": r, f"f1_{average}": f}
    out["roc_auc"] = roc_auc(y_true, scores, labels, kind)
    out["log_loss"] = (
        skm.log_loss(y_true, scores, labels=labels)
        if scores is not None and kind == "probability"
        else np.nan
    )
    return {key: float(out[key]) for key in EVALUATION_KEYS["classification"]}


def roc_auc(
    y_true: np.ndarray, scores: np.ndarray | None, labels: list[Any], kind: ScoreKind | None
) -> float:
    """Two classes: the AUC of the second class's score. More: the mean of the one-vs-rest AUCs (macro);
    for decision values it is computed class by class, since scikit-learn's multiclass AUC wants
    probabilities that sum to one. NaN without scores, or when a class is absent from the rows."""
    from sklearn import metrics as skm

    y_true = np.asarray(y_true)
    if scores is None or len(labels) < 2 or not set(labels) <= set(np.unique(y_true)):
        return float("nan")
    try:
        if len(labels) == 2:
            return float(skm.roc_auc_score(y_true == labels[1], scores[:, 1]))
        if kind == "probability":
            return float(skm.roc_auc_score(y_true, scores, multi_class="ovr", labels=labels))
        return float(np.mean([skm.roc_auc_score(y_true == c, scores[:, k]) for k, c in enumerate(labels)]))
    except ValueError:
        return float("nan")


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Every regression metric; MAPE is NaN when the target has zeros (a percentage of zero is undefined)."""
    from sklearn import metrics as skm

    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    mse = skm.mean_squared_error(y_true, y_pred)
    return {
        "r2": float(skm.r2_score(y_true, y_pred)),
        "rmse": float(np.sqrt(mse)),
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "mse": float(mse),
        "mape": float("nan")
        if np.any(y_true == 0)
        else float(skm.mean_absolute_percentage_error(y_true, y_pred)),
        "median_ae": float(skm.median_absolute_error(y_true, y_pred)),
    }


# ---------- the default ranking ----------

IMBALANCE_RATIO = 4.0  # largest class / smallest class from which accuracy misleads

ClassCounts = tuple[tuple[Any, int], ...]  # (class, rows), most frequent first


def target_counts(dataset: Dataset) -> ClassCounts:
    """Rows per class of a classification dataset's target; () for regression or no target."""
    if dataset.task is not Task.CLASSIFICATION or dataset.target is None:
        return ()
    return class_counts(dataset.frame[dataset.target])


def class_counts(target: pd.Series) -> ClassCounts:
    """Rows per class (missing targets left out), most frequent first."""
    counts = target.value_counts(dropna=True)
    return tuple((label, int(n)) for label, n in counts.items())


def imbalance_ratio(counts: Sequence[tuple[Any, int]]) -> float:
    """Largest class over smallest class (1.0 for fewer than two classes)."""
    sizes = [n for _, n in counts if n > 0]
    return max(sizes) / min(sizes) if len(sizes) > 1 else 1.0


def is_imbalanced(counts: Sequence[tuple[Any, int]]) -> bool:
    return imbalance_ratio(counts) >= IMBALANCE_RATIO


def default_metric(task: Task, counts: Sequence[tuple[Any, int]] = ()) -> str:
    """What the leaderboard ranks by unless the user chooses: R² for regression; accuracy for
    classes of similar size, balanced accuracy when they are imbalanced."""
    if task is Task.REGRESSION:
        return "r2"
    return "balanced_accuracy" if is_imbalanced(counts) else "accuracy"


def ranking_reason(task: Task, counts: Sequence[tuple[Any, int]]) -> str:
    """Why the default ranking is balanced accuracy, or '' when it is the usual score."""
    if task is not Task.CLASSIFICATION or not is_imbalanced(counts):
        return ""
    (majority, most), total = counts[0], sum(n for _, n in counts)
    return (
        f"Ranked by balanced accuracy: the classes are imbalanced ({imbalance_ratio(counts):.0f} : 1), and a "
        f"model that always answers {majority!r} would already score {most / total:.0%} accuracy."
    )
