"""Instant statistics for every column and for the whole table, from every row, with pandas/numpy.

ydata-profiling takes seconds to minutes; this overview must appear at once, so each column is
summarised with whole-array numpy operations: a numeric column is sorted once and its quantiles,
distinct count, zeros and outliers are read off the sorted values; any other column is factorised once
and its counts come from `np.bincount`. Duplicate rows are found by hashing rows first and confirming
only the candidate rows exactly, instead of comparing every row with pandas.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.explore.budget import BUDGET
from mlcore.schema import ColumnInfo, ColumnType, Role

TOP_VALUES = 5
IQR_FENCE = 1.5  # Tukey's rule: outside Q1 − 1.5·IQR … Q3 + 1.5·IQR is an outlier
FAR_FENCE = 3.0  # … and outside 3·IQR it is "far out"
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant for the row hash


@dataclass(frozen=True)
class NumericStats:
    """Moments, quantiles and counts of a numeric column (missing values left out)."""

    mean: float
    std: float
    min: float
    q1: float
    median: float
    q3: float
    max: float
    skew: float
    zeros: int
    outliers: int  # outside the 1.5·IQR fences
    far_outliers: int  # outside the 3·IQR fences

    @property
    def fences(self) -> tuple[float, float]:
        iqr = self.q3 - self.q1
        return self.q1 - IQR_FENCE * iqr, self.q3 + IQR_FENCE * iqr


@dataclass(frozen=True)
class ColumnSummary:
    """What one column holds: its type and role from the schema, its counts, values and statistics."""

    name: str
    ctype: ColumnType
    role: Role
    dtype: str
    count: int
    missing: int
    distinct: int
    top: tuple[tuple[object, int], ...]
    memory: int
    numeric: NumericStats | None = None
    value_kinds: tuple[str, ...] = ()  # Python types among the values of a text column
    numeric_text_share: float = 0.0  # share of a text column's values that are numbers written as text
    first: str | None = None  # earliest and latest date of a date column
    last: str | None = None

    @property
    def rows(self) -> int:
        return self.count + self.missing

    @property
    def missing_share(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    @property
    def top_share(self) -> float:
        """Share of the non-missing values taken by the most frequent value."""
        return self.top[0][1] / self.count if self.top and self.count else 0.0


@dataclass(frozen=True)
class DatasetSummary:
    rows: int
    columns: int
    memory: int
    duplicate_rows: int
    missing_cells: int
    type_counts: tuple[tuple[str, int], ...]

    @property
    def missing_share(self) -> float:
        cells = self.rows * self.columns
        return self.missing_cells / cells if cells else 0.0


@dataclass(frozen=True)
class Overview:
    """The whole overview: one `DatasetSummary` and a `ColumnSummary` per column, in table order."""

    dataset: DatasetSummary
    columns: tuple[ColumnSummary, ...]

    def column(self, name: str) -> ColumnSummary:
        for summary in self.columns:
            if summary.name == name:
                return summary
        raise KeyError(name)

    def table(self) -> pd.DataFrame:
        """One row per column, ready to display (numbers stay numbers so they sort)."""
        rows = []
        for c in self.columns:
            stats = c.numeric
            rows.append(
                {
                    "column": c.name,
                    "type": c.ctype.value,
                    "role": c.role.value,
                    "count": c.count,
                    "missing": c.missing,
                    "missing %": 100 * c.missing_share,
                    "distinct": c.distinct,
                    "top values": ", ".join(f"{_short(value)} ({n:,})" for value, n in c.top),
                    "mean": stats.mean if stats else None,
                    "std": stats.std if stats else None,
                    "min": stats.min if stats else c.first,
                    "25%": stats.q1 if stats else None,
                    "50%": stats.median if stats else None,
                    "75%": stats.q3 if stats else None,
                    "max": stats.max if stats else c.last,
                    "skew": stats.skew if stats else None,
                    "zeros": stats.zeros if stats else None,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """Plain JSON-able data (for the command line)."""
        return {
            "dataset": {**asdict(self.dataset), "type_counts": dict(self.dataset.type_counts)},
            "columns": [
                {
                    **asdict(c),
                    "ctype": c.ctype.value,
                    "role": c.role.value,
                    "missing_share": c.missing_share,
                    "top": [[plain(v), n] for v, n in c.top],
                    "value_kinds": list(c.value_kinds),
                }
                for c in self.columns
            ],
        }


def compute_overview(dataset: Dataset) -> Overview:
    """Summarise every column and the table, using every row."""
    frame = dataset.frame
    n_rows = len(frame)
    summaries: list[ColumnSummary] = []
    row_key = np.zeros(n_rows, dtype=np.uint64)
    for info in dataset.columns:
        column = frame[info.name]
        summary, part = _numeric_column(column, info) if is_number(column) else _other_column(column, info)
        summaries.append(summary)
        row_key = row_key * _MIX + part
    type_counts = Counter(c.ctype.value for c in dataset.columns)
    overview_dataset = DatasetSummary(
        rows=n_rows,
        columns=frame.shape[1],
        memory=int(sum(s.memory for s in summaries) + frame.index.memory_usage()),
        duplicate_rows=_duplicate_rows(frame, row_key),
        missing_cells=int(sum(s.missing for s in summaries)),
        type_counts=tuple(sorted(type_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
    return Overview(overview_dataset, tuple(summaries))


def is_number(column: pd.Series) -> bool:
    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _numeric_column(column: pd.Series, info: ColumnInfo) -> tuple[ColumnSummary, np.ndarray]:
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    ordered = np.sort(values)  # missing values (NaN) sort to the end, and searchsorted agrees
    n = int(np.searchsorted(ordered, np.nan, side="left"))
    present = ordered[:n]
    changes = np.flatnonzero(present[1:] != present[:-1]) + 1 if n else np.empty(0, dtype=np.intp)
    summary = ColumnSummary(
        name=info.name,
        ctype=info.ctype,
        role=info.role,
        dtype=str(column.dtype),
        count=n,
        missing=len(values) - n,
        distinct=len(changes) + 1 if n else 0,
        top=_top_runs(present, changes),
        memory=int(column.memory_usage(index=False, deep=False)),
        numeric=_numeric_stats(present) if n else None,
    )
    bits = (values + 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0, as pandas compares them
    if n < len(values):
        bits[np.isnan(values)] = np.float64(np.nan).view(np.uint64)  # one bit pattern for every NaN
    return summary, bits


def _numeric_stats(present: np.ndarray) -> NumericStats:
    """Statistics of sorted, non-missing values; skew as pandas computes it (adjusted Fisher–Pearson)."""
    n = len(present)
    mean = float(present.sum() / n)
    centred = present - mean
    m2 = float(centred @ centred)
    m3 = float((centred * centred) @ centred)
    std = float(np.sqrt(m2 / (n - 1))) if n > 1 else float("nan")
    if n < 3:
        skew = float("nan")
    elif m2 <= 1e-14 * max(1.0, mean * mean) * n:
        skew = 0.0
    else:
        skew = n * (n - 1) ** 0.5 / (n - 2) * m3 / m2**1.5
    q1, median, q3 = (_quantile(present, q) for q in (0.25, 0.5, 0.75))
    iqr = q3 - q1
    return NumericStats(
        mean=mean,
        std=std,
        min=float(present[0]),
        q1=q1,
        median=median,
        q3=q3,
        max=float(present[-1]),
        skew=float(skew),
        zeros=_count_between(present, 0.0, 0.0),
        outliers=n - _count_between(present, q1 - IQR_FENCE * iqr, q3 + IQR_FENCE * iqr),
        far_outliers=n - _count_between(present, q1 - FAR_FENCE * iqr, q3 + FAR_FENCE * iqr),
    )


def _quantile(ordered: np.ndarray, q: float) -> float:
    """Linear interpolation between order statistics (numpy's and pandas' default)."""
    position = q * (len(ordered) - 1)
    low = int(np.floor(position))
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def _count_between(ordered: np.ndarray, low: float, high: float) -> int:
    return int(np.searchsorted(ordered, high, side="right") - np.searchsorted(ordered, low, side="left"))


def _top_runs(present: np.ndarray, changes: np.ndarray) -> tuple[tuple[object, int], ...]:
    """The most frequent repeated values of a sorted array (values seen once are not "top" values)."""
    if len(changes) == len(present) - 1:  # every value differs: none is frequent
        return ()
    starts = np.concatenate(([0], changes))
    counts = np.diff(np.concatenate((starts, [len(present)])))
    order = _most_frequent(counts)
    return tuple((plain(present[starts[i]]), int(counts[i])) for i in order if counts[i] > 1)


def _most_frequent(counts: np.ndarray) -> np.ndarray:
    """Positions of the `TOP_VALUES` largest counts, largest first (ties: first position first)."""
    if len(counts) > 4 * TOP_VALUES:
        candidates = np.argpartition(-counts, TOP_VALUES)[:TOP_VALUES]
        threshold = counts[candidates].min()
        ties = np.flatnonzero(counts == threshold)[:TOP_VALUES]
        candidates = np.concatenate((np.flatnonzero(counts > threshold), ties))
    else:
        candidates = np.arange(len(counts))
    return candidates[np.argsort(-counts[candidates], kind="stable")][:TOP_VALUES]


def _other_column(column: pd.Series, info: ColumnInfo) -> tuple[ColumnSummary, np.ndarray]:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    missing = int(np.count_nonzero(codes < 0))
    order = _most_frequent(counts)
    uniques_array = np.asarray(uniques, dtype=object)
    first = last = None
    kinds: tuple[str, ...] = ()
    numeric_share = 0.0
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        present = column.dropna()
        if len(present):
            first, last = str(present.min()), str(present.max())
    elif column.dtype == object:
        kinds, numeric_share = _value_kinds(uniques_array[: BUDGET.type_sample], counts[: BUDGET.type_sample])
    summary = ColumnSummary(
        name=info.name,
        ctype=info.ctype,
        role=info.role,
        dtype=str(column.dtype),
        count=len(column) - missing,
        missing=missing,
        distinct=len(uniques),
        top=tuple((plain(uniques_array[i]), int(counts[i])) for i in order),
        memory=_memory(column, uniques_array, counts, codes, missing),
        value_kinds=kinds,
        numeric_text_share=numeric_share,
        first=first,
        last=last,
    )
    return summary, codes.astype(np.int64).view(np.uint64)


def _value_kinds(uniques: np.ndarray, counts: np.ndarray) -> tuple[tuple[str, ...], float]:
    """Which Python types the values have, and the share of values that are numbers written as text."""
    if not len(uniques):
        return (), 0.0
    kinds = tuple(sorted({type(v).__name__ for v in uniques}))
    texts = np.fromiter((isinstance(v, str) for v in uniques), dtype=bool, count=len(uniques))
    as_numbers = pd.to_numeric(pd.Series(uniques[texts], dtype=object), errors="coerce").notna().to_numpy()
    numeric_weight = counts[texts][as_numbers].sum()
    return kinds, float(numeric_weight / counts.sum())


def _memory(
    column: pd.Series, uniques: np.ndarray, counts: np.ndarray, codes: np.ndarray, missing: int
) -> int:
    """Bytes pandas holds for the column; for text, object sizes are summed per distinct value."""
    if column.dtype != object:
        return int(column.memory_usage(index=False, deep=True))
    sizes = np.fromiter((v.__sizeof__() for v in uniques), dtype=np.int64, count=len(uniques))
    missing_size = 0
    if missing:  # None, NaN and NA objects differ in size
        missing_size = sum(v.__sizeof__() for v in column.to_numpy()[codes < 0])
    return int(column.memory_usage(index=False, deep=False) + sizes @ counts + missing_size)


def _duplicate_rows(frame: pd.DataFrame, row_key: np.ndarray) -> int:
    """Rows equal to an earlier row. Rows with a unique hash are unique; only the rest are compared."""
    if len(frame) < 2:
        return 0
    candidates = pd.Series(row_key).duplicated(keep=False).to_numpy()
    if not candidates.any():
        return 0
    return int(frame[candidates].duplicated().sum())


def _short(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def plain(value: object) -> object:
    """A numpy scalar as the matching Python value (for JSON and display)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return str(value)
    return value
