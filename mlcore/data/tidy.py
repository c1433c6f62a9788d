"""Value-level clean-up after reading: what a spreadsheet user means, not what the bytes say.

Each step reports what it changed, so nothing happens to the user's data silently. What a text column
holds is decided on up to `SAMPLE` leading values; the conversion then runs over the whole column in
vectorised pandas calls (generated `train.py` scripts repeat the same calls).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SAMPLE = 1000
NUMERIC_SHARE = 0.75
DATETIME_SHARE = 0.95

# A number grouped in thousands by the mark that is not the decimal one, by decimal mark: 1,234.5 or
# 1.234,5. The first group has no leading zero and every later group three digits, so '1,2' (a list)
# and '012,345' (a code) are not numbers.
THOUSANDS = {
    ".": r"-?(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?",
    ",": r"-?(?:[1-9][0-9]{0,2}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?",
}
_GROUPING = {".": ",", ",": "."}
_EXAMPLE = {".": "1,234 read as 1234", ",": "1.234,5 read as 1234.5"}

# A date written day and month first, in either order: 05/02/2024, 5.2.24, 05-02-2024 13:00
DAY_MONTH = r"^ *(?P<first>[0-9]{1,2})[/.\-](?P<second>[0-9]{1,2})[/.\-][0-9]{2,4}(?:[^0-9]|$)"


@dataclass(frozen=True)
class Tidied:
    """The tidied frame and what was done to it, for the notes and for `ReadInfo`."""

    frame: pd.DataFrame
    notes: list[str]
    changed: set[str]  # columns whose values changed
    coerced: dict[str, int]  # non-numeric cells read as missing, per column that became numbers
    thousands_columns: tuple[str, ...]  # text columns read as numbers with thousands separators
    ambiguous_dates: tuple[str, ...]  # date columns whose own values do not confirm `day_first`
    day_first: bool  # the order used for dates such as 05/02/2024 (False when there are none)


def tidy_frame(frame: pd.DataFrame, decimal: str = ".", day_first: bool | None = None) -> Tidied:
    """Turn infinities into missing values, numeric text into numbers, date text into dates.

    `decimal` is the file's decimal mark (numbers may be grouped by the other one); `day_first` is the
    user's order for dates such as 05/02/2024, or None to infer it from the values.
    """
    notes: list[str] = []
    changed: set[str] = set()
    coerced: dict[str, int] = {}
    thousands: list[str] = []
    dates: list[str] = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype):
            step = _infinities_to_missing(frame, name)
        elif column.dtype == object:
            sample = _leading_values(column)
            if sample.empty or not all(isinstance(v, str) for v in sample):
                continue
            if _grouped_numbers(sample, decimal):  # first: '1,000' among plain numbers is not junk
                thousands.append(name)
                step = _to_numbers(frame, name, coerced, decimal)
            elif pd.to_numeric(sample, errors="coerce").notna().mean() >= NUMERIC_SHARE:
                step = _to_numbers(frame, name, coerced)
            elif _mostly_dates(sample):
                dates.append(name)
                continue
            else:
                continue
        else:
            continue
        if step or frame[name].dtype != column.dtype:
            changed.add(name)
        notes += step
    order, ambiguous, date_notes = _to_dates(frame, dates, decimal, day_first)
    changed.update(dates)
    return Tidied(frame, notes + date_notes, changed, coerced, tuple(thousands), ambiguous, order)


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


# ---------- numbers ----------


def _grouped_numbers(sample: pd.Series, decimal: str) -> bool:
    """Numbers written with thousands separators, consistently: some values grouped, no value that
    carries the grouping mark otherwise (a list such as '1,2'), and most values numbers."""
    marked = sample.str.contains(_GROUPING[decimal], regex=False)
    if not marked.any():
        return False
    fits = sample.str.fullmatch(THOUSANDS[decimal])
    return bool(not (marked & ~fits).any() and fits.mean() >= NUMERIC_SHARE)


def plain_numbers(column: pd.Series, decimal: str) -> pd.Series:
    """'1,234.5' (or '1.234,5' with decimal commas) as '1234.5'; values not written so become missing."""
    text = column.astype("string[pyarrow]")
    text = text.where(text.str.fullmatch(THOUSANDS[decimal])).str.replace(_GROUPING[decimal], "", regex=False)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    return text.astype(object)


def _to_numbers(
    frame: pd.DataFrame, name: str, coerced: dict[str, int], decimal: str | None = None
) -> list[str]:
    """Convert the column to numbers (`decimal` given: grouped in thousands); count the cells lost."""
    original = frame[name]
    converted = pd.to_numeric(
        original if decimal is None else plain_numbers(original, decimal), errors="coerce"
    )
    dropped = converted.isna() & original.notna()
    lost = int(dropped.sum())
    frame[name] = converted
    notes = [f"'{name}': numbers written with thousands separators ({_EXAMPLE[decimal]})."] if decimal else []
    if lost:
        coerced[name] = lost
        examples = ", ".join(repr(v) for v in original[dropped].unique()[:3])
        notes.append(
            f"'{name}': {lost} non-numeric cell(s) ({examples}) treated as missing; the rest are numbers."
        )
    return notes + _infinities_to_missing(frame, name)


# ---------- dates ----------


def _mostly_dates(sample: pd.Series) -> bool:
    if sample.str.contains(r"\d", regex=True).mean() < DATETIME_SHARE:
        return False
    return _parse_dates(sample, day_first=False).notna().mean() >= DATETIME_SHARE


def _parse_dates(column: pd.Series, day_first: bool) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when it cannot infer one format for all values
        return pd.to_datetime(column, errors="coerce", format="mixed", dayfirst=day_first)


def _order_evidence(column: pd.Series) -> tuple[bool, bool] | None:
    """Whether some value must have its day first (a first number above 12) and whether some must have
    its month first (a second number above 12), over the whole column; None without such dates.

    Arrow's regular expressions, not pandas' `str.extract` (a Python loop: 8 s a million values).
    """
    parts = pc.extract_regex(pa.array(column.astype("string[pyarrow]")), DAY_MONTH)
    first, second = (pc.max(pc.cast(pc.struct_field(parts, [i]), pa.int8())).as_py() for i in (0, 1))
    if first is None:
        return None
    return first > 12, second > 12


def _to_dates(
    frame: pd.DataFrame, names: list[str], decimal: str, day_first: bool | None
) -> tuple[bool, tuple[str, ...], list[str]]:
    """Convert the date columns with one day/month order for the file: the user's, else the one some
    value proves (25/02/2024 can only be day first), else day first in files with decimal commas (the
    custom where those are written) and month first otherwise (pandas' default), said in a note.

    Returns the order (False without dates such as 05/02/2024), the columns whose own values do not
    confirm it (they show neither order, both, or the other one), and the notes.
    """
    evidence = {name: _order_evidence(frame[name]) for name in names}
    provers = {name: e[0] for name, e in evidence.items() if e is not None and e[0] != e[1]}
    reason: str | None = None
    if day_first is not None:
        order, reason = day_first, "as you chose"
    elif len(set(provers.values())) == 1:
        order = next(iter(provers.values()))
        reason = f"like '{next(iter(provers))}', whose values show the order"
    else:
        order = decimal == ","
    notes = []
    for name in names:
        original = frame[name]
        frame[name] = converted = _parse_dates(original, order)
        lost = int((converted.isna() & original.notna()).sum())
        if evidence[name] is None:
            extra = f"; {lost} cell(s) that are not dates treated as missing" if lost else ""
            notes.append(f"'{name}': read as dates{extra}.")
            continue
        missing = f" {lost} cell(s) that are not dates were treated as missing." if lost else ""
        notes.append(
            f"'{name}': read as dates, {_order_note(original, order, evidence[name], reason)}.{missing}"
        )
    day_month = [name for name, e in evidence.items() if e is not None]
    guessed = tuple(name for name in day_month if evidence[name] != (order, not order))
    return (order if day_month else False), guessed, notes


def _order_note(original: pd.Series, order: bool, evidence: tuple[bool, bool], reason: str | None) -> str:
    """How the day/month order of one column was chosen, with an example when its values do not show it."""
    used, other = _order_words(order), _order_words(not order)
    if evidence == (order, not order):
        return f"{used} (some values can only be read that way)"
    if evidence != (False, False):
        return f"{used}; some values can only be read {other}, so check them"
    example = _example(original, order)
    if reason:
        return f"{used}, {reason}{example}"
    custom = ", as usual in files with decimal commas" if order else ""
    return (
        f"{used}{example}: no value shows whether the day or the month comes first, so {used} was "
        f"assumed{custom}. If the {'month' if order else 'day'} comes first, load the file again with {other}"
    )


def _example(original: pd.Series, order: bool) -> str:
    """' (05/02/2024 read as 2 May 2024)' for the first such value among the leading ones, or ''."""
    sample = _leading_values(original)
    values = sample[sample.str.match(DAY_MONTH)]
    if values.empty:
        return ""
    value = values.iloc[0].strip()
    date = _parse_dates(pd.Series([value]), order).iloc[0]
    return f" ({value} read as {date.day} {date:%B %Y})" if pd.notna(date) else ""


def _order_words(day_first: bool) -> str:
    return "day first" if day_first else "month first"
