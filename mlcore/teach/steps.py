"""Step through an algorithm: k-means, a decision tree and gradient descent as frames, one sentence each.

Each function runs the algorithm itself, in the open, on two columns of a table and records a
`Frame` after every step, so a student can move a slider through what happens instead of seeing
only the result. The numbers are the real ones: the last k-means frame is what scikit-learn's
`KMeans` returns from the same starting centres, the tree is scikit-learn's own tree read split by
split, and the descent converges to `LinearRegression`'s coefficients. Frame 0 is the starting state.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.tree import DecisionTreeClassifier

from mlcore.formatting import number
from mlcore.teach.errors import TeachError

MAX_STEPS = 1000  # a slider with more positions than this is no longer stepped through by hand
MAX_DEPTH = 8  # up to 255 splits: already more frames than a student will click through
MAX_CLASSES = 20  # more distinct target values than this is a number to predict, not classes
LOSS_LIMIT = 1e6  # a descent whose loss passes this has diverged; its later steps would overflow
CONVERGED = 1e-10  # a gradient shorter than this moves nothing visible: the descent has arrived
ROUNDING = 1e-12  # a loss this much higher (relative) is rounding at the minimum, not a step too large
SURFACE_RESOLUTION = 60
PADDING = 0.05  # of each axis's range, so the outermost points are not on a rectangle's edge


@dataclass(frozen=True)
class Frame:
    """One step of an algorithm: what happened, in one plain sentence."""

    sentence: str


@dataclass(frozen=True, eq=False)
class KMeansFrame(Frame):
    """The centres after a step and every point's cluster under them."""

    centres: np.ndarray  # (k, 2): in the units of the two columns
    labels: np.ndarray  # (n,): each point's nearest centre, in the order of `Steps.rows`
    changed: int  # points whose cluster differs from the previous frame's (0 in frame 0)
    inertia: float  # sum of squared distances from each point to its centre

    __eq__ = object.__eq__  # arrays have no single truth value: frames are equal only to themselves
    __hash__ = object.__hash__


@dataclass(frozen=True)
class Leaf:
    """A rectangle of the plane the tree has not (yet) split, and the class it predicts there."""

    x0: float
    x1: float
    y0: float
    y1: float
    label: str  # the majority class of the training rows inside
    rows: int
    node: int  # its node in the fitted tree's `tree_`


@dataclass(frozen=True)
class Split:
    """One question the tree asks: `feature` ≤ `threshold` goes left (below, for the y feature)."""

    node: int
    depth: int
    feature: str
    threshold: float
    region: tuple[float, float, float, float]  # (x0, x1, y0, y1) of the rectangle it cuts
    gini_before: float
    gini_after: float  # the children's impurities weighted by their rows
    left: dict[str, int]  # class -> training rows on the ≤ side
    right: dict[str, int]


@dataclass(frozen=True)
class TreeFrame(Frame):
    """The tree after one more split: the newest split and every rectangle not split so far."""

    split: Split | None  # None in frame 0, before any split
    leaves: tuple[Leaf, ...]


@dataclass(frozen=True)
class DescentFrame(Frame):
    """The parameters after a step of gradient descent, their loss and the gradient there."""

    intercept: float
    slope: float
    loss: float
    gradient: tuple[float, float]  # d loss / d (intercept, slope) at these parameters


@dataclass(frozen=True, eq=False)
class LossSurface:
    """The loss over a grid of (intercept, slope), drawn once under the descent's path."""

    intercepts: np.ndarray
    slopes: np.ndarray
    loss: np.ndarray  # (len(slopes), len(intercepts))
    best: tuple[float, float] | None  # the exact minimum (linear model), None where there is no formula


@dataclass(frozen=True, eq=False)
class Steps:
    """An algorithm's run as frames, plus what its figure needs besides them."""

    kind: str  # "kmeans" | "tree" | "descent"
    frames: tuple[Frame, ...]
    x: str
    y: str  # the second feature; for descent, the target
    note: str = ""
    points: np.ndarray | None = (
        None  # k-means: (n, 2) values clustered; descent: (n, 2) standardised x, target
    )
    rows: np.ndarray | None = None  # k-means: the table's row labels of `points`
    start_rows: tuple[Any, ...] = ()  # k-means: the row labels the starting centres were copied from
    classes: tuple[str, ...] = ()  # tree: every class, in the tree's order
    surface: LossSurface | None = None  # descent


