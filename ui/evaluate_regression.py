"""Regression tabs of the Evaluate page: predictions against truth, residuals, the largest errors."""

from __future__ import annotations

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.evaluate import plots
from mlcore.evaluate.holdout import RunEvaluation, largest_errors, numbered
from mlcore.train.runs import Run
from mlcore.workspace import Workspace
from ui.evaluate_cache import chart, names, table
from ui.evaluate_help import explanation

NUMBER = st.column_config.NumberColumn(format="localized")  # 1,822.4, never 1.822e+03


def predictions_tab(ws: Workspace, runs: list[Run], evaluations: list[RunEvaluation]) -> None:
    labels = names(runs)
    series = {labels[e.run.id]: e.residuals for e in evaluations}
    key = tuple(e.run.id for e in evaluations)
    left, right = st.columns(2)
    with left:
        chart("predicted_vs_actual", key, lambda: plots.predicted_vs_actual(series))
        explanation(ws, "predicted_vs_actual")
    with right:
        chart("residuals_vs_predicted", key, lambda: plots.residuals_vs_predicted(series))
        explanation(ws, "residuals_vs_predicted")
    chart("residual_histogram", key, lambda: plots.residual_histogram(series))
    explanation(ws, "residual_distribution")


def errors_tab(ws: Workspace, dataset: Dataset, runs: list[Run]) -> None:
    labels = names(runs)
    by_id = {r.id: r for r in runs}
    left, right = st.columns([3, 1])
    run = by_id[left.selectbox("Model", list(by_id), format_func=labels.get, key="evaluate_errors_run")]
    n = right.number_input("Rows", 1, 500, 10, key="evaluate_errors_n")
    config = {c: NUMBER for c in ("actual", "predicted", "residual")}
    config["abs_error"] = st.column_config.NumberColumn("absolute error", format="localized")
    config["row"] = st.column_config.NumberColumn(help="As in the file: 1 is the first row of data.")
    table(
        "largest_errors",
        (run.id, int(n)),
        lambda: numbered(largest_errors(run, dataset, int(n)), dataset),
        column_config=config,
    )
    explanation(ws, "largest_errors")
