"""The app's pages, grouped in the sidebar's sections, built once per session."""

from __future__ import annotations

import streamlit as st

from ui.state import session_value

Sections = dict[str, list[st.Page]]


def _build() -> Sections:
    """Pages for later steps join these sections only once they work end to end."""
    return {
        "Project": [
            st.Page("pages/data.py", title="Data", icon=":material/table_view:", default=True),
            st.Page("pages/projects.py", title="Projects", icon=":material/folder_open:"),
        ],
        "Explore": [
            st.Page("pages/explore.py", title="Explore", icon=":material/query_stats:"),
            st.Page("pages/discover.py", title="Discover", icon=":material/bubble_chart:"),
        ],
        "Model": [
            st.Page("pages/prepare.py", title="Prepare", icon=":material/tune:"),
            st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
            st.Page("pages/evaluate.py", title="Evaluate", icon=":material/balance:"),
            st.Page("pages/history.py", title="History", icon=":material/history:"),
        ],
        "Use": [
            st.Page("pages/explain.py", title="Explain", icon=":material/lightbulb:"),
            st.Page("pages/predict.py", title="Predict", icon=":material/online_prediction:"),
            st.Page("pages/export.py", title="Export", icon=":material/download:"),
            st.Page("pages/deploy.py", title="Deploy", icon=":material/rocket_launch:"),
            st.Page("pages/monitor.py", title="Monitor", icon=":material/monitor_heart:"),
        ],
        "Teach": [st.Page("pages/teach.py", title="Teach", icon=":material/school:")],
    }


def sections() -> Sections:
    """The same page objects on every rerun: building a page resolves its file on disk, which cost
    about a millisecond per rerun for the eight pages. Kept per session, not per process, because
    `st.navigation` marks the page it returns as callable on the object itself."""
    return session_value("navigation_sections", _build)
