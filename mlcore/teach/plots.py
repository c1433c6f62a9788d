"""Figures of the Teach stage: pure functions from its grids, curves and sweeps to plotly figures.

Decision regions are drawn in light versions of the colours the points of each class are drawn in,
so a student sees at once which rows fall on the wrong side. User strings (column names, class
labels, model names) are HTML-escaped, since plotly renders a subset of HTML in labels and hover text.
Bad arguments raise `ValueError`.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlcore.evaluate.plots import HEIGHT, TITLED_MARGIN, colour, layout
from mlcore.teach.boundaries import BoundaryGrid, ResponseCurve, ResponseSurface
from mlcore.teach.overfitting import KNOBS, Sweep

MAX_PANELS = 4
CONFIDENCE_LEVELS = (0.6, 0.8)  # dashed contours: where the model is this sure of its class
LIGHTEN = 0.7  # how far each class's colour is mixed with white for its region


def _text(value: object) -> str:
    return html.escape(str(value))


def _light(hex_colour: str) -> str:
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "rgb({},{},{})".format(*(round(c + (255 - c) * LIGHTEN) for c in rgb))


def _class_order(grids: list[BoundaryGrid], labels: pd.Series | None) -> list[str]:
    """Every class once, the first grid's order first, so a class has one colour in every panel."""
    order: list[str] = []
    for name in [c for g in grids for c in g.classes] + ([] if labels is None else sorted(labels.unique())):
        if name not in order:
            order.append(name)
    return order


def _regions(fig: go.Figure, grid: BoundaryGrid, order: list[str], row: int, col: int) -> None:
    """The predicted class as a heatmap over a discrete scale: each class's light colour at its index."""
    k = len(grid.classes)
    scale = []
    for i, name in enumerate(grid.classes):
        light = _light(colour(order.index(name)))
        scale += [[i / k, light], [(i + 1) / k, light]]
    fig.add_trace(
        go.Heatmap(
            x=grid.xs,
            y=grid.ys,
            z=grid.predicted,
            zmin=-0.5,
            zmax=k - 0.5,
            colorscale=scale,
            showscale=False,
            hoverinfo="skip",
            name="predicted class",
        ),
        row=row,
        col=col,
    )


def _contours(fig: go.Figure, grid: BoundaryGrid, row: int, col: int) -> None:
    if np.isnan(grid.confidence).all():
        return
    low, high = CONFIDENCE_LEVELS
    fig.add_trace(
        go.Contour(
            x=grid.xs,
            y=grid.ys,
            z=grid.confidence,
            contours={"coloring": "none", "start": low, "end": high, "size": high - low, "showlabels": True},
            line={"color": "#555555", "dash": "dash", "width": 1},
            showscale=False,
            hoverinfo="skip",
            name="confidence",
        ),
        row=row,
        col=col,
    )


def _points(
    fig: go.Figure,
    grid: BoundaryGrid,
    points: pd.DataFrame,
    labels: pd.Series | None,
    order: list[str],
    target: str | None,
    first: bool,
    row: int,
    col: int,
) -> None:
    """The rows on top, coloured by their true class, their row number and values on hover."""
    hover = f"row %{{customdata}}<br>{_text(grid.x)} = %{{x:.4g}}<br>{_text(grid.y)} = %{{y:.4g}}"
    groups = (
        [(None, points)]
        if labels is None
        else [(c, points[labels == c]) for c in order if (labels == c).any()]
    )
    for name, rows in groups:
        shade = "#333333" if name is None else colour(order.index(name))
        extra = "" if name is None else f"<br>{_text(target)} = {_text(name)}"
        fig.add_trace(
            go.Scatter(
                x=rows[grid.x].to_numpy(),
                y=rows[grid.y].to_numpy(),
                mode="markers",
                marker={"color": shade, "size": 6, "line": {"color": "white", "width": 0.5}},
                customdata=rows.index.to_numpy(),
                hovertemplate=hover + extra + "<extra></extra>",
                name="rows" if name is None else _text(name),
                legendgroup=str(name),
                showlegend=first,
            ),
            row=row,
            col=col,
        )


