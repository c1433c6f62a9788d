"""Projects on disk: one folder per project under the workbench home, written so a kill loses
nothing finished and several processes can work on it at once.

    projects/<id>/project.json    name, times, and a summary of each run (what the list shows)
                 /dataset.json    the schema, target, task and how the file was read
                 /data.parquet    the rows as loaded
                 /settings.json   Prepare/Train settings and the selections
                 /runs/<run id>/  run.json, predictions.arrow, model.skops

Every file is replaced atomically (`files`); a run's `run.json` is written last, so a run folder
without one (a kill mid-write) is ignored. Changes to `project.json` are made under a lock.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.formatting import number, size
from mlcore.metrics import METRICS
from mlcore.teach.lessons import Lesson, lesson_text, parse_lesson
from mlcore.track.files import (
    folder_bytes,
    locked,
    read_json,
    remove_folder,
    store_error,
    write_bytes,
    write_json,
)
from mlcore.track.project_files import (
    PREDICTIONS,
    ProjectFileError,
    ProjectSettings,
    dataset_from,
    dataset_meta,
    frame_bytes,
    model_bytes,
    predictions_bytes,
    run_from,
    run_meta,
)
from mlcore.train.runs import Run

TRACKED = "tracking.json"  # beside run.json: where the run is tracked in MLflow
FORMAT = 1  # the layout version written in project.json; a newer one is refused with a message
NAME_LENGTH = 80
_ID = re.compile(r"^[a-z0-9]{12}$")


class ProjectNotFoundError(MLCoreError):
    """No project has this id (deleted, or a link from another workbench)."""


LESSONS = "lessons"  # a project's own lessons: lessons/<key>.yaml


@dataclass(frozen=True)
class RunSummary:
    """What the project list and the history table show of a run without reading it."""

    id: str
    label: str
    status: str
    metric: str  # the run's default metric
    score: float  # its CV mean (holdout when there was no CV); NaN when it has none
    changed: float


@dataclass(frozen=True)
class ProjectInfo:
    """One row of the Projects view."""

    id: str
    name: str
    created: float
    changed: float
    dataset_name: str
    n_rows: int
    n_columns: int
    target: str | None
    task: str | None
    runs: tuple[RunSummary, ...]
    dataset_hash: str = ""

    @property
    def best(self) -> RunSummary | None:
        """The best finished run by its metric (the metric of the latest run when they differ)."""
        scored = [r for r in self.runs if r.status == "ok" and r.score == r.score]
        if not scored:
            return None
        metric = max(scored, key=lambda r: r.changed).metric
        same = [r for r in scored if r.metric == metric]
        sign = 1 if METRICS[metric].greater_is_better else -1
        return max(same, key=lambda r: sign * r.score)


@dataclass(frozen=True)
class ProjectState:
    """A project read back: what a workspace reopens."""

    info: ProjectInfo
    dataset: Dataset
    settings: ProjectSettings
    runs: tuple[Run, ...]


class ProjectStore:
    """The projects under one workbench home."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.root = home / "projects"

    # ---------- making and listing ----------

    def create(self, dataset: Dataset, settings: ProjectSettings, name: str | None = None) -> ProjectInfo:
        """A new project holding `dataset` (named after it unless `name` is given)."""
        pid = secrets.token_hex(6)
        folder = self.root / pid
        now = time.time()
        self._write_dataset(folder, dataset, with_rows=True)
        write_json(folder / "settings.json", settings.to_dict())
        record = {"format": FORMAT, "id": pid, "name": clean_name(name or dataset.name), "created": now}
        write_json(folder / "project.json", {**record, "changed": now, "runs": {}, **_shape(dataset)})
        return self.info(pid)

    def list(self) -> list[ProjectInfo]:
        """Every readable project, most recently changed first (damaged ones are left out)."""
        if not self.root.exists():
            return []
        found = []
        for folder in self.root.iterdir():
            if not _ID.match(folder.name):
                continue
            try:
                found.append(self.info(folder.name))
            except (ProjectFileError, ProjectNotFoundError):
                continue
        return sorted(found, key=lambda p: p.changed, reverse=True)

    def info(self, pid: str) -> ProjectInfo:
        record = self._record(pid)
        try:
            runs = tuple(
                RunSummary(rid, r["label"], r["status"], r["metric"], float(r["score"]), float(r["changed"]))
                for rid, r in record.get("runs", {}).items()
            )
            return ProjectInfo(
                pid,
                str(record["name"]),
                float(record["created"]),
                float(record["changed"]),
                str(record["dataset_name"]),
                int(record["n_rows"]),
                int(record["n_columns"]),
                record.get("target"),
                record.get("task"),
                runs,
                str(record.get("dataset_hash", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjectFileError(f"The project record is damaged ({exc}).", "Delete the project.") from None

    def find(self, ref: str) -> ProjectInfo:
        """A project by id, or by its exact name when only one project has it."""
        if self.exists(ref):
            return self.info(ref)
        named = [p for p in self.list() if p.name == ref]
        if len(named) == 1:
            return named[0]
        if named:
            ids = ", ".join(p.id for p in named)
            raise ProjectNotFoundError(f"{len(named)} projects are named '{ref}'.", f"Give its id: {ids}.")
        raise ProjectNotFoundError(
            f"There is no project '{ref}' in {self.home}.", "List them with `mlcore projects list`."
        )

    def exists(self, pid: str) -> bool:
        return bool(_ID.match(pid)) and (self.root / pid / "project.json").exists()

    # ---------- reading a whole project ----------

    def load(self, pid: str) -> ProjectState:
        """The dataset, settings and every complete run (models are read when first used)."""
        info = self.info(pid)
        folder = self.root / pid
        try:
            dataset = dataset_from(read_json(folder / "dataset.json"), (folder / "data.parquet").read_bytes())
            settings = ProjectSettings.from_dict(read_json(folder / "settings.json"))
        except (OSError, ValueError) as exc:
            raise ProjectFileError(
                f"The project '{info.name}' could not be read ({exc}).", "Delete it, or import it again."
            ) from None
        runs = [self._read_run(folder / "runs" / summary.id) for summary in info.runs]
        return ProjectState(info, dataset, settings, tuple(r for r in runs if r is not None))

    def _read_run(self, folder: Path) -> Run | None:
        """A run's files back; None when the run was never completely written."""
        meta_file = folder / "run.json"
        if not meta_file.exists():
            return None
        predictions = folder / PREDICTIONS
        model = folder / "model.skops"
        try:
            return run_from(
                read_json(meta_file),
                predictions.read_bytes() if predictions.exists() else None,
                model if model.exists() else None,
            )
        except (OSError, ValueError):
            return None

    # ---------- changes ----------

    def save_dataset(self, pid: str, dataset: Dataset) -> None:
        """The dataset's schema, target and task after an edit (its rows never change)."""
        self._write_dataset(self.root / pid, dataset, with_rows=False)
        self._update(pid, lambda record: record.update(_shape(dataset)))

    def save_settings(self, pid: str, settings: ProjectSettings) -> None:
        write_json(self.root / pid / "settings.json", settings.to_dict())
        self._update(pid, lambda record: None)

    def save_lesson(self, pid: str, lesson: Lesson) -> None:
        """A lesson written for this project, kept (and exported) with it; one of the same key is replaced."""
        self._record(pid)
        write_bytes(self.root / pid / LESSONS / f"{lesson.key}.yaml", lesson_text(lesson).encode("utf-8"))
        self._update(pid, lambda record: None)

    def lessons(self, pid: str) -> list[Lesson]:
        """The project's own lessons, by key; a damaged file is skipped (the built-in ones remain)."""
        found = []
        for path in sorted((self.root / pid / LESSONS).glob("*.yaml")):
            try:
                found.append(parse_lesson(path.read_bytes()))
            except (MLCoreError, OSError):
                continue
        return found

    def save_run(self, pid: str, run: Run, model: bytes | None = None) -> None:
        """A finished run's files, `run.json` last (a re-run with the same settings replaces them);
        `model` is its pipeline as `.skops` when the caller has it already."""
        folder = self.root / pid / "runs" / run.id
        predictions = predictions_bytes(run)
        if predictions is not None:
            write_bytes(folder / PREDICTIONS, predictions)
        model = model if model is not None else model_bytes(run)
        if model is not None:
            write_bytes(folder / "model.skops", model)
        write_json(folder / "run.json", run_meta(run, model is not None))
        summary = _summary(run)
        self._update(pid, lambda record: record.setdefault("runs", {}).update({run.id: summary}))

    def load_run(self, pid: str, run_id: str) -> Run:
        """One saved run (its model read when first used)."""
        run = self._read_run(self.root / pid / "runs" / run_id)
        if run is None:
            raise ProjectFileError("This run is not saved in the project.", "Train it again.")
        return run

    def tracked(self, pid: str, run_id: str) -> dict[str, Any]:
        """Where the run is tracked (`{"mlflow_run_id": ...}`), or {} when it is not (yet)."""
        try:
            where = read_json(self.root / pid / "runs" / run_id / TRACKED)
        except (OSError, ValueError):
            return {}
        return where if isinstance(where, dict) else {}

    def set_tracked(self, pid: str, run_id: str, where: dict[str, Any]) -> None:
        """Record where a saved run is tracked (after MLflow accepted it); kept beside the run, not
        in it, and not exported: the MLflow run belongs to this workbench's store."""
        folder = self.root / pid / "runs" / run_id
        if (folder / "run.json").exists():
            write_json(folder / TRACKED, where)

    def delete_runs(self, pid: str, run_ids: set[str]) -> None:
        def drop(record: dict[str, Any]) -> None:
            for rid in run_ids:
                record.get("runs", {}).pop(rid, None)

        self._update(pid, drop)
        for rid in run_ids:
            remove_folder(self.root / pid / "runs" / rid)

    def rename(self, pid: str, name: str) -> None:
        self._update(pid, lambda record: record.update(name=clean_name(name)))

    def duplicate(self, pid: str, name: str | None = None) -> ProjectInfo:
        """A copy with every run under a new id (changes to one never reach the other)."""
        source = self.info(pid)
        new = secrets.token_hex(6)
        try:
            shutil.copytree(self.root / pid, self.root / new, ignore=shutil.ignore_patterns("*.tmp", ".lock"))
        except OSError as exc:
            remove_folder(self.root / new)
            raise store_error(exc, self.root / new) from None
        copy_name = clean_name(name or f"{source.name} (copy)")
        self._update(new, lambda record: record.update(id=new, name=copy_name, created=time.time()))
        return self.info(new)

    def delete(self, pid: str) -> None:
        self._record(pid)
        remove_folder(self.root / pid)

    def disk_bytes(self, pid: str) -> int:
        return folder_bytes(self.root / pid)

    def folder(self, pid: str) -> Path:
        self._record(pid)
        return self.root / pid

    # ---------- internals ----------

    def _record(self, pid: str) -> dict[str, Any]:
        if not self.exists(pid):
            raise ProjectNotFoundError(
                "This project does not exist on this workbench (it was deleted, or the link is from "
                "another server).",
                "Open one from the Projects page, or load a dataset to start a new one.",
            )
        try:
            record = read_json(self.root / pid / "project.json")
        except (OSError, ValueError) as exc:
            raise ProjectFileError(f"The project record is damaged ({exc}).", "Delete the project.") from None
        if not isinstance(record, dict) or int(record.get("format", 0)) > FORMAT:
            raise ProjectFileError(
                "This project was written by a newer version of the workbench.",
                "Open it with that version, or update this one.",
            )
        return record

    def _update(self, pid: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Read-modify-write of project.json under the project's lock; the change time moves on."""
        with locked(self.root / pid / ".lock"):
            record = self._record(pid)
            change(record)
            record["changed"] = time.time()
            write_json(self.root / pid / "project.json", record)

    def _write_dataset(self, folder: Path, dataset: Dataset, with_rows: bool) -> None:
        if with_rows:
            write_bytes(folder / "data.parquet", frame_bytes(dataset.frame))
        write_json(folder / "dataset.json", dataset_meta(dataset))


def clean_name(name: str) -> str:
    """A project name as shown: printable, one line, at most `NAME_LENGTH` characters."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in str(name)).split())
    return text[:NAME_LENGTH] or "Untitled project"


def _shape(dataset: Dataset) -> dict[str, Any]:
    return {
        "dataset_name": dataset.name,
        "dataset_hash": dataset.content_hash,
        "n_rows": dataset.n_rows,
        "n_columns": dataset.n_columns,
        "target": dataset.target,
        "task": None if dataset.task is None else dataset.task.value,
    }


def _summary(run: Run) -> dict[str, Any]:
    metric = run.default_metric
    score = run.cv_mean.get(metric, run.holdout.get(metric, float("nan")))
    return {
        "label": run.label,
        "status": run.status.value,
        "metric": metric,
        "score": float(score),
        "changed": time.time(),
    }


def projects_table(infos: list[ProjectInfo], disk: dict[str, int]) -> pd.DataFrame:
    """The Projects view: name, dataset, shape, runs, best score, last change, disk use."""
    rows = []
    for info in infos:
        best = info.best
        rows.append(
            {
                "project": info.name,
                "dataset": info.dataset_name,
                "rows × columns": f"{info.n_rows:,} × {info.n_columns:,}",
                "target": info.target or "—",
                "runs": len(info.runs),
                "best": f"{best.label}: {METRICS[best.metric].label} {number(best.score)}" if best else "—",
                "changed": pd.Timestamp(info.changed, unit="s").floor("s"),
                "disk": size(disk.get(info.id, 0)),
                "id": info.id,
            }
        )
    return pd.DataFrame(rows, columns=PROJECT_COLUMNS)


PROJECT_COLUMNS = ["project", "dataset", "rows × columns", "target", "runs", "best", "changed", "disk", "id"]
