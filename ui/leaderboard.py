"""The live view of a training: per-model progress, and the leaderboard of every run so far."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pandas as pd
import streamlit as st

from mlcore.dataset import Dataset
from mlcore.markup import markdown_text
from mlcore.metrics import METRICS, metrics_for, ranking_reason
from mlcore.train.leaderboard import leaderboard
from mlcore.train.runs import Run, RunStatus
from mlcore.train.session import TrainingSnapshot
from mlcore.workspace import Workspace

# Symbols every Linux font has (DejaVu): emoji need a colour-emoji font classroom machines often lack.
ICONS = {"queued": "○", "running": "↻", "ok": "✓", "failed": "✗", "timed out": "◷", "stopped": "■"}
SCORE = st.column_config.NumberColumn(format="%.4f")
SECONDS = st.column_config.NumberColumn(format="%.3f s")
OUTCOMES = {"ok": "trained", "failed": "failed", "timed out": "timed out", "stopped": "stopped"}


def progress(snapshot: TrainingSnapshot) -> None:
    """One row per model: state, progress bar, current fold or outcome."""
    table = pd.DataFrame(
        {
            "model": [m.name for m in snapshot.models],
            "state": [f"{ICONS.get(m.state, '')} {m.state}" for m in snapshot.models],
            "progress": [m.progress for m in snapshot.models],
            "details": [m.message for m in snapshot.models],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        height="content",
        column_config={
            "progress": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent")
        },
    )


def training_status(ws: Workspace, snapshot: TrainingSnapshot) -> None:
    """Progress while training runs (with Stop, and its place in line while the server is busy); a
    one-line summary once it is over."""
    if snapshot.running:
        place = snapshot.waiting
        if place:  # nothing moves yet: say why, and where the training stands
            st.info(
                f"**{markdown_text(place[0].upper() + place[1:])}.** The server is busy with other jobs; "
                "your training starts by itself when a worker is free (you can switch pages meanwhile)."
            )
        left, right = st.columns([4, 1], vertical_alignment="center")
        text = f"Training: {snapshot.message} · {snapshot.elapsed:.0f} s"
        left.progress(snapshot.progress, text=markdown_text(text))
        right.button(
            "Stop training",
            key="stop_training",
            icon=":material/stop:",
            on_click=ws.stop_training,
            width="stretch",
        )
        progress(snapshot)
        return
    counts = Counter(m.state for m in snapshot.models)
    summary = ", ".join(f"{counts[state]} {label}" for state, label in OUTCOMES.items() if counts[state])
    with st.expander(f"Last training: {summary} in {snapshot.elapsed:.1f} s"):
        progress(snapshot)


def _setup_columns(runs: list[Run], table: pd.DataFrame) -> pd.DataFrame:
    """Seed, split and preprocessing columns, shown only when they differ between runs."""
    by_id = {r.id: r for r in runs}
    described = {
        "seed": lambda r: r.seed,
        "split": lambda r: f"{r.split.cv_folds or 'no'}-fold, {r.split.test_size:.0%} holdout",
        "prep": lambda r: hashlib.blake2b(json.dumps(r.prep.to_dict()).encode(), digest_size=3).hexdigest(),
    }
    for name, describe in described.items():
        values = table["run id"].map(lambda i, d=describe: d(by_id[i]))
        if values.nunique() > 1:
            table.insert(2, name, values)
    return table


def draw_leaderboard(ws: Workspace, dataset: Dataset) -> None:
    runs = ws.current_runs()
    st.subheader("Leaderboard")
    if not runs:
        st.caption("Trained models appear here as they finish.")
        return
    options = metrics_for(dataset.task)
    chosen = ws.metric if ws.metric in options else runs[0].default_metric
    key = f"leaderboard_metric@{ws.revision}"

    def remember() -> None:  # only a choice the user makes is kept: the default follows the data
        ws.metric = st.session_state[key]

    metric = st.selectbox(
        "Rank by",
        options,
        index=options.index(chosen),
        format_func=lambda m: METRICS[m].label,
        key=key,
        on_change=remember,
        help="The models are ordered by the mean of this score over the cross-validation folds.",
    )
    if metric == runs[0].default_metric and (reason := ranking_reason(dataset.task, runs[0].class_counts)):
        st.caption(reason + " Choose another score above to rank by it.")
    table = leaderboard(runs, metric)
    sampled = {r.id for r in runs if r.sampled}
    table.insert(table.columns.get_loc("rows") + 1, "sampled", table["run id"].isin(sampled))
    table = _setup_columns(runs, table)
    scores = [c for c in table.columns if c.startswith(("CV ", "holdout "))]
    config = dict.fromkeys(scores, SCORE) | {"fit s": SECONDS, "predict s": SECONDS}
    config["CV ± std"] = st.column_config.NumberColumn("± std", format="%.4f")
    config["rows"] = st.column_config.NumberColumn(format="%d", help="Training rows used")
    config["run id"] = None  # hidden
    main = [f"CV {METRICS[metric].label}", "CV ± std", f"holdout {METRICS[metric].label}"]
    first = [c for c in table.columns if c not in scores and c not in ("fit s", "predict s", "rows", "note")]
    order = [*first, *main, "fit s", "predict s", "rows", "note", *[c for c in scores if c not in main]]
    st.dataframe(
        table, hide_index=True, height="content", column_config=config, column_order=order, placeholder="—"
    )
    st.caption(
        f"CV: mean over the folds of the training rows (± standard deviation); holdout: the "
        f"{runs[0].split.test_size:.0%} of rows set aside. Fit and predict times are per fold."
    )
    _problems(runs)
    _repeats(ws, runs)
    st.button(
        "Clear this dataset's leaderboard",
        key="clear_runs",
        on_click=ws.clear_runs,
        help=f"Removes the models trained on '{markdown_text(dataset.name)}' to predict "
        f"'{markdown_text(dataset.target)}'. Models "
        "trained on other datasets or targets in this session are kept.",
    )


def _problems(runs: list[Run]) -> None:
    for run in runs:
        if run.status in (RunStatus.FAILED, RunStatus.TIMED_OUT):
            st.warning(
                f"**{markdown_text(run.label)}** {run.status.value}: {markdown_text(run.message)}",
                icon=":material/warning:",
            )


def _repeats(ws: Workspace, runs: list[Run]) -> None:
    checked = [ws.repeats[r.id] for r in runs if r.id in ws.repeats]
    if checked and all(checked):
        st.success(
            f"{len(checked)} model(s) were trained again with the same data, settings and seed: every "
            "score came out identical.",
            icon=":material/repeat:",
        )
    elif checked:
        st.error(
            f"{checked.count(False)} re-trained model(s) gave different scores.", icon=":material/warning:"
        )
