"""Cached evaluations, tables and figures for the Evaluate page, keyed by run id and settings.

A run's evaluation (metrics, matrices, curve data, threshold analysis) is computed once per run id;
tables and figures once per (name, run ids, settings). Changing the selection or the threshold
therefore only looks results up and redraws — nothing is refitted or predicted again. Figures are
kept as finished plotly dicts and tables as Arrow tables, so a redraw skips plotly's validation and
pandas' conversion as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pyarrow as pa
import streamlit as st

from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.evaluate.holdout import RunEvaluation, display_names, evaluate_run, ranked
from mlcore.results import ResultStore
from mlcore.train.runs import Run

CONFIG = {"displaylogo": False}
T = TypeVar("T")


class FrozenFigure(go.Figure):
    """A finished figure held as its plotly dict: `st.plotly_chart` only serialises it.

    Streamlit turns a figure into JSON through `to_dict()`; answering with the stored dict skips
    plotly's copy and validation of every trace, which dominates a rerun's cost otherwise.
    """

    def __init__(self, spec: dict[str, Any]) -> None:  # no super().__init__: nothing is validated again
        object.__setattr__(self, "_spec", spec)

    def to_dict(self) -> dict[str, Any]:
        return self._spec


def freeze(figure: go.Figure) -> FrozenFigure:
    return FrozenFigure(json.loads(pio.to_json(figure)))


# Shared by all sessions: an evaluation, table or figure depends only on its key. Lighter than
# `st.cache_resource`, which inspects the function and hashes every argument on each call: a page that
# looks up a dozen results per rerun would spend more on that than on drawing.
_EVALUATIONS: ResultStore[RunEvaluation] = ResultStore(max_entries=64)
_DERIVED: ResultStore[Any] = ResultStore(max_entries=512)


def evaluation(run: Run, dataset: Dataset | None) -> RunEvaluation:
    """The run's evaluation; the dataset is only read for models without probabilities (decision values)."""
    return _EVALUATIONS.get_or_build((run.id,), lambda: evaluate_run(run, dataset))


def cached(name: str, key: tuple, build: Callable[[], T]) -> T:
    """Any derived result (a table, a figure) built once per (name, key)."""
    return _DERIVED.get_or_build((name, *key), build)


def ranked_runs(runs: list[Run], metric: str | None) -> list[Run]:
    """The finished runs best first, and their display names (both cached per set of runs)."""
    return cached("ranked", (tuple(r.id for r in runs), metric), lambda: ranked(runs, metric))


def names(runs: list[Run]) -> dict[str, str]:
    return cached("names", tuple(r.id for r in runs), lambda: display_names(runs))


def chart(name: str, key: tuple, build: Callable[[], go.Figure]) -> None:
    """Draw a figure built once per (name, key); a chart that cannot be drawn says why instead."""
    try:
        figure = cached(name, key, lambda: freeze(build()))
    except (ValueError, MLCoreError) as exc:
        st.info(getattr(exc, "message", str(exc)))
        return
    st.plotly_chart(figure, key=f"eval:{name}:{hash(key)}", config=CONFIG)


def table(name: str, key: tuple, build: Callable[[], pd.DataFrame], **options: Any) -> None:
    """Draw a table built and converted to Arrow once per (name, key); the index becomes a column."""
    frame = cached(name, key, build)
    arrow = cached(f"{name}:arrow", key, lambda: pa.Table.from_pandas(_flat(frame), preserve_index=False))
    st.dataframe(arrow, hide_index=True, **options)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index() if frame.index.name is not None else frame
