"""Explanations for the pages: cached explainers, quick results in-process, slow ones as a job.

An explainer is built once per (run, settings) and shared by the Explain and Predict pages (with a
lock: SHAP's explainers keep state while they work). The global explanation is kept in the
workspace per run and settings (`Workspace.explanation`), so it survives page switches; when its
estimate says it is slow, the workspace runs it in a background job, and this page draws its
progress and a Stop button instead of blocking.
"""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from mlcore.compute.jobs import JobState
from mlcore.dataset import Dataset
from mlcore.explain.explainer import GlobalExplanation, estimate, explain_run, run_explainer
from mlcore.explain.shap_values import Estimate, ExplainSettings, Explanation, RunExplainer
from mlcore.train.runs import Run
from mlcore.workspace import Workspace
from ui.feedback import show_problem

POLL_SECONDS = 1.0


@st.cache_resource(max_entries=8, show_spinner=False)
def _explainer(run_id: str, settings: ExplainSettings, _run: Run, _dataset: Dataset) -> tuple:
    return run_explainer(_run, _dataset, settings), threading.Lock()


def explainer(run: Run, dataset: Dataset, settings: ExplainSettings) -> tuple[RunExplainer, threading.Lock]:
    with st.spinner("Preparing the explainer …"):
        return _explainer(run.id, settings, run, dataset)


@st.cache_resource(max_entries=16, show_spinner=False)
def _estimate(run_id: str, settings: ExplainSettings, _run: Run, _dataset: Dataset) -> Estimate:
    found, lock = _explainer(run_id, settings, _run, _dataset)
    with lock:
        return estimate(_run, _dataset, found)


def explain_rows(run: Run, dataset: Dataset, settings: ExplainSettings, rows: pd.DataFrame) -> Explanation:
    """SHAP values for a few rows (the local view), with the shared explainer."""
    found, lock = explainer(run, dataset, settings)
    with lock:
        return found.explain(rows)


def global_explanation(
    ws: Workspace, run: Run, dataset: Dataset, settings: ExplainSettings
) -> GlobalExplanation | None:
    """The finished explanation; otherwise draw its estimate, start button or progress, and None."""
    entry = ws.explanation(run, settings)
    if entry.state is JobState.DONE:
        return entry.result
    if entry.state.active:
        _progress(ws, run, settings)
        return None
    guess = _estimate(run.id, settings, run, dataset)
    if not guess.slow:
        found, lock = explainer(run, dataset, settings)
        with st.spinner(f"Explaining: {guess.message()}"), lock:
            return ws.explain_here(
                run, settings, lambda: explain_run(run, dataset, settings, explainer=found)
            )
    if entry.failed:
        show_problem(entry.error)
    st.info(
        f"{guess.message()} It runs in the background: you can keep working and come back. "
        "Fewer rows (in the settings above) make it faster.",
        icon=":material/timer:",
    )
    st.button(
        "Explain",
        type="primary",
        icon=":material/search:",
        on_click=ws.start_explanation,
        args=(run, dataset, settings),
    )
    return None


@st.fragment(run_every=POLL_SECONDS)
def _progress(ws: Workspace, run: Run, settings: ExplainSettings) -> None:
    entry = ws.explanation(run, settings)
    if not entry.state.active:
        st.rerun()
    st.progress(entry.progress, text=f"Explaining: {entry.message} · {entry.elapsed:.0f} s")
    st.button("Stop", icon=":material/stop:", on_click=ws.stop_explanation, args=(run, settings))
