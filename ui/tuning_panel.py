"""Tuning: search one model's settings in the background, watch the trials, train the best."""

from __future__ import annotations

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.markup import markdown_text
from mlcore.metrics import METRICS
from mlcore.train.leaderboard import leaderboard
from mlcore.train.models import ModelSpec, get_model, models_for
from mlcore.train.tuning import METHODS, TuneResult, TuneSpec, score_plot, trials_table
from mlcore.workspace import Workspace
from ui.feedback import show_problem
from ui.param_widgets import overrides

TRIALS = st.column_config.NumberColumn(format="%.4f")


def _default_model(ws: Workspace, specs: dict[str, ModelSpec]) -> str:
    """The model of the last search, else the leaderboard's best, else the first chosen."""
    if ws.tuning is not None and ws.tuning.spec.model_key in specs:
        return ws.tuning.spec.model_key
    runs = [r for r in ws.current_runs() if r.ok]
    if runs:
        best_id = leaderboard(runs, ws.metric)["run id"].iloc[0]
        return next(r.model_key for r in runs if r.id == best_id)
    return next((k for k in ws.model_keys if k in specs), next(iter(specs)))


def _spec_widgets(ws: Workspace, dataset: Dataset) -> TuneSpec:
    specs = {m.key: m for m in models_for(dataset.task)}
    default = _default_model(ws, specs)
    last = ws.tuning.spec if ws.tuning is not None else TuneSpec(default)
    left, right = st.columns(2)
    key = left.selectbox(
        "Model to tune",
        list(specs),
        index=list(specs).index(default),
        format_func=lambda k: specs[k].name,
        key=f"tune_model@{default}",  # follows the leaderboard's best until the user picks another
        help="Starts on the leaderboard's best model; any model can be tuned.",
    )
    method = right.radio(
        "Search",
        list(METHODS),
        index=list(METHODS).index(last.method),
        format_func=lambda m: METHODS[m],
        horizontal=True,
        key="tune_method",
        help="Grid tries every combination of a few values; random samples the ranges; Bayesian (TPE) "
        "learns from earlier trials where good settings lie.",
    )
    spec = specs[key]
    names = [p.name for p in spec.params]
    searched = st.multiselect(
        "Settings to search",
        names,
        default=[n for n in last.params if n in names] or names,
        format_func=lambda n: spec.param(n).label,
        key=f"tune_params.{key}",
        help="The other settings keep the values chosen above for this model.",
    )
    trials, budget, points = st.columns(3)
    n_trials = trials.number_input("Trials", 1, 500, last.n_trials, key="tune_trials")
    seconds = budget.number_input(
        "Time budget (s)",
        5,
        3600,
        int(last.time_budget or 60),
        step=5,
        key="tune_budget",
        help="The search stops after this time and keeps every finished trial.",
    )
    grid_points = last.grid_points
    if method == "grid":
        grid_points = points.number_input(
            "Values per number setting", 2, 10, last.grid_points, key="tune_grid"
        )
    return TuneSpec(
        key,
        method,
        tuple(searched),
        int(n_trials),
        float(seconds),
        int(grid_points),
        ws.metric,
        {k: v for k, v in overrides(ws, spec).items() if k not in searched},
    )


def _show(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _results(ws: Workspace, result: TuneResult, running: bool) -> None:
    if not result.trials:
        return
    best = result.best
    label = METRICS[result.metric].label
    if best is not None:
        model = get_model(ws.tuning.request.dataset.task, result.spec.model_key)
        names = result.spec.params or tuple(best.params)
        settings = ", ".join(f"{model.param(n).label} = {_show(best.params[n])}" for n in names)
        st.markdown(f"**Best so far:** trial {best.number + 1}, CV {label} {best.score:.4f} ± {best.std:.4f}")
        st.caption(settings)
    table, plot = st.columns([3, 2])
    table.dataframe(
        trials_table(result),
        hide_index=True,
        column_config={
            label: TRIALS,
            "± std": TRIALS,
            "seconds": st.column_config.NumberColumn(format="%.2f s"),
        },
    )
    figure = score_plot(result).update_layout(title_text=f"CV {label} per trial", height=320)
    plot.plotly_chart(figure, key="tune_plot")
    if (
        not running
        and best is not None
        and st.button("Train the best settings as a new run", icon=":material/emoji_events:")
    ):
        ws.train_best()
        st.rerun()


def tuning_panel(ws: Workspace, dataset: Dataset) -> None:
    st.subheader("Tune a model")
    st.caption(
        "Searches a model's settings, scoring each trial by cross-validation on the same folds as the "
        "leaderboard; the holdout rows stay untouched."
    )
    running = ws.tuning is not None and ws.tuning.job.active
    spec = _spec_widgets(ws, dataset)
    start, stop = st.columns(2)
    start.button(
        "Start tuning",
        disabled=running or not spec.params,
        on_click=ws.start_tuning,
        args=(spec,),
        width="stretch",
    )
    stop.button("Stop tuning", disabled=not running, on_click=ws.stop_tuning, width="stretch")
    show_problem(ws.tune_problem)
    _live(ws, running)


@st.fragment(run_every=1.0)
def _poll(ws: Workspace) -> None:
    """Polled every second while the search runs; a full rerun when it ends re-enables the buttons."""
    snapshot, result = ws.poll_tuning()
    st.progress(snapshot.progress, text=f"Tuning: {snapshot.message} · {snapshot.elapsed:.0f} s")
    _results(ws, result, running=True)
    if not ws.tuning.job.active:
        st.rerun()


def _live(ws: Workspace, running: bool) -> None:
    if ws.tuning is None:
        return
    if running:
        _poll(ws)
        return
    snapshot, result = ws.poll_tuning()
    if snapshot.error:
        st.warning(f"The search failed: {markdown_text(snapshot.error)}", icon=":material/warning:")
    ended = result.stopped_reason or "finished"
    st.caption(f"Last search: {len(result.trials)} trial(s) in {snapshot.elapsed:.0f} s ({ended}).")
    _results(ws, result, running=False)
