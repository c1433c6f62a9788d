"""Entry point: page config, navigation over `pages/`, and the sidebar with the active dataset."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("YDATA_PROFILING_NO_ANALYTICS", "True")  # no telemetry from ydata-profiling

import streamlit as st

from mlcore.jobs import warm_up
from ui.navigation import sections
from ui.sidebar import draw_sidebar
from ui.state import get_workspace

# A local image: a ":material/…:" or emoji icon makes the browser fetch it from a font server.
ICON = Path(__file__).parent / "ui" / "assets" / "icon.png"
st.set_page_config(page_title="ML Workbench", page_icon=str(ICON), layout="wide")

warm_up()  # background workers (training, reports) start fast once this server has imported sklearn
page = st.navigation(sections())
draw_sidebar(get_workspace())
page.run()
