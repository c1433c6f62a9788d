"""Parts of the History page: registering a run as a model version, and the registered models."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from mlcore.errors import MLCoreError
from mlcore.formatting import plural
from mlcore.markup import markdown_text
from mlcore.track.recorder import Recorder
from mlcore.track.tracking import ModelVersionInfo, Tracker, registry_name
from mlcore.workspace import Workspace
from ui.deploy_views import registered_versions
from ui.feedback import show_problem

ALIASES = ("champion", "challenger")
PENDING_KEY = "history_pending"  # runs the recorder had still to track at the last look


def register_form(ws: Workspace, tracker: Tracker, mlflow_run_id: str, label: str) -> None:
    """Register the run as a new version of a named model, with a description and aliases."""
    default = registry_name(ws.dataset.name if ws.dataset is not None else "model") or "model"
    with st.form(f"register_{mlflow_run_id}"):
        st.markdown(f"**Register {markdown_text(label)} as a model version**")
        name = st.text_input("Model name", default, max_chars=100)
        description = st.text_area("Description", placeholder="What it is for, what it was trained on")
        aliases = st.multiselect("Aliases", ALIASES, accept_new_options=True)
        if st.form_submit_button("Register", type="primary"):
            clean = [a for a in map(registry_name, aliases) if a]
            try:
                version = tracker.register(mlflow_run_id, name.strip(), description, tuple(clean))
                registered_versions.clear()  # the Deploy page lists it at once
            except MLCoreError as exc:
                show_problem(exc)
            else:
                st.success(f"Registered **{markdown_text(version.name)}** version {version.version}.")


def models_view(tracker: Tracker) -> None:
    """Every registered model version: name, version, aliases, its source run's scores."""
    st.subheader("Registered models")
    try:
        versions = tracker.model_versions()
    except MLCoreError as exc:
        show_problem(exc)
        return
    if not versions:
        st.caption("None yet: select a finished run above and register it.")
        return
    rows = [
        {
            "model": v.name,
            "version": int(v.version) if v.version.isdigit() else v.version,
            "aliases": ", ".join(v.aliases),
            "description": v.description,
            **{k.removeprefix("cv_"): v.metrics[k] for k in sorted(v.metrics) if k.startswith("cv_")},
            "registered": pd.Timestamp(v.created, unit="s").floor("s"),
            "source run": v.run_id,
        }
        for v in versions
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={"aliases": st.column_config.TextColumn(width="medium")},
    )
    alias_form(tracker, versions)


def alias_form(tracker: Tracker, versions: list[ModelVersionInfo]) -> None:
    """Point an alias at a version (an alias names one version of a model, so it moves from the one
    that had it: promoting a challenger to champion is one click), or take an alias away."""
    st.markdown("**Move or remove an alias**")
    by_name: dict[str, list[ModelVersionInfo]] = {}
    for v in versions:
        by_name.setdefault(v.name, []).append(v)
    pick, alias_col, version_col = st.columns(3)
    name = pick.selectbox("Model", sorted(by_name), key="history_alias_model")
    held = {a: v.version for v in by_name[name] for a in v.aliases}
    alias = alias_col.selectbox(
        "Alias",
        sorted(set(ALIASES) | set(held)),
        key="history_alias",
        accept_new_options=True,
        help="champion, challenger, or a name of your own",
    )
    alias = registry_name(alias or "")
    numbers = [v.version for v in by_name[name]]
    version = version_col.selectbox("Version", numbers, key="history_alias_version")
    now = held.get(alias)
    st.caption(
        f"'{markdown_text(alias)}' is on version {now}."
        if now
        else f"No version has '{markdown_text(alias)}' yet."
    )
    move, remove = st.columns(2)
    if move.button(f"Point it at version {version}", disabled=not alias or now == version, key="alias_move"):
        _changed(lambda: tracker.set_alias(name, alias, version))
    if remove.button("Remove it", disabled=now is None, key="alias_remove"):
        _changed(lambda: tracker.remove_alias(name, alias))


def _changed(action: Callable[[], None]) -> None:
    try:
        action()
    except MLCoreError as exc:
        show_problem(exc)
        return
    registered_versions.clear()  # the Deploy page names aliases too
    st.rerun()


@st.fragment(run_every=2)
def tracking_progress(recorder: Recorder) -> None:
    """While runs are still being written to MLflow, say so; redraw the page once they all are."""
    pending = recorder.pending
    seen = st.session_state.get(PENDING_KEY, 0)
    st.session_state[PENDING_KEY] = pending
    if pending:
        st.caption(f"{plural(pending, 'run')} still being written to MLflow; they appear here when done.")
    elif seen:
        st.rerun()
