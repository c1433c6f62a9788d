"""The full ydata-profiling report on the Explore page: settings, progress, the report and its download.

The report runs in a worker process held by the workspace, so it keeps running while the user is on
other pages; while it runs, a fragment polls it every second without rerunning the rest of the page.
"""

from __future__ import annotations

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.explore.profile_report import (
    ProfileError,
    ProfileResult,
    ProfileRun,
    ProfileSettings,
    plan_profile,
)
from mlcore.markup import sandboxed_page
from mlcore.workspace import Workspace
from ui.feedback import show_problem

POLL_SECONDS = 1.0
REPORT_HEIGHT = 900


def report_tab(ws: Workspace, dataset: Dataset) -> None:
    st.caption(
        "The complete ydata-profiling report: every statistic, interactions and correlations in one page. "
        "It takes a while on large tables, so it runs in the background: keep working, on this page or "
        "others, and come back to it."
    )
    current = ws.profile_settings
    left, right = st.columns(2)
    max_rows = left.number_input(
        "Profile a uniform sample above this many rows",
        100,
        5_000_000,
        current.max_rows,
        step=1_000,
        key="report_max_rows",
    )
    minimal_above = right.number_input(
        "Use the minimal preset above this many columns",
        0,
        10_000,
        current.minimal_above_columns,
        key="report_minimal_above",
    )
    chosen = ProfileSettings(
        max_rows=int(max_rows),
        minimal_above_columns=int(minimal_above),
        seed=current.seed,
        time_budget=current.time_budget,
    )
    st.caption(plan_profile(dataset.n_rows, dataset.n_columns, chosen).describe(chosen))
    run = ws.profile_run if ws.profile_run and ws.profile_run.key[0] == dataset.content_hash else None
    status = run.poll() if run else None
    running = status is not None and status.state.active
    label = "Build the full report" if run is None else "Build it again with these settings"
    st.button(label, on_click=ws.start_profile, args=(chosen,), type="primary", disabled=running)
    if isinstance(ws.problem, ProfileError):  # the report could not even start
        show_problem(ws.problem)
    if run is None or status is None:
        return
    if running:
        _progress(ws, run)
    elif status.result is not None:
        _show(status.result, dataset)
    else:
        show_problem(status.error)


@st.fragment(run_every=POLL_SECONDS)
def _progress(ws: Workspace, run: ProfileRun) -> None:
    status = run.poll()
    if not status.state.active:
        st.rerun()  # the whole page redraws, now with the report or the reason it failed
    st.progress(status.progress, text=f"Building the report: {status.message} · {status.elapsed:.0f} s")
    st.button("Stop", on_click=ws.stop_profile)


def _show(result: ProfileResult, dataset: Dataset) -> None:
    html = result.html
    st.success(
        f"Report ready, built in {result.seconds:.1f} s from {result.plan.rows_profiled:,} of "
        f"{result.plan.rows_total:,} rows{' (minimal preset)' if result.plan.minimal else ''}.",
        icon=":material/task_alt:",
    )
    st.download_button(
        "Download the report (HTML)",
        data=lambda: html,
        file_name=f"{dataset.name.rsplit('.', 1)[0]}-profile.html",
        mime="text/html",
        on_click="ignore",
        icon=":material/download:",
    )
    st.iframe(sandboxed_page(html), height=REPORT_HEIGHT, alt="ydata-profiling report")
