"""Classification tabs of the Evaluate page: confusion matrices, curves, and the threshold slider."""

from __future__ import annotations

import math

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.evaluate import plots
from mlcore.evaluate.holdout import (
    THRESHOLD_METRICS,
    ConfusionMatrix,
    RunEvaluation,
    ThresholdAnalysis,
    ThresholdPoint,
    confusion,
)
from mlcore.evaluate.refit import oof_threshold
from mlcore.formatting import plural
from mlcore.markup import markdown_text
from mlcore.train.runs import Run
from mlcore.workspace import Workspace
from ui.evaluate_cache import CONFIG, FrozenFigure, cached, chart, freeze, names
from ui.evaluate_help import explanation
from ui.evaluate_refit import out_of_fold_results

PER_ROW = 3
VIEWS = {"counts": "counts", "shares": "row shares"}
SOURCES = {"holdout": "holdout rows", "oof": "out-of-fold (all training rows)"}


def _grid(
    matrices: dict[str, ConfusionMatrix], labels: dict[str, str], normalized: bool, source: str
) -> None:
    titled = [(f"{labels[run_id]} · {plural(cm.total, 'row')}", cm) for run_id, cm in matrices.items()]
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
            "Each training row is predicted by the fold model that did not see it, as cross-validation "
            "did during training."
        )
        done = out_of_fold_results(ws, runs, dataset, "Compute out-of-fold predictions")
        by_id = {r.id: r for r in runs}
        matrices = {
            rid: cached(
                "oof_confusion", (rid,), lambda o=oof, r=rid: confusion(o.y_true, o.y_pred, by_id[r].classes)
            )
            for rid, oof in done.items()
        }
        if matrices:  # until computed, the button above is what there is to see
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
        st.caption(
            f"Positive class: **{markdown_text(label)}** (the curves treat '{markdown_text(classes[0])}' as "
            "negative)."
        )
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


CHOSEN_ON = {"oof": "the training rows (out-of-fold)", "holdout": "the holdout itself"}


def threshold_tab(ws: Workspace, dataset: Dataset, runs: list[Run], evaluations: list[RunEvaluation]) -> None:
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
    chooser, source = _chooser(ws, dataset, usable[run_id])
    threshold_panel(ws, usable[run_id], metric, chooser, source)
    explanation(ws, "threshold")


def _chooser(ws: Workspace, dataset: Dataset, e: RunEvaluation) -> tuple[ThresholdAnalysis, str]:
    """The rows the best threshold is chosen on: the training rows' out-of-fold predictions once
    computed, so the holdout's scores at that threshold stay an honest check; until then the holdout
    itself, and the page says that its scores are then optimistic."""
    run = e.run
    if run.split.cv_folds >= 2:
        done = out_of_fold_results(ws, [run], dataset, "Choose it on the training rows (out-of-fold)")
        if run.id in done:
            oof = done[run.id]
            chooser = cached("oof_threshold", (run.id,), lambda: oof_threshold(oof, run, e.kind))
            if chooser is not None:
                st.caption(
                    "The best threshold is chosen on the training rows' out-of-fold predictions; the scores "
                    "shown are the holdout's, which played no part in choosing it."
                )
                return chooser, "oof"
        st.caption(
            "The best threshold below is chosen on the holdout itself, so its holdout scores are "
            "optimistic. Choose it on the training rows' out-of-fold predictions instead: this refits "
            "the model once per fold, in the background."
        )
    else:
        st.caption(
            "This run has no cross-validation folds, so the best threshold is chosen on the holdout itself "
            "and its holdout scores are optimistic."
        )
    return e.threshold, "holdout"


