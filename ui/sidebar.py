"""The sidebar every page shows: the active dataset at a glance, any training in progress (with its
place in line while the server is busy), and where heavy work runs."""

from __future__ import annotations

import streamlit as st

from mlcore.formatting import plural
from mlcore.markup import markdown_text
from mlcore.settings import PRESETS, preset
from mlcore.workspace import Workspace
from ui.server_status import server_status

SEEN_KEY = "sidebar_training_seen"  # (training, models finished, still running) at the last poll


def draw_sidebar(workspace: Workspace) -> None:
    with st.sidebar:
        _dataset_summary(workspace)
        if workspace.training is not None:
            _training_status(workspace)
        server_status()


def _dataset_summary(workspace: Workspace) -> None:
    """One markdown element: drawn on every rerun of every page, so it is kept to one."""
    dataset = workspace.dataset
    chosen = preset()  # said only when samples are lighter or larger than usual
    budget = "" if chosen == PRESETS[0] else f"\n\n:gray[:small[Preset: {chosen} (sample sizes and caps)]]"
    if dataset is None:
        st.markdown(
            f"### Active dataset\n\n:gray[No dataset loaded yet. Start on the **Data** page.]{budget}"
        )
        return
    named = workspace.project is not None and workspace.project.name != dataset.name  # renamed
    project = f"Project: {markdown_text(workspace.project.name)}  \n" if named else ""
    st.markdown(
        f"### Active dataset\n\n**{markdown_text(dataset.name)}**\n\n{project}"
        f"{plural(dataset.n_rows, 'row')} × {plural(dataset.n_columns, 'column')}  \n"
        f"Target: **{markdown_text(dataset.target or '—')}**  \n"
        f"Task: **{dataset.task.value if dataset.task else '—'}**\n\n"
        f":gray[:small[{len(dataset.features)} feature(s) · id {dataset.content_hash[:8]}]]{budget}"
    )


@st.fragment(run_every=2)
def _training_status(workspace: Workspace) -> None:
    """Polled on every page, so progress shows and time budgets hold wherever the user is. When a model
    finishes or the training ends, the whole page redraws: a user waiting on Evaluate, Explain or
    Predict sees the new model there without clicking anything."""
    snapshot = workspace.poll_training()
    if snapshot is None:
        return
    finished = sum(1 for model in snapshot.models if model.state not in ("queued", "running"))
    now, seen = (id(workspace.training), finished, snapshot.running), st.session_state.get(SEEN_KEY)
    st.session_state[SEEN_KEY] = now
    if seen is not None and seen[0] == now[0] and seen != now:  # not on a start: its click reran already
        st.rerun()
    if snapshot.running:
        place = snapshot.waiting
        text = (
            f"Training is {place}" if place else f"Training: {finished} of {len(snapshot.models)} models done"
        )
        st.progress(snapshot.progress, text=markdown_text(text))
