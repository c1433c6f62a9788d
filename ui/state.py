"""Access to the session's single `Workspace`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mlcore.workspace import Workspace
from ui.projects_state import new_workspace

KEY = "workspace"
T = TypeVar("T")


def get_workspace() -> Workspace:
    """The session's workspace, created on first use (reopening the project in the URL); it survives
    page switches."""
    _enter_through_the_app()
    return session_value(KEY, new_workspace)


def session_id() -> str | None:
    """The browser session whose script (or fragment) runs in the calling thread, None in any other
    thread: the owner of the jobs it starts, so the server's job queue takes turns between sessions."""
    context = get_script_run_ctx(suppress_warning=True)
    return context.session_id if context is not None else None


def session_value(key: str, build: Callable[[], T]) -> T:
    """A value built once per session and kept in its state (page objects, say)."""
    if key not in st.session_state:
        st.session_state[key] = build()
    return st.session_state[key]


def widget_key(workspace: Workspace, name: str) -> str:
    """A key that changes whenever the workspace changes, so widgets redraw from its values.

    After a rejected edit (a one-class target, say) the widget shows the workspace's value again
    instead of the value the workspace refused.
    """
    return f"{name}@{workspace.revision}"


def synced(workspace: Workspace, name: str, apply: Callable[[Any], object]) -> dict[str, Any]:
    """Widget keyword arguments that send the widget's new value to `apply` (a workspace method).

    The key is fixed when the widget is drawn, so the callback reads the value the user just set
    even if another callback in the same rerun has already moved the workspace on.
    """
    key = widget_key(workspace, name)
    return {"key": key, "on_change": lambda: apply(st.session_state[key])}


def _enter_through_the_app() -> None:
    """Run app.py first, also for the first visitor of a fresh server who opens a page's own link
    (`/train?project=…`, a shared link after a restart). Until the first `st.navigation` call,
    Streamlit treats `pages/` as its legacy page folder and runs that page alone: no navigation, no
    sidebar, no project from the URL. Switching the legacy mode off, as that call does, and rerunning
    runs the app, which opens the same page with its query parameters."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
