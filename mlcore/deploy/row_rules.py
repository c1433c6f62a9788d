"""The Predict page's rules for new rows: each value converted to the type the model was trained on,
what could not be converted counted in a note, categories never seen in training noted.

This module imports only numpy and pandas, never `mlcore`, so that the bundle's standalone `serve.py`
carries it as it is and answers exactly as the Predict page does. A feature is described as in the
model card (`name`, `kind`, `dtype`, `levels`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

TRUE_WORDS = {"true", "t", "yes", "y", "1", "1.0"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "0.0"}
KIND_PLURALS = {
    "numeric": "numbers",
    "boolean": "true/false values",
    "datetime": "dates",
    "categorical": "categories",
    "text": "text",
}
SHOWN = 3  # example values quoted in a note
UNREADABLE_HINT = "Check that the columns hold the same kind of values as the training data."


def convert_rows(
    frame: pd.DataFrame, features: Sequence[Mapping[str, Any]], max_levels: int
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The features of `frame` (which holds them all) in their training types, the notes on what
    was converted, and the features none of whose given values could be read."""
    columns: dict[str, pd.Series] = {}
    notes: list[str] = []
    unreadable: list[str] = []
    for feature in features:
        name = feature["name"]
        before = frame[name]
        if feature["kind"] == "numeric" and before.dtype.kind in "fiub":  # numbers (or true/false) already
            numbers = before.to_numpy(dtype=float, na_value=np.nan, copy=True)
            if not np.isinf(numbers).any():  # nothing to say: the usual case, in a few microseconds
                columns[name] = numbers
                continue
        column, note = convert_column(before, feature, max_levels)
        if note:
            notes.append(note)
        if feature["kind"] != "text" and _none_read(before, column):
            unreadable.append(name)
        columns[name] = column
    return pd.DataFrame(columns, index=frame.index), notes, unreadable


def _none_read(before: pd.Series, after: pd.Series) -> bool:
    """Whether the column had values and none of them survived the conversion."""
    if after is before:  # kept as given
        return False
    present = before.notna().to_numpy()
    return bool(present.any()) and bool(after.isna().to_numpy()[present].all())


def unreadable_message(unreadable: list[str], features: Sequence[Mapping[str, Any]]) -> str:
    kinds = {f["name"]: f["kind"] for f in features}
    details = "; ".join(f"'{n}' should hold {KIND_PLURALS[kinds[n]]}" for n in unreadable)
    return f"No value of {len(unreadable)} column(s) could be read as the model expects: {details}."


def convert_column(column: pd.Series, feature: Mapping[str, Any], max_levels: int) -> tuple[pd.Series, str]:
    """`column` in the feature's training type, and a note on the cells that were lost or unseen."""
    kind, name = feature["kind"], feature["name"]
    if kind == "numeric":
        if pd.api.types.is_bool_dtype(column.dtype):
            return column.astype(float), ""
        converted = (
            column if pd.api.types.is_numeric_dtype(column.dtype) else pd.to_numeric(column, errors="coerce")
        )
        converted = converted.astype(float).replace([np.inf, -np.inf], np.nan)
        return converted, _lost_note(name, column, converted, "numbers")
    if kind == "boolean":
        converted = _as_boolean(column)
        return converted, _lost_note(name, column, converted, "true/false values")
    if kind == "datetime":
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            return column, ""
        converted = pd.to_datetime(column, errors="coerce", format="mixed")
        return converted, _lost_note(name, column, converted, "dates")
    if kind == "categorical":
        converted = _like_training(column, feature["dtype"])
        return converted, _unseen_note(converted, feature, max_levels)
    return column.astype(object).where(column.notna(), None), ""


def decide(
    model: Any, X: pd.DataFrame, classification: bool, rule: Mapping[str, Any] | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Labels (or values) and class probabilities (None without them). A decision rule (threshold,
    positive, negative; chosen on the Evaluate page) names the positive class when its score is
    strictly above the threshold, else the negative one."""
    proba = None
    if classification and hasattr(model, "predict_proba"):
        try:
            proba = model.predict_proba(X)
        except AttributeError:  # a classifier without probabilities (e.g. linear SVM)
            proba = None
    if rule is None:
        if proba is None:
            return np.asarray(model.predict(X)), None
        return np.asarray(model.classes_)[np.argmax(proba, axis=1)], proba
    scores = proba[:, 1] if proba is not None else model.decision_function(X)
    above = np.asarray(scores, dtype=float) > float(rule["threshold"])
    positive, negative = (np.asarray(rule[side], dtype=object) for side in ("positive", "negative"))
    return np.where(above, positive, negative), proba


def _as_boolean(column: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        converted = column.astype(float)
        return converted.where(converted.isin([0.0, 1.0]))
    words = column.astype(str).str.strip().str.lower()
    converted = pd.Series(np.nan, index=column.index)
    converted[words.isin(TRUE_WORDS).to_numpy()] = 1.0
    converted[words.isin(FALSE_WORDS).to_numpy()] = 0.0
    converted[column.isna().to_numpy()] = np.nan
    return converted


def _lost_note(name: str, before: pd.Series, after: pd.Series, what: str) -> str:
    lost = before.notna().to_numpy() & after.isna().to_numpy()
    count = int(lost.sum())
    if not count:
        return ""
    examples = ", ".join(repr(v) for v in pd.unique(before[lost])[:SHOWN])
    return f"'{name}': {count:,} cell(s) are not {what} ({examples}); they are treated as missing."


def _like_training(column: pd.Series, dtype: str) -> pd.Series:
    """Categories read with another dtype than in training (1.0 for 1) become the training's kind."""
    if str(column.dtype) == dtype:
        return column
    try:
        if dtype.startswith(("int", "Int", "uint")):
            numbers = pd.to_numeric(column, errors="coerce")
            if numbers.notna().sum() == column.notna().sum() and (numbers.dropna() % 1 == 0).all():
                return numbers.astype("Int64")
        elif dtype.startswith("float"):
            numbers = pd.to_numeric(column, errors="coerce")
            if numbers.notna().sum() == column.notna().sum():
                return numbers.astype(float)
        elif dtype == "bool" and column.dropna().isin([True, False]).all():
            return column.astype(object)
    except (TypeError, ValueError):
        pass
    return column


def _unseen_note(column: pd.Series, feature: Mapping[str, Any], max_levels: int) -> str:
    levels = feature.get("levels") or ()
    if not levels or len(levels) >= max_levels:
        return ""  # levels beyond the kept ones are unknown here: the pipeline still handles them
    known = set(map(str, levels))
    try:  # each distinct value checked once (categories repeat)
        if all(str(v) in known for v in pd.unique(column.to_numpy()) if not pd.isna(v)):
            return ""
    except TypeError:  # unhashable cells: checked one by one below
        pass
    text = column.dropna().astype(str)
    unseen = ~text.isin(known)
    count = int(unseen.sum())
    if not count:
        return ""
    examples = ", ".join(repr(v) for v in pd.unique(text[unseen.to_numpy()])[:SHOWN])
    return (
        f"'{feature['name']}': {count:,} cell(s) hold values not seen in training ({examples}); the model "
        "treats them as an unknown level."
    )
