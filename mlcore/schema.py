"""What each column is (type), what it is for (role), and what the task is.

Every decision carries a one-line reason, because a student should see why `id` is not a feature
and why a target with three integer values means classification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from mlcore.errors import TargetError

ID_NAME = re.compile(r"(^|_)(id|index|idx|key|uuid)$|^(row|record)_?(id|no|number)$", re.IGNORECASE)
MAX_CLASSES_FOR_INTEGER_TARGET = 20
MIN_ROWS_FOR_UNIQUE_TEXT_ID = 20  # on a handful of rows, distinct labels are not evidence of an id
TEXT_MEAN_LENGTH = 30
TEXT_MEAN_WORDS = 4.0


class ColumnType(StrEnum):
    """How a column's values are meant, which decides its preprocessing."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"
    IDENTIFIER = "identifier"


class Role(StrEnum):
    """What a column is used for in modelling."""

    FEATURE = "feature"
    TARGET = "target"
    IGNORE = "ignore"


class Task(StrEnum):
    """The learning problem posed by the target."""

    CLASSIFICATION = "classification"
    REGRESSION = "regression"


@dataclass(frozen=True)
class ColumnInfo:
    """One column of the schema: its inferred or chosen type and role, and a few counts."""

    name: str
    dtype: str
    ctype: ColumnType
    role: Role
    n_missing: int
    n_unique: int
    reason: str


def infer_columns(frame: pd.DataFrame) -> tuple[ColumnInfo, ...]:
    """Type every column; identifiers are ignored by default, everything else is a feature."""
    return tuple(infer_column(frame[name], str(name), len(frame)) for name in frame.columns)


def infer_column(column: pd.Series, name: str, n_rows: int) -> ColumnInfo:
    """Type one column from its dtype, its distinct values and its name."""
    n_missing = int(column.isna().sum())
    n_unique = int(column.nunique(dropna=True))
    ctype, reason = _infer_type(column, name, n_rows, n_missing, n_unique)
    role = Role.IGNORE if ctype is ColumnType.IDENTIFIER else Role.FEATURE
    return ColumnInfo(name, str(column.dtype), ctype, role, n_missing, n_unique, reason)


def _infer_type(
    column: pd.Series, name: str, n_rows: int, n_missing: int, n_unique: int
) -> tuple[ColumnType, str]:
    dtype = column.dtype
    unique_per_row = n_rows > 1 and n_missing == 0 and n_unique == n_rows
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnType.BOOLEAN, "true/false values"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnType.DATETIME, "dates or times"
    if pd.api.types.is_numeric_dtype(dtype):
        if unique_per_row and ID_NAME.search(name) and _integer_valued(column):
            return ColumnType.IDENTIFIER, "a different whole number on every row, named like an id"
        return ColumnType.NUMERIC, "numbers"
    if unique_per_row and n_rows >= MIN_ROWS_FOR_UNIQUE_TEXT_ID:
        if _looks_like_text(column):
            return ColumnType.TEXT, "long free text, different on every row"
        return ColumnType.IDENTIFIER, "a different value on every row, so it cannot generalise"
    if n_unique > 0 and n_unique > 0.5 * (n_rows - n_missing) and _looks_like_text(column):
        return ColumnType.TEXT, "long free text"
    return ColumnType.CATEGORICAL, f"text with {n_unique} distinct value(s)"


def _integer_valued(column: pd.Series) -> bool:
    values = column.dropna()
    return bool(pd.api.types.is_integer_dtype(column.dtype) or (values == values.round()).all())


def _looks_like_text(column: pd.Series) -> bool:
    sample = column.dropna().astype(str).iloc[:1000]
    if sample.empty:
        return False
    return bool(
        sample.str.len().mean() >= TEXT_MEAN_LENGTH or sample.str.count(r"\s+").mean() + 1 >= TEXT_MEAN_WORDS
    )


def infer_task(target: pd.Series) -> tuple[Task, str]:
    """Classification for labels and few whole numbers, regression for other numbers; with the rule."""
    values = target.dropna()
    n_unique = int(values.nunique())
    name = target.name
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return Task.CLASSIFICATION, f"'{name}' holds labels ({n_unique} distinct) → classification"
    if _integer_valued(values) and n_unique <= MAX_CLASSES_FOR_INTEGER_TARGET:
        return (
            Task.CLASSIFICATION,
            f"'{name}' holds {n_unique} distinct whole numbers "
            f"(≤ {MAX_CLASSES_FOR_INTEGER_TARGET}) → classification",
        )
    return Task.REGRESSION, f"'{name}' holds numbers with {n_unique} distinct values → regression"


def validate_target(target: pd.Series, task: Task) -> None:
    """Refuse a target that cannot be learned for this task, before any training starts."""
    name = target.name
    values = target.dropna()
    if values.empty:
        raise TargetError(
            f"The column '{name}' has no values, so it cannot be the target.",
            "Choose a column that holds the answers you want to predict.",
        )
    n_unique = int(values.nunique())
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    if task is Task.CLASSIFICATION:
        if n_unique < 2:
            raise TargetError(
                f"The column '{name}' has only one class ({values.iloc[0]!r}); "
                "a classifier needs at least two to learn anything.",
                "Choose another target, or add rows of the other classes.",
            )
        if numeric and not _integer_valued(values) and n_unique > MAX_CLASSES_FOR_INTEGER_TARGET:
            raise TargetError(
                f"The column '{name}' holds continuous numbers ({n_unique} distinct values); "
                "as classes almost every row would be its own class.",
                "Choose regression as the task, or pick a column of labels.",
            )
    elif not numeric:
        raise TargetError(
            f"The column '{name}' holds labels, not numbers, so it cannot be a regression target.",
            "Choose classification as the task.",
        )
    elif n_unique < 2:
        raise TargetError(
            f"The column '{name}' has the same value on every row; there is nothing to predict.",
            "Choose another target.",
        )
