"""Predict: one row from a form (with its explanation) or a whole file, with a trained or imported model."""

from __future__ import annotations

import streamlit as st

from mlcore.markup import markdown_text
from ui.predict_views import batch, choose_predictor, import_panel, one_row
from ui.state import get_workspace
from ui.use_runs import TRAIN_PAGE, no_model_message

ws = get_workspace()
st.title("Predict")
st.caption(
    "Use a trained model on new data: fill in one row, or upload a file with the same columns. New files are "
    "checked against the columns the model was trained on; the predictions download as CSV or Parquet."
)
import_panel(ws)
chosen = choose_predictor(ws, ws.dataset)
if chosen is None:
    unfinished = ws.dataset is not None and any(not r.ok for r in ws.current_runs())
    st.info(
        no_model_message(ws, ws.dataset, "predict with it") + " Or import a bundle exported earlier (above)."
        if unfinished
        else "No model yet: train one on the Train page, or import a bundle exported earlier (above).",
        icon=":material/info:",
    )
    st.page_link(TRAIN_PAGE, label="Go to the Train page", icon=":material/model_training:")
    st.stop()
predictor, run = chosen
schema = predictor.schema
st.caption(
    f"Predicts **{markdown_text(schema.target)}** ({schema.task.value}) from "
    f"{len(schema.features)} column(s): "
    + markdown_text(", ".join(schema.names[:12]))
    + (" …" if len(schema.names) > 12 else "")
)
if predictor.rule is not None:
    st.caption(f"{markdown_text(predictor.rule.sentence())} The threshold was chosen on the Evaluate page.")

form_tab, file_tab = st.tabs(["One row", "A file"])
with form_tab:
    one_row(predictor, run, ws.dataset if run is not None else None)
with file_tab:
    batch(predictor)
