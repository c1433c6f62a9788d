"""Entry point: page config, navigation over `pages/`, and the sidebar with the active dataset."""

from __future__ import annotations

import os

os.environ.setdefault("YDATA_PROFILING_NO_ANALYTICS", "True")  # no telemetry from ydata-profiling

import streamlit as st

from mlcore.jobs import warm_up
from ui.sidebar import draw_sidebar
from ui.state import get_workspace

st.set_page_config(page_title="ML Workbench", page_icon="🧪", layout="wide")

# Pages for later steps join these sections only once they work end to end.
SECTIONS = {
    "Data": [st.Page("pages/data.py", title="Data", icon="📄", default=True)],
    "Explore": [st.Page("pages/explore.py", title="Explore", icon="🔎")],
    "Model": [
        st.Page("pages/prepare.py", title="Prepare", icon="🧰"),
        st.Page("pages/train.py", title="Train", icon="🏋️"),
        st.Page("pages/evaluate.py", title="Evaluate", icon="⚖️"),
    ],
    "Use": [
        st.Page("pages/explain.py", title="Explain", icon="🔍"),
        st.Page("pages/predict.py", title="Predict", icon="🔮"),
        st.Page("pages/export.py", title="Export", icon="📦"),
    ],
}

warm_up()  # background workers (training, reports) start fast once this server has imported sklearn
page = st.navigation(SECTIONS)
draw_sidebar(get_workspace())
page.run()
