"""The sidebar every page shows: the active dataset at a glance."""

from __future__ import annotations

import streamlit as st

from mlcore.workspace import Workspace


def draw_sidebar(workspace: Workspace) -> None:
    dataset = workspace.dataset
    with st.sidebar:
        st.markdown("### Active dataset")
        if dataset is None:
            st.caption("No dataset loaded yet. Start on the **Data** page.")
            return
        st.markdown(f"**{dataset.name}**")
        st.markdown(
            f"{dataset.n_rows:,} rows × {dataset.n_columns} columns  \n"
            f"Target: **{dataset.target or '—'}**  \n"
            f"Task: **{dataset.task.value if dataset.task else '—'}**"
        )
        st.caption(f"{len(dataset.features)} feature(s) · id {dataset.content_hash[:8]}")
