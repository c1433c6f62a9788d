"""The parts of the Explain page: settings, the global views, and one row's explanation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from mlcore.dataset import Dataset
from mlcore.deploy.predict import safe_csv_bytes
from mlcore.explain import plots
from mlcore.explain.explainer import GlobalExplanation
from mlcore.explain.mistakes import confidently_wrong
from mlcore.explain.shap_values import METHODS, ExplainSettings, Explanation, choose_method
from mlcore.formatting import number, percent, row_numbers, signed
from mlcore.markup import markdown_text
from mlcore.schema import Task
from mlcore.train.runs import Run
from mlcore.workspace import Workspace
from ui.explain_state import explain_rows

ALL = "all classes"
UNITS = {
    "log-odds": "log-odds",
    "softmax score": "raw score (log scale; softmax gives the probabilities)",
    "probability": "probability",
    "decision value": "decision value",
    "prediction": "target units",
}


def settings_controls(ws: Workspace, run: Run) -> ExplainSettings:
    """Explainer and sample size; kept in the workspace so they survive page switches."""
    current = ws.explain_settings if isinstance(ws.explain_settings, ExplainSettings) else ExplainSettings()
    automatic = choose_method(run.pipeline)
    with st.expander(f"Explainer: {METHODS[choose_method(run.pipeline, current)]}"):
        left, right = st.columns(2)
        agnostic = left.toggle(
            "Use the model-agnostic explainer",
            value=current.method == "agnostic" or automatic == "kernel",
            disabled=automatic == "kernel",
            help="Slower and estimated from samples, but it explains the whole pipeline directly in your "
            "columns (also through PCA). Tree and linear models have exact, fast explainers.",
        )
        rows = right.number_input(
            "Rows to explain (tree and linear explainers)", 50, 20_000, current.rows, step=250
        )
        agnostic_rows = right.number_input(
            "Rows to explain (model-agnostic explainer)", 5, 2_000, current.agnostic_rows, step=10
        )
        background = left.number_input(
            "Background rows (k-means summary of the training rows)", 10, 500, current.background, step=10
        )
    chosen = ExplainSettings(
        rows=int(rows),
        method="agnostic" if agnostic and automatic != "kernel" else "auto",
        agnostic_rows=int(agnostic_rows),
        background=int(background),
        seed=run.seed,
    )
    ws.explain_settings = chosen
    return chosen


def _output_choice(explanation: Explanation, key: str, allow_all: bool) -> int | None:
    outputs = list(explanation.outputs)
    if len(outputs) == 1:
        return 0
    options = ([ALL] if allow_all else []) + outputs
    choice = st.selectbox("Class", options, index=len(options) - 1 if len(outputs) == 2 else 0, key=key)
    return None if choice == ALL else outputs.index(choice)


def _unit(explanation: Explanation) -> str:
    return UNITS.get(explanation.output_unit, explanation.output_unit)


def draw_global(result: GlobalExplanation) -> None:
    """Importance (SHAP beside permutation), the beeswarm summary and the dependence plot."""
    shap = result.shap
    for note in (*shap.notes, *result.notes):
        st.caption(markdown_text(note))
    top = st.columns([2, 2, 1], vertical_alignment="bottom")
    with top[0]:
        output = _output_choice(shap, "explain_output", allow_all=True)
    expanded = top[1].toggle(
        "Show expanded columns",
        value=not shap.grouped,
        disabled=not shap.grouped or shap.method == "kernel",
        key="explain_expanded",
        help="One-hot levels, date parts, words and 'was missing' flags separately, as the model sees them. "
        "Off: summed back to the column they came from.",
    )
    importance = shap.importance(output, expanded)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            plots.importance_bar(
                importance, title="SHAP: mean |effect| on the output", axis_title=_unit(shap)
            ),
            key="explain_bar",
        )
    with right:
        if result.permutation is not None:
            table = result.permutation.set_index("feature")
            st.plotly_chart(
                plots.importance_bar(
                    table["importance"],
                    table["std"],
                    title=f"Permutation: drop in holdout {result.permutation_metric} when shuffled",
                    axis_title=f"{result.permutation_metric} lost",
                ),
                key="explain_permutation",
            )
        else:
            st.info("The run has no holdout, so there is no permutation check.")
    st.caption(
        "Both rank the columns: SHAP by how much each moves this model's output on average, permutation by "
        "how much the holdout score drops when the column's values are shuffled. When they disagree, look "
        "for correlated columns (they share credit) or columns the model uses but that do not help it."
    )
    shown = 0 if output is None else output
    matrix = shap.matrix(shown, expanded)
    which = f", class {shap.outputs[shown]}" if len(shap.outputs) > 1 else ""
    if output is None and len(shap.outputs) > 1:
        st.caption(
            f"The plots below show the class {markdown_text(shap.outputs[shown])}; choose a class above for "
            "another."
        )
    title = f"Each row's effect per feature{which}"
    st.plotly_chart(
        plots.beeswarm(matrix, shap.shown_data(expanded), _unit(shap), title=title), key="explain_swarm"
    )
    st.subheader("How one feature moves the prediction")
    names = list(importance.index)
    pick, colour = st.columns(2)
    feature = pick.selectbox("Feature", names, key="explain_dependence")
    by = colour.selectbox("Colour by", ["(none)", *[n for n in names if n != feature]], key="explain_colour")
    data = shap.shown_data(expanded)
    st.plotly_chart(
        plots.dependence(data[feature], matrix[feature], None if by == "(none)" else data[by], _unit(shap)),
        key="explain_dependence_plot",
    )
    st.download_button(
        "Download the SHAP values (CSV)",
        data=lambda: safe_csv_bytes(matrix, index=True),
        file_name=f"shap-values-{result.run_id}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )


def _row_label(row: object, number: int, wrong: pd.DataFrame) -> str:
    """'row 652: actual 3, predicted 5 (99.8% sure)': `number` counts rows as the user does."""
    hit = wrong[wrong["row"] == row]
    if hit.empty:
        return f"row {number:,}"
    first = hit.iloc[0]
    extra = (
        f" ({percent(first.iloc[3])} sure)"
        if hit.columns[3] == "confidence"
        else f" (residual {signed(first.iloc[3])})"
    )
    return f"row {number:,}: actual {_value(first['actual'])}, predicted {_value(first['predicted'])}{extra}"


def _value(value: object) -> str:
    return number(value) if isinstance(value, float | np.floating) else str(value)


def draw_row(run: Run, dataset: Dataset, settings: ExplainSettings) -> None:
    """One holdout row's explanation, the most confidently wrong predictions offered first."""
    wrong = confidently_wrong(run)
    holdout = list(run.holdout_index) if run.holdout_index is not None else []
    if not holdout:
        st.info("The run has no holdout rows to pick from; predict a row on the Predict page to explain it.")
        return
    what = "most confidently wrong predictions" if run.task is Task.CLASSIFICATION else "largest errors"
    with st.expander(f"The {what} on the holdout ({len(wrong)})", expanded=False):
        st.dataframe(
            wrong.assign(row=row_numbers(dataset.frame.index, wrong["row"])),
            hide_index=True,
            column_config={"residual": st.column_config.NumberColumn(format="localized")},
        )
    choices = list(dict.fromkeys([*wrong["row"].tolist(), *holdout]))
    numbers = dict(zip(choices, row_numbers(dataset.frame.index, choices), strict=True))
    row = st.selectbox(
        "Row to explain",
        choices,
        format_func=lambda r: _row_label(r, numbers[r], wrong),
        key="explain_row",
        help="Rows are numbered as in the file (1 is the first row of data).",
    )
    X = dataset.frame.loc[[row], [str(c) for c in run.pipeline.steps[0][1].feature_names_in_]]
    predicted = run.y_pred[holdout.index(row)] if run.y_pred is not None else None
    draw_local(explain_rows(run, dataset, settings, X), key="explain_local", predicted=predicted)


def draw_local(explanation: Explanation, key: str, predicted: object = None) -> None:
    """A waterfall from the average prediction to this row's, for the predicted class by default."""
    outputs = list(explanation.outputs)
    default = outputs.index(str(predicted)) if str(predicted) in outputs else len(outputs) - 1
    output = default
    if len(outputs) > 1:
        output = outputs.index(st.selectbox("Class", outputs, index=default, key=f"{key}_class"))
    expanded = not explanation.grouped
    values = explanation.matrix(output, expanded).iloc[0]
    shown = explanation.shown_data(expanded).iloc[0]
    figure = plots.waterfall(
        values, float(explanation.base[0, output]), _unit(explanation), plots.row_labels(shown)
    )
    st.plotly_chart(figure, key=key)
    total = float(np.sum(values)) + float(explanation.base[0, output])
    st.caption(
        f"Starting from the average output {number(float(explanation.base[0, output]))}, each bar is one "
        f"column's push up (red) or down (blue); together they reach this row's output {number(total)} "
        f"({_unit(explanation)}{', for class ' + outputs[output] if len(outputs) > 1 else ''})."
    )
