"""Teach: how models think, shown. Trained models' decision boundaries side by side, and overfitting
as it happens while one complexity knob moves."""

from __future__ import annotations

import streamlit as st

from ui.page import remembered_tabs
from ui.state import get_workspace
from ui.teach_lessons import lessons_tab
from ui.teach_paint import paint_tab
from ui.teach_steps import steps_tab
from ui.teach_views import boundaries_tab, overfitting_tab

ws = get_workspace()
st.title("Teach")
st.caption(
    "For a class: paint a dataset, see where each trained model draws the line between classes, and "
    "watch a model go from too simple to memorising the training rows as its complexity grows."
)
remembered_tabs(
    "teach",
    {
        "Paint data": lambda: paint_tab(ws),
        "Decision boundaries": lambda: boundaries_tab(ws),
        "Overfitting": lambda: overfitting_tab(ws),
        "Step through": lambda: steps_tab(ws.seed),
        "Lessons": lambda: lessons_tab(ws),
    },
)
