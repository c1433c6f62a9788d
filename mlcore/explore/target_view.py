"""How strongly each feature relates to the target, so a student sees where the signal is.

Every feature is cut into a few bins (quantile bins for numbers and dates, the most frequent categories
for labels, missing values as a bin of their own, since missingness can carry signal), cut on a random
half of the rows. On those bins we measure two things: the mutual information with the target (how much
knowing the bin tells about the target), and the held-out score of the simplest possible one-feature
model, fitted on that half and scored on the other half. It predicts the mean of the bin, or for classes
the class the bin holds the largest share of: a majority vote in which every class weighs as much as the
others, which is what balanced accuracy rewards (a plain majority vote predicts the common class in every
bin of an imbalanced table and scores 0.5 whatever the feature). A score close to perfect from one
column alone is the classic sign of target leakage.

Row order is measured too: how well each row's previous row in the file predicts its target. On a table
sorted by its target that is almost perfect, and any feature counting up with the rows (a row number, a
timestamp) then predicts the target through the file's order alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.errors import TargetError
from mlcore.explore.budget import BUDGET
from mlcore.explore.overview import is_number, plain
from mlcore.schema import ColumnType, Role, Task, row_direction

MIN_BINS, MAX_BINS = 5, 20
ROWS_PER_BIN = 100
MIN_ROWS_FOR_SCORE = 30  # below this a held-out half is too small to call a score "almost perfect"
SPLIT_STREAM = 1  # the held-out half draws from its own stream of the seed, apart from the row sample


@dataclass(frozen=True)
class FeatureRelation:
    """One feature's relation to the target."""

    column: str
    ctype: ColumnType
    mutual_information: float  # in nats
    uncertainty_explained: float  # mutual information / entropy of the target, between 0 and 1
    score: float | None  # held-out score of the one-feature model; None on tiny tables
    # Pearson's r of a numeric feature with a regression target, or with being the positive class of a
    # two-class target (point-biserial); None where it means nothing (labels, classes without an order)
    correlation: float | None
    row_direction: int = 0  # 1: the feature strictly counts up with the rows, -1: down, 0: neither


@dataclass(frozen=True)
class TargetView:
    """Features ranked by their relation to the target, strongest first, and how that was measured."""

    target: str
    task: Task
    relations: tuple[FeatureRelation, ...]
    score_name: str
    baseline: float  # the score of a model that ignores every feature
    rows_used: int
    rows_total: int
    bins: int
    seed: int
    class_counts: tuple[tuple[object, int], ...] = ()
    positive_class: object | None = None  # a two-class target's class the correlations are measured with
    row_order_score: float | None = None  # the score of predicting each row's target by the previous row's

    @property
    def sampled(self) -> bool:
        return self.rows_used < self.rows_total

    @property
    def correlation_meaning(self) -> str:
        """What the correlation column measures for this target, or why it is blank."""
        if self.task is Task.REGRESSION:
            return f"Correlation: Pearson's r of each numeric feature with '{self.target}'."
        if self.positive_class is not None:
            return (
                f"Correlation: Pearson's r of each numeric feature with being '{self.positive_class}' "
                "(the point-biserial correlation)."
            )
        return "Correlation is left blank: more than two classes have no order to correlate with."

    def relation(self, column: str) -> FeatureRelation:
        for relation in self.relations:
            if relation.column == column:
                return relation
        raise KeyError(column)

    def top(self, k: int) -> list[str]:
        return [r.column for r in self.relations[:k]]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "feature": [r.column for r in self.relations],
                "type": [r.ctype.value for r in self.relations],
                "mutual information": [r.mutual_information for r in self.relations],
                "share of target uncertainty explained": [r.uncertainty_explained for r in self.relations],
                f"one-feature model ({self.score_name})": [r.score for r in self.relations],
                "correlation": [r.correlation for r in self.relations],
            }
        )


