"""Decision grids and response curves: the grid's classes and confidences are the model's own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlcore.data.generators import GeneratorSpec, Shape, generate
from mlcore.formatting import number
from mlcore.teach.boundaries import boundary_grid, response_curve
from mlcore.teach.errors import TeachError
from tests.unit.model_helpers import make_dataset, make_frame, train


@pytest.fixture(scope="module")
def mixed():
    """A forest on numbers, a category with gaps and a flag, and the rows it learned from."""
    dataset = make_dataset(make_frame(150), "kind")
    return train(dataset, "random_forest").pipeline, dataset.frame


def _by_hand(frame: pd.DataFrame, x: str, y: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    def span(c: pd.Series) -> np.ndarray:
        pad = 0.05 * (c.max() - c.min())
        return np.linspace(c.min() - pad, c.max() + pad, n)

    return span(frame[x]), span(frame[y])


def test_grid_is_the_models_prediction_and_confidence(mixed):
    pipeline, frame = mixed
    grid = boundary_grid(pipeline, frame, "a", "b", resolution=15, title="forest")
    xs, ys = _by_hand(frame, "a", "b", 15)
    assert np.allclose(grid.xs, xs) and np.allclose(grid.ys, ys)
    gx, gy = np.meshgrid(xs, ys)
    rows = pd.DataFrame(
        {
            "a": gx.ravel(),
            "b": gy.ravel(),
            "colour": frame["colour"].mode()[0],
            "flag": frame["flag"].mode()[0],
        }
    )[list(pipeline.feature_names_in_)]
    classes = list(pipeline.classes_)
    expected = np.array([classes.index(c) for c in pipeline.predict(rows)]).reshape(15, 15)
    assert grid.predicted.shape == (15, 15)
    assert (grid.predicted == expected).all()
    assert np.allclose(grid.confidence, pipeline.predict_proba(rows).max(axis=1).reshape(15, 15))
    assert grid.classes == tuple(str(c) for c in classes) and grid.title == "forest"


def test_held_values_are_median_and_most_frequent(mixed):
    pipeline, frame = mixed
    grid = boundary_grid(pipeline, frame, "a", "b", resolution=10)
    assert grid.held == {
        "colour": f"{frame['colour'].mode()[0]} (most frequent)",
        "flag": f"{frame['flag'].mode()[0]} (most frequent)",
    }
    assert grid.note == f"Other features held at: colour = {grid.held['colour']}, flag = {grid.held['flag']}."


def test_numbers_are_held_at_their_median():
    dataset = make_dataset(make_frame(120), "price")
    pipeline, frame = train(dataset, "ridge").pipeline, dataset.frame
    curve = response_curve(pipeline, frame, "a", resolution=20, title="ridge")
    assert curve.held["b"] == f"{number(frame['b'].median())} (median)"
    rows = pd.DataFrame({"a": curve.xs, "b": frame["b"].median()})
    rows["colour"] = frame["colour"].mode()[0]
    rows["flag"] = frame["flag"].mode()[0]
    assert np.allclose(curve.predicted, pipeline.predict(rows[list(pipeline.feature_names_in_)]))


def test_a_two_feature_moons_grid_has_no_held_values():
    dataset = generate(GeneratorSpec(Shape.MOONS, n_samples=120, noise=0.2))
    pipeline = train(dataset, "knn").pipeline
    grid = boundary_grid(pipeline, dataset.frame, "x1", "x2", resolution=12)
    assert grid.held == {} and grid.note == ""
    assert set(np.unique(grid.predicted)) == {0, 1}


def test_a_model_without_probabilities_has_nan_confidence():
    dataset = generate(GeneratorSpec(Shape.MOONS, n_samples=120, noise=0.2))
    pipeline = train(dataset, "rbf_svm").pipeline
    grid = boundary_grid(pipeline, dataset.frame, "x1", "x2", resolution=12)
    gx, gy = np.meshgrid(grid.xs, grid.ys)
    expected = pipeline.predict(pd.DataFrame({"x1": gx.ravel(), "x2": gy.ravel()})).reshape(12, 12)
    assert (grid.predicted == expected).all()  # classes 0, 1: index equals the class
    assert np.isnan(grid.confidence).all()


@pytest.mark.parametrize(
    ("x", "y", "resolution", "words"),
    [
        ("a", "a", 20, "same feature"),
        ("a", "colour", 20, "not a number"),
        ("a", "flag", 20, "not a number"),
        ("a", "nothing", 20, "not one of the model's features"),
        ("a", "b", 9, "between 10 and 500"),
        ("a", "b", 501, "between 10 and 500"),
    ],
)
def test_bad_axes_are_refused(mixed, x, y, resolution, words):
    pipeline, frame = mixed
    with pytest.raises(TeachError, match=words) as refused:
        boundary_grid(pipeline, frame, x, y, resolution=resolution)
    assert refused.value.hint


def test_a_regression_surface_is_the_model_s_prediction_at_every_grid_point():
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline

    from mlcore.teach.boundaries import response_surface

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "c": rng.normal(size=60)})
    model = make_pipeline(LinearRegression()).fit(frame, 2 * frame["a"] - frame["b"] + 0.5 * frame["c"])
    surface = response_surface(model, frame, "a", "b", resolution=12)
    gx, gy = np.meshgrid(surface.xs, surface.ys)
    by_hand = model.predict(pd.DataFrame({"a": gx.ravel(), "b": gy.ravel(), "c": frame["c"].median()}))
    np.testing.assert_allclose(surface.predicted, by_hand.reshape(gx.shape))
    assert surface.held["c"].endswith("(median)")
