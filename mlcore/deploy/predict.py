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
from mlcore.deploy.input_schema import MAX_LEVELS, FeatureSpec, ModelSchema, schema_from_run
from mlcore.errors import MLCoreError, SchemaError
from mlcore.evaluate.decision_rule import DecisionRule, rule_for
from mlcore.schema import ColumnType, Task
from mlcore.train.run_data import check_run_data
from mlcore.train.runs import Run

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TRUE_WORDS = {"true", "t", "yes", "y", "1", "1.0"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "0.0"}
_SHOWN = 3  # example values quoted in a note


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
    frame = frame.set_axis(names, axis=1)
    missing = [f.name for f in schema.features if f.name not in names]
    if missing:
        raise MissingColumnsError(missing, schema.target)
    notes: list[str] = []
    extra = [n for n in names if n not in set(schema.names) and n != schema.target]
    if extra:
        shown = ", ".join(f"'{n}'" for n in extra[:8]) + (" …" if len(extra) > 8 else "")
        notes.append(f"{len(extra)} column(s) the model does not use were ignored: {shown}.")
    if schema.target in names:
        notes.append(f"The file has the target column '{schema.target}'; it is kept but not used to predict.")
    columns: dict[str, pd.Series] = {}
    unreadable: list[str] = []
    for spec in schema.features:
        column, note = _coerce(frame[spec.name], spec)
        if note:
            notes.append(note)
        present = frame[spec.name].notna()
        if present.any() and column[present.to_numpy()].isna().all() and spec.kind != ColumnType.TEXT:
            unreadable.append(spec.name)
        columns[spec.name] = column
    if unreadable:
        details = "; ".join(f"'{n}' should hold {_kind_words(schema.feature(n))}" for n in unreadable)
        raise ColumnTypeError(
            f"No value of {len(unreadable)} column(s) could be read as the model expects: {details}.",
            "Check that the columns hold the same kind of values as the training data.",
        )
    return pd.DataFrame(columns, index=frame.index), notes


def _kind_words(spec: FeatureSpec) -> str:
    return {
        "numeric": "numbers",
        "boolean": "true/false values",
        "datetime": "dates",
        "categorical": "categories",
        "text": "text",
    }[spec.kind]


def _lost_note(name: str, before: pd.Series, after: pd.Series, what: str) -> str:
    lost = before.notna().to_numpy() & after.isna().to_numpy()
    count = int(lost.sum())
    if not count:
        return ""
    examples = ", ".join(repr(v) for v in pd.unique(before[lost])[:_SHOWN])
    return f"'{name}': {count:,} cell(s) are not {what} ({examples}); they are treated as missing."


def _coerce(column: pd.Series, spec: FeatureSpec) -> tuple[pd.Series, str]:
    kind = ColumnType(spec.kind)
    if kind is ColumnType.NUMERIC:
        if pd.api.types.is_bool_dtype(column.dtype):
            return column.astype(float), ""
        converted = (
            column if pd.api.types.is_numeric_dtype(column.dtype) else pd.to_numeric(column, errors="coerce")
        )
        converted = converted.astype(float).replace([np.inf, -np.inf], np.nan)
        return converted, _lost_note(spec.name, column, converted, "numbers")
    if kind is ColumnType.BOOLEAN:
        return _as_boolean(column, spec)
    if kind is ColumnType.DATETIME:
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            return column, ""
        converted = pd.to_datetime(column, errors="coerce", format="mixed")
        return converted, _lost_note(spec.name, column, converted, "dates")
    if kind is ColumnType.CATEGORICAL:
        converted = _like_training(column, spec.dtype)
        return converted, _unseen_note(converted, spec)
    return column.astype(object).where(column.notna(), None), ""


def _as_boolean(column: pd.Series, spec: FeatureSpec) -> tuple[pd.Series, str]:
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        converted = column.astype(float)
        converted = converted.where(converted.isin([0.0, 1.0]))
        return converted, _lost_note(spec.name, column, converted, "true/false values")
    words = column.astype(str).str.strip().str.lower()
    converted = pd.Series(np.nan, index=column.index)
    converted[words.isin(TRUE_WORDS).to_numpy()] = 1.0
    converted[words.isin(FALSE_WORDS).to_numpy()] = 0.0
    converted[column.isna().to_numpy()] = np.nan
    return converted, _lost_note(spec.name, column, converted, "true/false values")


def _like_training(column: pd.Series, dtype: str) -> pd.Series:
    """Categories read with another dtype than in training (1.0 for 1) become the training's kind."""
    if str(column.dtype) == dtype:
        return column
    try:
        if dtype.startswith(("int", "Int", "uint")):
            numbers = pd.to_numeric(column, errors="coerce")
            if numbers.notna().sum() == column.notna().sum() and (numbers.dropna() % 1 == 0).all():
                return numbers.astype("Int64")
        elif dtype.startswith("float"):
            numbers = pd.to_numeric(column, errors="coerce")
            if numbers.notna().sum() == column.notna().sum():
                return numbers.astype(float)
        elif dtype == "bool" and column.dropna().isin([True, False]).all():
            return column.astype(object)
    except (TypeError, ValueError):
        pass
    return column


def _unseen_note(column: pd.Series, spec: FeatureSpec) -> str:
    if not spec.levels or len(spec.levels) >= MAX_LEVELS:
        return ""  # levels beyond the kept ones are unknown here: the pipeline still handles them
    present = column.dropna()
    text = present.astype(str)
    unseen = ~text.isin(set(spec.levels))
    count = int(unseen.sum())
    if not count:
        return ""
    examples = ", ".join(repr(v) for v in pd.unique(text[unseen.to_numpy()])[:_SHOWN])
    return (
        f"'{spec.name}': {count:,} cell(s) hold values not seen in training ({examples}); the model treats "
        "them as an unknown level."
    )


# ---------- predicting ----------


def predict_frame(predictor: Predictor, frame: pd.DataFrame) -> Prediction:
    """Predictions (and class probabilities) for every row, appended to the rows as given."""
    if frame.empty:
        raise PredictInputError("The file has no rows to predict.", "Add rows below the header.")
    X, notes = prepare_rows(frame, predictor.schema)
    pipeline, schema = predictor.pipeline, predictor.schema
    target = schema.target
    prediction_column = _free_name(f"predicted {target}", frame.columns)
    added: dict[str, Any] = {}
    probability_columns: list[str] = []
    proba = None
    if schema.task is Task.CLASSIFICATION and hasattr(pipeline, "predict_proba"):
        try:
            proba = pipeline.predict_proba(X)
        except AttributeError:  # a classifier without probabilities (e.g. linear SVM)
            proba = None
    rule = predictor.rule
    if proba is not None:
        classes = np.asarray(pipeline.classes_)
        added[prediction_column] = rule.labels(proba[:, 1]) if rule else classes[np.argmax(proba, axis=1)]
        for j, label in enumerate(classes):
            name = _free_name(f"probability {label}", [*frame.columns, *added])
            added[name] = proba[:, j]
            probability_columns.append(name)
    elif rule is not None:
        added[prediction_column] = rule.labels(pipeline.decision_function(X))
    else:
        added[prediction_column] = pipeline.predict(X)
    if rule is not None:
        notes.append(rule.sentence())
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
