"""Stepping through k-means, a tree and gradient descent: the frames hold scikit-learn's real numbers."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeClassifier

from mlcore.data.generators import GeneratorSpec, Shape, generate
from mlcore.teach.errors import TeachError
from mlcore.teach.step_plots import descent_figure, kmeans_figure, tree_figure
from mlcore.teach.steps import (
    DescentFrame,
    KMeansFrame,
    TreeFrame,
    descent_steps,
    kmeans_steps,
    tree_steps,
)


@pytest.fixture(scope="module")
def blobs() -> pd.DataFrame:
    return generate(GeneratorSpec(Shape.BLOBS, n_samples=300, noise=0.3, n_classes=4, seed=3)).frame


@pytest.fixture(scope="module")
def moons() -> pd.DataFrame:
    return generate(GeneratorSpec(Shape.MOONS, n_samples=200, noise=0.3, seed=2)).frame


@pytest.fixture(scope="module")
def line() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, 150)
    return pd.DataFrame({"x": x, "y": 2 - 0.7 * x + rng.normal(0, 1, 150)})


# --- k-means -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_kmeans_ends_where_sklearn_ends_from_the_same_centres(blobs: pd.DataFrame, seed: int):
    steps = kmeans_steps(blobs, "x1", "x2", 4, seed)
    start, last = steps.frames[0], steps.frames[-1]
    assert isinstance(start, KMeansFrame) and isinstance(last, KMeansFrame)
    values = blobs[["x1", "x2"]].to_numpy()
    # tol=0: sklearn then stops only when no label changes, as the frames do
    km = KMeans(4, init=start.centres, n_init=1, algorithm="lloyd", tol=0).fit(values)
    assert np.array_equal(last.labels, km.labels_)
    assert np.allclose(last.centres, km.cluster_centers_, atol=1e-12)
    assert last.inertia == pytest.approx(km.inertia_, rel=1e-12)
    assert last.changed == 0 and "converged" in last.sentence
    assert len(steps.frames) >= 3


def test_kmeans_starts_on_the_rows_the_seed_picks(blobs: pd.DataFrame):
    steps = kmeans_steps(blobs, "x1", "x2", 4, seed=5)
    start = steps.frames[0]
    assert isinstance(start, KMeansFrame)
    picked = np.random.default_rng(5).permutation(len(blobs))[:4]  # continuous values: all distinct
    assert steps.start_rows == tuple(blobs.index[picked])
    assert np.array_equal(start.centres, blobs.loc[list(steps.start_rows), ["x1", "x2"]].to_numpy())
    nearest = np.linalg.norm(steps.points[:, None] - start.centres[None], axis=2).argmin(axis=1)
    assert np.array_equal(start.labels, nearest) and start.changed == 0


def test_kmeans_changed_counts_and_centre_moves_are_the_frames_differences(blobs: pd.DataFrame):
    steps = kmeans_steps(blobs, "x1", "x2", 4, seed=0)
    frames = [f for f in steps.frames if isinstance(f, KMeansFrame)]
    for before, after in itertools.pairwise(frames):
        assert after.changed == int((before.labels != after.labels).sum())
        for c in range(4):  # each centre moved to the mean of the points it had one frame earlier
            assert np.allclose(after.centres[c], steps.points[before.labels == c].mean(axis=0))
        assert f"{after.changed} point" in after.sentence or after.changed == 0


def test_kmeans_stops_at_max_steps_and_says_so(blobs: pd.DataFrame):
    steps = kmeans_steps(blobs, "x1", "x2", 4, seed=0, max_steps=1)
    assert len(steps.frames) == 2 and "Stopped after 1 steps" in steps.note


def test_kmeans_leaves_out_rows_with_missing_values(blobs: pd.DataFrame):
    gappy = blobs.copy()
    gappy.loc[[0, 5], "x1"] = np.nan
    steps = kmeans_steps(gappy, "x1", "x2", 3, seed=0)
    assert steps.points.shape == (298, 2) and 0 not in steps.rows and "2 rows" in steps.note


# --- decision tree -----------------------------------------------------------------------------


def _tree(moons: pd.DataFrame, depth: int) -> DecisionTreeClassifier:
    return DecisionTreeClassifier(max_depth=depth, random_state=0).fit(
        moons[["x1", "x2"]].to_numpy(), moons["target"]
    )


@pytest.mark.parametrize("depth", [1, 3, 5])
def test_tree_frames_are_its_splits_and_the_last_predicts_like_the_tree(moons: pd.DataFrame, depth: int):
    steps = tree_steps(moons, "x1", "x2", "target", depth, seed=0)
    tree = _tree(moons, depth)
    splits = int((tree.tree_.children_left != -1).sum())
    assert len(steps.frames) == splits + 1
    last = steps.frames[-1]
    assert isinstance(last, TreeFrame) and len(last.leaves) == tree.get_n_leaves()
    box = [min(a.x0 for a in last.leaves), max(a.x1 for a in last.leaves)]
    box += [min(a.y0 for a in last.leaves), max(a.y1 for a in last.leaves)]
    for column, (low, high) in zip(("x1", "x2"), (box[:2], box[2:]), strict=True):  # the rows' span, padded
        pad = 0.05 * (moons[column].max() - moons[column].min())
        assert (low, high) == pytest.approx((moons[column].min() - pad, moons[column].max() + pad))
    xs, ys = np.linspace(box[0], box[1], 49)[1:-1], np.linspace(box[2], box[3], 45)[1:-1]
    grid = np.column_stack([g.ravel() for g in np.meshgrid(xs, ys)])
    predicted = tree.predict(grid)
    for point, expected in zip(grid, predicted, strict=True):
        inside = [
            leaf for leaf in last.leaves if leaf.x0 < point[0] <= leaf.x1 and leaf.y0 < point[1] <= leaf.y1
        ]
        assert len(inside) == 1 and inside[0].label == str(expected)


def test_tree_first_split_is_the_roots(moons: pd.DataFrame):
    steps = tree_steps(moons, "x1", "x2", "target", 3, seed=0)
    t = _tree(moons, 3).tree_
    first = steps.frames[1]
    assert isinstance(first, TreeFrame) and first.split is not None
    assert first.split.feature == ("x1", "x2")[t.feature[0]] and first.split.threshold == t.threshold[0]
    assert first.split.gini_before == pytest.approx(t.impurity[0])
    # the class counts each side, by hand from the rows
    side = moons[("x1", "x2")[t.feature[0]]] <= t.threshold[0]
    assert first.split.left == {str(k): int(v) for k, v in moons.loc[side, "target"].value_counts().items()}
    assert sum(first.split.right.values()) == int((~side).sum())
    n_left = side.sum()
    gini = [1 - (moons.loc[s, "target"].value_counts(normalize=True) ** 2).sum() for s in (side, ~side)]
    assert first.split.gini_after == pytest.approx((n_left * gini[0] + (200 - n_left) * gini[1]) / 200)
    assert first.sentence.startswith(f"Split 1: {first.split.feature} ≤ ")
    assert f"{n_left} rows" in first.sentence


def test_tree_frames_grow_breadth_first(moons: pd.DataFrame):
    steps = tree_steps(moons, "x1", "x2", "target", 4, seed=0)
    depths = [f.split.depth for f in steps.frames[1:] if isinstance(f, TreeFrame) and f.split]
    assert depths == sorted(depths) and depths[0] == 0
    assert [len(f.leaves) for f in steps.frames] == list(range(1, len(steps.frames) + 1))


# --- gradient descent --------------------------------------------------------------------------


def test_descent_with_a_small_rate_reaches_linear_regression(line: pd.DataFrame):
    steps = descent_steps(line, "x", "y", learning_rate=0.1, steps=500)
    last = steps.frames[-1]
    assert isinstance(last, DescentFrame)
    z = (line["x"] - line["x"].mean()) / line["x"].std(ddof=0)
    fit = LinearRegression().fit(z.to_frame(), line["y"])
    assert last.intercept == pytest.approx(fit.intercept_, abs=1e-3)
    assert last.slope == pytest.approx(fit.coef_[0], abs=1e-3)
    assert steps.surface is not None and steps.surface.best == pytest.approx((fit.intercept_, fit.coef_[0]))
    losses = [f.loss for f in steps.frames if isinstance(f, DescentFrame)]
    assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(losses))
    assert not any("grew" in f.sentence for f in steps.frames)
    assert "standardised" in steps.note


def test_descent_frames_hold_the_loss_and_gradient_at_their_parameters(line: pd.DataFrame):
    steps = descent_steps(line, "x", "y", learning_rate=0.05, steps=5)
    z = ((line["x"] - line["x"].mean()) / line["x"].std(ddof=0)).to_numpy()
    y = line["y"].to_numpy()
    start, one = steps.frames[0], steps.frames[1]
    assert isinstance(start, DescentFrame) and isinstance(one, DescentFrame)
    assert (start.intercept, start.slope) == (0.0, 0.0)
    assert start.loss == pytest.approx(np.mean(y**2))
    assert start.gradient == pytest.approx((-2 * y.mean(), -2 * np.mean(z * y)))
    assert (one.intercept, one.slope) == pytest.approx((-0.05 * start.gradient[0], -0.05 * start.gradient[1]))
    assert one.loss == pytest.approx(np.mean((one.intercept + one.slope * z - y) ** 2))
    assert "the loss fell" in one.sentence


def test_descent_with_a_large_rate_diverges_and_stops_early(line: pd.DataFrame):
    steps = descent_steps(line, "x", "y", learning_rate=1.5, steps=200)
    frames = [f for f in steps.frames if isinstance(f, DescentFrame)]
    assert len(frames) < 201 and frames[-1].loss > 1e6
    assert all(b.loss > a.loss for a, b in itertools.pairwise(frames))
    assert all("the loss grew: the step is too large" in f.sentence for f in frames[1:])
    assert "stops here" in frames[-1].sentence


def test_logistic_descent_lowers_the_log_loss_toward_sklearns(moons: pd.DataFrame):
    steps = descent_steps(moons, "x2", "target", learning_rate=1.0, steps=300, model="logistic")
    last = steps.frames[-1]
    assert isinstance(last, DescentFrame)
    z = ((moons["x2"] - moons["x2"].mean()) / moons["x2"].std(ddof=0)).to_numpy()
    t = moons["target"].to_numpy()
    assert steps.frames[0].loss == pytest.approx(np.log(2))
    p = 1 / (1 + np.exp(-(last.intercept + last.slope * z)))
    assert last.loss == pytest.approx(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))
    assert last.slope < 0 and np.hypot(*last.gradient) < 1e-4  # class 1 is the lower moon
    assert steps.surface is not None and steps.surface.best is None


# --- figures -----------------------------------------------------------------------------------


def test_kmeans_figure_draws_the_frames_clusters_and_centres(blobs: pd.DataFrame):
    steps = kmeans_steps(blobs, "x1", "x2", 4, seed=0)
    fig = kmeans_figure(steps, 2)
    frame, before = steps.frames[2], steps.frames[1]
    assert f"Step 2 of {len(steps.frames) - 1}" in fig.layout.title.text
    clusters = [t for t in fig.data if t.name and t.name.startswith("cluster")]
    assert [len(t.x) for t in clusters] == [int((frame.labels == c).sum()) for c in range(4)]
    centres = next(t for t in fig.data if t.name == "centres")
    assert np.allclose(np.column_stack([centres.x, centres.y]), frame.centres)
    moves = [t for t in fig.data if t.name == "previous centres"]
    assert len(moves) == 4 and np.allclose([t.x[0] for t in moves], before.centres[:, 0])
    assert not any(t.name == "previous centres" for t in kmeans_figure(steps, 0).data)


def test_tree_figure_shades_the_leaves_and_highlights_the_newest_split(moons: pd.DataFrame):
    steps = tree_steps(moons, "x1", "x2", "target", 2, seed=0)
    fig = tree_figure(steps, 2, moons, "target")
    frame = steps.frames[2]
    assert isinstance(frame, TreeFrame) and frame.split is not None
    assert "Step 2 of 3" in fig.layout.title.text
    regions = [t for t in fig.data if t.fill == "toself"]
    assert [t.name for t in regions] == [f"region → {leaf.label}" for leaf in frame.leaves]
    cut = next(t for t in fig.data if t.name == "newest split")
    axis = cut.x if frame.split.feature == "x1" else cut.y
    assert list(axis) == [frame.split.threshold] * 2
    points = [t for t in fig.data if t.mode == "markers"]
    assert sorted(len(t.x) for t in points) == sorted(moons["target"].value_counts().tolist())


def test_descent_figure_draws_the_path_so_far_and_the_loss_per_step(line: pd.DataFrame):
    steps = descent_steps(line, "x", "y", learning_rate=0.1, steps=20)
    fig = descent_figure(steps, 4)
    assert "Step 4 of 20" in fig.layout.title.text
    path = next(t for t in fig.data if t.name == "parameters")
    assert list(path.x) == [f.intercept for f in steps.frames[:5]]
    assert list(path.y) == [f.slope for f in steps.frames[:5]]
    contour = next(t for t in fig.data if t.type == "contour")
    assert np.array_equal(np.asarray(contour.z), steps.surface.loss)
    loss = next(t for t in fig.data if t.name == "loss" and t.type == "scatter")
    assert list(loss.y) == [f.loss for f in steps.frames[:5]]


def test_figures_escape_names_and_refuse_missing_steps(blobs: pd.DataFrame, line: pd.DataFrame):
    named = blobs.rename(columns={"x1": "<b>w</b>"})
    steps = kmeans_steps(named, "<b>w</b>", "x2", 3, seed=0)
    assert kmeans_figure(steps, 0).layout.xaxis.title.text == "&lt;b&gt;w&lt;/b&gt;"
    with pytest.raises(ValueError, match="does not exist"):
        kmeans_figure(steps, len(steps.frames))
    with pytest.raises(ValueError, match="does not exist"):
        kmeans_figure(steps, -1)
    with pytest.raises(ValueError, match="not descent"):
        descent_figure(steps, 0)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: kmeans_steps(f, "x1", "x2", 1, 0), "k must be"),
        (lambda f: kmeans_steps(f.head(3), "x1", "x2", 4, 0), "k must be"),
        (lambda f: kmeans_steps(f, "x1", "x1", 3, 0), "same feature"),
        (lambda f: kmeans_steps(f.assign(x2="a"), "x1", "x2", 3, 0), "not a number"),
        (lambda f: kmeans_steps(f.assign(x1=1.0, x2=2.0), "x1", "x2", 3, 0), "differ"),
        (lambda f: tree_steps(f, "x1", "x2", "target", 0, 0), "depth"),
        (lambda f: tree_steps(f, "x1", "x2", "x1", 3, 0), "cannot be the target"),
        (lambda f: tree_steps(f.assign(target=1), "x1", "x2", "target", 3, 0), "distinct values"),
        (lambda f: descent_steps(f, "x1", "x2", 0.0), "positive"),
        (lambda f: descent_steps(f, "x1", "x2", -0.1), "positive"),
        (lambda f: descent_steps(f, "x1", "x2", 0.1, model="logistic"), "exactly 2"),
        (lambda f: descent_steps(f.assign(x1=3.0), "x1", "x2", 0.1), "same value"),
        (lambda f: descent_steps(f, "x1", "x2", 0.1, model="cubic"), "no 'cubic'"),
    ],
)
def test_bad_inputs_are_refused_with_a_hint(blobs: pd.DataFrame, call, message: str):
    with pytest.raises(TeachError, match=message) as caught:
        call(blobs)
    assert caught.value.hint
