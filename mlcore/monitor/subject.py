"""The model being watched: a registered version or a project's run, with what it is compared against.

The reference is the rows the model was trained on (kept in its project); its features are compared
by the types its pipeline gives them; how much it relies on each is its permutation importance on its
holdout, computed once per run and kept beside the project's checks (it takes seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from mlcore.dataset import Dataset
from mlcore.deploy.input_schema import ModelSchema, schema_from_run
from mlcore.deploy.predict import Predictor, predictor_from_run
from mlcore.errors import MLCoreError
from mlcore.explain.permutation import permutation_check
from mlcore.schema import ColumnType
from mlcore.serve.sources import locate
from mlcore.track.files import read_json, write_json
from mlcore.track.projects import ProjectStore
from mlcore.train.run_data import feature_kinds, training_rows
from mlcore.train.runs import Run

MONITOR_FOLDER = "monitor"  # in the project: the checks' timeline and each run's importance
# How the drift tests read each column type (text is compared as categories, dates as numbers).
KIND_OF = {
    ColumnType.NUMERIC: "numeric",
    ColumnType.CATEGORICAL: "categorical",
    ColumnType.BOOLEAN: "boolean",
    ColumnType.DATETIME: "datetime",
    ColumnType.TEXT: "text",
}


class MonitorError(MLCoreError):
    """A model that cannot be monitored, or data it cannot be compared with."""


@dataclass(frozen=True)
class Watched:
    """A model in use and what it learned from."""

    ref: str  # NAME/VERSION or a run id
    name: str  # the registered model's name, or the run's label
    version: str  # the registered version, or "run <id>"
    project_id: str
    run: Run
    dataset: Dataset
    home: Path

    @property
    def registered(self) -> bool:
        return not self.version.startswith("run ")

    @property
    def title(self) -> str:
        return f"{self.name} version {self.version}" if self.registered else f"{self.name} ({self.version})"

    @cached_property
    def schema(self) -> ModelSchema:
        return schema_from_run(self.run, self.dataset)

    @cached_property
    def predictor(self) -> Predictor:
        return predictor_from_run(self.run, self.dataset)

    @cached_property
    def kinds(self) -> dict[str, str]:
        """Each feature the model reads, with how the drift tests treat it."""
        return {name: KIND_OF[kind] for name, kind in feature_kinds(self.run.pipeline).items()}

    @cached_property
    def reference(self) -> pd.DataFrame:
        """The rows the model learned from: its features and its target."""
        return training_rows(self.run, self.dataset)[[*self.kinds, self.run.target]]

    @property
    def folder(self) -> Path:
        return ProjectStore(self.home).folder(self.project_id) / MONITOR_FOLDER

    def importance(self) -> dict[str, float]:
        """Permutation importance per feature (drop in the holdout score when it is shuffled), never
        below 0; read from the project once computed."""
        path = self.folder / "importance" / f"{self.run.id}.json"
        try:
            return {str(k): float(v) for k, v in read_json(path).items()}
        except (OSError, ValueError, AttributeError):
            pass
        table, _ = permutation_check(self.run, self.dataset, self.run.seed)
        found = {} if table is None else dict(zip(table["feature"], table["importance"], strict=True))
        importance = {name: max(float(found.get(name, 0.0)), 0.0) for name in self.kinds}
        write_json(path, importance)
        return importance


def watched(ref: str, home: Path) -> Watched:
    """The model `ref` names (NAME@ALIAS, NAME/VERSION or a run id), with its project's data."""
    found = locate(ref, home)
    if not found.run.has_model or not found.run.ok:
        raise MonitorError(
            f"{found.name} kept no model (it {found.run.status.value}).",
            "Choose a run that finished training.",
        )
    try:
        rows = training_rows(found.run, found.dataset)
    except MLCoreError as exc:
        raise MonitorError(
            f"The rows {found.name} was trained on are no longer in its project ({exc.message}).",
            "Import the project it came from again, or monitor another model.",
        ) from None
    if len(rows) < 2:
        raise MonitorError(
            f"{found.name} was trained on {len(rows)} row(s): too few to compare new data with.",
            "Monitor a model trained on more rows.",
        )
    return Watched(found.ref, found.name, found.version, found.project_id, found.run, found.dataset, home)
