"""Explanations for the pages: cached explainers, quick results in-process, slow ones as a job.

An explainer is built once per (run, settings) and shared by the Explain and Predict pages (with a
lock: SHAP's explainers keep state while they work). The global explanation is kept in the
workspace per run and settings, so it survives page switches; when its estimate says it is slow,
it runs in a background job with progress and a Stop button instead of blocking the page.
"""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from mlcore.dataset import Dataset
from mlcore.explain.explainer import (
    Estimate,
    ExplainSettings,
    Explanation,
    GlobalExplanation,
    RunExplainer,
    estimate,
    explain_run,
    explain_worker,
    run_explainer,
)
from mlcore.jobs import Job, JobState
from mlcore.train.fit import Run
from mlcore.workspace import Workspace
from ui.feedback import show_problem

KEPT = 6  # finished explanations kept per session
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


def _key(run: Run, settings: ExplainSettings) -> str:
    return f"{run.id}:{settings}"


def _keep(ws: Workspace, key: str, value: object) -> None:
    ws.explanations[key] = value
    finished = [k for k, v in ws.explanations.items() if isinstance(v, GlobalExplanation)]
    for old in finished[:-KEPT]:
        del ws.explanations[old]


def global_explanation(
    ws: Workspace, run: Run, dataset: Dataset, settings: ExplainSettings
) -> GlobalExplanation | None:
    """The finished explanation; otherwise draw its estimate, start button or progress, and None."""
    key = _key(run, settings)
    entry = ws.explanations.get(key)
    if isinstance(entry, GlobalExplanation):
        return entry
    if isinstance(entry, Job):
        snapshot = entry.poll()
        if snapshot.state is JobState.DONE:
            _keep(ws, key, snapshot.result)
            return snapshot.result
        if snapshot.state is JobState.RUNNING:
            _progress(ws, key, entry)
            return None
        show_problem(_problem(snapshot.error or snapshot.message))
        del ws.explanations[key]
    guess = _estimate(run.id, settings, run, dataset)
    if not guess.slow:
        found, lock = explainer(run, dataset, settings)
        with st.spinner(f"Explaining: {guess.message()}"), lock:
            result = explain_run(run, dataset, settings, explainer=found)
        _keep(ws, key, result)
        return result
    st.info(
        f"{guess.message()} It runs in the background: you can keep working and come back. "
        "Fewer rows (in the settings above) make it faster.",
        icon=":material/timer:",
    )
    st.button(
        "Explain",
        type="primary",
        icon=":material/search:",
        on_click=lambda: ws.explanations.__setitem__(key, Job(explain_worker, run, dataset, settings)),
    )
    return None


def _problem(message: str):
    from mlcore.errors import MLCoreError

    return MLCoreError(f"The explanation stopped: {message}", "Try fewer rows, or start it again.")


@st.fragment(run_every=POLL_SECONDS)
def _progress(ws: Workspace, key: str, job: Job) -> None:
    snapshot = job.poll()
    if snapshot.state is not JobState.RUNNING:
        st.rerun()
    st.progress(snapshot.progress, text=f"Explaining: {snapshot.message} · {snapshot.elapsed:.0f} s")

    def stop() -> None:
        job.stop()
        ws.explanations.pop(key, None)

    st.button("Stop", icon=":material/stop:", on_click=stop)
