"""Holdout share, folds, group or time order, and the one seed: widgets and a cached preview."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.schema import ColumnType
from mlcore.train.split import Split, SplitSpec, make_split
from mlcore.workspace import Workspace
from ui.explore_cache import data_key
from ui.feedback import show_problem
from ui.state import synced

SHARES = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
FOLDS = (0, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20)
MAX_SEED = 2**31 - 1


def _split_sync(ws: Workspace, name: str) -> dict:
    return synced(ws, f"split.{name}", lambda v: ws.configure(split=replace(ws.split, **{name: v})))


def seed_input(ws: Workspace) -> None:
    """The single seed behind every random step (split, sampling, models, tuning)."""
    st.number_input(
        "Seed",
        0,
        MAX_SEED,
        ws.seed,
        help="One number fixes every random choice: the same seed and settings give identical scores.",
        **synced(ws, "seed", lambda v: ws.configure(seed=int(v))),
    )


def split_widgets(ws: Workspace, dataset: Dataset) -> None:
    spec = ws.split
    shares = sorted({*SHARES, spec.test_size})
    st.select_slider(
        "Holdout share (test rows set aside)",
        shares,
        value=spec.test_size,
        format_func=lambda s: f"{s:.0%}",
        help="These rows are never used for training, cross-validation or tuning; they give an honest "
        "final score. 0% means no holdout.",
        **_split_sync(ws, "test_size"),
    )
    folds = sorted({*FOLDS, spec.cv_folds})
    st.selectbox(
        "Cross-validation folds",
        folds,
        index=folds.index(spec.cv_folds),
        format_func=lambda k: "none" if k == 0 else f"{k} folds",
        help="The training rows are cut into k parts; each model is trained k times, each time scored on "
        "the part it did not see. The mean and spread of those scores compare models fairly.",
        **_split_sync(ws, "cv_folds"),
    )
    others = [c.name for c in dataset.columns if c.name != dataset.target]
    dates = [c.name for c in dataset.columns if c.ctype is ColumnType.DATETIME and c.name != dataset.target]
    st.selectbox(
        "Keep groups together",
        [None, *others],
        index=[None, *others].index(spec.group_column) if spec.group_column in others else 0,
        format_func=lambda n: "— no groups —" if n is None else n,
        disabled=spec.time_column is not None and spec.time_column in dates,
        help="Rows sharing a value here (e.g. the same patient or school) all go to training or all to "
        "validation, so the score says how the model does on new groups.",
        **_split_sync(ws, "group_column"),
    )
    if dates:
        st.selectbox(
            "Order by time",
            [None, *dates],
            index=[None, *dates].index(spec.time_column) if spec.time_column in dates else 0,
            format_func=lambda n: "— no time order —" if n is None else n,
            disabled=spec.group_column is not None and spec.group_column in others,
            help="Train on earlier rows and test on the latest ones, as in real forecasting; folds are "
            "time-ordered too.",
            **_split_sync(ws, "time_column"),
        )
    seed_input(ws)


@st.cache_resource(max_entries=8, show_spinner=False)
def _cached_split(key: str, spec: str, seed: int, _dataset: Dataset, _split: SplitSpec) -> Split:
    return make_split(_dataset, _split, seed)


def split_preview(ws: Workspace, dataset: Dataset) -> Split | None:
    """How the rows will be divided, in words and counts, or the plain reason it cannot be done."""
    split = ws.train_request(()).split
    try:
        result = _cached_split(data_key(dataset), repr(split), ws.seed, dataset, split)
    except MLCoreError as exc:
        show_problem(exc)
        return None
    st.caption(
        f"{result.description[:1].upper()}{result.description[1:]} "
        f"{len(result.train):,} training rows, {len(result.test):,} holdout rows."
    )
    return result
