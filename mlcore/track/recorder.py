"""Finished runs are saved and tracked in the background, so a page never waits for a disk or a server.

One thread per process takes runs in the order they finished: it writes the run into its project
(the record a reload reopens), then logs it to MLflow and notes the MLflow run id beside it. A full
disk or an unreachable server is kept as the latest problem for the page to show; the run is kept
in the session either way, and a run MLflow did not take stays in the project.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.track.home import tracking_enabled, tracking_uri
from mlcore.track.project_files import (
    PREDICTIONS,
    ProjectFileError,
    ProjectSettings,
    model_bytes,
    predictions_bytes,
    run_meta,
)
from mlcore.track.projects import ProjectInfo, ProjectNotFoundError, ProjectStore
from mlcore.track.tracking import Analysis, Tracker
from mlcore.train.runs import Run, TrainRequest
from mlcore.train.tuning import TuneResult

RECORD_FILE = "workbench/run.json"  # artifacts from which History restores a run into a session
PREDICTIONS_FILE = f"workbench/{PREDICTIONS}"
# The nice value of the thread that logs to MLflow: a tenth of a training worker's share of a busy
# core. At 19 (the lowest) logging waited until training ended and then ran on one core while the
# other idled; at 0 it took its full share from training. Measured in bench/bench_track.py.
TRACKING_NICE = 10


@dataclass(frozen=True)
class _Job:
    project_id: str
    project_name: str
    run: Run
    dataset: Dataset


class Recorder:
    """Saves runs into projects and logs them to MLflow (None: tracking off).

    Two threads: one saves each run into its project as soon as it arrives (what a reload reopens
    must not wait behind a slow server), the other then logs it to MLflow, in the same order, at a
    low CPU priority (training goes first; the logging fills the cores' idle moments)."""

    def __init__(self, store: ProjectStore, tracker: Tracker | None) -> None:
        self.store, self.tracker = store, tracker
        self.problem: MLCoreError | None = None  # the latest write or tracking failure
        self._saves: queue.Queue[_Job] = queue.Queue()
        self._tracks: queue.Queue[Callable[[], object]] = queue.Queue()  # MLflow calls, in order
        for work, name in ((self._save_all, "saver"), (self._track_all, "tracker")):
            threading.Thread(target=work, name=f"mlcore-recorder-{name}", daemon=True).start()

    def delete_project(self, project_id: str) -> None:
        """Delete a project's files and, where it is tracked, its MLflow experiment and artifacts.
        The project goes first: a tracking server that does not answer leaves only MLflow's copy,
        and the reason in `problem`."""
        self.store.delete(project_id)
        if self.tracker is not None:
            try:
                self.tracker.delete_project(project_id)
            except MLCoreError as exc:
                self.problem = exc

    def warm(self) -> None:
        """Open MLflow's store now, in the background (its import and schema check take seconds),
        so the first run to track does not wait for them."""
        if self.tracker is not None:
            tracker = self.tracker
            self._tracks.put(lambda: tracker.client)

    def record(self, project_id: str, project_name: str, run: Run, dataset: Dataset) -> None:
        self._saves.put(_Job(project_id, project_name, run, dataset))

    def track_project(self, project_id: str) -> int:
        """Track in MLflow every saved run of a project that is not tracked yet (an imported one);
        returns how many were handed to the tracking thread."""
        if self.tracker is None:
            return 0
        state = self.store.load(project_id)
        count = 0
        for run in state.runs:
            if self.store.tracked(project_id, run.id):
                continue
            model_file = self.store.folder(project_id) / "runs" / run.id / "model.skops"
            model = model_file.read_bytes() if model_file.exists() else None
            self._tracks.put(
                partial(self._track, _Job(project_id, state.info.name, run, state.dataset), model)
            )
            count += 1
        return count

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every run handed over so far is saved and tracked; False if `timeout` passed."""
        return _joined((self._saves, self._tracks), timeout)

    def wait_saved(self, timeout: float | None = None) -> bool:
        """Wait until every run handed over so far is saved in its project (a page reloaded just after
        training reopens the project with all of them); False if `timeout` passed first."""
        return _joined((self._saves,), timeout)

    @property
    def pending(self) -> int:
        return self._saves.unfinished_tasks + self._tracks.unfinished_tasks

    def _save_all(self) -> None:
        import skops.io  # noqa: F401 - seconds to import: paid here, not by the first run saved

        while True:
            job = self._saves.get()
            try:
                model = model_bytes(job.run)
                self.store.save_run(job.project_id, job.run, model)
            except MLCoreError as exc:
                self.problem = exc
            else:
                if self.tracker is not None:
                    self._tracks.put(partial(self._track, job, model))
            finally:
                self._saves.task_done()

    def record_search(
        self, project_id: str, project_name: str, request: TrainRequest, result: TuneResult
    ) -> None:
        """Track a finished hyperparameter search (its trials as child runs); nothing is kept in the
        project: the search's best settings become a run there when the user trains them."""
        if self.tracker is not None:
            self._tracks.put(partial(self.tracker.log_search, project_id, project_name, request, result))

    def record_analysis(self, project_id: str, project_name: str, make: Callable[[], Analysis]) -> None:
        """Track an analysis (a clustering) in MLflow, made by `make` on the tracking thread (it may
        serialise a model); the project keeps only supervised runs."""
        if self.tracker is not None:
            tracker = self.tracker
            self._tracks.put(lambda: tracker.log_analysis(project_id, project_name, make()))

    def _track_all(self) -> None:
        yield_to_training()
        while True:
            work = self._tracks.get()
            try:
                work()
            except MLCoreError as exc:
                self.problem = exc
            except Exception as exc:  # the thread must live on: a later run is tracked as usual
                self.problem = MLCoreError(
                    f"Tracking in MLflow failed ({type(exc).__name__}: {str(exc)[:200]}).",
                    "The run is kept in the project; the next runs are tracked as usual.",
                )
            else:
                self.problem = None
            finally:
                self._tracks.task_done()

    def _track(self, job: _Job, model: bytes | None) -> None:
        files = {RECORD_FILE: json.dumps(run_meta(job.run, model is not None)).encode()}
        predictions = predictions_bytes(job.run)
        if predictions is not None:
            files[PREDICTIONS_FILE] = predictions
        rid = self.tracker.log_run(job.project_id, job.project_name, job.run, job.dataset, model, files)
        self.store.set_tracked(job.project_id, job.run.id, {"mlflow_run_id": rid})


def yield_to_training() -> None:
    """Run the calling thread at a low CPU priority (Linux gives each thread its own nice value):
    MLflow's logging then fills the time training leaves the cores idle (while workers start, between
    models) and takes little from the training it records. Elsewhere the thread keeps its priority."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRACKING_NICE)


def _joined(queues: tuple[queue.Queue, ...], timeout: float | None) -> bool:
    done = threading.Event()

    def wait() -> None:
        for waiting in queues:
            waiting.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)


_RECORDERS: dict[tuple[Path, str | None], Recorder] = {}
_LOCK = threading.Lock()


def recorder_for(home: Path) -> Recorder:
    """This process's recorder for `home` (one thread, shared by every session); it tracks runs in
    MLflow unless tracking is switched off."""
    uri = tracking_uri(home) if tracking_enabled() else None
    with _LOCK:
        key = (home, uri)
        if key not in _RECORDERS:
            tracker = Tracker(uri, home) if uri else None
            _RECORDERS[key] = Recorder(ProjectStore(home), tracker)
            _RECORDERS[key].warm()
        return _RECORDERS[key]


@dataclass(frozen=True)
class KeptRuns:
    """Runs made outside the app (the CLI) going into one project as they finish."""

    recorder: Recorder
    info: ProjectInfo
    dataset: Dataset

    def add(self, run: Run) -> None:
        self.recorder.record(self.info.id, self.info.name, run, self.dataset)

    def finish(self, timeout: float = 600) -> ProjectInfo:
        """Wait until every run is saved and tracked; the project as it is then."""
        if not self.recorder.flush(timeout):
            raise MLCoreError("Saving the runs took too long.", "Check the disk and the tracking server.")
        if self.recorder.problem is not None:
            raise self.recorder.problem
        return self.recorder.store.info(self.info.id)


def keep_runs_in(home: Path, project: str, dataset: Dataset) -> KeptRuns:
    """The project `project` (an id or a name; a new project of that name when there is none) to
    keep runs on `dataset` in, checked before any training starts."""
    recorder = recorder_for(home)
    store = recorder.store
    try:
        info = store.find(project)
    except ProjectNotFoundError:
        info = store.create(dataset, ProjectSettings(), name=project)
    if info.dataset_hash != dataset.content_hash:
        raise ProjectFileError(
            f"The project '{info.name}' holds another dataset ({info.dataset_name}).",
            "Give a new project name, or train on the project's own file.",
        )
    return KeptRuns(recorder, info, dataset)
