"""A project's parts as plain files: the dataset as Parquet and JSON, settings as JSON, each run as
JSON, its predictions as an Arrow IPC file and its fitted pipeline as `.skops`. Never a pickle.

These are the formats a project is kept in on disk and handed on in (`archive`), so reading them
back checks everything: a JSON member of the wrong shape, a Parquet file that does not match its
dataset and a model with types off the allow-list are each a `ProjectFileError`.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset, FileFormat, ReadInfo
from mlcore.deploy.bundle import skops_bytes
from mlcore.deploy.sandbox import load_checked
from mlcore.errors import MLCoreError
from mlcore.origin import Origin
from mlcore.schema import ColumnInfo, ColumnType, Role, Task
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.runs import OutOfFold, Run, RunStatus
from mlcore.train.split import SplitSpec

PREDICTIONS = "predictions.arrow"  # a run's holdout and out-of-fold predictions, beside run.json
OOF_CLASSES = "mlcore.oof_classes"  # the Arrow metadata key naming the out-of-fold predictions' classes
MAX_STORED_PREDICTIONS = 1_000_000  # holdout rows whose predictions a run keeps (a uniform sample beyond)
MODELS_CACHED = 16  # fitted pipelines read back and kept in memory, shared by every session
_TUPLE = "__tuple__"  # how a tuple parameter (hidden layer sizes, say) is written in JSON


class ProjectFileError(MLCoreError):
    """A project file or one of its members is damaged, or is not what the workbench writes."""


@dataclass(frozen=True)
class ProjectSettings:
    """The Prepare/Train settings and the selections a project reopens with."""

    prep: PrepSpec = field(default_factory=PrepSpec)
    split: SplitSpec = field(default_factory=SplitSpec)
    seed: int = 0
    model_keys: tuple[str, ...] = ()
    compare_all: bool = False
    model_params: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    uncapped: frozenset[str] = frozenset()
    time_budget: float | None = None
    metric: str | None = None
    selected: tuple[str, ...] | None = None  # the runs chosen on the Evaluate page
    use_run: str | None = None  # the run chosen on the Explain, Predict and Export pages

    def to_dict(self) -> dict[str, Any]:
        return {
            "prep": self.prep.to_dict(),
            "split": self.split.to_dict(),
            "seed": self.seed,
            "model_keys": list(self.model_keys),
            "compare_all": self.compare_all,
            "model_params": [[t, k, encode(p)] for (t, k), p in sorted(self.model_params.items())],
            "uncapped": sorted(self.uncapped),
            "time_budget": self.time_budget,
            "metric": self.metric,
            "selected": None if self.selected is None else list(self.selected),
            "use_run": self.use_run,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ProjectSettings:
        try:
            return cls(
                prep=PrepSpec.from_dict(data.get("prep", {})),
                split=SplitSpec.from_dict(data.get("split", {})),
                seed=int(data.get("seed", 0)),
                model_keys=tuple(str(k) for k in data.get("model_keys", ())),
                compare_all=bool(data.get("compare_all", False)),
                model_params={(str(t), str(k)): decode(p) for t, k, p in data.get("model_params", ())},
                uncapped=frozenset(str(k) for k in data.get("uncapped", ())),
                time_budget=_optional_float(data.get("time_budget")),
                metric=_optional_str(data.get("metric")),
                selected=None if data.get("selected") is None else tuple(map(str, data["selected"])),
                use_run=_optional_str(data.get("use_run")),
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise _damaged("the settings", exc) from None


# ---------- the dataset ----------


def dataset_meta(dataset: Dataset) -> dict[str, Any]:
    """Everything about the dataset except its rows: schema, target, task and how it was read."""
    meta = {f.name: getattr(dataset, f.name) for f in fields(Dataset) if f.name not in ("frame", "origin")}
    meta["columns"] = [asdict(c) for c in dataset.columns]
    meta["read_info"] = asdict(dataset.read_info)
    encoded = encode(meta)
    if dataset.origin is not None:  # plain JSON (it holds no tuples that must come back as tuples)
        encoded["origin"] = dataset.origin.to_dict()
    return encoded


def frame_bytes(frame: pd.DataFrame) -> bytes:
    """The table as Parquet, index included (runs name their holdout rows by index label)."""
    out = io.BytesIO()
    try:
        frame.to_parquet(out, index=True)
    except (ValueError, TypeError, ImportError) as exc:  # pyarrow refuses a column of mixed types
        raise ProjectFileError(
            f"The table could not be saved with the project ({exc}).",
            "Set the type of the mixed column on the Data page (text or number), then try again.",
        ) from None
    return out.getvalue()


def dataset_from(meta: Any, parquet: bytes) -> Dataset:
    """The dataset back from its metadata and its rows; refused if they do not fit together."""
    try:
        frame = _missing_as_nan(pd.read_parquet(io.BytesIO(parquet)))
        origin = meta.get("origin")
        values = decode({k: v for k, v in meta.items() if k != "origin"})
        columns = tuple(
            ColumnInfo(**{**c, "ctype": ColumnType(c["ctype"]), "role": Role(c["role"])})
            for c in values["columns"]
        )
        read = values.get("read_info", {})
        read_info = ReadInfo(**{**read, "file_format": FileFormat(read.get("file_format", "delimited text"))})
        dataset = Dataset(
            **{
                **values,
                "frame": frame,
                "columns": columns,
                "task": None if values.get("task") is None else Task(values["task"]),
                "read_info": read_info,
                "notes": tuple(values.get("notes", ())),
                "coerced_cells": tuple(tuple(c) for c in values.get("coerced_cells", ())),
                "origin": None if origin is None else Origin.from_dict(origin),
            }
        )
    except (KeyError, TypeError, ValueError, OSError, AttributeError) as exc:
        raise _damaged("the dataset", exc) from None
    if [c.name for c in dataset.columns] != [str(c) for c in frame.columns]:
        raise ProjectFileError(
            "The project's table does not match its list of columns.", "Export the project again."
        )
    return dataset


# ---------- runs ----------


def run_meta(run: Run, has_model: bool) -> dict[str, Any]:
    """The run without its arrays and pipeline, as JSON-safe values; `has_model` says whether its
    `.skops` file is kept beside it."""
    skipped = {"holdout_index", "y_true", "y_pred", "proba", "oof", "fitted", "load_fitted"}
    meta = {f.name: getattr(run, f.name) for f in fields(Run) if f.name not in skipped}
    meta["prep"], meta["split"] = run.prep.to_dict(), run.split.to_dict()
    meta["has_model"] = has_model
    return encode(meta)


def predictions_bytes(run: Run, seed: int = 0) -> bytes | None:
    """The holdout's and the training rows' out-of-fold predictions as one Arrow IPC file (read back
    in a fraction of Parquet's time: a project of hundreds of runs opens at once): index labels, true
    values, predictions, class probabilities, and the fold (0 for holdout rows). A holdout over
    `MAX_STORED_PREDICTIONS` rows keeps a uniform sample; out-of-fold predictions over it are not kept
    (Evaluate refits them when asked)."""
    import pyarrow as pa

    if run.y_true is None or run.holdout_index is None:
        return None
    keep = np.arange(len(run.y_true))
    if len(keep) > MAX_STORED_PREDICTIONS:
        keep = np.sort(np.random.default_rng(seed).choice(keep, MAX_STORED_PREDICTIONS, replace=False))
    oof = run.oof if run.oof is not None and len(run.oof.index) <= MAX_STORED_PREDICTIONS else None
    width = next((p.shape[1] for p in (run.proba, oof and oof.proba) if p is not None), None)
    y_pred = run.y_pred[keep] if run.y_pred is not None else run.y_true[keep]  # None: no holdout rows
    parts = [_part(run.holdout_index[keep], run.y_true[keep], y_pred, _rows(run.proba, keep), width=width)]
    metadata = {}
    if oof is not None:
        parts.append(_part(oof.index, oof.y_true, oof.y_pred, oof.proba, oof.fold, oof.decision, width))
        metadata[OOF_CLASSES] = json.dumps(encode(None if oof.classes is None else list(oof.classes)))
    columns = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    try:
        table = pa.table(columns, metadata=metadata)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # a target column of mixed types
        raise ProjectFileError(
            f"The run's predictions could not be saved ({exc}).",
            "Set the target column's type on the Data page (text or number), then train again.",
        ) from None
    out = pa.BufferOutputStream()
    with pa.ipc.new_file(out, table.schema) as writer:
        writer.write_table(table)
    return out.getvalue().to_pybytes()


def _rows(values: np.ndarray | None, keep: np.ndarray) -> np.ndarray | None:
    return None if values is None else values[keep]


def _part(
    index: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None,
    fold: np.ndarray | None = None,
    decision: np.ndarray | None = None,
    width: int | None = None,
) -> dict[str, np.ndarray]:
    """One part's columns; scores a part lacks (or whose classes differ) are NaN, which a probability
    or a score never is."""
    n = len(index)
    columns = {"index": index, "y_true": y_true, "y_pred": y_pred}
    columns["fold"] = np.zeros(n, np.int16) if fold is None else fold.astype(np.int16)
    usable = proba is not None and proba.shape[1] == width
    for i in range(width or 0):
        columns[f"proba_{i}"] = proba[:, i] if usable else np.full(n, np.nan)
    columns["decision"] = decision.astype(float) if decision is not None else np.full(n, np.nan)
    return columns


def _read_predictions(data: bytes) -> dict[str, Any]:
    import pyarrow as pa

    with pa.ipc.open_file(pa.BufferReader(data)) as reader:
        table = reader.read_all()
    columns = {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}
    metadata = table.schema.metadata or {}
    fold = columns.get("fold", np.zeros(table.num_rows, np.int16))
    holdout = fold == 0

    def scores(rows: np.ndarray) -> np.ndarray | None:
        proba = [columns[name][rows] for name in table.column_names if name.startswith("proba_")]
        stacked = np.column_stack(proba).astype(float) if proba else None
        return None if stacked is None or not len(stacked) or np.isnan(stacked).all() else stacked

    def optional(name: str, rows: np.ndarray) -> np.ndarray | None:
        return None if name not in columns else columns[name][rows]

    values = {
        "holdout_index": columns["index"][holdout],
        "y_true": columns["y_true"][holdout],
        "y_pred": optional("y_pred", holdout) if holdout.any() else None,
        "proba": scores(holdout),
    }
    if not holdout.all():
        rows = ~holdout
        decision = columns["decision"][rows].astype(float)
        classes = decode(json.loads(metadata[OOF_CLASSES.encode()]))
        values["oof"] = OutOfFold(
            columns["index"][rows],
            fold[rows].astype(int),
            columns["y_true"][rows],
            columns["y_pred"][rows],
            scores(rows),
            None if classes is None else tuple(classes),
            None if np.isnan(decision).all() else decision,
        )
    return values


def run_from(meta: Any, predictions: bytes | None, model_file: Path | None) -> Run:
    """A run back from its files; its pipeline is read from `model_file` on first use."""
    try:
        values = decode(meta)
        has_model = bool(values.pop("has_model", False))
        values["task"], values["status"] = Task(values["task"]), RunStatus(values["status"])
        values["prep"] = PrepSpec.from_dict(values["prep"])
        values["split"] = SplitSpec.from_dict(values["split"])
        values["fold_scores"] = {k: tuple(map(float, v)) for k, v in values.get("fold_scores", {}).items()}
        for name in ("warnings", "notes"):
            values[name] = tuple(values.get(name, ()))
        values["classes"] = None if values.get("classes") is None else tuple(values["classes"])
        values["class_counts"] = tuple(tuple(c) for c in values.get("class_counts", ()))
        run = Run(**values)
        if predictions is not None:
            run = replace(run, **_read_predictions(predictions))
    except (KeyError, TypeError, ValueError, OSError) as exc:  # pyarrow's errors are ValueErrors
        raise _damaged("a run", exc) from None
    if has_model and model_file is not None:
        run = replace(run, load_fitted=_ModelFile(str(model_file)))
    return run


def _missing_as_nan(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing cells of text columns as NaN, as they were loaded: Parquet gives None back, which
    scikit-learn's imputers do not count as missing."""
    for column in frame.select_dtypes(include="object").columns:
        frame[column] = _nan_for_none(frame[column])
    return frame


def _nan_for_none(values: pd.Series) -> pd.Series:
    return values.where(values.notna(), np.nan) if values.dtype == object else values


def model_bytes(run: Run) -> bytes | None:
    """The fitted pipeline as `.skops` (None when the run has none)."""
    return skops_bytes(run.pipeline) if run.has_model else None


@dataclass(frozen=True)
class _ModelFile:
    """Reads a run's pipeline from its `.skops` file when first needed (picklable, for workers)."""

    path: str

    def __call__(self) -> Any:
        file = Path(self.path)
        try:
            stat = file.stat()
        except OSError as exc:
            raise ProjectFileError(
                "This run's model file is missing from the project.", "Train the model again."
            ) from exc
        return _read_model(self.path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=MODELS_CACHED)
def _read_model(path: str, mtime: int, size: int) -> Any:
    """The pipeline in a `.skops` file, through the allow-list and structure checks; cached by the
    file's identity, so every session on the same run shares one (never mutated) pipeline."""
    del mtime, size  # part of the cache key only
    return load_checked(Path(path).read_bytes())


# ---------- JSON of values with tuples, NumPy scalars and enums ----------


def encode(value: Any) -> Any:
    """A JSON-safe copy: tuples tagged so they come back as tuples, NumPy scalars as Python ones."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {_TUPLE: [encode(v) for v in value]}
    if isinstance(value, list | frozenset | set):
        return [encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str):  # StrEnum members too
        return str(value)
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_TUPLE}:
            return tuple(decode(v) for v in value[_TUPLE])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _damaged(what: str, exc: Exception) -> ProjectFileError:
    return ProjectFileError(
        f"The project's record of {what} is damaged or was not written by the workbench ({exc}).",
        "Export the project again from the workbench that made it.",
    )
