"""Access to the session's single `Workspace`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from mlcore.workspace import Workspace

KEY = "workspace"
T = TypeVar("T")


def get_workspace() -> Workspace:
    """The session's workspace, created on first use; it survives page switches."""
    return session_value(KEY, Workspace)


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
