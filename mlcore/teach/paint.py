"""Painted data: a two-feature table drawn point by point on a fixed plane, then used like any upload.

The page turns clicks and brushed boxes into calls here; every function returns a new table (the page
keeps the old ones for Undo), and every random step takes the seed, so the same strokes give the
same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset, build_dataset, hash_frame
from mlcore.formatting import plural
from mlcore.teach.errors import TeachError

FEATURES = ("x1", "x2")
LOW, HIGH = -3.0, 3.0  # the plane, on both axes
CLASS, VALUE = "class", "value"  # the target's name for painted classes, or painted numbers
MAX_POINTS = 5_000  # a painted table stays small: it is drawn by hand


def empty(target: str = CLASS) -> pd.DataFrame:
    """No points yet: the columns a painted table has."""
    return pd.DataFrame(
        {
            FEATURES[0]: pd.Series(dtype=float),
            FEATURES[1]: pd.Series(dtype=float),
            target: pd.Series(dtype=object if target == CLASS else float),
        }
    )


def add_at(
    frame: pd.DataFrame, x: float, y: float, label: object, count: int = 1, spread: float = 0.0, seed: int = 0
) -> pd.DataFrame:
    """`count` points of `label` around (x, y): normally spread by `spread` (0: all exactly there)."""
    rng = np.random.default_rng(
        [seed, len(frame)]
    )  # a new stroke, new draws; the same strokes, the same table
    points = np.column_stack([np.full(count, x), np.full(count, y)]) + rng.normal(0, spread, (count, 2))
    return _appended(frame, points, label)


def fill_box(
    frame: pd.DataFrame,
    xs: tuple[float, float],
    ys: tuple[float, float],
    label: object,
    count: int,
    seed: int,
) -> pd.DataFrame:
    """`count` points of `label` spread uniformly over the box (a brush stroke)."""
    rng = np.random.default_rng([seed, len(frame)])
    points = np.column_stack([rng.uniform(min(xs), max(xs), count), rng.uniform(min(ys), max(ys), count)])
    return _appended(frame, points, label)


def erase_box(frame: pd.DataFrame, xs: tuple[float, float], ys: tuple[float, float]) -> pd.DataFrame:
    """The table without the points inside the box."""
    x, y = frame[FEATURES[0]], frame[FEATURES[1]]
    inside = x.between(min(xs), max(xs)) & y.between(min(ys), max(ys))
    return frame[~inside].reset_index(drop=True)


def erase_near(frame: pd.DataFrame, x: float, y: float, radius: float) -> pd.DataFrame:
    """The table without the points within `radius` of (x, y) (a click of the eraser)."""
    distance = np.hypot(frame[FEATURES[0]] - x, frame[FEATURES[1]] - y)
    return frame[distance > radius].reset_index(drop=True)


def add_noise(frame: pd.DataFrame, sigma: float, seed: int) -> pd.DataFrame:
    """Every point moved by normal noise of standard deviation `sigma` (kept on the plane)."""
    rng = np.random.default_rng([seed, len(frame), 1])
    moved = frame.copy()
    for name in FEATURES:
        moved[name] = np.clip(frame[name] + rng.normal(0, sigma, len(frame)), LOW, HIGH)
    return moved


def painted_dataset(frame: pd.DataFrame, target: str) -> Dataset:
    """The painted table as a dataset with its target set, like a generated one."""
    if len(frame) < 2:
        raise TeachError("Paint at least two points first.", "Click on the plane, or brush a box.")
    if target == CLASS and frame[target].nunique() < 2:
        raise TeachError(
            "All the points are of one class: there is nothing to tell apart.",
            "Pick another class and paint some points of it too.",
        )
    table = frame.reset_index(drop=True)
    classes = plural(table[target].nunique(), "class", "classes") if target == CLASS else "values"
    return build_dataset(
        table,
        name=f"painted ({len(table)} rows)",
        source=f"painted: {len(table)} points, {classes}",
        content_hash=hash_frame(table),
        target=target,
        description="Points painted on the Teach page.",
    )


def _appended(frame: pd.DataFrame, points: np.ndarray, label: object) -> pd.DataFrame:
    if len(frame) + len(points) > MAX_POINTS:
        raise TeachError(
            f"A painted table holds at most {MAX_POINTS:,} points.",
            "Erase some, or load a generated table on the Data page.",
        )
    points = np.clip(points, LOW, HIGH)
    target = frame.columns[2]
    added = pd.DataFrame({FEATURES[0]: points[:, 0], FEATURES[1]: points[:, 1], target: label})
    return pd.concat([frame, added.astype(frame.dtypes.to_dict())], ignore_index=True)
