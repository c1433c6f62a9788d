"""History: every run of the project as MLflow keeps it, across sessions and days; restore, compare,
register as a model version, or delete."""

from __future__ import annotations

import streamlit as st

from mlcore.errors import MLCoreError
from mlcore.metrics import METRICS, metrics_for
from mlcore.track.history import history_table, parallel_figure, spec_diff
from ui.feedback import show_problem
from ui.guards import require_project
from ui.history_views import models_view, register_form, tracking_progress
from ui.state import get_workspace

ws = get_workspace()
st.title("History")
st.caption(
    "Every run of this project, from every session and day, as MLflow keeps it: its settings, scores and "
    "model. Restore a run to use it again on Evaluate, Explain, Predict and Export, compare two runs' "
    "settings, or register a run as a version of a named model (deployment and monitoring start there)."
)
require_project(ws)
tracker = ws.recorder.tracker if ws.recorder is not None else None
if tracker is None:
    st.info(
        "MLflow tracking is switched off on this server (MLCORE_TRACKING=off), so there is no history beyond "
        "the leaderboard on the Train page. Unset it and restart to track every run."
    )
    st.stop()
show_problem(ws.problem)
show_problem(ws.recorder.problem)
tracking_progress(ws.recorder)
wide = st.toggle(
    "Also the runs of other projects on this dataset",
    key="history_all_projects",
    help="Every project made from the same data (the same file or sample), in this workbench's MLflow.",
)
try:
    with st.spinner("Reading the project's runs from MLflow…"):
        runs = tracker.dataset_runs(ws.dataset.content_hash) if wide else tracker.project_runs(ws.project.id)
except MLCoreError as exc:
    show_problem(exc)
    st.stop()
table = history_table(runs)
if table.empty:
    st.info("No runs tracked yet: train a model on the Train page and it appears here.")
    st.page_link("pages/train.py", label="Train models", icon=":material/model_training:")
    st.stop()

find, statuses = st.columns([2, 1])
text = find.text_input("Filter by model", placeholder="e.g. forest", key="history_filter")
shown_status = statuses.multiselect("Status", sorted(table["status"].dropna().unique()), key="history_status")
keep = table["model"].fillna("").str.contains(text, case=False, regex=False)
if shown_status:
    keep &= table["status"].isin(shown_status)
view = table[keep]
st.caption(f"{len(view)} of {len(table)} run(s). Click a column to sort; select one run or two to act on.")
picked = st.dataframe(
    view.drop(columns=["MLflow run"] if wide else ["MLflow run", "project"]),
    hide_index=True,
    on_select="rerun",
    selection_mode="multi-row",
    key="history_table",
    column_config={"started": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
)
chosen = [view["MLflow run"].iloc[i] for i in picked.selection.rows if i < len(view)]
in_session = {r.id for r in ws.runs}

if len(chosen) == 2:
    st.subheader("What differs between the two runs")
    diff = spec_diff(runs, chosen[0], chosen[1])
    if diff.empty:
        st.info("The two runs have the same settings and scores.")
    else:
        st.dataframe(diff, hide_index=True)
elif len(chosen) == 1:
    row = view[view["MLflow run"] == chosen[0]].iloc[0]
    st.subheader(f"{row['model']} · {row['status']}")
    restore, delete = st.columns(2)
    if row["run"] in in_session:
        restore.caption("In this session's leaderboard already.")
    elif (
        restore.button("Restore into the session", type="primary", help="It joins the leaderboard")
        and ws.restore_run(chosen[0]) is not None
    ):
        st.success("Restored: it is on the leaderboard and on Evaluate, Explain, Predict and Export.")
    if delete.button("Delete this run", help="From MLflow's history and from the project"):
        try:
            tracker.delete_runs([chosen[0]])
        except MLCoreError as exc:
            show_problem(exc)
        else:
            ws.forget_runs({row["run"]})
            st.session_state.pop("history_table", None)
            st.rerun()
    if row["status"] == "ok":
        register_form(ws, tracker, chosen[0], str(row["model"]))

st.subheader("Settings against the score")
models = sorted(runs["params.model"].dropna().unique()) if "params.model" in runs else []
model_col, metric_col = st.columns(2)
model = model_col.selectbox("Model", models, key="history_model")
task = ws.dataset.task if ws.dataset is not None else None
task_metrics = [m for m in metrics_for(task) if f"metrics.cv_{m}" in runs] if task else []
metric = metric_col.selectbox(
    "Score", task_metrics, format_func=lambda m: METRICS[m].label, key="history_metric"
)
if model and metric:
    try:
        st.plotly_chart(parallel_figure(runs, model, metric), width="stretch")
    except ValueError as exc:
        st.info(str(exc))

models_view(tracker)
