"""The original columns read alike wherever Discover speaks of them: numbers and timestamps as floats,
categories as text levels with missing values as a level of their own, values written for people."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlcore.formatting import number
from mlcore.schema import ColumnType

MISSING = "(missing)"
NUMERIC = (ColumnType.NUMERIC, ColumnType.DATETIME)  # described by their mean and spread
LEVELLED = (ColumnType.CATEGORICAL, ColumnType.BOOLEAN)  # described by the shares of their levels


def as_numbers(column: pd.Series, kind: ColumnType) -> pd.Series:
    """Floats with NaN for missing, numbered from 0; timestamps as nanoseconds."""
    if kind is ColumnType.DATETIME:
        stamps = pd.to_datetime(column, errors="coerce").reset_index(drop=True)
        nanoseconds = stamps.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        return pd.Series(np.where(stamps.notna(), nanoseconds, np.nan))
    return pd.to_numeric(column, errors="coerce").astype(float).reset_index(drop=True)


def as_levels(column: pd.Series) -> pd.Series:
    """Levels as text, missing values as `MISSING`, numbered from 0."""
    return column.astype(object).where(column.notna(), MISSING).astype(str).reset_index(drop=True)


def value_text(value: float, kind: ColumnType) -> str:
    """'41.2', or '2021-03-04' for a timestamp (with the time when it has one); '–' for no value."""
    if kind is not ColumnType.DATETIME or np.isnan(value):
        return number(value, 3)
    stamp = pd.Timestamp(round(value))
    return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M")
