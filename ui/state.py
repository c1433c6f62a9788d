"""Access to the session's single `Workspace`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from mlcore.workspace import Workspace

KEY = "workspace"


def get_workspace() -> Workspace:
    """The session's workspace, created on first use; it survives page switches."""
    if KEY not in st.session_state:
        st.session_state[KEY] = Workspace()
    return st.session_state[KEY]


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