def boundary_figure(
    grids: list[BoundaryGrid],
    points: pd.DataFrame | None = None,
    target: str | None = None,
    show_confidence: bool = True,
) -> go.Figure:
    """Each model's decision regions side by side (two a row beyond two), the rows on top."""
    if not grids:
        raise ValueError("No decision boundaries to draw.")
    if len(grids) > MAX_PANELS:
        raise ValueError(f"At most {MAX_PANELS} decision boundaries can be drawn side by side.")
    if points is not None:
        missing = {c for g in grids for c in (g.x, g.y)} - set(points.columns)
        if missing or (target is not None and target not in points.columns):
            raise ValueError(
                f"The points lack the columns {sorted(missing | {target} - set(points.columns))}."
            )
    labels = None if points is None or target is None else points[target].astype(str)
    order = _class_order(grids, labels)
    columns = min(len(grids), 2)
    rows = math.ceil(len(grids) / columns)
    titles = [_text(g.title or f"{g.y} against {g.x}") for g in grids]
    fig = make_subplots(rows, columns, subplot_titles=titles, horizontal_spacing=0.08, vertical_spacing=0.12)
    for i, grid in enumerate(grids):
        row, col = i // columns + 1, i % columns + 1
        _regions(fig, grid, order, row, col)
        if show_confidence:
            _contours(fig, grid, row, col)
        if points is not None:
            _points(fig, grid, points, labels, order, target, i == 0, row, col)
        fig.update_xaxes(title_text=_text(grid.x), range=[grid.xs[0], grid.xs[-1]], row=row, col=col)
        fig.update_yaxes(title_text=_text(grid.y), range=[grid.ys[0], grid.ys[-1]], row=row, col=col)
    notes = list(dict.fromkeys(g.note for g in grids if g.note))
    contour_note = "dashed lines: 60% and 80% sure" if show_confidence else ""
    subtitle = " ".join(_text(n) for n in notes) + (" · " if notes and contour_note else "") + contour_note
    fig = layout(fig, "Decision boundaries", "", "", subtitle=subtitle, margin=TITLED_MARGIN)
    for i, grid in enumerate(grids):  # `layout` titles every axis alike; each panel keeps its own
        row, col = i // columns + 1, i % columns + 1
        fig.update_xaxes(title_text=_text(grid.x), row=row, col=col)
        fig.update_yaxes(title_text=_text(grid.y), row=row, col=col)
    fig.update_layout(height=HEIGHT * rows + 60, legend_title_text=_text(target) if target else "")
    return fig


def curve_figure(
    curve: ResponseCurve, points: pd.DataFrame | None = None, target: str | None = None
) -> go.Figure:
    """A regressor's prediction along one feature, the rows' true values as points behind it."""
    fig = go.Figure()
    y_title = _text(target) if target else "prediction"
    if points is not None:
        if curve.x not in points.columns or target is None or target not in points.columns:
            raise ValueError("The points need the curve's feature and the target.")
        fig.add_scatter(
            x=points[curve.x].to_numpy(),
            y=points[target].to_numpy(),
            mode="markers",
            marker={"color": colour(0), "size": 6, "opacity": 0.5},
            customdata=points.index.to_numpy(),
            hovertemplate=f"row %{{customdata}}<br>{_text(curve.x)} = %{{x:.4g}}<br>{y_title} = %{{y:.4g}}"
            "<extra></extra>",
            name="rows",
        )
    fig.add_scatter(
        x=curve.xs,
        y=curve.predicted,
        mode="lines",
        line={"color": colour(3), "width": 3},
        hovertemplate=f"{_text(curve.x)} = %{{x:.4g}}<br>predicted = %{{y:.4g}}<extra></extra>",
        name="prediction",
    )
    title = _text(curve.title or "Prediction") + f" along {_text(curve.x)}"
    return layout(fig, title, _text(curve.x), y_title, subtitle=_text(curve.note), margin=TITLED_MARGIN)