def rank_features(
    dataset: Dataset, *, seed: int = 0, max_rows: int | None = BUDGET.target_rows
) -> TargetView:
    """Rank the dataset's features by mutual information with its target (a seeded uniform sample
    of `max_rows` rows is used on larger tables)."""
    if dataset.target is None or dataset.task is None:
        raise TargetError("No target is chosen yet.", "Choose the column to predict on the Data page.")
    rows = np.flatnonzero(dataset.frame[dataset.target].notna().to_numpy())
    rows_total = len(rows)
    if max_rows is not None and rows_total > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=max_rows, replace=False))
    n = len(rows)

    def take(name: str) -> pd.Series:
        column = dataset.frame[name]
        return column if n == len(column) else column.iloc[rows]

    bins = int(np.clip(n // ROWS_PER_BIN, MIN_BINS, MAX_BINS))
    target = take(dataset.target)
    classification = dataset.task is Task.CLASSIFICATION
    y_codes = _label_codes(target) if classification else bin_codes(target, bins)
    y_values = None if classification else _as_float(target)
    target_numbers, positive = _target_numbers(target, dataset.task)
    target_entropy = _entropy(np.bincount(y_codes))
    is_train = training_half(n, seed)
    scored = n >= MIN_ROWS_FOR_SCORE

    def one_feature_score(codes: np.ndarray) -> float:
        if classification:
            return _classification_score(codes, y_codes, is_train)
        return _regression_score(codes, y_values, is_train)

    relations = []
    for info in dataset.columns:
        if info.role is not Role.FEATURE:
            continue
        column = take(info.name)
        codes = bin_codes(column, bins, fit_rows=is_train if scored else None)
        mi = mutual_information(codes, y_codes)
        numbers = _as_float(column) if is_number(column) else None
        relations.append(
            FeatureRelation(
                column=info.name,
                ctype=info.ctype,
                mutual_information=mi,
                uncertainty_explained=mi / target_entropy if target_entropy > 0 else 0.0,
                score=one_feature_score(codes) if scored else None,
                correlation=_correlation(numbers, target_numbers),
                row_direction=0 if numbers is None else row_direction(numbers),
            )
        )
    relations.sort(key=lambda r: (-r.mutual_information, r.column))
    class_counts: tuple[tuple[object, int], ...] = ()
    if classification:
        counts = dataset.frame[dataset.target].value_counts()
        class_counts = tuple((plain(k), int(v)) for k, v in counts.items())
    row_order_score = None
    if scored:
        row_order_score = (
            _balanced_accuracy(y_codes[1:], y_codes[:-1])
            if classification
            else _r_squared(y_values[1:], y_values[:-1])
        )
    return TargetView(
        target=dataset.target,
        task=dataset.task,
        relations=tuple(relations),
        score_name="balanced accuracy" if classification else "R²",
        baseline=1 / max(1, len(np.unique(y_codes))) if classification else 0.0,
        rows_used=n,
        rows_total=rows_total,
        bins=bins,
        seed=seed,
        class_counts=class_counts,
        positive_class=positive,
        row_order_score=row_order_score,
    )


def training_half(n: int, seed: int) -> np.ndarray:
    """Which of `n` rows the one-feature models are fitted on: a seeded random half (the rest score)."""
    is_train = np.zeros(n, dtype=bool)
    is_train[np.random.default_rng([seed, SPLIT_STREAM]).permutation(n)[: n // 2]] = True
    return is_train


def bin_codes(column: pd.Series, bins: int, fit_rows: np.ndarray | None = None) -> np.ndarray:
    """Integer bin codes from 0 (some may be unused): quantile bins for numbers and dates, the `bins - 1`
    most frequent labels (the rest together) for anything else; missing values get a code of their own.

    The bins are cut on `fit_rows` (a boolean mask; all rows by default). Bins are [edge, next edge), as
    scikit-learn's `KBinsDiscretizer` cuts them, and a value that fills several quantiles (the 1s of a
    column that is 90% ones) gets a bin of its own, so it is never merged with its neighbours.
    """
    if is_number(column) or pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = _as_float(column)
        missing = np.isnan(values)
        fit = values[~missing if fit_rows is None else ~missing & fit_rows]
        if not len(fit):
            return np.zeros(len(values), dtype=np.int64)
        step = max(1, len(fit) // BUDGET.quantile_sample)  # bin edges need not be exact
        edges, repeats = np.unique(
            np.quantile(fit[::step], np.linspace(0, 1, bins + 1)[1:-1]), return_counts=True
        )
        codes = 2 * np.searchsorted(edges, values, side="right")
        heavy = edges[repeats > 1]
        if len(heavy):
            codes -= np.isin(values, heavy)  # between the bins below and above it
        codes[missing] = 2 * len(edges) + 1
        return codes.astype(np.int64)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    if len(uniques) > bins - 1:
        counted = codes >= 0 if fit_rows is None else (codes >= 0) & fit_rows
        counts = np.bincount(codes[counted], minlength=len(uniques))
        kept = np.argsort(-counts, kind="stable")[: bins - 1]
        remap = np.full(len(uniques), bins - 1, dtype=np.int64)
        remap[kept] = np.arange(len(kept))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], codes)
    codes[codes < 0] = codes.max(initial=-1) + 1
    return codes


def mutual_information(x: np.ndarray, y: np.ndarray) -> float:
    """Mutual information (nats) of two integer labelings from their contingency table."""
    if not len(x):
        return 0.0
    kx, ky = int(x.max()) + 1, int(y.max()) + 1
    joint = np.bincount(x * ky + y, minlength=kx * ky).reshape(kx, ky).astype(np.float64)
    p = joint / joint.sum()
    px, py = p.sum(axis=1, keepdims=True), p.sum(axis=0, keepdims=True)
    nonzero = p > 0
    return max(0.0, float(np.sum(p[nonzero] * np.log(p[nonzero] / (px @ py)[nonzero]))))


def _classification_score(x: np.ndarray, y: np.ndarray, is_train: np.ndarray) -> float:
    """Balanced accuracy on the held-out half of "predict the bin's class, the classes weighted equally".

    Each training row of class c counts 1 / (rows of class c), so a bin predicts the class it holds the
    largest share of: the choice that maximises balanced accuracy.
    """
    kx, ky = int(x.max()) + 1, int(y.max()) + 1
    joint = np.bincount(x[is_train] * ky + y[is_train], minlength=kx * ky).reshape(kx, ky)
    per_class = joint.sum(axis=0)
    shares = np.where(per_class > 0, joint / np.maximum(per_class, 1), -1.0)  # unseen classes never win
    predicted = shares.argmax(axis=1)
    predicted[joint.sum(axis=1) == 0] = per_class.argmax()  # bins never seen in training
    return _balanced_accuracy(y[~is_train], predicted[x[~is_train]])


def _regression_score(x: np.ndarray, y: np.ndarray, is_train: np.ndarray) -> float:
    """R² on the held-out half of "predict the bin's mean target"."""
    k = int(x.max()) + 1
    counts = np.bincount(x[is_train], minlength=k)
    sums = np.bincount(x[is_train], weights=y[is_train], minlength=k)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), y[is_train].mean())
    return _r_squared(y[~is_train], means[x[~is_train]])


def _balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The mean over the classes present in `y_true` of the share of their rows predicted right."""
    k = int(max(y_true.max(), y_pred.max())) + 1
    per_class = np.bincount(y_true, minlength=k)
    hits = np.bincount(y_true, weights=y_pred == y_true, minlength=k)
    present = per_class > 0
    return float(np.mean(hits[present] / per_class[present]))


def _r_squared(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    if total == 0:
        return 0.0
    return 1.0 - float(np.sum((y_true - y_pred) ** 2)) / total


def _target_numbers(target: pd.Series, task: Task) -> tuple[np.ndarray | None, object | None]:
    """The target as numbers to correlate features with, and the positive class of a two-class target
    (the second in sorted order, as scikit-learn and the Evaluate page take it)."""
    if task is Task.REGRESSION:
        return _as_float(target), None
    classes = pd.unique(target)
    if len(classes) != 2:
        return None, None
    try:
        positive = sorted(classes)[1]
    except TypeError:  # labels of different types (1 and "a") have no order
        return None, None
    return (target == positive).to_numpy(dtype=np.float64), plain(positive)


def _correlation(x: np.ndarray | None, y: np.ndarray | None) -> float | None:
    """Pearson's r over the rows where both are known; None without two sets of numbers."""
    if x is None or y is None:
        return None
    both = ~(np.isnan(x) | np.isnan(y))
    if both.sum() < 3:
        return None
    if not both.all():
        x, y = x[both], y[both]
    x, y = x - x.mean(), y - y.mean()
    denominator = float(np.sqrt(_dot(x, x) * _dot(y, y)))
    return _dot(x, y) / denominator if denominator > 0 else None


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """A vector product without BLAS: its threads cost more than they save here on a busy machine."""
    return float(np.einsum("i,i->", a, b))


def _label_codes(column: pd.Series) -> np.ndarray:
    return pd.factorize(column, use_na_sentinel=True)[0].astype(np.int64)


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log(p)))


def _as_float(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column.array.asi8.astype(np.float64)
        values[column.isna().to_numpy()] = np.nan
        return values
    return column.to_numpy(dtype=np.float64, na_value=np.nan)
