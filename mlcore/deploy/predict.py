"""Predictions on new data: a schema check against the training columns, then the fitted pipeline.

A new file rarely matches the training table exactly. Missing columns are an error that names them;
extra columns are ignored with a note; values are converted to the type the model was trained on,
and cells that cannot be converted become missing values, counted in a note. Categories never seen
in training are left to the pipeline (its encoders treat them as unknown), and counted too.

Every CSV the app lets users download goes through `safe_csv_bytes`, which escapes cells a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.deploy.input_schema import MAX_LEVELS, ModelSchema, schema_from_run
from mlcore.deploy.row_rules import UNREADABLE_HINT, convert_rows, decide, unreadable_message
from mlcore.errors import MLCoreError, SchemaError
from mlcore.evaluate.decision_rule import DecisionRule, rule_for
from mlcore.schema import Task
from mlcore.train.run_data import check_run_data
from mlcore.train.runs import Run

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class PredictInputError(MLCoreError):
    """New data that cannot be given to the model."""


class MissingColumnsError(PredictInputError, SchemaError):
    """The new data lacks columns the model was trained on; `missing` lists them."""

    def __init__(self, missing: list[str], target: str) -> None:
        shown = ", ".join(f"'{m}'" for m in missing)
        super().__init__(
            f"The file lacks {len(missing)} column(s) the model was trained on: {shown}.",
            "Add these columns with the same names (cells may be empty, they are then treated as missing). "
            f"The target column '{target}' is not needed.",
        )
        self.missing = missing


class ColumnTypeError(PredictInputError, SchemaError):
    """A column holds no value of the type the model expects (text where numbers were trained)."""


@dataclass(frozen=True)
class Predictor:
    """A fitted pipeline with the schema it expects; made from a run or an imported bundle. `rule` is
    the decision threshold chosen on the Evaluate page (None: the model's own rule)."""

    name: str
    pipeline: Any
    schema: ModelSchema
    source: str
    run_id: str | None = None
    rule: DecisionRule | None = None

    @property
    def classes(self) -> tuple[Any, ...] | None:
        return self.schema.classes


def predictor_from_run(run: Run, dataset: Dataset, threshold: float | None = None) -> Predictor:
    """The run's model; `threshold` (chosen on the Evaluate page) becomes its decision rule."""
    check_run_data(run, dataset)
    rule = rule_for(run.classes, run.proba is not None, threshold)
    return Predictor(run.label, run.pipeline, schema_from_run(run, dataset), f"run {run.id}", run.id, rule)


@dataclass(frozen=True)
class Prediction:
    """The input rows with the prediction (and class probabilities) appended, and what was noticed."""

    frame: pd.DataFrame
    prediction_column: str
    probability_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def labels(self) -> pd.Series:
        return self.frame[self.prediction_column]

    def probabilities(self) -> pd.DataFrame:
        return self.frame[list(self.probability_columns)]


# ---------- schema check ----------


def prepare_rows(frame: pd.DataFrame, schema: ModelSchema) -> tuple[pd.DataFrame, list[str]]:
    """The model's input columns from `frame`, converted to their training types, plus notes."""
    names = [str(c) for c in frame.columns]
    if names != list(frame.columns):
        frame = frame.set_axis(names, axis=1)
    given = set(names)
    missing = [name for name in schema.names if name not in given]
    if missing:
        raise MissingColumnsError(missing, schema.target)
    notes: list[str] = []
    known = set(schema.names)
    extra = [n for n in names if n not in known and n != schema.target]
    if extra:
        shown = ", ".join(f"'{n}'" for n in extra[:8]) + (" …" if len(extra) > 8 else "")
        notes.append(f"{len(extra)} column(s) the model does not use were ignored: {shown}.")
    if schema.target in names:
        notes.append(f"The file has the target column '{schema.target}'; it is kept but not used to predict.")
    X, converted, unreadable = convert_rows(frame, schema.feature_dicts, MAX_LEVELS)
    if unreadable:
        raise ColumnTypeError(
            unreadable_message(unreadable, schema.feature_dicts),
            UNREADABLE_HINT,
        )
    return X, notes + converted


# ---------- predicting ----------


def predict_values(
    predictor: Predictor, frame: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Labels (or values) and class probabilities for every row, and the notes on what was converted:
    the Predict page's rules and decision rule, without the table (the REST API answers these)."""
    if frame.empty:
        raise PredictInputError("The file has no rows to predict.", "Add rows below the header.")
    X, notes = prepare_rows(frame, predictor.schema)
    rule = predictor.rule
    classification = predictor.schema.task is Task.CLASSIFICATION
    labels, proba = decide(predictor.pipeline, X, classification, rule.to_dict() if rule else None)
    if rule is not None:
        notes.append(rule.sentence())
    return np.asarray(labels), proba, notes


def predict_frame(predictor: Predictor, frame: pd.DataFrame) -> Prediction:
    """Predictions (and class probabilities) for every row, appended to the rows as given."""
    labels, proba, notes = predict_values(predictor, frame)
    pipeline, schema = predictor.pipeline, predictor.schema
    prediction_column = _free_name(f"predicted {schema.target}", frame.columns)
    added: dict[str, Any] = {prediction_column: labels}
    probability_columns: list[str] = []
    if proba is not None:
        for j, label in enumerate(np.asarray(pipeline.classes_)):
            name = _free_name(f"probability {label}", [*frame.columns, *added])
            added[name] = proba[:, j]
            probability_columns.append(name)
    result = pd.concat([frame, pd.DataFrame(added, index=frame.index)], axis=1)
    return Prediction(result, prediction_column, tuple(probability_columns), tuple(notes))


def _free_name(name: str, taken: Any) -> str:
    taken = {str(t) for t in taken}
    while name in taken:
        name = f"{name} (model)"
    return name


def row_frame(schema: ModelSchema, values: dict[str, Any]) -> pd.DataFrame:
    """One row from form values (missing keys are missing values), in the model's column order."""
    return pd.DataFrame([{f.name: values.get(f.name) for f in schema.features}])


def predict_one(predictor: Predictor, values: dict[str, Any]) -> Prediction:
    return predict_frame(predictor, row_frame(predictor.schema, values))


# ---------- downloads ----------


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells, column names and the index that start like a spreadsheet formula get a leading
    apostrophe.

    A cell such as `=HYPERLINK(...)` or `@SUM(...)` in a downloaded CSV would run in Excel or
    LibreOffice; with the apostrophe it is shown as the text it is. The index counts too: it is the
    first column of a CSV written with `index=True` (a Parquet upload can bring one of its own).
    """
    out = frame.copy(deep=False)
    for name in out.columns:
        out[name] = _escaped(out[name])
    out.columns = [_escape_text(str(c)) for c in out.columns]
    index = out.index
    levels = [_escaped(pd.Series(index.get_level_values(i))) for i in range(index.nlevels)]
    names = [None if n is None else _escape_text(str(n)) for n in index.names]
    out.index = (
        pd.MultiIndex.from_arrays(levels, names=names)
        if index.nlevels > 1
        else pd.Index(levels[0], name=names[0])
    )
    return out


def _escaped(column: pd.Series) -> pd.Series:
    if not (
        pd.api.types.is_object_dtype(column.dtype)
        or pd.api.types.is_string_dtype(column.dtype)
        or isinstance(column.dtype, pd.CategoricalDtype)
    ):
        return column
    column = column.astype(object)
    try:  # each distinct value checked once (labels repeat: a column of classes has a handful)
        formulas = [
            v for v in pd.unique(column.to_numpy()) if isinstance(v, str) and v.startswith(FORMULA_START)
        ]
        risky = column.isin(formulas).to_numpy(dtype=bool) if formulas else np.zeros(len(column), bool)
    except TypeError:  # unhashable cells (lists read from JSON)
        risky = column.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START)).to_numpy(dtype=bool)
    if risky.any():
        column = column.copy()
        column[risky] = "'" + column[risky].astype(str)
    return column


def _escape_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """CSV for download with formula cells escaped; use it for every CSV the app offers."""
    return escape_formulas(frame).to_csv(index=index).encode("utf-8")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()