def _numeric(frame: pd.DataFrame, name: str) -> None:
    if name not in frame.columns:
        raise TeachError(f"The table has no column '{name}'.", "Pick one of its columns.")
    column = frame[name]
    if not is_numeric_dtype(column) or is_bool_dtype(column):
        raise TeachError(
            f"'{name}' is not a number column, so it cannot be drawn on an axis.",
            "Pick a column that holds numbers.",
        )


def _two_features(frame: pd.DataFrame, x: str, y: str) -> None:
    if x == y:
        raise TeachError("The two axes show the same feature.", "Pick two different features.")
    _numeric(frame, x)
    _numeric(frame, y)


def _complete(frame: pd.DataFrame, columns: list[str], need: int) -> tuple[pd.DataFrame, str]:
    """The rows with a value in every column used, and a note saying how many were left out."""
    rows = frame[columns].dropna()
    if len(rows) < need:
        raise TeachError(
            f"Only {len(rows)} rows have a value in {', '.join(columns)}; this needs at least {need}.",
            "Pick columns with fewer missing values, or load more rows.",
        )
    dropped = len(frame) - len(rows)
    return rows, (f"{dropped} rows with a missing value were left out. " if dropped else "")


def _f(value: float) -> str:
    return number(float(value), 3)


# --- k-means -----------------------------------------------------------------------------------


def _assign(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, float]:
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    labels = distances.argmin(axis=1)
    return labels, float(distances[np.arange(len(points)), labels].sum())


def kmeans_steps(frame: pd.DataFrame, x: str, y: str, k: int, seed: int, max_steps: int = 30) -> Steps:
    """Lloyd's algorithm on the raw values of `x` and `y`, as drawn: the centres start on k distinct rows
    picked at random (the first k distinct rows of `np.random.default_rng(seed).permutation(n)`), so a
    student sees that a different seed can end in different clusters. Each frame moves every centre to
    the mean of its points, then gives every point to its nearest centre; it stops once no point changes
    cluster, which is where scikit-learn's `KMeans` started from the same centres stops too. A centre
    left with no points stays where it is (scikit-learn would move it to a far point)."""
    _two_features(frame, x, y)
    if not 1 <= max_steps <= MAX_STEPS:
        raise TeachError(f"The steps must be between 1 and {MAX_STEPS}; got {max_steps}.", "Pick 30.")
    table, note = _complete(frame, [x, y], 2)
    points = table.to_numpy(dtype=float)
    if not 2 <= k <= len(points):
        raise TeachError(
            f"k must be between 2 and the number of rows ({len(points)}); got {k}.",
            "Pick a k of 2 or more, and no more than the rows.",
        )
    chosen: list[int] = []
    for i in np.random.default_rng(seed).permutation(len(points)):
        if not any(np.array_equal(points[i], points[j]) for j in chosen):
            chosen.append(int(i))
            if len(chosen) == k:
                break
    else:
        raise TeachError(
            f"Only {len(chosen)} points differ from each other, fewer than k = {k}.",
            f"Pick a k of at most {len(chosen)}.",
        )
    centres = points[chosen].copy()
    labels, inertia = _assign(points, centres)
    frames: list[KMeansFrame] = [
        KMeansFrame(
            f"Start: {k} centres are placed on randomly chosen rows, and each point joins its nearest "
            "centre.",
            centres,
            labels,
            0,
            inertia,
        )
    ]
    for step in range(1, max_steps + 1):
        moved_to = centres.copy()
        empty = 0
        for c in range(k):
            members = points[labels == c]
            if len(members):
                moved_to[c] = members.mean(axis=0)
            else:
                empty += 1
        new_labels, inertia = _assign(points, moved_to)
        changed = int((new_labels != labels).sum())
        moved = float(np.linalg.norm(moved_to - centres, axis=1).mean())
        if changed:
            sentence = (
                f"Step {step}: the centres moved {_f(moved)} on average to the mean of their points, "
                f"and {changed} point{'s' if changed != 1 else ''} changed cluster."
            )
        else:
            sentence = (
                f"Step {step}: the centres moved {_f(moved)} on average and no point changed cluster, "
                "so the algorithm has converged."
            )
        if empty:
            sentence = (
                sentence[:-1] + f"; {empty} centre{'s' if empty != 1 else ''} had no points and stayed."
            )
        frames.append(KMeansFrame(sentence, moved_to, new_labels, changed, inertia))
        centres, labels = moved_to, new_labels
        if not changed:
            break
    else:
        note += f"Stopped after {max_steps} steps, before the clusters settled. "
    start = tuple(table.index[chosen])
    note += f"The starting centres were copied from rows {', '.join(str(r) for r in start)} (seed {seed})."
    return Steps(
        "kmeans",
        tuple(frames),
        x,
        y,
        note=note,
        points=points,
        rows=table.index.to_numpy(),
        start_rows=start,
    )


