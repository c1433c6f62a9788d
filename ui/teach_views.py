"""The Teach page's two demonstrations: trained models' decision boundaries side by side, and
overfitting you can watch as one complexity knob moves (the panel reruns alone, as a fragment)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from mlcore.data.generators import DESCRIPTIONS, GeneratorSpec, Shape, generate
from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.formatting import number
from mlcore.markup import markdown_text
from mlcore.schema import ColumnType, Task
from mlcore.teach.boundaries import boundary_grid, response_curve, response_surface
from mlcore.teach.overfitting import KNOBS, Sweep, fit_at, split_rows, sweep
from mlcore.teach.plots import boundary_figure, curve_figure, overfitting_figure, surface_figure
from mlcore.train.runs import Run, RunStatus
from mlcore.workspace import Workspace
from ui.feedback import show_problem

MAX_MODELS = 4  # panels side by side
MAX_POINTS = 2_000  # training points drawn on a boundary
RESOLUTION = 200  # grid cells along each axis
SURFACE_RESOLUTION = 100  # a regression surface's cells along each axis
ONE_FEATURE = "(none: a curve along one feature)"  # regression only
SHAPES = (Shape.MOONS, Shape.CIRCLES, Shape.BLOBS, Shape.LINEAR)  # two-feature class problems
PAINTED, PAINTED_TABLE = "painted:", "The painted table"  # a painted dataset's source starts with it


# ---------- decision boundaries of trained models ----------


def boundaries_tab(ws: Workspace) -> None:
    dataset = ws.dataset
    runs = [r for r in ws.current_runs() if r.status is RunStatus.OK] if dataset is not None else []
    if dataset is None or not runs:
        st.info(
            "Train two or more models on the Train page (a linear model, a tree, k-NN and an RBF SVM make "
            "the lesson); their boundaries are drawn here side by side.",
            icon=":material/info:",
        )
        st.page_link("pages/train.py", label="Train models", icon=":material/model_training:")
        return
    by_id = {r.id: r for r in runs}
    chosen = st.multiselect(
        "Models",
        list(by_id),
        default=list(by_id)[:MAX_MODELS],
        format_func=lambda i: by_id[i].label,
        max_selections=MAX_MODELS,
        key="teach.models",
    )
    numbers = _number_features(dataset, [by_id[i] for i in chosen])
    if not chosen or not numbers:
        st.info("Choose models that use at least one number column.", icon=":material/info:")
        return
    left, right = st.columns(2)
    x = left.selectbox("Horizontal axis", numbers, key="teach.x")
    others = [n for n in numbers if n != x]
    regression = dataset.task is Task.REGRESSION
    choices = [ONE_FEATURE, *others] if regression else others
    y = right.selectbox("Vertical axis", choices, key="teach.y") if choices else ONE_FEATURE
    if regression:
        _responses(dataset, [by_id[i] for i in chosen], x, None if y == ONE_FEATURE else y)
        return
    if y == ONE_FEATURE:
        st.info("A boundary needs two number columns the models use.", icon=":material/info:")
        return
    try:
        figure = _boundaries(tuple(chosen), x, y, [by_id[i] for i in chosen], dataset)
    except MLCoreError as exc:
        show_problem(exc)
        return
    st.plotly_chart(figure, key="teach.boundaries")
    st.caption(
        "Each colour is the class the model predicts there; the paler, the less sure it is. The points are "
        "the table's rows in their true class: where a region and its points disagree, the model is wrong."
    )


def _number_features(dataset: Dataset, runs: list[Run]) -> list[str]:
    """Number columns every chosen model reads."""
    used = [set(map(str, r.pipeline.feature_names_in_)) for r in runs]
    return [
        c.name
        for c in dataset.columns
        if c.ctype is ColumnType.NUMERIC and all(c.name in names for names in used)
    ]


@st.cache_resource(max_entries=8, show_spinner="Drawing the boundaries …")
def _boundaries(run_ids: tuple[str, ...], x: str, y: str, _runs: list[Run], _dataset: Dataset) -> go.Figure:
    frame = _dataset.frame
    grids = [boundary_grid(r.pipeline, frame, x, y, RESOLUTION, r.label) for r in _runs]
    points = frame.sample(min(len(frame), MAX_POINTS), random_state=0) if len(frame) > MAX_POINTS else frame
    return boundary_figure(grids, points, _dataset.target)


def _responses(dataset: Dataset, runs: list[Run], x: str, y: str | None) -> None:
    """Regression: each model's fitted curve along `x`, or its surface over `x` and `y`."""
    points = dataset.frame.head(MAX_POINTS)
    for run in runs:
        if y is None:
            curve = response_curve(run.pipeline, dataset.frame, x, RESOLUTION, run.label)
            figure = curve_figure(curve, points, dataset.target)
        else:
            surface = response_surface(run.pipeline, dataset.frame, x, y, SURFACE_RESOLUTION, run.label)
            figure = surface_figure(surface, points, dataset.target)
        st.plotly_chart(figure, key=f"teach.response.{run.id}")


