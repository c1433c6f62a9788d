"""Explain: which columns drive a model's predictions, overall and for one row, in the user's own names."""

from __future__ import annotations

import streamlit as st

from mlcore.errors import MLCoreError
from ui.explain_state import global_explanation
from ui.explain_views import draw_global, draw_row, settings_controls
from ui.feedback import show_problem
from ui.guards import require_target
from ui.page import remembered_tabs
from ui.state import get_workspace
from ui.use_runs import pick_run

ws = get_workspace()
st.title("Explain")
st.caption(
    "SHAP values show how much each column pushes a prediction up or down, in the names of your own "
    "columns (one-hot levels and other expanded columns are summed back to the column they came from). "
    "Permutation importance on the holdout is shown beside them as a model-agnostic cross-check."
)
dataset = require_target(ws, "explain a model")
run = pick_run(ws, dataset, "explain it")
settings = settings_controls(ws, run)

try:
    result = global_explanation(ws, run, dataset, settings)
except MLCoreError as problem:
    show_problem(problem)
    st.stop()
if result is None:
    st.stop()


def one_row() -> None:
    try:
        draw_row(run, dataset, settings)
    except MLCoreError as problem:
        show_problem(problem)


remembered_tabs("explain", {"Whole model": lambda: draw_global(result), "One row": one_row})