# --- decision tree -----------------------------------------------------------------------------


def _span(values: np.ndarray) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = PADDING * (high - low) if high > low else 0.5
    return low - pad, high + pad


def _where(
    bounds: tuple[float, float, float, float], outer: tuple[float, float, float, float], x: str, y: str
) -> str:
    """The rectangle as conditions a student can read: "where x1 ≤ 0.5 and 0.1 < x2 ≤ 0.9"."""
    parts = []
    for name, low, high, low0, high0 in (
        (x, bounds[0], bounds[1], outer[0], outer[1]),
        (y, bounds[2], bounds[3], outer[2], outer[3]),
    ):
        if low != low0 and high != high0:
            parts.append(f"{_f(low)} < {name} ≤ {_f(high)}")
        elif low != low0:
            parts.append(f"{name} > {_f(low)}")
        elif high != high0:
            parts.append(f"{name} ≤ {_f(high)}")
    return "where " + " and ".join(parts)


def _side(counts: np.ndarray, classes: tuple[str, ...]) -> tuple[int, str]:
    n = int(counts.sum())
    top = int(counts.argmax())
    return n, f"{round(100 * counts[top] / n)}% class {classes[top]}"


def tree_steps(frame: pd.DataFrame, x: str, y: str, target: str, max_depth: int, seed: int) -> Steps:
    """Fit scikit-learn's `DecisionTreeClassifier(max_depth, random_state=seed)` on `x` and `y`, then
    replay its splits breadth first, so the plane is cut coarse to fine as the depth slider would show.
    A rectangle not split yet predicts its majority class, which is what the tree predicts if it stops
    there; the class counts come from the training rows that reach each node."""
    _two_features(frame, x, y)
    if target not in frame.columns or target in (x, y):
        raise TeachError(f"'{target}' cannot be the target here.", "Pick a column other than the two axes.")
    if not 1 <= max_depth <= MAX_DEPTH:
        raise TeachError(
            f"The depth must be between 1 and {MAX_DEPTH}; got {max_depth}.", "Pick a depth of 3."
        )
    table, note = _complete(frame, [x, y, target], 2)
    n_classes = table[target].nunique()
    if not 2 <= n_classes <= MAX_CLASSES:
        raise TeachError(
            f"'{target}' has {n_classes} distinct values; a classification tree needs 2 to {MAX_CLASSES}.",
            "Pick a target that holds classes.",
        )
    points = table[[x, y]].to_numpy(dtype=float)
    tree = DecisionTreeClassifier(max_depth=max_depth, random_state=seed).fit(points, table[target])
    classes = tuple(str(c) for c in tree.classes_)
    onehot = (table[target].to_numpy()[:, None] == tree.classes_[None, :]).astype(int)
    counts = np.asarray(tree.decision_path(points).T @ onehot)  # (nodes, classes): training rows
    t = tree.tree_
    outer = (*_span(points[:, 0]), *_span(points[:, 1]))
    bounds = {0: outer}

    def leaf(node: int) -> Leaf:
        return Leaf(*bounds[node], classes[int(counts[node].argmax())], int(counts[node].sum()), node)

    n0, share0 = _side(counts[0], classes)
    frontier = [0]
    frames: list[TreeFrame] = [
        TreeFrame(
            f"Start: one region holds all {n0} rows and predicts the majority ({share0}); "
            f"gini impurity {_f(t.impurity[0])}.",
            None,
            (leaf(0),),
        )
    ]
    queue, depth = deque([0]), {0: 0}
    while queue:
        node = queue.popleft()
        left, right = int(t.children_left[node]), int(t.children_right[node])
        if left == -1:
            continue
        feature, threshold = int(t.feature[node]), float(t.threshold[node])
        x0, x1, y0, y1 = bounds[node]
        if feature == 0:
            bounds[left], bounds[right] = (x0, threshold, y0, y1), (threshold, x1, y0, y1)
        else:
            bounds[left], bounds[right] = (x0, x1, y0, threshold), (x0, x1, threshold, y1)
        for child in (left, right):
            depth[child] = depth[node] + 1
            queue.append(child)
        n_left, share_left = _side(counts[left], classes)
        n_right, share_right = _side(counts[right], classes)
        before = float(t.impurity[node])
        after = float((n_left * t.impurity[left] + n_right * t.impurity[right]) / (n_left + n_right))
        name = (x, y)[feature]
        towards = ("left", "right") if feature == 0 else ("below", "above")
        region = "over all rows" if node == 0 else "inside the region " + _where(bounds[node], outer, x, y)
        sentence = (
            f"Split {len(frames)}: {name} ≤ {_f(threshold)} {region}: {n_left} "
            f"{'row' if n_left == 1 else 'rows'} ({share_left}) "
            f"go {towards[0]}, {n_right} ({share_right}) go {towards[1]}; gini {_f(before)} → {_f(after)}."
        )
        at = frontier.index(node)
        frontier[at : at + 1] = [left, right]
        split = Split(
            node,
            depth[node],
            name,
            threshold,
            bounds[node],
            before,
            after,
            dict(zip(classes, counts[left].tolist(), strict=True)),
            dict(zip(classes, counts[right].tolist(), strict=True)),
        )
        frames.append(TreeFrame(sentence, split, tuple(leaf(n) for n in frontier)))
    if len(frames) == 1:
        note += "The tree made no split: no question about these two features separates the classes better. "
    return Steps("tree", tuple(frames), x, y, note=note.strip(), classes=classes)


