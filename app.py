"""Entry point: page config, navigation over `pages/`, and the sidebar with the active dataset."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("YDATA_PROFILING_NO_ANALYTICS", "True")  # no telemetry from ydata-profiling

import streamlit as st

from mlcore.compute.cluster import scheduler_address
from mlcore.errors import SettingsError
from mlcore.settings import job_limits, memory_limit_from_env, preset

# A local image: a ":material/…:" or emoji icon makes the browser fetch it from a font server.
ICON = Path(__file__).parent / "ui" / "assets" / "icon.png"
st.set_page_config(page_title="ML Workbench", page_icon=str(ICON), layout="wide")
try:
    preset()  # checked before the stages are imported: they read their budgets from it
    memory_limit_from_env()  # the in-memory limit for one table (MLCORE_MEMORY_LIMIT_MB)
    job_limits()  # and MLCORE_MAX_JOBS, MLCORE_JOB_MEMORY_MB, before the first job needs them
    scheduler_address()  # and the form of MLCORE_DASK_SCHEDULER (the cluster is asked at the first job)
except SettingsError as error:
    # The only page, with no navigation: Streamlit would otherwise list `pages/`, which import the stages.
    message = f"{error.message} {error.hint}"
    st.navigation([st.Page(lambda: st.error(message), title="Setting")], position="hidden").run()
    st.stop()

from mlcore.compute.job_queue import identify_owners  # noqa: E402
from mlcore.compute.jobs import warm_up  # noqa: E402
from ui.lesson_player import lesson_banner, presentation_switch  # noqa: E402
from ui.navigation import sections  # noqa: E402
from ui.projects_state import remember  # noqa: E402
from ui.sidebar import draw_sidebar  # noqa: E402
from ui.state import get_workspace, session_id  # noqa: E402

warm_up()  # background workers (training, reports) start fast once this server has imported sklearn
identify_owners(session_id)  # each session's jobs take their turn in the server's queue
page = st.navigation(sections(), expanded=True)  # every page in view: none behind "View more"
workspace = get_workspace()
draw_sidebar(workspace)
presentation_switch()
lesson_banner(workspace)
try:
    page.run()
finally:  # also when the page stops or reruns early: its changes are saved and the URL kept
    remember(workspace)
