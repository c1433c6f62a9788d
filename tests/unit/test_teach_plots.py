"""Teach figures: the regions are the grid, the points are the rows, and user strings are escaped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlcore.teach.boundaries import BoundaryGrid, ResponseCurve
from mlcore.teach.overfitting import Sweep
from mlcore.teach.plots import boundary_figure, curve_figure, overfitting_figure

X, Y = "<b>width</b>", "height & more"


def _grid(title: str = "tree") -> BoundaryGrid:
    xs, ys = np.linspace(0, 1, 4), np.linspace(0, 2, 3)
    predicted = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [1, 1, 1, 1]])
    return BoundaryGrid(title, X, Y, xs, ys, ("<no>", "yes"), predicted, np.full((3, 4), 0.7), {}, "note")


def _points() -> pd.DataFrame:
    return pd.DataFrame(
        {X: [0.1, 0.9, 0.5], Y: [0.2, 1.8, 1.0], "label": ["<no>", "yes", "yes"]}, index=[7, 8, 9]
    )


def test_regions_are_the_grids_prediction_and_points_the_rows():
    grid = _grid()
    fig = boundary_figure([grid], _points(), "label")
    heatmap = next(t for t in fig.data if t.type == "heatmap")
    assert np.array_equal(np.asarray(heatmap.z), grid.predicted)
    assert list(heatmap.x) == list(grid.xs)
    yes = next(t for t in fig.data if t.type == "scatter" and t.name == "yes")
    assert list(yes.x) == [0.9, 0.5] and list(yes.y) == [1.8, 1.0] and list(yes.customdata) == [8, 9]
    no = next(t for t in fig.data if t.type == "scatter" and t.name == "&lt;no&gt;")
    assert list(no.customdata) == [7]
    assert any(t.type == "contour" for t in fig.data)
    assert fig.layout.xaxis.title.text == "&lt;b&gt;width&lt;/b&gt;"
    assert fig.layout.yaxis.title.text == "height &amp; more"
    assert "&lt;b&gt;width&lt;/b&gt;" in yes.hovertemplate


def test_one_panel_per_grid_two_per_row():
    fig = boundary_figure([_grid(f"m{i}") for i in range(4)], _points(), "label", show_confidence=False)
    assert sum(t.type == "heatmap" for t in fig.data) == 4
    assert not any(t.type == "contour" for t in fig.data)
    assert [a.text for a in fig.layout.annotations] == ["m0", "m1", "m2", "m3"]
    assert fig.layout.xaxis4.domain[0] > 0.5 and fig.layout.yaxis4.domain[1] < 0.5
    assert sum(bool(t.showlegend) for t in fig.data if t.type == "scatter") == 2  # one entry per class
    with pytest.raises(ValueError):
        boundary_figure([_grid()] * 5)
    with pytest.raises(ValueError):
        boundary_figure([])


def test_no_contours_without_probabilities():
    grid = _grid()
    nan = BoundaryGrid(
        grid.title, X, Y, grid.xs, grid.ys, grid.classes, grid.predicted, np.full((3, 4), np.nan), {}
    )
    assert not any(t.type == "contour" for t in boundary_figure([nan]).data)


def test_curve_draws_the_prediction_over_the_rows():
    curve = ResponseCurve("ridge", X, np.array([0.0, 1.0]), np.array([2.0, 3.0]), {}, "")
    fig = curve_figure(curve, _points().assign(price=[1.0, 2.0, 3.0]), "price")
    line = next(t for t in fig.data if t.name == "prediction")
    assert list(line.y) == [2.0, 3.0]
    assert list(fig.data[0].x) == [0.1, 0.9, 0.5] and list(fig.data[0].y) == [1.0, 2.0, 3.0]


def test_overfitting_figure_marks_best_overfitting_and_current():
    sweep = Sweep("knn_k", (50, 10, 1), (0.8, 0.9, 1.0), (0.78, 0.88, 0.8), 10, 1, "A sentence.")
    fig = overfitting_figure(sweep, current=50)
    training, validation = fig.data[0], fig.data[1]
    assert list(training.x) == ["50", "10", "1"] and list(training.y) == [0.8, 0.9, 1.0]
    assert list(validation.y) == [0.78, 0.88, 0.8]
    assert list(fig.layout.xaxis.categoryarray) == ["50", "10", "1"]
    best = next(t for t in fig.data if t.name == "best validation")
    assert list(best.x) == ["10"] and list(best.y) == [0.88]
    rect = next(s for s in fig.layout.shapes if s.type == "rect")
    assert (rect.x0, rect.x1) == (1.5, 2.5)
    assert any(a.text == "overfitting" for a in fig.layout.annotations)
    line = next(s for s in fig.layout.shapes if s.type == "line")
    assert line.x0 == 0
    with pytest.raises(ValueError):
        overfitting_figure(sweep, current=7)


def test_a_surface_figure_draws_the_predictions_and_the_rows_escaped():
    from mlcore.teach.boundaries import ResponseSurface
    from mlcore.teach.plots import surface_figure

    surface = ResponseSurface(
        "<b>m</b>", "<i>a</i>", "b", np.arange(3.0), np.arange(2.0), np.arange(6.0).reshape(2, 3), {}, ""
    )
    points = pd.DataFrame({"<i>a</i>": [0.5], "b": [1.0], "y": [4.0]})
    fig = surface_figure(surface, points, "y")
    np.testing.assert_array_equal(fig.data[0].z, surface.predicted)
    assert list(fig.data[1].x) == [0.5] and list(fig.data[1].marker.color) == [4.0]
    assert fig.layout.title.text == "&lt;b&gt;m&lt;/b&gt; over &lt;i&gt;a&lt;/i&gt; and b"
