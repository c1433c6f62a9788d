"""What a trained model expects as input, read off its fitted pipeline and the training rows.

A `Run` keeps its fitted pipeline but not the schema it was trained with (types and roles may be
edited afterwards). The pipeline's column transformer remembers which columns it used and in which
group (numbers, categories, dates, text), so the schema is recovered from it: the Predict form,
the batch schema check, explanations and the exported bundle all use this one description.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.schema import ColumnType, Task

MAX_LEVELS = 200  # levels kept per categorical feature for the form (most frequent first)

# Column-transformer part name → the type of its columns ("text_<name>" parts are text).
_GROUP_KINDS = {
    "numeric": ColumnType.NUMERIC,
    "boolean": ColumnType.BOOLEAN,
    "categorical": ColumnType.CATEGORICAL,
    "datetime": ColumnType.DATETIME,
}


class RunDataError(MLCoreError):
    """The run cannot be used with this dataset (another file, or the run has no fitted model)."""


@dataclass(frozen=True)
class FeatureSpec:
    """One input column: its type, training dtype, a typical value and (for categories) its levels."""

    name: str
    kind: str  # a ColumnType value
    dtype: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    levels: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["levels"] = list(self.levels)
        return data


@dataclass(frozen=True)
class ModelSchema:
    """The features a model reads, in order, plus what it predicts."""

    features: tuple[FeatureSpec, ...]
    target: str
    task: Task
    classes: tuple[Any, ...] | None = None

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def feature(self, name: str) -> FeatureSpec:
        for spec in self.features:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "task": self.task.value,
            "classes": None if self.classes is None else [_plain(c) for c in self.classes],
            "features": [f.to_dict() for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSchema:
        features = tuple(FeatureSpec(**{**f, "levels": tuple(f.get("levels", ()))}) for f in data["features"])
        classes = data.get("classes")
        return cls(features, data["target"], Task(data["task"]), None if classes is None else tuple(classes))


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python values (for JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def preprocessor(pipeline: Any) -> Any:
    """The fitted column transformer at the start of a workbench pipeline."""
    return pipeline.steps[0][1]


def feature_kinds(pipeline: Any) -> dict[str, ColumnType]:
    """Each input column of the fitted pipeline with the type its preprocessing treats it as."""
    prep = preprocessor(pipeline)
    kinds: dict[str, ColumnType] = {}
    for name, _, columns in prep.transformers_:
        if name == "remainder" or name == "missing":
            continue
        kind = ColumnType.TEXT if name.startswith("text_") else _GROUP_KINDS.get(name)
        if kind is None:
            continue
        for column in columns:
            kinds[str(column)] = kind
    return {str(c): kinds[str(c)] for c in prep.feature_names_in_ if str(c) in kinds}


def training_rows(run: Any, dataset: Dataset) -> pd.DataFrame:
    """The rows the run could learn from: labelled rows that are not in its holdout."""
    check_run_data(run, dataset)
    frame = dataset.frame
    labelled = frame[frame[run.target].notna()]
    if run.holdout_index is not None and len(run.holdout_index):
        labelled = labelled.drop(index=run.holdout_index, errors="ignore")
    return labelled


def holdout_rows(run: Any, dataset: Dataset) -> pd.DataFrame:
    """The run's holdout rows in the run's order (empty when it had no holdout)."""
    check_run_data(run, dataset)
    if run.holdout_index is None or not len(run.holdout_index):
        return dataset.frame.iloc[:0]
    return dataset.frame.loc[run.holdout_index]


def check_run_data(run: Any, dataset: Dataset | None) -> None:
    """Refuse a run without a fitted model, or a dataset other than the one it was trained on."""
    if run.pipeline is None:
        raise RunDataError(
            f"{run.model_name} has no fitted model ({run.status.value}).",
            "Choose a run that finished training.",
        )
    if dataset is None or dataset.content_hash != run.dataset_hash:
        raise RunDataError(
            f"This run was trained on '{run.dataset_name}', which is not the dataset loaded now.",
            f"Load '{run.dataset_name}' again on the Data page to explain or export this run.",
        )


def schema_from_run(run: Any, dataset: Dataset) -> ModelSchema:
    """The run's input schema with typical values from its training rows."""
    rows = training_rows(run, dataset)
    features = tuple(
        _feature_spec(name, kind, rows[name]) for name, kind in feature_kinds(run.pipeline).items()
    )
    return ModelSchema(features, run.target, run.task, run.classes)


def _feature_spec(name: str, kind: ColumnType, column: pd.Series) -> FeatureSpec:
    dtype = str(column.dtype)
    present = column.dropna()
    if kind is ColumnType.NUMERIC:
        values = pd.to_numeric(present, errors="coerce").dropna()
        if values.empty:
            return FeatureSpec(name, kind.value, dtype)
        median = float(values.median())
        if pd.api.types.is_integer_dtype(column.dtype) or bool((values == values.round()).all()):
            median = float(round(median))
        return FeatureSpec(name, kind.value, dtype, median, float(values.min()), float(values.max()))
    if kind is ColumnType.DATETIME:
        stamps = pd.to_datetime(present, errors="coerce").dropna()
        if stamps.empty:
            return FeatureSpec(name, kind.value, dtype)
        return FeatureSpec(name, kind.value, dtype, stamps.median().isoformat())
    if kind is ColumnType.BOOLEAN:
        mode = present.mode()
        return FeatureSpec(name, kind.value, dtype, bool(mode.iloc[0]) if len(mode) else False)
    if kind is ColumnType.TEXT:
        return FeatureSpec(name, kind.value, dtype, "")
    counts = present.astype(str).value_counts()
    levels = tuple(str(v) for v in counts.index[:MAX_LEVELS])
    return FeatureSpec(name, kind.value, dtype, levels[0] if levels else None, levels=levels)
