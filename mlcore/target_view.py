"""How strongly each feature relates to the target, so a student sees where the signal is.

Every feature is cut into a few bins (quantile bins for numbers and dates, the most frequent categories
for labels, missing values as a bin of their own, since missingness can carry signal). On those bins we
measure two things: the mutual information with the target (how much knowing the bin tells about the
target), and the held-out score of the simplest possible one-feature model, "predict the majority class
(or the mean) of the bin", fitted on one half of the rows and scored on the other half. A score close to
perfect from one column alone is the classic sign of target leakage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.errors import TargetError
from mlcore.overview import is_number, plain
from mlcore.schema import ColumnType, Role, Task

MIN_BINS, MAX_BINS = 5, 20
ROWS_PER_BIN = 100
MIN_ROWS_FOR_SCORE = 30  # below this a held-out half is too small to call a score "almost perfect"
QUANTILE_SAMPLE = 50_000
DEFAULT_MAX_ROWS = 200_000  # a uniform sample this large pins mutual information down to a few 1e-4


@dataclass(frozen=True)
class FeatureRelation:
    """One feature's relation to the target."""

    column: str
    ctype: ColumnType
    mutual_information: float  # in nats
    uncertainty_explained: float  # mutual information / entropy of the target, between 0 and 1
    score: float | None  # held-out score of the one-feature model; None on tiny tables
    correlation: float | None  # Pearson, when feature and target are both numbers


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

    @property
    def sampled(self) -> bool:
        return self.rows_used < self.rows_total

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


def rank_features(dataset: Dataset, *, seed: int = 0, max_rows: int | None = DEFAULT_MAX_ROWS) -> TargetView:
    """Rank the dataset's features by mutual information with its target (a seeded uniform sample
    of `max_rows` rows is used on larger tables)."""
    if dataset.target is None or dataset.task is None:
        raise TargetError("No target is chosen yet.", "Choose the column to predict on the Data page.")
    rows = np.flatnonzero(dataset.frame[dataset.target].notna().to_numpy())
    rows_total = len(rows)
    rng = np.random.default_rng(seed)
    if max_rows is not None and rows_total > max_rows:
        rows = np.sort(rng.choice(rows, size=max_rows, replace=False))
    n = len(rows)

    def take(name: str) -> pd.Series:
        column = dataset.frame[name]
        return column if n == len(column) else column.iloc[rows]

    bins = int(np.clip(n // ROWS_PER_BIN, MIN_BINS, MAX_BINS))
    target = take(dataset.target)
    classification = dataset.task is Task.CLASSIFICATION
    y_codes = _label_codes(target) if classification else bin_codes(target, bins)
    y_values = None if classification else _as_float(target)
    target_entropy = _entropy(np.bincount(y_codes))
    is_train = np.zeros(n, dtype=bool)
    is_train[rng.permutation(n)[: n // 2]] = True
    relations = []
    for info in dataset.columns:
        if info.role is not Role.FEATURE:
            continue
        column = take(info.name)
        codes = bin_codes(column, bins)
        mi = mutual_information(codes, y_codes)
        score = None
        if n >= MIN_ROWS_FOR_SCORE:
            score = (
                _classification_score(codes, y_codes, is_train)
                if classification
                else _regression_score(codes, y_values, is_train)
            )
        relations.append(
            FeatureRelation(
                column=info.name,
                ctype=info.ctype,
                mutual_information=mi,
                uncertainty_explained=mi / target_entropy if target_entropy > 0 else 0.0,
                score=score,
                correlation=_correlation(column, target),
            )
        )
    relations.sort(key=lambda r: (-r.mutual_information, r.column))
    class_counts: tuple[tuple[object, int], ...] = ()
    if classification:
        counts = dataset.frame[dataset.target].value_counts()
        class_counts = tuple((plain(k), int(v)) for k, v in counts.items())
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
    )


def bin_codes(column: pd.Series, bins: int) -> np.ndarray:
    """Integer bin codes from 0: quantile bins for numbers and dates, the `bins - 1` most frequent
    labels (the rest together) for anything else; missing values get a code of their own."""
    if is_number(column) or pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = _as_float(column)
        missing = np.isnan(values)
        present = values[~missing]
        if not len(present):
            return np.zeros(len(values), dtype=np.int64)
        step = max(1, len(present) // QUANTILE_SAMPLE)  # bin edges need not be exact
        edges = np.unique(np.quantile(present[::step], np.linspace(0, 1, bins + 1)[1:-1]))
        codes = np.searchsorted(edges, values, side="left").astype(np.int64)
        codes[missing] = len(edges) + 1
        return codes
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    if len(uniques) > bins - 1:
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
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
    """Balanced accuracy on the held-out half of "predict the bin's majority class"."""
    kx, ky = int(x.max()) + 1, int(y.max()) + 1
    joint = np.bincount(x[is_train] * ky + y[is_train], minlength=kx * ky).reshape(kx, ky)
    majority = joint.argmax(axis=1)
    majority[joint.sum(axis=1) == 0] = joint.sum(axis=0).argmax()  # bins never seen in training
    y_test = y[~is_train]
    correct = majority[x[~is_train]] == y_test
    per_class = np.bincount(y_test, minlength=ky)
    hits = np.bincount(y_test, weights=correct, minlength=ky)
    present = per_class > 0
    return float(np.mean(hits[present] / per_class[present]))


def _regression_score(x: np.ndarray, y: np.ndarray, is_train: np.ndarray) -> float:
    """R² on the held-out half of "predict the bin's mean target"."""
    k = int(x.max()) + 1
    counts = np.bincount(x[is_train], minlength=k)
    sums = np.bincount(x[is_train], weights=y[is_train], minlength=k)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), y[is_train].mean())
    y_test = y[~is_train]
    total = float(np.sum((y_test - y_test.mean()) ** 2))
    if total == 0:
        return 0.0
    return 1.0 - float(np.sum((y_test - means[x[~is_train]]) ** 2)) / total


def _correlation(column: pd.Series, target: pd.Series) -> float | None:
    if not (is_number(column) and is_number(target)):
        return None
    x, y = _as_float(column), _as_float(target)
    both = ~(np.isnan(x) | np.isnan(y))
    if both.sum() < 3:
        return None
    x, y = x[both], y[both]
    x, y = x - x.mean(), y - y.mean()
    denominator = float(np.sqrt((x @ x) * (y @ y)))
    return float(x @ y) / denominator if denominator > 0 else None


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
