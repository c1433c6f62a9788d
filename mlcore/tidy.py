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


def tidy_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Turn infinities into missing values, mostly-numeric text into numbers, date text into dates."""
    notes: list[str] = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype):
            notes += _infinities_to_missing(frame, name)
        elif column.dtype == object:
            notes += _coerce_text(frame, name)
    return frame, notes


def _infinities_to_missing(frame: pd.DataFrame, name: str) -> list[str]:
    values = frame[name].to_numpy()
    infinite = np.isinf(values)
    count = int(infinite.sum())
    if not count:
        return []
    frame[name] = frame[name].mask(infinite)
    return [f"'{name}': {count} infinite value(s) treated as missing."]


def _coerce_text(frame: pd.DataFrame, name: str) -> list[str]:
    present = frame[name].dropna()
    if present.empty or not all(isinstance(v, str) for v in present.iloc[:SAMPLE]):
        return []
    sample = present.iloc[:SAMPLE]
    numbers = pd.to_numeric(sample, errors="coerce")
    if numbers.notna().mean() >= NUMERIC_SHARE:
        converted = pd.to_numeric(frame[name], errors="coerce")
        lost = int(converted.isna().sum() - frame[name].isna().sum())
        frame[name] = converted
        notes = []
        if lost:
            examples = ", ".join(repr(v) for v in present[converted[present.index].isna()].unique()[:3])
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
    original_missing = int(frame[name].isna().sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted_dates = pd.to_datetime(frame[name], errors="coerce", format="mixed")
    lost = int(converted_dates.isna().sum()) - original_missing
    frame[name] = converted_dates
    extra = f"; {lost} cell(s) that are not dates treated as missing" if lost else ""
    return [f"'{name}': read as dates{extra}."]
