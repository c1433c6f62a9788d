"""Discover's controls: algorithm and settings widgets, and each analysis as a background job that the
page starts with a button, follows with a progress bar and a Stop, and draws once it is done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from mlcore.compute.jobs import JobState
from mlcore.discover.algorithms import Algorithm
from mlcore.workspace import Workspace
from ui.feedback import show_problem
from ui.param_widgets import hyperparam_widget
from ui.state import synced

POLL_SECONDS = 1.0


def algorithm_choice(ws: Workspace, field: str, registry: tuple[Algorithm, ...], label: str) -> Algorithm:
    """A select box over `registry` kept in the session's Discover choices (`field`), its description,
    and a widget for each of its settings with plain-language help."""
    by_key = {a.key: a for a in registry}
    chosen = getattr(ws.discover, field)
    keys = list(by_key)
    st.selectbox(
        label,
        keys,
        index=keys.index(chosen),
        format_func=lambda k: by_key[k].name,
        **synced(ws, f"discover.{field}", lambda v: ws.set_discover(**{field: v})),
    )
    algorithm = by_key[chosen]
    st.caption(algorithm.description)
    values = algorithm.resolve(ws.discover.settings(algorithm.key))
    defaults = algorithm.defaults()
    columns = st.columns(max(len(algorithm.params), 1))
    for column, hp in zip(columns, algorithm.params, strict=False):
        with column:
            hyperparam_widget(
                ws,
                hp,
                values[hp.name],
                f"discover.{algorithm.key}.{hp.name}",
                lambda v, name=hp.name: ws.set_discover_param(algorithm.key, name, v, defaults),
            )
    return algorithm


def analysis(ws: Workspace, key: tuple, start: Callable[[], None], button: str, help: str, doing: str) -> Any:
    """The finished result under `key`; otherwise its start button, progress with a Stop, or the
    plain reason it ended, and None."""
    entry = ws.discovery(key)
    if entry.state is JobState.DONE:
        return entry.result
    if entry.state.active:
        _progress(ws, key, doing)
        return None
    if entry.failed:
        show_problem(entry.error)
    elif entry.state is JobState.STOPPED:
        st.info("Stopped. Start it again whenever you like.", icon=":material/stop_circle:")
    st.button(
        button, type="primary", icon=":material/play_arrow:", on_click=start, help=help, key=f"go.{key[0]}"
    )
    return None


@st.fragment(run_every=POLL_SECONDS)
def _progress(ws: Workspace, key: tuple, doing: str) -> None:
    entry = ws.discovery(key)
    if not entry.state.active:
        st.rerun()
    st.progress(min(entry.progress, 1.0), text=f"{doing}: {entry.message} · {entry.elapsed:.0f} s")
    st.button("Stop", icon=":material/stop:", on_click=ws.discover.stop, args=(key,), key=f"stop.{key[0]}")
