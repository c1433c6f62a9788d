"""Prepare: how each kind of column becomes numbers for the models, and how rows are split to score them."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from mlcore.schema import ColumnType, Task
from ui import prep_widgets
from ui.guards import require_target
from ui.pipeline_view import pipeline_diagram, pipeline_summary
from ui.split_widgets import split_preview, split_widgets
from ui.state import get_workspace

ws = get_workspace()

st.title("Prepare")
st.caption(
    "Choose how each kind of column is turned into numbers, and how rows are split to score the models. "
    "Nothing is computed here: the steps run inside training, on training rows only."
)
dataset = require_target(ws, "prepare it")
counts = Counter(dataset.column(name).ctype for name in dataset.features)
SECTIONS = [
    (ColumnType.NUMERIC, "Numbers", prep_widgets.numbers),
    (ColumnType.CATEGORICAL, "Categories", prep_widgets.categories),
    (ColumnType.DATETIME, "Dates", prep_widgets.dates),
    (ColumnType.TEXT, "Text", prep_widgets.text),
]
present = [(f"{label} ({counts[ctype]})", draw) for ctype, label, draw in SECTIONS if counts[ctype]]

settings, summary = st.columns([3, 2], gap="large")
with settings:
    st.subheader("Preprocessing")
    tabs = st.tabs([label for label, _ in present] + ["Whole table"])
    for tab, (_, draw) in zip(tabs, present, strict=False):
        with tab:
            draw(ws)
    with tabs[-1]:
        prep_widgets.whole_table(ws, classification=dataset.task is Task.CLASSIFICATION)
    if counts[ColumnType.BOOLEAN]:
        st.caption(
            f"{counts[ColumnType.BOOLEAN]} true/false column(s) need no settings: they are used as 1/0."
        )
with summary:
    st.subheader("Resulting pipeline")
    buildable = pipeline_summary(ws, dataset)
if buildable:
    pipeline_diagram(ws, dataset)

st.subheader("Split and validation")
left, right = st.columns([3, 2], gap="large")
with left:
    split_widgets(ws, dataset)
with right:
    split_preview(ws, dataset)
    st.page_link("pages/train.py", label="Next: choose and train models", icon=":material/model_training:")
