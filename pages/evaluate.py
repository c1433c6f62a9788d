"""Evaluate: compare trained models side by side — scores, where each goes wrong, and what it means."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mlcore.evaluate.compare import NOT_COMPARABLE, comparable
from mlcore.evaluate.holdout import RunEvaluation
from mlcore.evaluate.report import build_report
from mlcore.schema import Task
from mlcore.train.runs import Run
from ui.evaluate_cache import evaluation, names, ranked_runs
from ui.evaluate_classification import confusion_tab, curves_tab, threshold_tab
from ui.evaluate_help import explanations_toggle
from ui.evaluate_refit import learning_tab
from ui.evaluate_regression import errors_tab, predictions_tab
from ui.evaluate_scores import class_report_tab, scores_tab
from ui.guards import require_target
from ui.page import remembered_tabs
from ui.state import get_workspace
from ui.use_runs import TRAIN_PAGE, no_model_message

DEFAULT_SHOWN = 3

ws = get_workspace()
st.title("Evaluate")
st.caption(
    "Compare trained models side by side: their scores, where each one goes wrong, and what every chart "
    "means. Everything is computed from the predictions made at training time; nothing is retrained "
    "unless you ask for a curve that needs it."
)
dataset = require_target(ws, "compare models")
available = ranked_runs(ws.current_runs(), ws.metric)
if not available:
    st.info(no_model_message(ws, dataset, "compare models here"), icon=":material/info:")
    st.page_link(TRAIN_PAGE, label="Go to the Train page", icon=":material/model_training:")
    st.stop()

with st.sidebar:
    explanations_toggle(ws)


@st.fragment(key="evaluate_comparison")
def comparison(available: list[Run]) -> None:
    """The picker and the tabs. A fragment, so that picking models, switching tabs or moving the
    threshold reruns only this part, not the navigation, the sidebar and the page header. Its reruns
    reuse `available` from the last page run: runs only change with a whole-page rerun (the sidebar
    does one when a model finishes)."""
    labels = names(available)
    by_id = {r.id: r for r in available}
    stored = [i for i in (ws.evaluation.selected or ()) if i in by_id]
    options_key = f"evaluate_runs@{hash(tuple(by_id))}"

    def remember_selection() -> None:
        ws.evaluation.selected = tuple(st.session_state[options_key])

    chosen = st.multiselect(
        "Models to compare (best first by the leaderboard)",
        list(by_id),
        default=stored or list(by_id)[:DEFAULT_SHOWN],
        format_func=labels.get,
        key=options_key,
        on_change=remember_selection,
    )
    if not chosen:
        st.info("Choose at least one model to see its evaluation.")
        return
    runs = [by_id[i] for i in chosen]
    without_holdout = [r for r in runs if r.y_true is None or not len(r.y_true)]
    if without_holdout:
        st.warning(
            "Trained without a holdout, so there are no predictions on unseen rows to evaluate: "
            + ", ".join(labels[r.id] for r in without_holdout)
            + ". Keep a holdout share on the Prepare page.",
            icon=":material/warning:",
        )
        runs = [r for r in runs if r not in without_holdout]
        if not runs:
            return
    if not comparable(runs):
        st.warning(NOT_COMPARABLE, icon=":material/warning:")
    remembered_tabs("evaluate", _sections(runs, [evaluation(r, dataset) for r in runs]))


def _sections(runs: list[Run], evaluations: list[RunEvaluation]) -> dict[str, Callable[[], None]]:
    """The tabs for this task, each a function that draws it."""

    def scores() -> None:
        """Scores, and the whole comparison as a report to download (built only when clicked)."""
        scores_tab(ws, runs, evaluations)
        st.download_button(
            "Download this comparison as an HTML report",
            data=lambda: build_report(runs, dataset),
            file_name=f"{dataset.name.rsplit('.', 1)[0]}-comparison.html",
            mime="text/html",
            on_click="ignore",
            icon=":material/download:",
            help="One file with every score, matrix and curve and their explanations; it opens offline.",
        )

    if dataset.task is not Task.CLASSIFICATION:
        return {
            "Scores": scores,
            "Predictions and residuals": lambda: predictions_tab(ws, runs, evaluations),
            "Largest errors": lambda: errors_tab(ws, dataset, runs),
            "Learning and validation curves": lambda: learning_tab(ws, dataset, runs),
        }
    binary = len(evaluations[0].classes) == 2
    return {
        "Scores": scores,
        "Per-class report": lambda: class_report_tab(ws, runs, evaluations),
        "Confusion matrices": lambda: confusion_tab(ws, dataset, runs, evaluations),
        "ROC, PR and calibration": lambda: curves_tab(ws, runs, evaluations),
        **({"Threshold": lambda: threshold_tab(ws, dataset, runs, evaluations)} if binary else {}),
        "Learning and validation curves": lambda: learning_tab(ws, dataset, runs),
    }


comparison(available)
