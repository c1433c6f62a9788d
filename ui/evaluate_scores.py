"""The Scores and per-class tabs: cross-validation and holdout side by side, the spread over folds,
and each class's precision, recall and F1."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mlcore.evaluate import plots
from mlcore.evaluate.compare import class_report_table, compare_folds, cv_table, fold_scores, holdout_table
from mlcore.evaluate.holdout import RunEvaluation
from mlcore.markup import markdown_text
from mlcore.metrics import METRICS, evaluation_metrics_for, metrics_for
from mlcore.train.runs import Run
from mlcore.workspace import Workspace
from ui.evaluate_cache import cached, chart, table
from ui.evaluate_help import explanation, metric_explanations

NUMBER = st.column_config.NumberColumn(format="%.4f")


def ids(runs: list[Run]) -> tuple[str, ...]:
    return tuple(r.id for r in runs)


def scores_tab(ws: Workspace, runs: list[Run], evaluations: list[RunEvaluation]) -> None:
    task = runs[0].task
    st.subheader("Cross-validation on the training rows")
    if not any(r.fold_scores for r in runs):
        st.info("These models were trained without cross-validation: only holdout scores are available.")
    else:
        table(
            "cv_table",
            ids(runs),
            lambda: cv_table(runs),
            height="content",
            column_config={"best": st.column_config.TextColumn("best mean")},
        )
        _fold_spread(ws, runs)
    explanation(ws, "cv_vs_holdout", "fold_spread")

    st.subheader("Holdout: rows kept aside and scored once")
    table("holdout_table", ids(runs), lambda: _as_text(holdout_table(evaluations)), height="content")
    for e in evaluations:
        for note in e.notes:
            st.caption(markdown_text(note))
    metric_explanations(ws, evaluation_metrics_for(task))


def class_report_tab(ws: Workspace, runs: list[Run], evaluations: list[RunEvaluation]) -> None:
    """Precision, recall and F1 of every class on the holdout, for every chosen model."""
    table(
        "class_report",
        ids(runs),
        lambda: class_report_table(evaluations),
        column_config={k: NUMBER for k in ("precision", "recall", "F1")},
    )
    explanation(ws, "class_report")


def _fold_spread(ws: Workspace, runs: list[Run]) -> None:
    task = runs[0].task
    options = [m for m in metrics_for(task) if any(r.fold_scores.get(m) for r in runs)]
    default = ws.metric if ws.metric in options else runs[0].default_metric
    metric = st.segmented_control(
        "Spread over the folds of",
        options,
        default=default if default in options else options[0],
        format_func=lambda m: METRICS[m].label,
        key="evaluate_fold_metric",
        required=True,
    )
    chart(
        "fold_spread",
        (ids(runs), metric),
        lambda: plots.fold_spread(fold_scores(runs, metric), METRICS[metric].label),
    )
    verdict = cached("fold_comparison", (ids(runs), metric), lambda: _leader_verdict(runs, metric))
    if verdict is not None:
        clear, sentence = verdict
        (st.success if clear else st.info)(sentence, icon=":material/balance:")


def _leader_verdict(runs: list[Run], metric: str) -> tuple[bool, str] | None:
    """Whether the two runs with the best CV mean differ by more than the fold noise, and in words."""
    ordered = sorted(
        (r for r in runs if r.fold_scores.get(metric)),
        key=lambda r: r.cv_mean.get(metric, float("nan")),
        reverse=METRICS[metric].greater_is_better,
    )
    comparison = compare_folds(ordered[0], ordered[1], metric) if len(ordered) > 1 else None
    return None if comparison is None else (comparison.clear, comparison.sentence())


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Scores to four decimals and '—' where a score does not exist (e.g. log loss without probabilities)."""
    return table.map(lambda v: v if isinstance(v, str) else "—" if pd.isna(v) else f"{v:.4f}")
