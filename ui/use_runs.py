"""The run the Explain, Predict and Export pages work on: chosen once, remembered across pages."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.evaluate.holdout import display_names, ranked
from mlcore.markup import markdown_text
from mlcore.metrics import METRICS
from mlcore.train.runs import Run, RunStatus
from mlcore.workspace import Workspace

TRAIN_PAGE = "pages/train.py"
OUTCOMES = {RunStatus.STOPPED: "stopped", RunStatus.TIMED_OUT: "out of time", RunStatus.FAILED: "failed"}


def usable_runs(ws: Workspace) -> list[Run]:
    """Finished runs on the loaded data with a fitted model, best first (the leaderboard's order)."""
    return [r for r in ranked(ws.current_runs(), ws.metric) if r.has_model]


def no_model_message(ws: Workspace, dataset: Dataset, doing: str) -> str:
    """Why there is no model to use, as Markdown. Models that were trained but did not finish need a
    different next step (read why on the leaderboard) than no training at all, so the two are told apart."""
    name = markdown_text(dataset.name)
    unfinished = [r for r in ws.current_runs() if not r.ok]
    if not unfinished:
        return f"No trained model on '{name}' yet. Train one on the Train page to {doing}."
    counts = Counter(r.status for r in unfinished)
    how = ", ".join(f"{counts[status]} {word}" for status, word in OUTCOMES.items() if counts[status])
    models = "The model" if len(unfinished) == 1 else f"All {len(unfinished)} models"
    return (
        f"{models} trained on '{name}' did not finish ({how}), so there is none to use yet: "
        "see the notes on the Train page's leaderboard for why. Train again (with a larger time budget "
        f"or other settings) to {doing}."
    )


def _score(run: Run) -> str:
    metric = run.default_metric
    value = run.cv_mean.get(metric)
    where = "CV"
    if value is None or value != value:
        value, where = run.holdout.get(metric), "holdout"
    if value is None or value != value:
        return ""
    return f" · {where} {METRICS[metric].label} {value:.3f}"


def pick_run(ws: Workspace, dataset: Dataset, doing: str) -> Run:
    """A select box of the usable runs (the last one chosen on any of these pages first)."""
    runs = usable_runs(ws)
    if not runs:
        st.info(no_model_message(ws, dataset, doing), icon=":material/info:")
        st.page_link(TRAIN_PAGE, label="Go to the Train page", icon=":material/model_training:")
        st.stop()
    names = display_names(runs)
    ids = [r.id for r in runs]
    by_id = {r.id: r for r in runs}
    key = f"use_run@{hash(tuple(ids))}"

    def remember() -> None:
        ws.use_run = st.session_state[key]

    chosen = st.selectbox(
        "Model",
        ids,
        index=ids.index(ws.use_run) if ws.use_run in ids else 0,
        format_func=lambda i: f"{names[i]}{_score(by_id[i])}",
        key=key,
        on_change=remember,
        help="Trained models on this data, best first; the choice is shared by Explain, Predict and Export.",
    )
    ws.use_run = chosen
    return by_id[chosen]
