"""Deploy: a registered model version or any run of the project as a REST API on this machine, in one
click; several at once, each in a process of its own that outlives the page, a reload and the app."""

from __future__ import annotations

import streamlit as st

from ui.deploy_views import model_choices, serve_form, servers_panel
from ui.guards import require_project
from ui.state import get_workspace

ws = get_workspace()
st.title("Deploy")
st.caption(
    "Serve a model as a REST API: `POST /predict` takes JSON rows and answers predictions (and class "
    "probabilities), `/invocations` reads the formats of `mlflow models serve`, `/predict/csv` a CSV file, "
    "and `/docs` lets you try it in the browser. Each server runs in its own process: it keeps answering "
    "when you switch pages, reload, or restart the workbench, until you stop it."
)
require_project(ws)
home = ws.recorder.store.home
st.subheader("Serve a model")
choices = model_choices(ws, ws.recorder.tracker)
if choices:
    serve_form(ws, home, choices)
else:
    st.info("Nothing to serve yet: train a model on the Train page (and register it on History).")
    st.page_link("pages/train.py", label="Train models", icon=":material/model_training:")
st.subheader("Servers")
servers_panel(home)
