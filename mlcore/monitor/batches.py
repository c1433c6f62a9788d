"""New data to compare with what a model learned from: an uploaded file, or the requests its REST API
answered in a time window.

A file is read with the Data page's checks and limits, then given to the model as the Predict page
gives new rows: missing columns are an error that names them, extra ones are ignored with a note,
values are converted to the types the model was trained on (what cannot be converted is missing,
counted in a note). The batch keeps the target where it has one, as the model's own labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from mlcore.data.loading import load_bytes, load_path
from mlcore.dataset import Dataset
from mlcore.deploy.predict import prepare_rows
from mlcore.deploy.row_rules import convert_column
from mlcore.formatting import plural
from mlcore.monitor.subject import MonitorError, Watched
from mlcore.schema import Task
from mlcore.serve.server import TRAFFIC_FOLDER
from mlcore.serve.traffic import read_traffic
from mlcore.track.projects import ProjectStore

FEW_ROWS = 30  # below this a batch is compared, with a warning that little can be told from it


@dataclass(frozen=True)
class Batch:
    """New rows: the model's features in their training types, the true target where known (None
    when the batch has no target column), the rows as read, and what was noticed reading them."""

    name: str
    features: pd.DataFrame
    target: pd.Series | None
    rows: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return len(self.features)

    @property
    def labelled(self) -> int:
        return 0 if self.target is None else int(self.target.notna().sum())


def batch_from_bytes(watched: Watched, data: bytes, filename: str) -> Batch:
    """An uploaded file, read as the Data page reads one."""
    dataset, _ = load_bytes(data, filename)
    return batch_from_dataset(watched, dataset)


def batch_from_path(watched: Watched, path: str | Path) -> Batch:
    """A local file (the command line)."""
    return batch_from_dataset(watched, load_path(path))


def batch_from_dataset(watched: Watched, dataset: Dataset) -> Batch:
    """Rows loaded like any dataset, given to the model as the Predict page gives them."""
    frame = dataset.frame
    if frame.empty:
        raise MonitorError(f"'{dataset.name}' has no rows to compare.", "Add rows below the header.")
    features, notes = prepare_rows(frame, watched.schema)
    target = _target(watched, frame)
    if len(frame) < FEW_ROWS:
        notes.append(
            f"The batch has {plural(len(frame), 'row')}: drift tests can tell little from so few; "
            f"{FEW_ROWS} or more make their verdicts worth reading."
        )
    return Batch(dataset.name, features, target, frame, tuple(notes))


def batch_from_traffic(watched: Watched, since: float | None = None, until: float | None = None) -> Batch:
    """The rows the model's REST API answered between `since` and `until` (Unix times; None: open)."""
    folder = ProjectStore(watched.home).folder(watched.project_id) / TRAFFIC_FOLDER
    logged = read_traffic(folder, since, until, (watched.name, watched.version))
    window = f"{_when(since)} – {_when(until)}"
    if logged.empty:
        raise MonitorError(
            f"{watched.title} answered no requests in that window ({window}).",
            "Serve it on the Deploy page (traffic logging on), widen the window, or upload a batch.",
        )
    features, notes = prepare_rows(logged[list(watched.kinds)], watched.schema)
    return Batch(f"API requests, {window}", features, None, logged, tuple(notes))


def _target(watched: Watched, frame: pd.DataFrame) -> pd.Series | None:
    """The batch's true target as the model's labels (classes read back with the training type)."""
    run = watched.run
    if run.target not in frame.columns:
        return None
    column = frame[run.target]
    if run.task is Task.REGRESSION:
        return pd.to_numeric(column, errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)
    trained = watched.dataset.frame[run.target]
    feature = {"name": run.target, "kind": "categorical", "dtype": str(trained.dtype), "levels": ()}
    labels, _ = convert_column(column, feature, 0)
    return labels.astype(object).where(labels.notna(), None)


def _when(moment: float | None) -> str:
    if moment is None:
        return "any time"
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")
