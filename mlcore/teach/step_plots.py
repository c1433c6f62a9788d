"""Figures of stepping through an algorithm: one frame of a `Steps` run as a plotly figure.

Every figure's title says which step it is ("Step 3 of 12") and its subtitle is the frame's sentence,
so the chart and the words always describe the same moment. User strings (column names, class labels)
are HTML-escaped, since plotly renders a subset of HTML in labels and hover text. Bad arguments (an
index outside the frames, a run of another kind) raise `ValueError`.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlcore.evaluate.plots import TITLED_MARGIN, colour, layout
from mlcore.teach.steps import DescentFrame, KMeansFrame, Steps, TreeFrame

REGION_ALPHA = 0.25  # a leaf's fill: its class's colour, faint enough for the points to show on top
NAMES = {"kmeans": "k-means", "tree": "decision tree", "descent": "gradient descent"}


def _text(value: object) -> str:
    return html.escape(str(value))


def _faint(hex_colour: str) -> str:
    return "rgba({},{},{},{})".format(*(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)), REGION_ALPHA)


def _check(steps: Steps, kind: str, index: int) -> None:
    if steps.kind != kind:
        raise ValueError(f"These are {steps.kind} steps, not {kind} steps.")
    if not 0 <= index < len(steps.frames):
        raise ValueError(f"Step {index} does not exist: there are steps 0 to {len(steps.frames) - 1}.")


def _title(steps: Steps, index: int) -> str:
    return f"Step {index} of {len(steps.frames) - 1}: {NAMES[steps.kind]}"


def kmeans_figure(steps: Steps, index: int) -> go.Figure:
    """The points coloured by their cluster at this step, the centres as large crosses, and where each
    centre came from (faint, joined by a line), so the move of this step is visible."""
    _check(steps, "kmeans", index)
    frame = steps.frames[index]
    assert isinstance(frame, KMeansFrame) and steps.points is not None
    x, y = _text(steps.x), _text(steps.y)
    fig = go.Figure()
    for c in range(len(frame.centres)):
        members = frame.labels == c
        fig.add_scatter(
            x=steps.points[members, 0],
            y=steps.points[members, 1],
            mode="markers",
            marker={"color": colour(c), "size": 6, "opacity": 0.7},
            customdata=None if steps.rows is None else steps.rows[members],
            hovertemplate=f"row %{{customdata}}<br>{x} = %{{x:.4g}}<br>{y} = %{{y:.4g}}<extra></extra>",
            name=f"cluster {c + 1}",
        )
    if index > 0:
        before = steps.frames[index - 1]
        assert isinstance(before, KMeansFrame)
        for c, (old, new) in enumerate(zip(before.centres, frame.centres, strict=True)):
            fig.add_scatter(
                x=[old[0], new[0]],
                y=[old[1], new[1]],
                mode="lines+markers",
                line={"color": colour(c), "width": 2, "dash": "dot"},
                marker={"size": [12, 0], "symbol": "x", "opacity": 0.35, "color": colour(c)},
                hoverinfo="skip",
                showlegend=c == 0,
                legendgroup="previous",
                name="previous centres",
            )
    fig.add_scatter(
        x=frame.centres[:, 0],
        y=frame.centres[:, 1],
        mode="markers",
        marker={
            "color": [colour(c) for c in range(len(frame.centres))],
            "size": 18,
            "symbol": "x",
            "line": {"color": "#333333", "width": 1.5},
        },
        hovertemplate=f"centre<br>{x} = %{{x:.4g}}<br>{y} = %{{y:.4g}}<extra></extra>",
        name="centres",
    )
    return layout(fig, _title(steps, index), x, y, subtitle=_text(frame.sentence), margin=TITLED_MARGIN)


def tree_figure(steps: Steps, index: int, frame: pd.DataFrame, target: str) -> go.Figure:
    """The rectangles not split yet, each shaded by the class it predicts, the newest split as a thick
    line, and the training rows coloured by their true class."""
    _check(steps, "tree", index)
    step = steps.frames[index]
    assert isinstance(step, TreeFrame)
    x, y = _text(steps.x), _text(steps.y)
    fig = go.Figure()
    for leaf in step.leaves:
        shade = colour(steps.classes.index(leaf.label))
        fig.add_scatter(
            x=[leaf.x0, leaf.x1, leaf.x1, leaf.x0, leaf.x0],
            y=[leaf.y0, leaf.y0, leaf.y1, leaf.y1, leaf.y0],
            mode="lines",
            fill="toself",
            fillcolor=_faint(shade),
            line={"color": "#888888", "width": 1},
            hoverinfo="text",
            text=f"predicts {_text(leaf.label)} ({leaf.rows} training rows)",
            showlegend=False,
            name=f"region → {_text(leaf.label)}",
        )
    if step.split is not None:
        x0, x1, y0, y1 = step.split.region
        cut = step.split.threshold
        vertical = step.split.feature == steps.x
        fig.add_scatter(
            x=[cut, cut] if vertical else [x0, x1],
            y=[y0, y1] if vertical else [cut, cut],
            mode="lines",
            line={"color": "#222222", "width": 4},
            hoverinfo="skip",
            name="newest split",
        )
    rows = frame[[steps.x, steps.y, target]].dropna()
    labels = rows[target].astype(str)
    for i, name in enumerate(steps.classes):
        members = rows[labels == name]
        fig.add_scatter(
            x=members[steps.x].to_numpy(),
            y=members[steps.y].to_numpy(),
            mode="markers",
            marker={"color": colour(i), "size": 6, "line": {"color": "white", "width": 0.5}},
            customdata=members.index.to_numpy(),
            hovertemplate=f"row %{{customdata}}<br>{x} = %{{x:.4g}}<br>{y} = %{{y:.4g}}<extra></extra>",
            name=f"{_text(target)} = {_text(name)}",
        )
    fig = layout(fig, _title(steps, index), x, y, subtitle=_text(step.sentence), margin=TITLED_MARGIN)
    fig.update_xaxes(range=[min(a.x0 for a in step.leaves), max(a.x1 for a in step.leaves)])
    fig.update_yaxes(range=[min(a.y0 for a in step.leaves), max(a.y1 for a in step.leaves)])
    return fig


def descent_figure(steps: Steps, index: int) -> go.Figure:
    """The loss surface over (intercept, slope) with the path taken up to this step, and beside it the
    loss at every step so far, on a log scale so both a slow convergence and a blow-up read well."""
    _check(steps, "descent", index)
    surface = steps.surface
    assert surface is not None
    path = [f for f in steps.frames[: index + 1] if isinstance(f, DescentFrame)]
    losses = [f.loss for f in steps.frames if isinstance(f, DescentFrame)]
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.62, 0.38],
        horizontal_spacing=0.12,
        subplot_titles=("loss over (intercept, slope)", "loss per step"),
    )
    fig.add_trace(
        go.Contour(
            x=surface.intercepts,
            y=surface.slopes,
            z=surface.loss,
            ncontours=20,
            colorscale="Blues",
            reversescale=True,
            showscale=False,
            hovertemplate="intercept %{x:.3g}<br>slope %{y:.3g}<br>loss %{z:.4g}<extra></extra>",
            name="loss",
        ),
        row=1,
        col=1,
    )
    if surface.best is not None:
        fig.add_scatter(
            x=[surface.best[0]],
            y=[surface.best[1]],
            mode="markers",
            marker={
                "symbol": "star",
                "size": 14,
                "color": colour(1),
                "line": {"color": "#333333", "width": 1},
            },
            hovertemplate="the minimum<br>intercept %{x:.4g}<br>slope %{y:.4g}<extra></extra>",
            name="minimum",
            row=1,
            col=1,
        )
    fig.add_scatter(
        x=[f.intercept for f in path],
        y=[f.slope for f in path],
        mode="lines+markers",
        line={"color": colour(3), "width": 2},
        marker={"size": [6] * (len(path) - 1) + [12], "color": colour(3)},
        customdata=np.arange(len(path)),
        hovertemplate="step %{customdata}<br>intercept %{x:.4g}<br>slope %{y:.4g}<extra></extra>",
        name="parameters",
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=list(range(len(path))),
        y=[f.loss for f in path],
        mode="lines+markers",
        line={"color": colour(3), "width": 2},
        hovertemplate="step %{x}<br>loss %{y:.4g}<extra></extra>",
        name="loss",
        showlegend=False,
        row=1,
        col=2,
    )
    frame = steps.frames[index]
    fig = layout(fig, _title(steps, index), "", "", subtitle=_text(frame.sentence), margin=TITLED_MARGIN)
    fig.update_xaxes(
        title_text="intercept", range=[surface.intercepts[0], surface.intercepts[-1]], row=1, col=1
    )
    fig.update_yaxes(
        title_text=f"slope (per standard deviation of {_text(steps.x)})",
        range=[surface.slopes[0], surface.slopes[-1]],
        row=1,
        col=1,
    )
    fig.update_xaxes(title_text="step", range=[-0.5, len(steps.frames) - 0.5], row=1, col=2)
    positive = min(losses) > 0
    fig.update_yaxes(title_text="loss", type="log" if positive else "linear", row=1, col=2)
    if positive:  # the whole run's range, so the axis does not jump as the slider moves
        fig.update_yaxes(range=[np.log10(min(losses)) - 0.1, np.log10(max(losses)) + 0.1], row=1, col=2)
    return fig
