"""Step through an algorithm: k-means iterations, a decision tree growing split by split, gradient
descent with a learning-rate slider; Back, Play/Pause and Next, with one sentence per step.

The steps are computed once per setting (`mlcore.teach.steps`); the player is a fragment, so a step
or a tick of Play redraws only the chart and its sentence.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from mlcore.data.generators import GeneratorSpec, Shape, generate
from mlcore.errors import MLCoreError
from mlcore.markup import markdown_text
from mlcore.teach.step_plots import descent_figure, kmeans_figure, tree_figure
from mlcore.teach.steps import Steps, descent_steps, kmeans_steps, tree_steps
from ui.feedback import show_problem

PLAY_SECONDS = 0.8  # one step per tick while playing
INDEX, PLAYING = "teach.steps.index", "teach.steps.playing"
ALGORITHMS = ("k-means", "Decision tree", "Gradient descent")
RATES = (0.01, 0.03, 0.1, 0.3, 0.6, 0.9, 1.1, 1.5)  # above 1 the descent on a standardised feature diverges


def steps_tab(seed: int) -> None:
    algorithm = st.radio("Algorithm", ALGORITHMS, horizontal=True, key="teach.steps.algorithm")
    left, right = st.columns(2)
    try:
        if algorithm == "k-means":
            k = int(left.slider("Clusters (k)", 2, 8, 3, key="teach.steps.k"))
            setting: tuple = ("kmeans", k, seed)
            steps, data = _steps(setting)
            draw: Callable[[int], go.Figure] = lambda i: kmeans_figure(steps, i)  # noqa: E731
        elif algorithm == "Decision tree":
            depth = int(left.slider("Maximum depth", 1, 6, 3, key="teach.steps.depth"))
            setting = ("tree", depth, seed)
            steps, data = _steps(setting)
            draw = lambda i: tree_figure(steps, i, data, "target")  # noqa: E731
        else:
            rate = left.select_slider("Learning rate", RATES, value=0.1, key="teach.steps.rate")
            setting = ("descent", rate, seed)
            steps, data = _steps(setting)
            draw = lambda i: descent_figure(steps, i)  # noqa: E731
    except MLCoreError as exc:
        show_problem(exc)
        return
    if steps.note:
        right.caption(markdown_text(steps.note))
    _player(steps, draw, f"{INDEX}.{'.'.join(map(str, setting))}")


@st.cache_resource(max_entries=24, show_spinner=False)
def _steps(setting: tuple) -> tuple[Steps, pd.DataFrame]:
    """Every frame of one algorithm on its demonstration table, for one setting and seed."""
    kind, value, seed = setting
    if kind == "kmeans":
        data = generate(GeneratorSpec(Shape.BLOBS, n_samples=300, noise=0.3, n_classes=4, seed=seed)).frame
        return kmeans_steps(data, "x1", "x2", value, seed), data
    if kind == "tree":
        data = generate(GeneratorSpec(Shape.MOONS, n_samples=300, noise=0.25, seed=seed)).frame
        return tree_steps(data, "x1", "x2", "target", value, seed), data
    data = generate(GeneratorSpec(Shape.REGRESSION, n_samples=200, noise=0.3, n_features=1, seed=seed)).frame
    return descent_steps(data, "x1", "target", value), data


@st.fragment
def _player(steps: Steps, draw: Callable[[int], go.Figure], at: str) -> None:
    """`at` keeps the step shown for this setting: another setting starts at its own first step."""
    last = len(steps.frames) - 1
    index = min(st.session_state.get(at, 0), last)
    playing = st.session_state.get(PLAYING, False) and index < last
    back, play, step, _ = st.columns([1, 1, 1, 4])
    back.button(
        "Back", icon=":material/skip_previous:", on_click=_go, args=(at, index - 1, last), disabled=index == 0
    )
    play.button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        on_click=_toggle,
        disabled=index == last and not playing,
    )
    step.button(
        "Next", icon=":material/skip_next:", on_click=_go, args=(at, index + 1, last), disabled=index == last
    )
    st.plotly_chart(draw(index), key="teach.steps.chart")
    st.markdown(f"**{markdown_text(steps.frames[index].sentence)}**")
    if playing:
        _tick(at, last)


@st.fragment(run_every=PLAY_SECONDS)
def _tick(at: str, last: int) -> None:
    """While playing: one step forward per tick, then the player redraws."""
    if not st.session_state.get(PLAYING):
        return
    _go(at, st.session_state.get(at, 0) + 1, last)
    st.rerun(scope="app")


def _go(at: str, index: int, last: int) -> None:
    st.session_state[at] = max(0, min(index, last))
    if index >= last:
        st.session_state[PLAYING] = False


def _toggle() -> None:
    st.session_state[PLAYING] = not st.session_state.get(PLAYING, False)
