"""The Monitor page's parts: the new data (an upload or the API's requests), the verdict with what moved,
the timeline, and retraining in the background with its comparison, registration and promotion."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from mlcore.compute.jobs import Job, JobState
from mlcore.data.readers import FILE_TYPES
from mlcore.errors import MLCoreError
from mlcore.markup import markdown_text
from mlcore.monitor import glossary, plots
from mlcore.monitor import retrain as retraining
from mlcore.monitor.batches import Batch, batch_from_bytes, batch_from_traffic
from mlcore.monitor.check import Check, run_check
from mlcore.monitor.report import feature_table, monitor_report
from mlcore.monitor.subject import Watched, watched
from mlcore.monitor.timeline import checks, timeline_points
from mlcore.workspace import Workspace
from ui.deploy_views import registered_versions
from ui.evaluate_help import explained
from ui.feedback import show_problem

CHARTED = 6  # drifted features drawn, most relied-on first
POLL_SECONDS = 1.0
STATE_KEY = "monitor_state"


@dataclass
class MonitorState:
    """What the page found, kept for the session (it survives page switches): the last check and the
    retraining under way or done, for the model they belong to."""

    ref: str | None = None
    batch: Batch | None = None
    check: Check | None = None
    plan: retraining.Plan | None = None
    job: Job | None = None
    kept: retraining.Retrained | None = None
    comparison: retraining.Comparison | None = None
    promoted: bool = False


def monitor_state(ref: str) -> MonitorState:
    """The session's state for model `ref`; a different model starts afresh (what was found for the
    last one no longer applies, and its retraining is stopped)."""
    state = st.session_state.get(STATE_KEY)
    if state is None or state.ref != ref:
        if state is not None and state.job is not None:
            state.job.stop()
        state = st.session_state[STATE_KEY] = MonitorState(ref)
    return state


def watched_model(ref: str, home: Path) -> Watched:
    """The model, read from its project once per session and model."""
    cache = st.session_state.setdefault("monitor_models", {})
    if ref not in cache:
        cache.clear()
        cache[ref] = watched(ref, home)
    return cache[ref]


def new_data(model: Watched, state: MonitorState) -> None:
    """Choose the new rows and check them."""
    source = st.segmented_control(
        "New data",
        ["An uploaded batch", "The API's requests"],
        default="An uploaded batch",
        key="monitor_source",
        help="A file of new rows (with the target column, the model's score is checked too), or the "
        "requests the model's REST API answered (Deploy page, with traffic logging on).",
    )
    batch: Batch | None = None
    try:
        if source == "The API's requests":
            hours = st.number_input("Requests of the last … hours", 1, 24 * 365, 24, key="monitor_hours")
            if st.button("Check the requests", type="primary", key="monitor_check_traffic"):
                batch = batch_from_traffic(model, time.time() - hours * 3600)
        else:
            upload = st.file_uploader(
                "A batch with the training columns (CSV, Excel, Parquet or JSON)",
                type=list(FILE_TYPES),
                key="monitor_upload",
            )
            if upload is not None and st.button("Check this batch", type="primary", key="monitor_check_file"):
                batch = batch_from_bytes(model, upload.getvalue(), upload.name)
        if batch is not None:
            with st.spinner("Comparing the new rows with what the model learned from…"):
                state.check, state.batch = run_check(model, batch), batch
            state.plan = state.job = state.kept = state.comparison = None
            state.promoted = False
    except MLCoreError as exc:
        show_problem(exc)


def latest_banner(model: Watched, where: Any) -> list[dict[str, Any]]:
    """A banner (in `where`) when the model's latest check drifted; its checks, oldest first."""
    found = checks(model)
    if found and found[-1].get("drifted"):
        when = pd.Timestamp(found[-1]["time"], unit="s").floor("s")
        where.error(
            f"The latest check of this model ({markdown_text(str(found[-1].get('batch', '')))}, "
            f"{when} UTC) found drift.",
            icon=":material/warning:",
        )
    return found