def surface_figure(
    surface: ResponseSurface, points: pd.DataFrame | None = None, target: str | None = None
) -> go.Figure:
    """A regressor's prediction over two features as a heatmap, the rows coloured by their true value."""
    fig = go.Figure(
        go.Heatmap(
            x=surface.xs,
            y=surface.ys,
            z=surface.predicted,
            colorscale="Viridis",
            colorbar={"title": {"text": "prediction"}},
            hovertemplate=f"{_text(surface.x)} = %{{x:.4g}}<br>{_text(surface.y)} = %{{y:.4g}}<br>"
            "predicted = %{z:.4g}<extra></extra>",
        )
    )
    if points is not None:
        if {surface.x, surface.y} - set(points.columns) or target is None or target not in points.columns:
            raise ValueError("The points need the surface's two features and the target.")
        fig.add_scatter(
            x=points[surface.x].to_numpy(),
            y=points[surface.y].to_numpy(),
            mode="markers",
            marker={
                "color": points[target].to_numpy(),
                "colorscale": "Viridis",
                "cmin": float(np.nanmin(surface.predicted)),
                "cmax": float(np.nanmax(surface.predicted)),
                "line": {"color": "white", "width": 1},
                "size": 7,
            },
            hovertemplate=f"{_text(target)} = %{{marker.color:.4g}}<extra></extra>",
            name="rows",
            showlegend=False,
        )
    title = _text(surface.title or "Prediction") + f" over {_text(surface.x)} and {_text(surface.y)}"
    return layout(
        fig, title, _text(surface.x), _text(surface.y), subtitle=_text(surface.note), margin=TITLED_MARGIN
    )


def overfitting_figure(sweep: Sweep, current: Any | None = None) -> go.Figure:
    """Training and validation accuracy along the knob, simplest first; best marked, overfitting shaded."""
    if len(sweep.values) < 2:
        raise ValueError("A sweep needs at least two values to draw.")
    if current is not None and current not in sweep.values:
        raise ValueError(f"{current} is not one of the sweep's values.")
    knob = KNOBS.get(sweep.knob)
    labels = [f"{v:g}" if isinstance(v, float) else str(v) for v in sweep.values]
    position = {v: i for i, v in enumerate(sweep.values)}
    fig = go.Figure()
    for name, scores, i in (("training", sweep.train, 0), ("validation", sweep.validation, 1)):
        fig.add_scatter(
            x=labels,
            y=scores,
            mode="lines+markers",
            line={"color": colour(i), "width": 2},
            hovertemplate=f"%{{x}}<br>{name} accuracy %{{y:.3f}}<extra></extra>",
            name=f"{name} accuracy",
        )
    best = position[sweep.best]
    fig.add_scatter(
        x=[labels[best]],
        y=[sweep.validation[best]],
        mode="markers+text",
        marker={"color": colour(1), "size": 14, "symbol": "star"},
        text=["best"],
        textposition="top center",
        hoverinfo="skip",
        name="best validation",
    )
    if sweep.overfit_from is not None:
        start = position[sweep.overfit_from]
        fig.add_vrect(
            x0=start - 0.5,
            x1=len(labels) - 0.5,
            fillcolor=colour(3),
            opacity=0.1,
            line_width=0,
            annotation_text="overfitting",
            annotation_position="top left",
        )
    if current is not None:
        fig.add_vline(x=position[current], line={"color": "#555555", "dash": "dot", "width": 2})
        fig.add_scatter(
            x=[labels[position[current]]] * 2,
            y=[sweep.train[position[current]], sweep.validation[position[current]]],
            mode="markers",
            marker={"color": "#555555", "size": 10, "symbol": "circle-open", "line": {"width": 2}},
            hoverinfo="skip",
            name="current setting",
        )
    low = min(min(sweep.train), min(sweep.validation))
    title = f"{knob.model}: training and validation accuracy" if knob else "Training and validation accuracy"
    fig = layout(
        fig,
        _text(title),
        _text(knob.label) if knob else "setting",
        "accuracy",
        subtitle=_text(sweep.sentence),
        margin=TITLED_MARGIN,
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    fig.update_yaxes(range=[max(0.0, low - 0.05), 1.03])
    return fig
