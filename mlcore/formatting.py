"""Numbers and counts written for people: one place, so the same value reads the same everywhere.

A student should read "income = 51,660" rather than "5.166e+04", "1 row" rather than "1 rows", and
"99.8%" rather than a rounded "100%" that claims a certainty the model does not have.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

TINY = 1e-6  # below this (and above zero) a decimal would be a row of zeros: scientific notation instead


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 row', '2 rows', '1,000 rows' ('many' for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def number(value: float | int | None, digits: int = 4) -> str:
    """A readable number: thousands separated, about `digits` significant digits, no exponent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return f"{int(value):,}".replace("-", "−")
    size = abs(value)
    if size < TINY:
        return f"{value:.{digits - 1}e}".replace("-", "−")
    if size >= 10 ** (digits - 1):
        return f"{value:,.0f}".replace("-", "−")
    decimals = digits - 1 - math.floor(math.log10(size))
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−")


def signed(value: float | int, digits: int = 4) -> str:
    """A difference with its sign always shown: '+1,822', '−0.25', '0'."""
    text = number(value, digits)
    return "+" + text if value > 0 else text


def percent(share: float, decimals: int = 1) -> str:
    """A share as a percentage that never rounds up to 100% or down to 0% unless it is exactly that."""
    if share is None or math.isnan(share):
        return "–"
    scaled = 100 * share
    text = f"{scaled:.{decimals}f}"
    step = 10**-decimals
    if float(text) >= 100 and share < 1:
        return f">{100 - step:.{decimals}f}%"
    if float(text) <= 0 and share > 0:
        return f"<{step:.{decimals}f}%"
    return f"{text}%"


def size(n_bytes: int) -> str:
    """'830 bytes', '29 KB', '1.2 MB', '3.4 GB' (a small table is not '0.0 MB')."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n_bytes >= scale:
            value = n_bytes / scale
            return f"{value:,.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return plural(int(n_bytes), "byte")


def rough_duration(seconds: float) -> str:
    """'under a second', 'about 4 s', 'about 12 min', 'about 1.5 h': an estimate said as one (a
    fraction of a second is not 'about 1 s'); seconds up to 90, minutes up to 90."""
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 5_400:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def row_numbers(index: pd.Index, labels: Any) -> list[int]:
    """Rows as a spreadsheet user counts them (1 for the first row of data), from frame index labels.

    A frame read from a file has labels 0, 1, 2 …, one less than the row a person sees; a table with
    an index of its own (Parquet) is numbered by position too (the first row with a repeated label).
    """
    labels = list(labels)
    if index.is_unique:
        return [int(p) + 1 for p in index.get_indexer(labels)]
    first = {label: position for position, label in reversed(list(enumerate(index)))}
    return [first[label] + 1 for label in labels]
