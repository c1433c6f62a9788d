"""Classification tabs of the Evaluate page: confusion matrices, curves, and the threshold slider."""

from __future__ import annotations

import math

import streamlit as st

from mlcore import eval_plots as plots
from mlcore.dataset import Dataset
from mlcore.evaluate import THRESHOLD_METRICS, ConfusionMatrix, RunEvaluation, ThresholdPoint, confusion
from mlcore.train import Run
from mlcore.workspace import Workspace
from ui.evaluate_cache import CONFIG, FrozenFigure, cached, chart, freeze, names
from ui.evaluate_help import explanation
from ui.evaluate_refit import analyses

PER_ROW = 3
VIEWS = {"counts": "counts", "shares": "row shares"}
SOURCES = {"holdout": "holdout rows", "oof": "out-of-fold (all training rows)"}


def _grid(
    matrices: dict[str, ConfusionMatrix], labels: dict[str, str], normalized: bool, source: str
) -> None:
    titled = [(f"{labels[run_id]} · {cm.total:,} rows", cm) for run_id, cm in matrices.items()]
    chart(
        "confusion",
        (tuple(matrices), normalized, source),
        lambda: plots.confusion_grid(titled, normalized, PER_ROW),
    )


def confusion_tab(ws: Workspace, dataset: Dataset, runs: list[Run], evaluations: list[RunEvaluation]) -> None:
    controls = st.container(horizontal=True)  # one block, where columns send three
    view = controls.segmented_control(
        "Show", list(VIEWS), format_func=VIEWS.get, default="counts", key="evaluate_cm_view", required=True
    )
    source = controls.segmented_control(
        "Rows",
        list(SOURCES),
        format_func=SOURCES.get,
        default="holdout",
        key="evaluate_cm_source",
        required=True,
    )
    labels = names(runs)
    normalized = view == "shares"
    if source == "holdout":
        _grid({e.run.id: e.confusion for e in evaluations}, labels, normalized, source)
    else:
        st.caption(
            "Each training row is predicted by the fold model that did not see it. This refits every model "
            "once per fold, exactly as training did, in the background."
        )
        done = analyses(ws, "oof", runs, dataset, "Compute out-of-fold predictions")
        by_id = {r.id: r for r in runs}
        matrices = {
            rid: cached(
                "oof_confusion", (rid,), lambda o=oof: confusion(o.y_true, o.y_pred, by_id[o.run_id].classes)
            )
            for rid, oof in done.items()
        }
        _grid(matrices, labels, normalized, source)
        explanation(ws, "oof_confusion")
    explanation(ws, "confusion_normalized" if normalized else "confusion_counts")


def curves_tab(ws: Workspace, runs: list[Run], evaluations: list[RunEvaluation]) -> None:
    scored = [e for e in evaluations if e.scores is not None]
    if not scored:
        st.info("None of the chosen models gives class scores, so there are no curves to draw.")
        return
    labels = names(runs)
    classes = [str(c) for c in scored[0].classes]
    if len(classes) > 2:
        label = st.selectbox("Class against the rest", classes, key="evaluate_curve_class")
    else:
        label = classes[1]
        st.caption(f"Positive class: **{label}** (the curves treat '{classes[0]}' as negative).")
    key = (tuple(e.run.id for e in scored), label)
    roc = [(labels[e.run.id], c) for e in scored for c in e.roc if c.label == label]
    pr = [(labels[e.run.id], c) for e in scored for c in e.pr if c.label == label]
    left, right = st.columns(2)
    with left:
        chart("roc", key, lambda: plots.roc_figure(roc))
        explanation(ws, "roc")
    with right:
        chart("pr", key, lambda: plots.pr_figure(pr))
        explanation(ws, "pr")
    calibrated = [(labels[e.run.id], c) for e in evaluations for c in e.calibration if c.label == label]
    st.subheader("Calibration")
    if calibrated:
        chart(
            "calibration",
            (tuple(e.run.id for e in evaluations), label),
            lambda: plots.calibration_figure(calibrated),
        )
    else:
        st.info("None of the chosen models gives probabilities, so there is no calibration curve.")
    explanation(ws, "calibration")


