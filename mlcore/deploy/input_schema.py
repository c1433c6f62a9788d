"""What a trained model expects as input, read off its fitted pipeline and the training rows.

The schema is recovered from the run's pipeline (`mlcore.train.fit.run_data`) with typical values from
its training rows: the Predict form, the batch schema check, the served API and the exported bundle
all use this one description.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.schema import ColumnType, Task
from mlcore.train.run_data import feature_kinds, training_rows
from mlcore.train.runs import Run

MAX_LEVELS = 200  # levels kept per categorical feature for the form (most frequent first)


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

    @cached_property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    @cached_property
    def feature_dicts(self) -> list[dict[str, Any]]:
        """The features as the model card and the API describe them (made once: predictions read it)."""
        return [f.to_dict() for f in self.features]

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
            "features": [dict(f) for f in self.feature_dicts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSchema:
        features = tuple(FeatureSpec(**{**f, "levels": tuple(f.get("levels", ()))}) for f in data["features"])
        classes = data.get("classes")
        return cls(features, data["target"], Task(data["task"]), None if classes is None else tuple(classes))


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python values (for JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def schema_from_run(run: Run, dataset: Dataset) -> ModelSchema:
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
