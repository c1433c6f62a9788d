"""Monitor: has the data a model meets drifted from what it learned, and has the model got worse? Then
retrain it on the new rows and register the new version, without code."""

from __future__ import annotations

import streamlit as st

from mlcore.errors import MLCoreError
from mlcore.markup import markdown_text
from ui.deploy_views import model_choices
from ui.feedback import show_problem
from ui.guards import require_project
from ui.monitor_views import (
    latest_banner,
    monitor_state,
    new_data,
    retrain_panel,
    timeline,
    verdict,
    watched_model,
)
from ui.state import get_workspace

ws = get_workspace()
st.title("Monitor")
st.caption(
    "Compare new data with the rows a model learned from: which features moved, whether its predictions "
    "changed, and, when the new rows come with the true answer, whether it got worse. Each verdict is "
    "calibrated (about 5 false alarms in 100 batches where nothing changed, at any batch size) and told "
    "in words. Every check is kept in the project; retrain on the new rows in one click."
)
require_project(ws)
choices = model_choices(ws, ws.recorder.tracker)
if not choices:
    st.info("Nothing to monitor yet: train a model on the Train page (and register it on History).")
    st.page_link("pages/train.py", label="Train models", icon=":material/model_training:")
    st.stop()
labels = {ref: label for label, ref in choices.items()}  # chosen by reference: aliases may move
ref = st.selectbox(
    "Model",
    list(labels),
    format_func=labels.get,
    key="monitor_model",
    help="A registered version, or any run",
)
try:
    model = watched_model(ref, ws.recorder.store.home)
except MLCoreError as exc:
    show_problem(exc)
    st.stop()
state = monitor_state(model.ref)
st.caption(
    f"Compared with the {len(model.reference):,} rows {markdown_text(model.title)} learned from, on its "
    f"{len(model.kinds)} feature(s)."
)
banner = st.container()  # filled once this run's check, if any, is kept
new_data(model, state)
found = latest_banner(model, banner)
if state.check is not None and state.batch is not None:
    verdict(ws, model, state.check, state.batch)
    retrain_panel(ws, model, state)
timeline(found)
