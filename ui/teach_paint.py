"""Paint data: click to drop points of the chosen class on the plane, drag a box to brush many or to
erase, undo, add noise; then use the painted table as the dataset, like any upload.

The plane is a scatter with a faint grid of click targets (plotly reports clicks on points only);
each click or box comes back as a chart selection, is applied once, and the chart gets a new key so
the next stroke is a new selection.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from mlcore.errors import MLCoreError
from mlcore.evaluate.plots import colour, layout
from mlcore.teach import paint
from mlcore.workspace import Workspace
from ui.feedback import show_problem

STATE = "teach.paint"  # {"target", "frame", "history", "stroke"}
USED, REFUSED = "teach.paint.used", "teach.paint.refused"  # what "Use as the dataset" did, for the rerun
CLASSES = ("A", "B", "C", "D")
TARGETS = 31  # click targets per axis
UNDO_KEPT = 50
ERASE_RADIUS = 0.3


def paint_tab(ws: Workspace) -> None:
    state = _state()
    left, middle, right = st.columns(3)
    tool = left.radio("Tool", ["Paint", "Erase"], horizontal=True, key="teach.paint.tool")
    if state["target"] == paint.CLASS:
        label: Any = middle.radio("Class", CLASSES, horizontal=True, key="teach.paint.class")
    else:
        label = middle.number_input("Value", -100.0, 100.0, 1.0, key="teach.paint.value")
    count = int(
        right.number_input(
            "Points per click (a box gets ten times as many)", 1, 50, 1, key="teach.paint.count"
        )
    )
    event = st.plotly_chart(
        _plane(state["frame"], state["target"]),
        on_select="rerun",
        selection_mode=("points", "box"),
        key=f"teach.paint.plane.{state['stroke']}",
    )
    try:
        _apply(state, event, tool, label, count, ws.seed)
    except MLCoreError as exc:
        show_problem(exc)
    st.caption(
        f"{len(state['frame']):,} points. Click to add points of the chosen class; choose the box tool in "
        "the chart's toolbar and drag to brush many at once (or to erase a region with the eraser)."
    )
    buttons = st.columns(5)
    buttons[0].button("Undo", icon=":material/undo:", on_click=_undo, disabled=not state["history"])
    buttons[1].button("Add noise", icon=":material/grain:", on_click=_noise, args=(ws.seed,))
    buttons[2].button(
        "Clear", icon=":material/delete:", on_click=_change, args=(paint.empty(state["target"]),)
    )
    kind = buttons[3].toggle(
        "Numbers, not classes", value=state["target"] == paint.VALUE, key="teach.paint.numbers"
    )
    if (paint.VALUE if kind else paint.CLASS) != state["target"]:
        _restart(paint.VALUE if kind else paint.CLASS)
        st.rerun()
    buttons[4].button(
        "Use as the dataset", type="primary", icon=":material/check:", on_click=_use, args=(ws,)
    )
    if st.session_state.pop(USED, False):
        st.success("The painted table is the dataset now: train models on it, then see their boundaries.")
        st.page_link("pages/train.py", label="Train models", icon=":material/model_training:")
    show_problem(st.session_state.pop(REFUSED, None))


def _use(ws: Workspace) -> None:
    """Before the rerun, so the sidebar already shows the painted table."""
    state = _state()
    if ws.load_painted(state["frame"], state["target"]):
        st.session_state[USED] = True
    else:
        st.session_state[REFUSED] = ws.problem


def _state() -> dict[str, Any]:
    if STATE not in st.session_state:
        _restart(paint.CLASS)
    return st.session_state[STATE]


def _restart(target: str) -> None:
    st.session_state[STATE] = {"target": target, "frame": paint.empty(target), "history": [], "stroke": 0}


def _change(frame: pd.DataFrame) -> None:
    state = _state()
    state["history"] = [*state["history"][-UNDO_KEPT + 1 :], state["frame"]]
    state["frame"] = frame
    state["stroke"] += 1  # a new chart: its selection starts empty


def _undo() -> None:
    state = _state()
    if state["history"]:
        state["frame"] = state["history"].pop()
        state["stroke"] += 1


def _noise(seed: int) -> None:
    frame = _state()["frame"]
    if len(frame):
        _change(paint.add_noise(frame, 0.2, seed))


def _apply(state: dict[str, Any], event: Any, tool: str, label: Any, count: int, seed: int) -> None:
    """The chart's selection, if any, as one stroke; the page reruns to draw it."""
    selection = event.selection if event else None
    if not selection:
        return
    frame = state["frame"]
    boxes, points = selection.get("box") or [], selection.get("points") or []
    if tool == "Erase":
        for box in boxes:
            frame = paint.erase_box(frame, tuple(box["x"]), tuple(box["y"]))
        for point in points if not boxes else []:
            frame = paint.erase_near(frame, point["x"], point["y"], ERASE_RADIUS)
    elif boxes:
        for box in boxes:
            frame = paint.fill_box(frame, tuple(box["x"]), tuple(box["y"]), label, 10 * count, seed)
    else:
        for point in points:
            spread = 0.0 if count == 1 else 0.15
            frame = paint.add_at(frame, point["x"], point["y"], label, count, spread, seed)
    if boxes or points:
        _change(frame)
        st.rerun()


def _plane(frame: pd.DataFrame, target: str) -> go.Figure:
    """The painted points over a faint grid of click targets, on a fixed square plane."""
    ticks = np.linspace(paint.LOW, paint.HIGH, TARGETS)
    gx, gy = np.meshgrid(ticks, ticks)
    figure = go.Figure(
        go.Scatter(
            x=gx.ravel(),
            y=gy.ravel(),
            mode="markers",
            marker={"size": 9, "color": "#cccccc", "opacity": 0.15},
            hoverinfo="none",
            showlegend=False,
        )
    )
    if target == paint.CLASS:
        for i, name in enumerate(CLASSES):
            mine = frame[frame[target] == name]
            if len(mine):
                figure.add_scatter(
                    x=mine[paint.FEATURES[0]],
                    y=mine[paint.FEATURES[1]],
                    mode="markers",
                    name=name,
                    marker={"size": 9, "color": colour(i)},
                    hoverinfo="skip",
                )
    elif len(frame):
        figure.add_scatter(
            x=frame[paint.FEATURES[0]],
            y=frame[paint.FEATURES[1]],
            mode="markers",
            name="value",
            marker={"size": 9, "color": frame[target], "colorscale": "Viridis", "showscale": True},
            hoverinfo="skip",
        )
    layout(figure, "Paint your data", paint.FEATURES[0], paint.FEATURES[1])
    span = [paint.LOW - 0.2, paint.HIGH + 0.2]
    figure.update_xaxes(range=span, fixedrange=True)
    figure.update_yaxes(range=span, fixedrange=True)
    # A click anywhere selects the nearest target: plotly reports clicks on points only.
    figure.update_layout(
        height=560, clickmode="event+select", dragmode=False, hovermode="closest", hoverdistance=-1
    )
    return figure
