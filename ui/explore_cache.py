"""Cached Explore computations, so a rerun of the page costs milliseconds even on a million rows.

Results are keyed by a short string naming the dataset's content and schema; the dataset itself is
passed with a leading underscore so Streamlit does not hash a large frame on every rerun. Caches are
bounded: a session that loads many tables keeps only the latest few results.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from mlcore.dataset import Dataset
from mlcore.explore import plots as eda_plots
from mlcore.explore.alerts import Alert, find_alerts
from mlcore.explore.overview import Overview, compute_overview
from mlcore.explore.target_view import TargetView, rank_features

SEED = 0
CHARTS: dict[str, Callable[..., go.Figure]] = {
    "distribution": eda_plots.distribution,
    "box": eda_plots.box_by_group,
    "correlation": eda_plots.correlation_heatmap,
    "scatter": eda_plots.scatter,
    "scatter_matrix": eda_plots.scatter_matrix,
    "missing": eda_plots.missing_pattern,
    "target": eda_plots.target_distribution,
}


def data_key(dataset: Dataset) -> str:
    """Names the data and every schema decision the results depend on (types, roles, target, task)."""
    return f"{dataset.content_hash}:{hash((dataset.columns, dataset.target, dataset.task)):x}"


@st.cache_resource(max_entries=4, show_spinner=False)
def overview(key: str, _dataset: Dataset) -> Overview:
    return compute_overview(_dataset)


@st.cache_resource(max_entries=4, show_spinner=False)
def overview_table(key: str, _dataset: Dataset) -> pd.DataFrame:
    return overview(key, _dataset).table()


@st.cache_resource(max_entries=4, show_spinner=False)
def target_view(key: str, _dataset: Dataset) -> TargetView | None:
    if _dataset.target is None:
        return None
    return rank_features(_dataset, seed=SEED)


@st.cache_resource(max_entries=4, show_spinner=False)
def alerts(key: str, _dataset: Dataset) -> list[Alert]:
    return find_alerts(_dataset, overview(key, _dataset), target_view(key, _dataset))


@st.cache_resource(max_entries=64, show_spinner=False)
def chart(name: str, key: str, params: tuple, _frame: pd.DataFrame) -> go.Figure:
    """A figure from `mlcore.explore.plots`; `params` are its keyword arguments as sorted pairs."""
    return CHARTS[name](_frame, **{k: list(v) if isinstance(v, tuple) else v for k, v in params})


def draw_chart(
    name: str, dataset: Dataset, *, height: int | None = None, place: str = "", **params: object
) -> None:
    """Draw a cached chart; a chart that cannot be drawn for these columns says why instead.
    `place` tells apart two places on a page that show the same chart."""
    if name in ("box", "correlation", "scatter", "scatter_matrix"):
        params["seed"] = SEED
    pairs = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    try:
        figure = chart(name, data_key(dataset), pairs, dataset.frame)
    except ValueError as exc:
        st.info(str(exc))
        return
    st.plotly_chart(figure, key=f"chart:{place}:{name}:{pairs}", height=height or "content")
