"""The parts of the Predict page: choosing a model (a run or an imported bundle), the one-row form,
the batch upload with its downloads, and the bundle import."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from mlcore.data.loading import load_bytes
from mlcore.data.readers import FILE_TYPES
from mlcore.dataset import Dataset
from mlcore.deploy.bundle import load_model_file
from mlcore.deploy.input_schema import FeatureSpec
from mlcore.deploy.predict import (
    Prediction,
    Predictor,
    parquet_bytes,
    predict_frame,
    predict_one,
    predictor_from_run,
    prepare_rows,
    row_frame,
    safe_csv_bytes,
)
from mlcore.errors import MLCoreError
from mlcore.explain.shap_values import ExplainSettings
from mlcore.formatting import number, percent, plural
from mlcore.markup import markdown_text
from mlcore.schema import ColumnType
from mlcore.train.runs import Run
from mlcore.workspace import Workspace
from ui.explain_state import explain_rows
from ui.explain_views import draw_local
from ui.feedback import show_problem
from ui.use_runs import usable_runs

IMPORTER, IMPORT_PROBLEM, BATCH = "predict_import", "predict_import_problem", "predict_batch"
MODEL_FILES = ["zip", "skops", "pkl", "pickle", "joblib"]  # pickles are accepted only to be refused plainly
FORM_COLUMNS = 3
PREVIEW_ROWS = 200


@st.cache_resource(max_entries=8, show_spinner=False)
def _run_predictor(run_id: str, threshold: float | None, _run: Run, _dataset: Dataset) -> Predictor:
    return predictor_from_run(_run, _dataset, threshold)


def choose_predictor(ws: Workspace, dataset: Dataset | None) -> tuple[Predictor, Run | None] | None:
    """The model to predict with: a trained run on the loaded data, or an imported bundle."""
    runs = usable_runs(ws) if dataset is not None and dataset.target is not None else []
    options: dict[str, tuple[str, Any]] = {f"run:{r.id}": (r.label, r) for r in runs}
    options |= {f"import:{i}": (p.name, p) for i, p in enumerate(ws.imported_models)}
    if not options:
        return None
    keys = list(options)
    default = f"run:{ws.use_run}"
    key = f"predict_model@{hash(tuple(keys))}"

    def remember() -> None:
        if st.session_state[key].startswith("run:"):
            ws.use_run = st.session_state[key][4:]

    chosen = st.selectbox(
        "Model",
        keys,
        index=keys.index(default) if default in keys else 0,
        format_func=lambda k: ("Imported: " if k.startswith("import:") else "") + options[k][0],
        key=key,
        on_change=remember,
    )
    item = options[chosen][1]
    if isinstance(item, Predictor):
        return item, None
    return _run_predictor(item.id, ws.evaluation.thresholds.get(item.id), item, dataset), item


def import_panel(ws: Workspace) -> None:
    """Load a bundle's .skops model; pickle/joblib files are refused with the reason."""

    def load() -> None:
        uploaded = st.session_state.get(IMPORTER)
        st.session_state[IMPORT_PROBLEM] = None
        if uploaded is None:
            return
        try:
            predictor = load_model_file(uploaded.getvalue(), uploaded.name)
        except MLCoreError as problem:
            st.session_state[IMPORT_PROBLEM] = problem
            return
        ws.imported_models.append(predictor)

    with st.expander("Import a model bundle", icon=":material/inventory_2:"):
        st.caption(
            "Upload a bundle (.zip) from the Export page, or its model.skops file. Only the skops file is "
            "read, only the types the workbench trusts are allowed, and the model is checked and run in a "
            "separate process with memory and time limits. Pickle and joblib files are refused: loading "
            "them would run whatever code they contain on this server."
        )
        st.file_uploader("Bundle or .skops file", type=MODEL_FILES, key=IMPORTER, on_change=load)
        show_problem(st.session_state.get(IMPORT_PROBLEM))
        for predictor in ws.imported_models:
            st.caption(markdown_text(f"Imported: {predictor.name} ({predictor.source})"))


def _widget(spec: FeatureSpec, key: str) -> Any:
    kind = ColumnType(spec.kind)
    label = spec.name
    if kind is ColumnType.NUMERIC:
        hint = f"Training range {number(spec.low)} to {number(spec.high)}." if spec.low is not None else None
        return st.number_input(label, value=spec.default, format="%g", key=key, help=hint)
    if kind is ColumnType.BOOLEAN:
        return st.toggle(label, value=bool(spec.default), key=key)
    if kind is ColumnType.DATETIME:
        default = dt.date.fromisoformat(spec.default[:10]) if spec.default else None
        return st.date_input(label, value=default, key=key)
    if kind is ColumnType.TEXT:
        return st.text_area(label, value=spec.default or "", key=key)
    return st.selectbox(
        label,
        list(spec.levels),
        index=0 if spec.levels else None,
        accept_new_options=True,
        key=key,
        help="Levels seen in training, most frequent first; type a new one to see how the model treats it.",
    )