# --- gradient descent --------------------------------------------------------------------------


def _loss_and_gradient(
    intercept: float, slope: float, z: np.ndarray, t: np.ndarray, model: str
) -> tuple[float, tuple[float, float]]:
    score = intercept + slope * z
    if model == "linear":
        error = score - t
        loss = float(np.mean(error**2))
        residual = 2 * error
    else:
        loss = float(np.mean(np.logaddexp(0, score) - t * score))  # log-loss, stable for large scores
        residual = 1 / (1 + np.exp(-np.clip(score, -500, 500))) - t
    return loss, (float(residual.mean()), float((residual * z).mean()))


def _surface(z: np.ndarray, t: np.ndarray, model: str, path: list[DescentFrame]) -> LossSurface:
    """The loss over a box around the start, the exact minimum (linear) and the part of the path whose
    loss has not run away, so a diverging path does not shrink the interesting part to a dot."""
    best = (float(t.mean()), float(np.mean(z * t))) if model == "linear" else None
    calm = [(f.intercept, f.slope) for f in path if f.loss <= 10 * path[0].loss]
    corners = np.array([(0.0, 0.0), *calm, *([best] if best else [])])
    axes = []
    for low, high in zip(corners.min(axis=0), corners.max(axis=0), strict=True):
        pad = max(0.25 * (high - low), 1.0)
        axes.append(np.linspace(low - pad, high + pad, SURFACE_RESOLUTION))
    intercepts, slopes = axes
    loss = np.array(
        [[_loss_and_gradient(b, w, z, t, model)[0] for b in intercepts] for w in slopes], dtype=float
    )
    return LossSurface(intercepts, slopes, loss, best)


