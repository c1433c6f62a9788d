"""How balanced the classes are, and the score a leaderboard ranks by because of it.

On a 29 : 1 target a model that always answers the majority class scores 97% accuracy: ranked by
accuracy, such a model comes first. When the classes are imbalanced the default ranking is balanced
accuracy (the mean recall over the classes), and the page says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from mlcore.dataset import Dataset
from mlcore.schema import Task

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