def one_row(predictor: Predictor, run: Run | None, dataset: Dataset | None) -> None:
    """A form with one input per feature (defaults: typical training values) and its prediction."""
    features = predictor.schema.features
    prefix = f"predict_form@{predictor.source}"
    with st.form(prefix):
        columns = st.columns(FORM_COLUMNS)
        values = {}
        for i, spec in enumerate(features):
            with columns[i % FORM_COLUMNS]:
                values[spec.name] = _widget(spec, f"{prefix}:{spec.name}")
        submitted = st.form_submit_button("Predict", type="primary", icon=":material/online_prediction:")
    result = f"{prefix}:result@{predictor.rule}"  # a prediction made under another decision rule is stale
    if not submitted and result not in st.session_state:
        return
    if submitted:
        row = {k: (pd.Timestamp(v) if isinstance(v, dt.date) else v) for k, v in values.items()}
        try:
            st.session_state[result] = (row, predict_one(predictor, row))
        except MLCoreError as problem:
            show_problem(problem)
            return
    row, prediction = st.session_state[result]
    _show_one(prediction, predictor)
    if run is not None and dataset is not None:
        X, _ = prepare_rows(row_frame(predictor.schema, row), predictor.schema)
        with st.spinner("Explaining this prediction …"):
            explanation = explain_rows(run, dataset, ExplainSettings(seed=run.seed), X)
        draw_local(explanation, key=f"{prefix}:waterfall", predicted=prediction.labels.iloc[0])
    else:
        st.caption("Explanations need the training rows, so they are shown for models trained here.")


def _show_one(prediction: Prediction, predictor: Predictor) -> None:
    label = prediction.labels.iloc[0]
    text = number(label) if isinstance(label, float) else str(label)
    st.metric(f"Predicted {markdown_text(predictor.schema.target)}", text)
    for note in prediction.notes:
        st.caption(markdown_text(note))
    if prediction.probability_columns:
        proba = prediction.probabilities().iloc[0]
        names = [c.removeprefix("probability ") for c in proba.index]
        shares = proba.to_numpy(dtype=float)
        figure = go.Figure(
            go.Bar(
                x=shares,
                y=names,
                orientation="h",
                marker_color="#1f77b4",
                text=[percent(p) for p in shares],
                textposition="outside",
                cliponaxis=False,
            )
        )
        figure.update_layout(height=80 + 28 * len(names), margin={"l": 10, "r": 60, "t": 10, "b": 30})
        figure.update_xaxes(range=[0, 1], title="probability")
        st.plotly_chart(figure, key="predict_proba")


def batch(predictor: Predictor) -> None:
    """Upload a file, check it against the training columns, predict every row, download the result."""
    uploaded = st.file_uploader(
        "A file with the same columns as the training data", type=list(FILE_TYPES), key="predict_file"
    )
    if uploaded is None:
        return
    key = (predictor.source, predictor.rule, uploaded.file_id)
    stored = st.session_state.get(BATCH)
    if stored is None or stored[0] != key:
        try:
            with st.spinner("Reading and predicting …"):
                frame = load_bytes(uploaded.getvalue(), uploaded.name)[0].frame
                stored = (key, predict_frame(predictor, frame))
        except MLCoreError as problem:
            show_problem(problem)
            return
        st.session_state[BATCH] = stored
    prediction = stored[1]
    st.success(f"Predicted {plural(len(prediction.frame), 'row')}.", icon=":material/check_circle:")
    for note in prediction.notes:
        st.info(markdown_text(note), icon=":material/info:")
    st.dataframe(prediction.frame.head(PREVIEW_ROWS), height=300)
    stem = uploaded.name.rsplit(".", 1)[0]
    left, right = st.columns(2)
    left.download_button(
        "Download CSV",
        data=lambda: safe_csv_bytes(prediction.frame),
        file_name=f"{stem}-predictions.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    right.download_button(
        "Download Parquet",
        data=lambda: parquet_bytes(prediction.frame),
        file_name=f"{stem}-predictions.parquet",
        mime="application/octet-stream",
        on_click="ignore",
        icon=":material/download:",
    )
