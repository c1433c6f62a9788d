"""Value-level clean-up after reading: what a spreadsheet user means, not what the bytes say.

Each step reports what it changed, so nothing happens to the user's data silently.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

SAMPLE = 1000
NUMERIC_SHARE = 0.75
DATETIME_SHARE = 0.95


def tidy_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], set[str], dict[str, int]]:
    """Turn infinities into missing values, mostly-numeric text into numbers, date text into dates.

    Returns the notes for the user, the names of the columns whose values changed, and how many
    non-numeric cells of each column read as numbers were turned into missing values.
    """
    notes: list[str] = []
    changed: set[str] = set()
    coerced: dict[str, int] = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype):
            step = _infinities_to_missing(frame, name)
        elif column.dtype == object:
            step = _coerce_text(frame, name, coerced)
        else:
            continue
        if step or frame[name].dtype != column.dtype:
            changed.add(name)
        notes += step
    return frame, notes, changed, coerced


def _infinities_to_missing(frame: pd.DataFrame, name: str) -> list[str]:
    values = frame[name].to_numpy()
    infinite = np.isinf(values)
    count = int(infinite.sum())
    if not count:
        return []
    frame[name] = frame[name].mask(infinite)
    return [f"'{name}': {count} infinite value(s) treated as missing."]


def _leading_values(column: pd.Series) -> pd.Series:
    """Up to SAMPLE non-missing values from the top, without copying a million-row column."""
    window = SAMPLE
    while True:
        present = column.iloc[:window].dropna()
        if len(present) >= SAMPLE or window >= len(column):
            return present.iloc[:SAMPLE]
        window *= 10


def _coerce_text(frame: pd.DataFrame, name: str, coerced: dict[str, int]) -> list[str]:
    """Convert the column if its text is numbers or dates; `coerced` gets its count of lost cells."""
    sample = _leading_values(frame[name])
    if sample.empty or not all(isinstance(v, str) for v in sample):
        return []
    numbers = pd.to_numeric(sample, errors="coerce")
    if numbers.notna().mean() >= NUMERIC_SHARE:
        original = frame[name]
        converted = pd.to_numeric(original, errors="coerce")
        dropped = converted.isna() & original.notna()
        lost = int(dropped.sum())
        frame[name] = converted
        notes = []
        if lost:
            coerced[name] = lost
            examples = ", ".join(repr(v) for v in original[dropped].unique()[:3])
            notes.append(
                f"'{name}': {lost} non-numeric cell(s) ({examples}) treated as missing; the rest are numbers."
            )
        return notes + _infinities_to_missing(frame, name)
    if sample.str.contains(r"\d", regex=True).mean() < DATETIME_SHARE:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dates = pd.to_datetime(sample, errors="coerce", format="mixed")
    if dates.notna().mean() < DATETIME_SHARE:
        return []
    original = frame[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted_dates = pd.to_datetime(original, errors="coerce", format="mixed")
    lost = int((converted_dates.isna() & original.notna()).sum())
    frame[name] = converted_dates
    extra = f"; {lost} cell(s) that are not dates treated as missing" if lost else ""
    return [f"'{name}': read as dates{extra}."]
