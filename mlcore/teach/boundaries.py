"""What a fitted model predicts across the feature space: a classifier's regions, a regressor's curve.

A grid over one or two number features is evaluated in a single call, so a page can redraw it on
every slider move. Every other feature is held at one typical value (median or most frequent) taken
from the rows the model learned from, and the chart says which, so a student is not misled into
reading a slice as the whole model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype, is_numeric_dtype

from mlcore.formatting import number
from mlcore.teach.errors import TeachError

MIN_RESOLUTION, MAX_RESOLUTION = 10, 500
PADDING = 0.05  # of each axis's range, so the outermost points are not on the chart's edge


@dataclass(frozen=True, eq=False)
class BoundaryGrid:
    """A classifier's predicted class and its probability at every point of a grid over two features."""

    title: str
    x: str
    y: str
    xs: np.ndarray
    ys: np.ndarray
    classes: tuple[str, ...]
    predicted: np.ndarray  # (len(ys), len(xs)): index into `classes`
    confidence: np.ndarray  # same shape: the predicted class's probability (NaN: no predict_proba)
    held: dict[str, str]
    note: str = ""


@dataclass(frozen=True, eq=False)
class ResponseCurve:
    """A regressor's prediction along one feature, the others held."""

    title: str
    x: str
    xs: np.ndarray
    predicted: np.ndarray
    held: dict[str, str]
    note: str = ""


@dataclass(frozen=True, eq=False)
class ResponseSurface:
    """A regressor's prediction over a grid of two features, every other feature held."""

    title: str
    x: str
    y: str
    xs: np.ndarray
    ys: np.ndarray
    predicted: np.ndarray  # (len(ys), len(xs))
    held: dict[str, str]
    note: str = ""


def _features(pipeline: Any) -> list[str]:
    names = getattr(pipeline, "feature_names_in_", None)
    if names is None:
        raise TeachError(
            "This model does not record the columns it was trained on.",
            "Train it on a table (a DataFrame) so its feature names are known.",
        )
    return [str(n) for n in names]


def _check_axis(name: str, features: list[str], frame: pd.DataFrame) -> None:
    if name not in features:
        raise TeachError(
            f"'{name}' is not one of the model's features.",
            f"Pick one of: {', '.join(features)}.",
        )
    if name not in frame.columns:
        raise TeachError(
            f"The rows given have no column '{name}'.", "Pass the rows the model was trained on."
        )
    column = frame[name]
    if not is_numeric_dtype(column) or is_bool_dtype(column):
        raise TeachError(
            f"'{name}' is not a number column, so it cannot be an axis of the chart.",
            "Pick a feature that holds numbers.",
        )
    if column.notna().sum() == 0:
        raise TeachError(f"'{name}' has no values in these rows.", "Pick a feature with values.")


def _check_resolution(resolution: int) -> None:
    if not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise TeachError(
            f"The grid's resolution must be between {MIN_RESOLUTION} and {MAX_RESOLUTION}; got {resolution}.",
            "Pick a resolution in that range (200 is smooth and fast).",
        )


def _span(column: pd.Series, resolution: int) -> np.ndarray:
    """`resolution` values from the column's minimum to its maximum, padded on both sides."""
    low, high = float(column.min()), float(column.max())
    pad = PADDING * (high - low) if high > low else 0.5
    return np.linspace(low - pad, high + pad, resolution)