def descent_steps(
    frame: pd.DataFrame, x: str, target: str, learning_rate: float, steps: int = 50, model: str = "linear"
) -> Steps:
    """Gradient descent from (intercept, slope) = (0, 0) on one feature: linear regression's mean squared
    error or logistic regression's mean log-loss. The feature is standardised first (mean 0, standard
    deviation 1), so the same learning rate behaves alike on every column: for the linear model a rate
    below 1 converges and one above 1 diverges. The descent stops early once the gradient vanishes, or
    once the loss passes 1,000,000 or stops being a number (diverged)."""
    if model not in ("linear", "logistic"):
        raise TeachError(f"There is no '{model}' model here.", "Pick 'linear' or 'logistic'.")
    _numeric(frame, x)
    if target not in frame.columns or target == x:
        raise TeachError(f"'{target}' cannot be the target here.", "Pick a column other than the feature.")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise TeachError(f"The learning rate must be a positive number; got {learning_rate}.", "Pick 0.1.")
    if not 1 <= steps <= MAX_STEPS:
        raise TeachError(f"The steps must be between 1 and {MAX_STEPS}; got {steps}.", "Pick 50.")
    table, note = _complete(frame, [x, target], 2)
    values = table[x].to_numpy(dtype=float)
    if values.std() == 0:
        raise TeachError(f"'{x}' has the same value in every row.", "Pick a feature that varies.")
    z = (values - values.mean()) / values.std()
    note += (
        f"{x} is standardised (mean {_f(values.mean())}, standard deviation {_f(values.std())}), "
        "so the slope is the change per standard deviation. "
    )
    if model == "linear":
        if not is_numeric_dtype(table[target]) or is_bool_dtype(table[target]):
            raise TeachError(f"'{target}' is not a number column.", "Pick a numeric target, or 'logistic'.")
        t = table[target].to_numpy(dtype=float)
    else:
        classes = sorted(table[target].unique(), key=str)
        if len(classes) != 2:
            raise TeachError(
                f"'{target}' has {len(classes)} distinct values; logistic regression needs exactly 2.",
                "Pick a target with two classes, or the 'linear' model.",
            )
        t = (table[target] == classes[1]).to_numpy(dtype=float)
        note += f"The model gives the probability that {target} = {classes[1]}. "
    intercept = slope = 0.0
    loss, gradient = _loss_and_gradient(intercept, slope, z, t, model)
    frames = [
        DescentFrame(
            f"Start: intercept and slope are 0, the loss is {_f(loss)}, and the gradient points the way "
            "uphill.",
            intercept,
            slope,
            loss,
            gradient,
        )
    ]
    for step in range(1, steps + 1):
        intercept -= learning_rate * gradient[0]
        slope -= learning_rate * gradient[1]
        previous = loss
        loss, gradient = _loss_and_gradient(intercept, slope, z, t, model)
        if not math.isfinite(loss):
            note += f"Step {step} overflowed (the loss is no longer a number), so the descent stopped. "
            break
        if loss > previous + ROUNDING * max(1.0, abs(previous)):
            sentence = (
                f"Step {step}: the loss grew: the step is too large (the loss went from {_f(previous)} to "
                f"{_f(loss)})."
            )
        elif _f(previous) == _f(loss):
            sentence = f"Step {step}: the loss barely changed: it still reads {_f(loss)}."
        else:
            sentence = f"Step {step}: the loss fell from {_f(previous)} to {_f(loss)}."
        if loss > LOSS_LIMIT:
            sentence = sentence[:-1] + f"; it passed {number(LOSS_LIMIT)}, so the descent stops here."
        elif math.hypot(*gradient) < CONVERGED:
            sentence = sentence[:-1] + "; the gradient is now zero, so the descent has converged."
        frames.append(DescentFrame(sentence, intercept, slope, loss, gradient))
        if loss > LOSS_LIMIT or math.hypot(*gradient) < CONVERGED:
            break
    return Steps(
        "descent",
        tuple(frames),
        x,
        target,
        note=note.strip(),
        points=np.column_stack([z, t]),
        surface=_surface(z, t, model, frames),
    )
