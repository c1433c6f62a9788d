"""What each column is (type), what it is for (role), and what the task is.

Every decision carries a one-line reason, because a student should see why `id` is not a feature
and why a target with three integer values means classification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from mlcore.errors import TargetError
from mlcore.formatting import number, plural

ID_NAME = re.compile(
    r"(^|_)(id|index|idx|key|uuid)$|^(row|record)_?(id|no|number)$|^row_?names$", re.IGNORECASE
)
MAX_CLASSES_FOR_INTEGER_TARGET = 20
MIN_ROWS_PER_CLASS = 2  # fewer rows per value on average: most classes could not be both trained and tested
MIN_ROWS_FOR_UNIQUE_ID = 20  # on a handful of rows, distinct values are not evidence of an id
ROW_NUMBER_MAX_SPAN = 1.5  # a running id skips at most a third of the whole numbers it spans
ORDER_CHECK_PREFIX = 1_000  # most columns fail a monotonicity check within their first rows
YEARS = (1800, 2200)  # whole numbers all in this range are read as years, not row numbers
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
    n_unique: int | None  # None for decimal numbers: counting them costs more than it tells at load time
    reason: str


Counts = tuple[int, int | None]  # (missing, distinct)


def infer_columns(
    frame: pd.DataFrame, known_counts: dict[str, Counts] | None = None
) -> tuple[ColumnInfo, ...]:
    """Type every column; identifiers are ignored by default, everything else is a feature.

    `known_counts` holds counts a reader already computed, so large tables are not scanned twice.
    """
    known = known_counts or {}
    return tuple(
        infer_column(frame[name], str(name), len(frame), known.get(str(name))) for name in frame.columns
    )


def infer_column(column: pd.Series, name: str, n_rows: int, counts: Counts | None = None) -> ColumnInfo:
    """Type one column from its dtype, its distinct values and its name."""
    n_missing, n_unique = counts or _counts(column)
    ctype, reason = _infer_type(column, name, n_rows, n_missing, n_unique)
    role = Role.IGNORE if ctype is ColumnType.IDENTIFIER else Role.FEATURE
    return ColumnInfo(name, str(column.dtype), ctype, role, n_missing, n_unique, reason)


def _counts(column: pd.Series) -> tuple[int, int | None]:
    """Missing and distinct counts in one pass where possible (this runs on every column at load)."""
    dtype = column.dtype
    if pd.api.types.is_float_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        return int(np.isnan(column.to_numpy()).sum()), None
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return int((codes == -1).sum()), len(uniques)


def _infer_type(
    column: pd.Series, name: str, n_rows: int, n_missing: int, n_unique: int | None
) -> tuple[ColumnType, str]:
    dtype = column.dtype
    if n_unique is None and ID_NAME.search(name):
        n_unique = int(column.nunique())
    unique_per_row = n_rows > 1 and n_missing == 0 and n_unique == n_rows
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnType.BOOLEAN, "true/false values"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnType.DATETIME, "dates or times"
    if pd.api.types.is_numeric_dtype(dtype):
        counter = _row_number_reason(column, n_rows, n_missing)
        if counter:
            return ColumnType.IDENTIFIER, counter
        if unique_per_row and ID_NAME.search(name) and _integer_valued(column):
            return ColumnType.IDENTIFIER, "a different whole number on every row, named like an id"
        return ColumnType.NUMERIC, "numbers"
    if unique_per_row and n_rows >= MIN_ROWS_FOR_UNIQUE_ID:
        if _looks_like_text(column):
            return ColumnType.TEXT, "long free text, different on every row"
        return ColumnType.IDENTIFIER, "a different value on every row, so it cannot generalise"
    if n_unique and n_unique > 0.5 * (n_rows - n_missing) and _looks_like_text(column):
        return ColumnType.TEXT, "long free text"
    return ColumnType.CATEGORICAL, f"text with {n_unique} distinct value(s)"


def row_direction(values: np.ndarray) -> int:
    """1 if the values strictly increase down the rows, -1 if they strictly decrease, else 0.

    A linear pass; most columns fail on their first rows, before the whole column is compared.
    """
    if len(values) < 2:
        return 0
    for direction in (1, -1):
        if _strictly_monotone(values[:ORDER_CHECK_PREFIX], direction) and _strictly_monotone(
            values, direction
        ):
            return direction
    return 0


def _strictly_monotone(values: np.ndarray, direction: int) -> bool:
    later, earlier = values[1:], values[:-1]  # compared, not subtracted: no overflow, NaN fails
    return bool(np.all(later > earlier) if direction > 0 else np.all(later < earlier))


def _row_number_reason(column: pd.Series, n_rows: int, n_missing: int) -> str | None:
    """Why an integer column is a row number or running id by its content, or None if it is not.

    A row number holds a different whole number on every row and counts up (or down) with the rows,
    skipping few numbers: 1…N, 0…N-1, or the row names of a filtered table. Years and yyyymmdd dates
    count up with the rows of a time series too, and on a handful of rows any short run is a row
    number by chance: those stay numbers.
    """
    if n_missing or n_rows < MIN_ROWS_FOR_UNIQUE_ID or not pd.api.types.is_integer_dtype(column.dtype):
        return None
    values = column.to_numpy(dtype=np.uint64 if column.dtype.kind == "u" else np.int64)
    direction = row_direction(values)
    if not direction or _calendar_like(values):
        return None
    span = abs(int(values[-1]) - int(values[0]))
    if span > ROW_NUMBER_MAX_SPAN * (n_rows - 1):
        return None
    way = "up" if direction > 0 else "down"
    if span == n_rows - 1:
        return f"a different whole number on every row, counting {way} with the rows: a row number"
    return (
        f"a different whole number on every row, counting {way} with the rows (a few numbers skipped): "
        "a row number or running id"
    )


def _calendar_like(values: np.ndarray) -> bool:
    """Years (1990, 1991, …) or dates written as yyyymmdd (20240131): time, not a row count."""
    low, high = int(values.min()), int(values.max())
    if YEARS[0] <= low and high <= YEARS[1]:
        return True
    if not (YEARS[0] * 10_000 <= low and high <= YEARS[1] * 10_000 + 1231):
        return False
    month, day = values // 100 % 100, values % 100
    return bool(np.all((month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)))


def _integer_valued(column: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return True
    values = column.to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    return bool((values == np.round(values)).all())


def _is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)


def _looks_like_text(column: pd.Series) -> bool:
    sample = column.dropna().astype(str).iloc[:1000]
    if sample.empty:
        return False
    return bool(
        sample.str.len().mean() >= TEXT_MEAN_LENGTH or sample.str.count(r"\s+").mean() + 1 >= TEXT_MEAN_WORDS
    )


def infer_task(target: pd.Series, n_unique: int | None = None) -> tuple[Task, str]:
    """Classification for labels and class codes, regression for other numbers; with the rule.

    Whole numbers are class codes when there are two of them (a yes/no), or at most
    `MAX_CLASSES_FOR_INTEGER_TARGET` consecutive ones (0…k-1, 1…k) with `MIN_ROWS_PER_CLASS` rows per
    value on average. Whole numbers with gaps (0, 1, 2, 3, 7, 12) are counts or amounts: regression.
    """
    n_unique = int(target.nunique()) if n_unique is None else n_unique
    name = target.name
    if not _is_number(target):
        return Task.CLASSIFICATION, f"'{name}' holds labels ({n_unique} distinct) → classification"
    if n_unique > MAX_CLASSES_FOR_INTEGER_TARGET or not _integer_valued(target):
        return Task.REGRESSION, f"'{name}' holds numbers with {n_unique} distinct values → regression"
    if n_unique < 2:
        return Task.CLASSIFICATION, f"'{name}' holds {plural(n_unique, 'distinct value')} → classification"
    values = target.dropna()
    low, high = values.min(), values.max()
    if n_unique == 2:
        return (
            Task.CLASSIFICATION,
            f"'{name}' holds two whole numbers ({number(low)} and {number(high)}), a yes/no → classification",
        )
    if high - low + 1 > n_unique:
        return (
            Task.REGRESSION,
            f"'{name}' holds whole numbers with gaps ({n_unique} distinct values from {number(low)} to "
            f"{number(high)}), like counts or amounts rather than class codes → regression; choose "
            "classification if they are classes",
        )
    if len(values) < MIN_ROWS_PER_CLASS * n_unique:
        return (
            Task.REGRESSION,
            f"'{name}' holds {n_unique} distinct whole numbers on {plural(len(values), 'row')} (fewer than "
            f"{MIN_ROWS_PER_CLASS} rows per value), too few to learn each as a class → regression",
        )
    return (
        Task.CLASSIFICATION,
        f"'{name}' holds {n_unique} consecutive whole numbers ({number(low)} to {number(high)}), like class "
        "codes → classification",
    )


def validate_target(target: pd.Series, task: Task, n_unique: int | None = None) -> None:
    """Refuse a target that cannot be learned for this task, before any training starts."""
    name = target.name
    n_unique = int(target.nunique()) if n_unique is None else n_unique
    if n_unique == 0:
        raise TargetError(
            f"The column '{name}' has no values, so it cannot be the target.",
            "Choose a column that holds the answers you want to predict.",
        )
    numeric = _is_number(target)
    if task is Task.CLASSIFICATION:
        if n_unique < 2:
            raise TargetError(
                f"The column '{name}' has only one class ({target.loc[target.first_valid_index()]!r}); "
                "a classifier needs at least two to learn anything.",
                "Choose another target, or add rows of the other classes.",
            )
        if numeric and n_unique > MAX_CLASSES_FOR_INTEGER_TARGET and not _integer_valued(target):
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