def held_values(
    frame: pd.DataFrame, features: list[str], axes: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Each feature off the axes and the value it is held at: its median for numbers (rounded for
    whole-number columns, so the value keeps the column's type), else its most frequent value; and
    the same as text for the chart."""
    values: dict[str, Any] = {}
    text: dict[str, str] = {}
    for name in features:
        if name in axes:
            continue
        if name not in frame.columns:
            raise TeachError(
                f"The rows given have no column '{name}'.", "Pass the rows the model was trained on."
            )
        column = frame[name]
        if is_numeric_dtype(column) and not is_bool_dtype(column):
            median = column.median()
            value = round(median) if is_integer_dtype(column) and pd.notna(median) else median
            values[name], text[name] = value, f"{number(value)} (median)"
        else:
            modes = column.mode(dropna=True)
            value = modes.iloc[0] if len(modes) else None
            values[name], text[name] = value, f"{value} (most frequent)"
    return values, text


def _note(text: dict[str, str]) -> str:
    if not text:
        return ""
    return "Other features held at: " + ", ".join(f"{k} = {v}" for k, v in text.items()) + "."


def _grid_frame(
    frame: pd.DataFrame, features: list[str], axes: dict[str, np.ndarray], held: dict[str, Any]
) -> pd.DataFrame:
    """The grid points as the rows the pipeline expects: its columns in order, each with the frame's dtype."""
    n = len(next(iter(axes.values())))
    columns = {}
    for name in features:
        dtype = frame[name].dtype
        if name in axes:
            columns[name] = pd.Series(axes[name], dtype=float if is_integer_dtype(dtype) else dtype)
        else:
            columns[name] = pd.Series([held[name]] * n, dtype=dtype)
    return pd.DataFrame(columns)


def _predicts_by_proba(pipeline: Any) -> bool:
    """Whether `predict` is the most probable class; an SVM's `predict` follows its decision function,
    which its (cross-validated) probabilities may contradict near the boundary."""
    final = pipeline[-1] if hasattr(pipeline, "steps") else pipeline
    return not hasattr(final, "probability")


def boundary_grid(
    pipeline: Any, frame: pd.DataFrame, x: str, y: str, resolution: int = 200, title: str = ""
) -> BoundaryGrid:
    """Predict the class at every point of a `resolution`² grid over features `x` and `y`."""
    if x == y:
        raise TeachError("The two axes show the same feature.", "Pick two different features.")
    _check_resolution(resolution)
    features = _features(pipeline)
    for name in (x, y):
        _check_axis(name, features, frame)
    xs, ys = _span(frame[x], resolution), _span(frame[y], resolution)
    held, text = held_values(frame, features, (x, y))
    grid_x, grid_y = np.meshgrid(xs, ys)  # rows follow ys, columns xs
    points = _grid_frame(frame, features, {x: grid_x.ravel(), y: grid_y.ravel()}, held)
    classes = np.asarray(pipeline.classes_)
    shape = grid_x.shape
    if hasattr(pipeline, "predict_proba"):
        proba = pipeline.predict_proba(points)
        confidence = proba.max(axis=1)
        if _predicts_by_proba(pipeline):
            index = proba.argmax(axis=1)
        else:
            index = pd.Index(classes).get_indexer(pipeline.predict(points))
            confidence = proba[np.arange(len(index)), index]
    else:
        index = pd.Index(classes).get_indexer(pipeline.predict(points))
        confidence = np.full(len(index), np.nan)
    return BoundaryGrid(
        title=title,
        x=x,
        y=y,
        xs=xs,
        ys=ys,
        classes=tuple(str(c) for c in classes),
        predicted=index.reshape(shape),
        confidence=confidence.reshape(shape),
        held=text,
        note=_note(text),
    )


def response_curve(
    pipeline: Any, frame: pd.DataFrame, x: str, resolution: int = 200, title: str = ""
) -> ResponseCurve:
    """A regressor's prediction at `resolution` values of feature `x`, the other features held."""
    _check_resolution(resolution)
    features = _features(pipeline)
    _check_axis(x, features, frame)
    xs = _span(frame[x], resolution)
    held, text = held_values(frame, features, (x,))
    predicted = np.asarray(pipeline.predict(_grid_frame(frame, features, {x: xs}, held)), dtype=float)
    return ResponseCurve(title=title, x=x, xs=xs, predicted=predicted, held=text, note=_note(text))


def response_surface(
    pipeline: Any, frame: pd.DataFrame, x: str, y: str, resolution: int = 100, title: str = ""
) -> ResponseSurface:
    """A regressor's prediction at every point of a `resolution` × `resolution` grid of `x` and `y`."""
    _check_resolution(resolution)
    if x == y:
        raise TeachError("The two axes need two different features.", "Choose another feature for one axis.")
    features = _features(pipeline)
    _check_axis(x, features, frame)
    _check_axis(y, features, frame)
    xs, ys = _span(frame[x], resolution), _span(frame[y], resolution)
    gx, gy = np.meshgrid(xs, ys)
    held, text = held_values(frame, features, (x, y))
    grid = _grid_frame(frame, features, {x: gx.ravel(), y: gy.ravel()}, held)
    predicted = np.asarray(pipeline.predict(grid), dtype=float).reshape(gx.shape)
    return ResponseSurface(title, x, y, xs, ys, predicted, text, _note(text))