@st.fragment(key="evaluate_threshold")
def threshold_panel(
    ws: Workspace, e: RunEvaluation, metric: str, chooser: ThresholdAnalysis, source: str
) -> None:
    """Slider, live confusion matrix and scores; only this part reruns when the slider moves."""
    t = e.threshold
    key = f"evaluate_threshold@{e.run.id}"
    best = cached("best_threshold", (e.run.id, metric, source), lambda: chooser.best(metric))
    if key not in st.session_state:
        st.session_state[key] = ws.evaluation.thresholds.get(e.run.id, t.default)

    def remember() -> None:
        ws.evaluation.thresholds[e.run.id] = st.session_state[key]

    step = 10.0 ** math.floor(math.log10((t.high - t.low) / 1000))  # 0.001 for probabilities
    digits = max(0, -round(math.log10(step)))

    def use_best() -> None:
        """The best threshold rounded to the slider's step when that keeps the same predictions, within
        the slider's range (out-of-fold decision values can reach beyond the holdout's)."""
        rounded = round(best.threshold, digits)
        same = (chooser.at(rounded).tp, chooser.at(rounded).fp) == (best.tp, best.fp)
        chosen = min(max(rounded if same else best.threshold, t.low), t.high)
        st.session_state[key] = ws.evaluation.thresholds[e.run.id] = chosen

    what = "probability of" if t.kind == "probability" else "decision value for"
    value = st.slider(
        f"Threshold: a row is called '{markdown_text(t.positive)}' when the model's {what} "
        f"'{markdown_text(t.positive)}' is above it",
        t.low,
        t.high,
        step=step,
        format=f"%.{max(digits, 3)}f",
        key=key,
        on_change=remember,
    )
    point, default = t.at(value), cached("default_point", (e.run.id,), lambda: t.at(t.default))
    label = THRESHOLD_METRICS[metric]
    on_holdout = t.at(best.threshold)
    best_text = (
        f"Best {label} on {CHOSEN_ON[source]}: **{best.value(metric):.3f}** at threshold "
        f"**{best.threshold:.3f}**"
        + (
            f"; on the holdout that threshold gives {label} **{on_holdout.value(metric):.3f}** "
            f"(precision {on_holdout.precision:.3f}, recall {on_holdout.recall:.3f})."
            if source == "oof"
            else f" (precision {best.precision:.3f}, recall {best.recall:.3f}): optimistic, as it was "
            "chosen on these very rows."
        )
    )
    table = _scores_table(point, default, metric)
    carried = "Predict and Export use the threshold set here as this model's decision rule."
    st.markdown(f"{table}\n\n{best_text} {carried}")  # one element: cheaper to redraw
    st.button("Use the best threshold", on_click=use_best, key=f"best@{e.run.id}")
    # The figure is built once per run and metric; moving the slider only refills it.
    view = cached(
        "threshold_view",
        (e.run.id, metric, source),
        lambda: freeze(plots.threshold_view(t, t.default, best)),
    )
    moved = plots.move_threshold(view.to_dict(), t.confusion(point), value)
    st.plotly_chart(FrozenFigure(moved), key="threshold_view", config=CONFIG)


SHOWN_AT_THRESHOLD = ("precision", "recall", "f1", "accuracy")


def _scores_table(point: ThresholdPoint, default: ThresholdPoint, metric: str) -> str:
    """The holdout's scores at the chosen threshold next to the default's, as one small markdown table,
    with the metric the best threshold is chosen by."""
    keys = SHOWN_AT_THRESHOLD + (() if metric in SHOWN_AT_THRESHOLD else (metric,))
    at, by_default = point.scores(), default.scores()
    header = " | ".join(THRESHOLD_METRICS.get(k, k) for k in keys)
    rows = [
        f"| | {header} |",
        "|---" * (len(keys) + 1) + "|",
        f"| **at {point.threshold:.3f}** | " + " | ".join(f"**{at[k]:.3f}**" for k in keys) + " |",
        f"| default ({default.threshold:g}) | " + " | ".join(f"{by_default[k]:.3f}" for k in keys) + " |",
        "| change | " + " | ".join(_change(at[k] - by_default[k]) for k in keys) + " |",
    ]
    return "\n".join(rows)


def _change(delta: float) -> str:
    if abs(delta) < 5e-4:
        return "—"
    return f":green[+{delta:.3f}]" if delta > 0 else f":red[{delta:.3f}]"
