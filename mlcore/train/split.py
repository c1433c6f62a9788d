"""Holdout and cross-validation splits from one seed, with the problems explained before training.

The holdout rows are set aside first and never seen by cross-validation or tuning; the folds are
made on the remaining training rows. Rows without a target value are not used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)

from mlcore.dataset import Dataset
from mlcore.schema import ColumnType, Task, validate_target
from mlcore.train.errors import FoldError

MAX_FOLDS = 20


@dataclass(frozen=True)
class SplitSpec:
    """How rows are divided: a holdout share, k folds on the rest, optional groups or time order."""

    test_size: float = 0.2
    cv_folds: int = 5
    group_column: str | None = None
    time_column: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SplitSpec:
        return cls(**data)


@dataclass(frozen=True)
class Split:
    """Row positions (into the dataset's frame) of the training and holdout parts, and the folds.

    Each fold is a pair of positions into `train` (not into the frame): fit rows, validation rows.
    """

    train: np.ndarray
    test: np.ndarray
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    description: str


def labelled_rows(dataset: Dataset) -> np.ndarray:
    """Positions of the rows that have a target value."""
    return np.flatnonzero(dataset.frame[dataset.target].notna().to_numpy())


def make_split(dataset: Dataset, spec: SplitSpec, seed: int = 0) -> Split:
    """The holdout and the folds for this dataset; a `FoldError` says why they cannot be made."""
    _check_spec(dataset, spec)
    rows = labelled_rows(dataset)
    y = dataset.frame[dataset.target].to_numpy()[rows]
    validate_target(pd.Series(y, name=dataset.target), dataset.task)
    classification = dataset.task is Task.CLASSIFICATION
    groups = dataset.frame[spec.group_column].to_numpy()[rows] if spec.group_column else None
    if spec.time_column:
        times = dataset.frame[spec.time_column].iloc[rows].reset_index(drop=True)
        rows = rows[times.sort_values(kind="stable", na_position="first").index.to_numpy()]
        y = dataset.frame[dataset.target].to_numpy()[rows]
    train, test, how = _holdout(rows, y, groups, spec, seed, classification)
    y_train = dataset.frame[dataset.target].to_numpy()[train]
    train_groups = dataset.frame[spec.group_column].to_numpy()[train] if spec.group_column else None
    folds, fold_how = _folds(y_train, train_groups, spec, seed, classification)
    description = f"{how}; {fold_how}; seed {seed}."
    return Split(train, test, folds, description)


def _check_spec(dataset: Dataset, spec: SplitSpec) -> None:
    if dataset.target is None or dataset.task is None:
        raise FoldError(
            "Choose a target column before training.", "Pick the column to predict on the Data page."
        )
    if not 0 <= spec.test_size < 0.9:
        raise FoldError(
            f"The holdout share must be between 0 and 0.9; got {spec.test_size:g}.", "A common choice is 0.2."
        )
    if spec.cv_folds != 0 and not 2 <= spec.cv_folds <= MAX_FOLDS:
        raise FoldError(
            f"Cross-validation needs between 2 and {MAX_FOLDS} folds (or 0 for none); got {spec.cv_folds}.",
            "Five folds is the usual choice.",
        )
    if spec.cv_folds == 0 and spec.test_size == 0:
        raise FoldError(
            "With no holdout and no cross-validation nothing would be scored.",
            "Keep a holdout share or choose at least two folds.",
        )
    if spec.group_column and spec.time_column:
        raise FoldError(
            "Choose either a group column or a time column for the split, not both.",
            "Grouped splits keep groups together; time-ordered splits test on the latest rows.",
        )
    for name in (spec.group_column, spec.time_column):
        if name is not None:
            dataset.column(name)  # raises a SchemaError naming the missing column
    if spec.time_column and dataset.column(spec.time_column).ctype not in (
        ColumnType.DATETIME,
        ColumnType.NUMERIC,
    ):
        raise FoldError(
            f"'{spec.time_column}' does not hold dates or numbers, so rows cannot be put in time order.",
            "Choose a date column for a time-ordered split.",
        )


def _holdout(
    rows: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray | None,
    spec: SplitSpec,
    seed: int,
    classification: bool,
) -> tuple[np.ndarray, np.ndarray, str]:
    if spec.test_size == 0:
        return rows, rows[:0], "no holdout"
    share = f"{spec.test_size:.0%}"
    if spec.time_column:
        n_test = max(1, round(len(rows) * spec.test_size))
        return rows[:-n_test], rows[-n_test:], f"holdout: the latest {share} of rows by '{spec.time_column}'"
    if groups is not None:
        if len(pd.unique(groups)) < 2:
            raise FoldError(
                f"'{spec.group_column}' has a single group, so no group can be held out.",
                "Choose a column with several groups, or no group column.",
            )
        splitter = GroupShuffleSplit(n_splits=1, test_size=spec.test_size, random_state=seed)
        train, test = next(splitter.split(rows, y, groups))
        return rows[train], rows[test], f"holdout: {share} of the groups of '{spec.group_column}'"
    if classification:
        _check_class_counts(y, 2, "the training and holdout parts")
    try:
        train, test = train_test_split(
            rows, test_size=spec.test_size, random_state=seed, stratify=y if classification else None
        )
    except ValueError as exc:
        raise FoldError(
            f"The holdout cannot be made: {exc}", "Use a larger holdout share or more rows per class."
        ) from None
    return train, test, f"holdout: {share} of rows" + (", stratified by class" if classification else "")


def _check_class_counts(y: np.ndarray, needed: int, what: str) -> None:
    values, counts = np.unique(y.astype(str), return_counts=True)
    smallest = int(np.argmin(counts))
    if counts[smallest] < needed:
        raise FoldError(
            f"The class '{values[smallest]}' has only {counts[smallest]} row(s), too few to appear in "
            f"each of {what} ({needed} needed).",
            f"Use at most {counts[smallest]} folds, merge rare classes, or add rows of that class."
            if counts[smallest] >= 2
            else "Merge or remove classes with a single row, or add rows of that class.",
        )


def _folds(
    y: np.ndarray, groups: np.ndarray | None, spec: SplitSpec, seed: int, classification: bool
) -> tuple[tuple[tuple[np.ndarray, np.ndarray], ...], str]:
    k = spec.cv_folds
    if k == 0:
        return (), "no cross-validation"
    if len(y) < 2 * k:
        raise FoldError(
            f"The training part has {len(y)} rows, too few for {k} folds.",
            "Use fewer folds or a smaller holdout.",
        )
    positions = np.arange(len(y))
    if spec.time_column:
        splitter: Any = TimeSeriesSplit(n_splits=k)
        how = f"{k} time-ordered folds (each validated on later rows)"
    elif groups is not None:
        if len(pd.unique(groups)) < k:
            raise FoldError(
                f"'{spec.group_column}' has only {len(pd.unique(groups))} groups in the training part, "
                f"fewer than the {k} folds.",
                "Use fewer folds or a column with more groups.",
            )
        if classification:
            splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        else:
            splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
        how = f"{k}-fold cross-validation keeping groups of '{spec.group_column}' together"
    elif classification:
        _check_class_counts(y, k, f"the {k} folds")
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        how = f"{k}-fold stratified cross-validation on the other {len(y):,} rows"
    else:
        splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
        how = f"{k}-fold cross-validation on the other {len(y):,} rows"
    folds = tuple((fit, val) for fit, val in splitter.split(positions, y, groups))
    return folds, how
