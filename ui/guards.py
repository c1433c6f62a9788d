"""What the model pages need before they can draw: a dataset with a target, or a pointer to Data."""

from __future__ import annotations

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.markup import markdown_text
from mlcore.workspace import Workspace

DATA_PAGE = "pages/data.py"
PROJECTS_PAGE = "pages/projects.py"


def require_project(workspace: Workspace) -> None:
    """Stop a page that works on the open project (History, Deploy, Monitor) when none is open."""
    if workspace.project is None or workspace.recorder is None:
        st.info("No project open: load a dataset on the Data page, or open a project.")
        st.page_link(PROJECTS_PAGE, label="Open a project", icon=":material/folder_open:")
        st.stop()


def require_dataset(workspace: Workspace, doing: str) -> Dataset:
    """The dataset, with or without a target, or stop the page with a link to the Data page."""
    if workspace.dataset is None:
        _stop(f"No dataset yet. Load one on the Data page before you {doing}.")
    return workspace.dataset


def require_target(workspace: Workspace, doing: str) -> Dataset:
    """The dataset, or stop the page with a plain explanation and a link to the Data page."""
    dataset = require_dataset(workspace, doing)
    if dataset.target is None or dataset.task is None:
        _stop(
            f"'{markdown_text(dataset.name)}' has no target yet. Choose the column to predict on the Data "
            f"page before you {doing}."
        )
    return dataset


def _stop(message: str) -> None:
    st.info(message, icon=":material/info:")
    st.page_link(DATA_PAGE, label="Go to the Data page", icon=":material/table_view:")
    st.stop()