def verdict(ws: Workspace, model: Watched, check: Check, batch: Batch) -> None:
    """The whole verdict, what moved and why, the predictions and the score."""
    say = st.error if check.drifted else st.success
    say(check.sentence, icon=":material/warning:" if check.drifted else ":material/check_circle:")
    for note in check.notes:
        st.caption(markdown_text(note))
    st.subheader("Features")
    st.dataframe(
        feature_table(check),
        hide_index=True,
        column_config={
            "change": st.column_config.NumberColumn(format="%.3f"),
            "counts from": st.column_config.NumberColumn(format="%.2f"),
            "PSI": st.column_config.NumberColumn(format="%.3f"),
            "importance": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    st.plotly_chart(plots.overview_figure(check.drift), key="monitor_overview")
    explained(ws, glossary.DRIFT_TESTS, glossary.MANY_FEATURES, glossary.REAL_BUT_SMALL)
    moved = [f for f in check.drift.features if f.drifted][:CHARTED]
    for left, right in zip(moved[::2], [*moved[1::2], None], strict=False):
        columns = st.columns(2)
        for column, feature in zip(columns, (left, right), strict=False):
            if feature is not None:
                column.markdown(feature.sentence)
                figure = plots.distribution_figure(
                    model.reference[feature.name], batch.features[feature.name], feature.kind, feature.name
                )
                column.plotly_chart(figure, key=f"monitor_dist_{feature.name}")
    with st.expander("Every feature in words"):
        st.markdown("\n\n".join(f.sentence for f in check.drift.features))
    st.subheader("The model's predictions")
    st.markdown(check.predictions_sentence)
    if check.decay is not None:
        st.subheader("The model's score")
        decay = check.decay
        columns = st.columns(2)
        columns[0].metric(f"{decay.label} on its holdout", f"{decay.holdout.estimate:.3f}")
        columns[1].metric(
            f"{decay.label} on the new rows",
            f"{decay.current.estimate:.3f}",
            f"{decay.current.estimate - decay.holdout.estimate:+.3f}",
            delta_color="normal" if decay.greater_is_better else "inverse",
        )
        st.markdown(decay.sentence)
        explained(ws, glossary.DECAY)
    st.download_button(
        "Download this check as a report (HTML)",
        monitor_report(check, model, batch, checks(model)),
        file_name="monitor-report.html",
        mime="text/html",
        icon=":material/download:",
        key="monitor_report",
    )


def timeline(found: list[dict[str, Any]]) -> None:
    if len(found) > 1:
        st.subheader("Every check of this model")
        st.plotly_chart(plots.timeline_figure(*timeline_points(found)), key="monitor_timeline")


def retrain_panel(ws: Workspace, model: Watched, state: MonitorState) -> None:
    """Retrain on the new labelled rows in the background; compare, register, promote."""
    batch = state.batch
    st.subheader("Retrain")
    explained(ws, glossary.RETRAINING)
    if batch is None or batch.labelled == 0:
        st.caption(
            f"Retraining needs new rows with their true '{markdown_text(model.run.target)}': upload a batch "
            "that has that column."
        )
        return
    if state.job is None and state.kept is None:
        st.caption(
            f"{model.title} is trained again, the same way, on the rows it learned from plus the batch's "
            f"labelled rows ({batch.labelled:,}), 30% of which are held out to compare the two models."
        )
        if st.button("Retrain on the new rows", type="primary", key="monitor_retrain"):
            try:
                state.plan = retraining.plan(model, batch)
            except MLCoreError as exc:
                show_problem(exc)
                return
            state.job = Job(retraining.fit, state.plan)
            st.rerun()
        return
    if state.job is not None:
        _retraining_progress(ws, model, state)
    if state.kept is not None:
        _retrained(ws, state)


@st.fragment(run_every=POLL_SECONDS)
def _retraining_progress(ws: Workspace, model: Watched, state: MonitorState) -> None:
    job = state.job
    if job is None:
        return
    snapshot = job.poll()
    if snapshot.state.active:
        st.progress(snapshot.progress, text=f"Retraining {model.title}: {snapshot.message}")
        if st.button("Stop", key="monitor_retrain_stop", icon=":material/stop:"):
            job.stop()
            state.job = None
            st.rerun(scope="app")
        return
    state.job = None
    if snapshot.state is not JobState.DONE:
        show_problem(MLCoreError(snapshot.error or f"Retraining {snapshot.state.value}.", "Try again."))
        return
    try:
        state.comparison = retraining.compare(model, state.plan, snapshot.result)
        with st.spinner("Keeping, tracking and registering the retrained model…"):
            state.kept = retraining.keep(model, state.plan, snapshot.result, state.comparison, ws.recorder)
        registered_versions.clear()  # the Deploy page lists the new version at once
    except MLCoreError as exc:
        show_problem(exc)
    st.rerun(scope="app")


def _retrained(ws: Workspace, state: MonitorState) -> None:
    kept = state.kept
    say = st.success if kept.comparison.better else st.warning
    say(kept.comparison.sentence)
    if kept.version is None:
        st.info(
            f"Kept in the project '{markdown_text(kept.project_name)}'. MLflow tracking is off, so it was "
            "not registered."
        )
        return
    st.markdown(
        f"Registered as **{markdown_text(kept.model_name)}** version {kept.version}, in the project "
        f"'{markdown_text(kept.project_name)}'."
    )
    if state.promoted:
        st.success(
            f"Version {kept.version} is now the champion: `{markdown_text(kept.model_name)}@champion`."
        )
    elif st.button(f"Make version {kept.version} the champion", key="monitor_promote"):
        try:
            retraining.promote(ws.recorder, kept)
        except MLCoreError as exc:
            show_problem(exc)
            return
        state.promoted = True
        registered_versions.clear()
        st.rerun()