def threshold_tab(ws: Workspace, runs: list[Run], evaluations: list[RunEvaluation]) -> None:
    usable = {e.run.id: e for e in evaluations if e.threshold is not None}
    if not usable:
        st.info("The threshold applies to two-class problems with models that give scores.")
        return
    labels = names(runs)
    controls = st.container(horizontal=True)
    run_id = controls.selectbox("Model", list(usable), format_func=labels.get, key="evaluate_threshold_run")
    metric = controls.selectbox(
        "Best threshold by",
        list(THRESHOLD_METRICS),
        format_func=THRESHOLD_METRICS.get,
        key="evaluate_threshold_metric",
    )
    threshold_panel(ws, usable[run_id], metric)
    explanation(ws, "threshold")


@st.fragment
def threshold_panel(ws: Workspace, e: RunEvaluation, metric: str) -> None:
    """Slider, live confusion matrix and scores; only this part reruns when the slider moves."""
    t = e.threshold
    key = f"evaluate_threshold@{e.run.id}"
    best = cached("best_threshold", (e.run.id, metric), lambda: t.best(metric))
    if key not in st.session_state:
        st.session_state[key] = ws.evaluation.thresholds.get(e.run.id, t.default)

    def remember() -> None:
        ws.evaluation.thresholds[e.run.id] = st.session_state[key]

    step = 10.0 ** math.floor(math.log10((t.high - t.low) / 1000))  # 0.001 for probabilities
    digits = max(0, -round(math.log10(step)))

    def use_best() -> None:
        """The best threshold rounded to the slider's step when that keeps the same predictions."""
        rounded = round(best.threshold, digits)
        same = (t.at(rounded).tp, t.at(rounded).fp) == (best.tp, best.fp)
        st.session_state[key] = ws.evaluation.thresholds[e.run.id] = rounded if same else best.threshold

    what = "probability of" if t.kind == "probability" else "decision value for"
    value = st.slider(
        f"Threshold: a row is called '{t.positive}' when the model's {what} '{t.positive}' is above it",
        t.low,
        t.high,
        step=step,
        format=f"%.{max(digits, 3)}f",
        key=key,
        on_change=remember,
    )
    point, default = t.at(value), cached("default_point", (e.run.id,), lambda: t.at(t.default))
    best_text = (
        f"Best {THRESHOLD_METRICS[metric]}: **{best.value(metric):.3f}** at threshold "
        f"**{best.threshold:.3f}** (precision {best.precision:.3f}, recall {best.recall:.3f})."
    )
    st.markdown(f"{_scores_table(point, default)}\n\n{best_text}")  # one element: cheaper to redraw
    st.button("Use the best threshold", on_click=use_best, key=f"best@{e.run.id}")
    # The figure is built once per run and metric; moving the slider only refills it.
    view = cached(
        "threshold_view", (e.run.id, metric), lambda: freeze(plots.threshold_view(t, t.default, best))
    )
    moved = plots.move_threshold(view.to_dict(), t.confusion(point), value)
    st.plotly_chart(FrozenFigure(moved), key="threshold_view", config=CONFIG)


def _scores_table(point: ThresholdPoint, default: ThresholdPoint) -> str:
    """The scores at the chosen threshold next to the default's, as one small markdown table."""
    keys = ("precision", "recall", "f1", "accuracy")
    rows = [
        "| | precision | recall | F1 | accuracy |",
        "|---|---|---|---|---|",
        f"| **at {point.threshold:.3f}** | "
        + " | ".join(f"**{getattr(point, n):.3f}**" for n in keys)
        + " |",
        f"| default ({default.threshold:g}) | "
        + " | ".join(f"{getattr(default, n):.3f}" for n in keys)
        + " |",
        "| change | " + " | ".join(_change(getattr(point, n) - getattr(default, n)) for n in keys) + " |",
    ]
    return "\n".join(rows)


def _change(delta: float) -> str:
    if abs(delta) < 5e-4:
        return "—"
    return f":green[+{delta:.3f}]" if delta > 0 else f":red[{delta:.3f}]"
