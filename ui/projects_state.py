"""The session's project and the page URL: a reload or a shared link reopens the project in it."""

from __future__ import annotations

import streamlit as st

from mlcore.track.home import workbench_home
from mlcore.track.recorder import recorder_for
from mlcore.workspace import Workspace

PARAM = "project"  # ?project=<id> in the URL


def new_workspace() -> Workspace:
    """A session's workspace, kept on disk, reopening the project its URL names (if any)."""
    workspace = Workspace(recorder=recorder_for(workbench_home()))
    wanted = st.query_params.get(PARAM)
    if wanted:
        workspace.open_project(wanted)
    return workspace


def remember(workspace: Workspace) -> None:
    """After every page run: save what changed, and keep the project's id in the URL."""
    workspace.save_state()
    if workspace.project is not None and st.query_params.get(PARAM) != workspace.project.id:
        st.query_params[PARAM] = workspace.project.id