# ---------- overfitting ----------


def overfitting_tab(ws: Workspace) -> None:
    st.caption(
        "Make a table (or paint one), pick a model and move its complexity knob: the boundary and both "
        "scores follow. Training accuracy keeps rising; accuracy on rows held out stops rising and falls: "
        "overfitting."
    )
    left, middle, right = st.columns(3)
    dataset = ws.dataset
    painted = (
        dataset
        if dataset is not None and dataset.source.startswith(PAINTED) and dataset.task is Task.CLASSIFICATION
        else None
    )
    sources = [*([PAINTED_TABLE] if painted is not None else []), *SHAPES]
    shape = left.selectbox(
        "Data",
        sources,
        format_func=lambda s: s if s == PAINTED_TABLE else s.value.capitalize(),
        key="teach.shape",
    )
    if shape == PAINTED_TABLE:
        frame, target, key = painted.frame, painted.target, painted.content_hash
        st.caption("The table painted on the Paint data tab.")
    else:
        noise = middle.slider("Noise", 0.0, 1.0, 0.3, 0.05, key="teach.noise")
        rows = right.slider("Rows", 100, 2_000, 500, 100, key="teach.rows")
        st.caption(DESCRIPTIONS[shape])
        spec = GeneratorSpec(shape, n_samples=rows, noise=noise, n_classes=2, n_features=2, seed=ws.seed)
        generated = generate(spec)
        frame, target, key = generated.frame, generated.target, generated.content_hash
    knob = KNOBS[st.selectbox("Model", list(KNOBS), format_func=lambda k: KNOBS[k].model, key="teach.knob")]
    try:
        found = _sweep(key, knob.key, ws.seed, frame, target)
    except MLCoreError as exc:
        show_problem(exc)
        return
    _knob_panel(frame, target, knob.key, ws.seed, found)


@st.cache_resource(max_entries=16, show_spinner="Training the model at every setting of the knob …")
def _sweep(data_hash: str, knob: str, seed: int, _frame: pd.DataFrame, target: str) -> Sweep:
    return sweep(_frame, target, KNOBS[knob], seed)


@st.fragment
def _knob_panel(frame: pd.DataFrame, target: str, knob_key: str, seed: int, found: Sweep) -> None:
    """Reruns alone when the knob moves: one fit, its boundary and its scores."""
    knob = KNOBS[knob_key]
    value = st.select_slider(
        knob.label,
        options=list(knob.values),
        value=knob.default,
        help=knob.help,
        key=f"teach.value.{knob.key}",
    )
    scores = fit_at(frame, target, knob, value, seed)
    train_rows, _ = split_rows(frame, target, seed)
    left, right = st.columns(2)
    left.metric("Training accuracy", number(scores.train, 3))
    right.metric(
        "Validation accuracy (rows held out)",
        number(scores.validation, 3),
        delta=round(scores.validation - scores.train, 3),  # a number: the arrow points its way
        help="The difference from the training accuracy: the larger the gap, the more the model memorised.",
    )
    grid = boundary_grid(scores.pipeline, frame.iloc[train_rows], "x1", "x2", RESOLUTION, knob.model)
    points = frame.assign(**{target: frame[target].astype(str)})
    st.plotly_chart(boundary_figure([grid], points, target), key="teach.knob_boundary")
    st.markdown(markdown_text(found.sentence))
    st.plotly_chart(overfitting_figure(found, value), key="teach.sweep")
