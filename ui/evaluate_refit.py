"""On-demand analyses that refit models (out-of-fold predictions, learning and validation curves):
a button to start them, live progress while their workers run, and the cached result afterwards."""

from __future__ import annotations

from typing import Any

import streamlit as st

from mlcore.compute.jobs import JobState
from mlcore.dataset import Dataset
from mlcore.evaluate import plots
from mlcore.evaluate.refit import Kind, param_values
from mlcore.markup import markdown_text
from mlcore.metrics import METRICS, metrics_for
from mlcore.results import Entry
from mlcore.train.models import get_model
from mlcore.train.runs import Run
from mlcore.workspace import Workspace
from ui.evaluate_cache import chart, names
from ui.evaluate_help import explanation

POLL_SECONDS = 1.0


def analyses(
    ws: Workspace, kind: Kind, runs: list[Run], dataset: Dataset, label: str, **settings: Any
) -> dict[str, Any]:
    """Results by run id for the runs whose analysis is done; a start button or progress for the rest."""
    store = ws.evaluation.analyses
    keys = {r.id: store.key(kind, r.id, **settings) for r in runs}
    states: dict[str, Entry[Any]] = {rid: store.poll(key) for rid, key in keys.items()}
    # Not computed yet, or failed or stopped: these may be (re)started.
    missing = [r for r in runs if not (states[r.id].state.active or states[r.id].state is JobState.DONE)]
    if missing:

        def start() -> None:
            for run in missing:
                store.start(kind, run, dataset, **settings)

        st.button(
            label,
            on_click=start,
            icon=":material/play_arrow:",
            key=f"start:{kind}:{hash(tuple(keys.values()))}",
        )
    for run in runs:
        if states[run.id].failed:
            st.warning(
                markdown_text(f"{run.label}: {states[run.id].error.message}"), icon=":material/warning:"
            )
    running = [keys[r.id] for r in runs if states[r.id].state.active]
    if running:
        _progress(ws, running, names(runs), kind)
    return {rid: s.result for rid, s in states.items() if s.state is JobState.DONE}


def out_of_fold_results(ws: Workspace, runs: list[Run], dataset: Dataset, label: str) -> dict[str, Any]:
    """Pooled out-of-fold predictions by run id: those training kept, and for runs without them (from
    a project saved before training kept them) a button that refits them in the background."""
    kept = {r.id: r.oof for r in runs if r.oof is not None}
    others = [r for r in runs if r.oof is None]
    return {**kept, **(analyses(ws, "oof", others, dataset, label) if others else {})}


@st.fragment(run_every=POLL_SECONDS)
def _progress(ws: Workspace, keys: list[tuple], labels: dict[str, str], kind: str) -> None:
    """Polled every second; when the last job ends the whole page redraws with the results."""
    store = ws.evaluation.analyses
    states = [(key, store.poll(key)) for key in keys]
    if all(not s.state.active for _, s in states):
        st.rerun()
    for key, state in states:
        if state.state.active:
            st.progress(state.progress, text=f"{labels.get(key[1], key[1])}: {state.message}")

    def stop() -> None:
        for key in keys:
            store.stop(key)

    st.button("Stop", on_click=stop, key=f"stop:{kind}", icon=":material/stop:")


def learning_tab(ws: Workspace, dataset: Dataset, runs: list[Run]) -> None:
    """Learning curve and validation curve of one chosen run, computed on its own folds on demand."""
    labels = names(runs)
    by_id = {r.id: r for r in runs}
    left, right = st.columns(2)
    run = by_id[left.selectbox("Model", list(by_id), format_func=labels.get, key="evaluate_curve_run")]
    options = metrics_for(run.task)
    metric = right.selectbox(
        "Score",
        options,
        index=options.index(ws.metric if ws.metric in options else run.default_metric),
        format_func=lambda m: METRICS[m].label,
        key="evaluate_curve_metric",
    )
    label = METRICS[metric].label
    st.caption(
        "Both curves refit the model on the run's own cross-validation folds, so they take about as long "
        "as training did. They run in the background; results are kept for this session."
    )
    st.subheader("Learning curve")
    done = analyses(ws, "learning", [run], dataset, "Compute the learning curve", metric=metric)
    if run.id in done:
        chart("learning", (run.id, metric), lambda: plots.learning_curve_figure(done[run.id], label))
    explanation(ws, "learning_curve")

    st.subheader("Validation curve")
    params = get_model(run.task, run.model_key).params
    if not params:
        st.info(f"{run.model_name} has no hyperparameter to vary.")
        return
    by_name = {p.name: p for p in params}
    name = st.selectbox(
        "Hyperparameter",
        list(by_name),
        format_func=lambda n: by_name[n].label,
        key=f"evaluate_param@{run.id}",
    )
    values = param_values(run, name)

    def shown(v: Any) -> str:
        return by_name[name].none_label if v is None else f"{v:g}" if isinstance(v, float) else str(v)

    tried = ", ".join(shown(v) for v in values)
    st.caption(f"{by_name[name].help} Values tried: {tried}; the run used {shown(run.params.get(name))}.")
    done = analyses(
        ws, "validation", [run], dataset, "Compute the validation curve", param=name, metric=metric
    )
    if run.id in done:
        chart(
            "validation", (run.id, name, metric), lambda: plots.validation_curve_figure(done[run.id], label)
        )
    explanation(ws, "validation_curve")
