"""Parts of the Projects and History pages: the open project's card, disk use, and selections."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mlcore.formatting import plural, size
from mlcore.markup import markdown_text
from mlcore.track.home import tracking_uri, workbench_home
from mlcore.track.projects import ProjectInfo, ProjectStore
from mlcore.track.tracking import safe_uri
from mlcore.workspace import Workspace
from ui.feedback import show_problem

DISK_CACHE_SECONDS = 60


def current_project(ws: Workspace) -> None:
    """The project this session works in, where it is kept, and any problem keeping it."""
    with st.container(border=True):
        if ws.project is None:
            st.markdown("**No project open.** Load a dataset on the Data page, or open one below.")
        else:
            info = ws.recorder.store.info(ws.project.id)
            disk = disk_use(ws.recorder.store, [info])[info.id]  # measured once a minute, not every rerun
            st.markdown(
                f"**Open: {markdown_text(info.name)}** · {markdown_text(info.dataset_name)} · "
                f"{plural(len(info.runs), 'run')} · {size(disk)} on disk  \n"
                ":gray[:small[The link in your address bar reopens this project.]]"
            )
        tracked = ws.recorder.tracker is not None
        st.caption(
            f"Kept in {markdown_text(str(workbench_home()))} (MLCORE_HOME). "
            + (
                f"Runs are tracked in MLflow at {markdown_text(_shown_uri())}."
                if tracked
                else "MLflow tracking is off (MLCORE_TRACKING=off)."
            )
        )
    show_problem(ws.store_problem)
    show_problem(ws.recorder.problem)


def _shown_uri() -> str:
    return safe_uri(tracking_uri(workbench_home()))


def disk_use(store: ProjectStore, projects: list[ProjectInfo]) -> dict[str, int]:
    """Bytes per project, measured at most once a minute per project and change."""
    return {p.id: _disk(store.home, p.id, p.changed) for p in projects}


@st.cache_data(ttl=DISK_CACHE_SECONDS, max_entries=500, show_spinner=False)
def _disk(home: Path, project_id: str, changed: float) -> int:
    del changed  # part of the cache key only
    return ProjectStore(home).disk_bytes(project_id)


def forget_choice() -> None:
    """Clear the table's selection and pending actions (the rows moved under it)."""
    for key in ("projects_table", "project_delete", "project_export"):
        st.session_state.pop(key, None)
