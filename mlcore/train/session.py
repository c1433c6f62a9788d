"""Training several models in the background: a few worker processes, a live per-model status,
a time budget per model and a Stop that keeps every finished model.

The page (or the CLI) holds a `TrainingSession` and polls it. Workers are `mlcore.compute.jobs.Job`s that
take model indices from a shared queue, so a worker process (and its imports) serves many models.
A model over its budget has its worker stopped; a fresh worker carries on with the models left.
On a busy server the workers wait their turn in `mlcore.compute.job_queue`; until one starts, the snapshot's
message says where the first stands in line.

On a Dask cluster (`mlcore.compute.cluster`) each model is its own job, one cluster task, so the cluster's
scheduler spreads the models over its workers; the events, budgets and Stop are the same. With fewer
models than the cluster takes at once, each model's folds are tasks too. With more, they would only
cost: a compare-all of 11 models on two workers took 1.29x the local time with its folds as tasks.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlcore.compute import cluster, job_queue
from mlcore.compute.jobs import Job, JobState
from mlcore.compute.machine import usable_cores
from mlcore.train.fit import failed_run, train_model, validate_request
from mlcore.train.models import get_model
from mlcore.train.runs import ModelChoice, Run, RunStatus, TrainRequest
from mlcore.train.split import Split

_CONTEXT = mp.get_context("forkserver")  # the context of `mlcore.compute.jobs` workers
QUEUE_WAIT = 0.5  # seconds a worker waits for more work before it exits


def train_worker(report: Any, request: TrainRequest, split: Split, tasks: Any, spread: bool = False) -> int:
    """Train models (indices into `request.models`) from `tasks`, a queue shared by the session's
    workers until it is empty, or a list (a cluster task's own models); one event per step. With
    `spread`, on a cluster, each model's folds are tasks of their own (`fit.cross_validate`)."""
    os.environ.setdefault("YDATA_PROFILING_NO_ANALYTICS", "True")
    for choice in request.models:  # import every model's library now, not on a model's time budget
        get_model(request.dataset.task, choice.key).build(choice.params, request.seed)
    done = 0
    for index in _taken(tasks):
        choice = request.models[index]
        report({"kind": "start", "index": index, "model": choice.key, "time": time.time()})

        def on_fold(step: int, of: int, index: int = index) -> None:
            report({"kind": "fold", "index": index, "step": step, "of": of})

        run = train_model(request, choice, split, on_fold, spread)
        report({"kind": "run", "index": index, "run": run})
        done += 1
    return done


def _taken(tasks: Any) -> Iterator[int]:
    if isinstance(tasks, list):
        yield from tasks
        return
    while True:
        try:
            yield tasks.get(timeout=QUEUE_WAIT)
        except queue.Empty:
            return


def _cluster_slots() -> int:
    """How many jobs the cluster takes at once: the server queue's bound there, or (a command line,
    unbounded) the cluster's threads."""
    bound = job_queue.shared().limits.max_running
    return bound if bound is not None else cluster.cluster_threads()


@dataclass
class ModelProgress:
    """The live state of one model of the session."""

    index: int
    key: str
    name: str
    state: str = "queued"  # queued, running, ok, failed, timed out, stopped
    progress: float = 0.0
    message: str = "waiting"
    started: float | None = None
    run: Run | None = None

    @property
    def finished(self) -> bool:
        return self.run is not None


@dataclass
class TrainingSnapshot:
    """What the page draws: overall state and progress, each model, and the runs finished so far."""

    state: str  # running, done, stopped
    elapsed: float
    progress: float
    message: str
    models: list[ModelProgress]
    runs: list[Run] = field(default_factory=list)
    waiting: str | None = None  # while every worker waits for a slot on the server: the first's place

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass
class _Worker:
    job: Job
    seen: int = 0  # events already read
    current: int | None = None  # model index being trained
    place: str | None = None  # while it waits for a slot on the server: its place in line, in words
    only: int | None = None  # a cluster task's one model


class TrainingSession:
    """Trains `request.models` in up to `workers` processes; poll it, stop it, read its runs."""

    def __init__(self, request: TrainRequest, workers: int | None = None) -> None:
        self.split = validate_request(request)  # input problems surface here, before any process starts
        self.request = request
        self.started = time.monotonic()
        self._ended: float | None = None
        self.stopped = False
        self.models = [
            ModelProgress(i, c.key, get_model(request.dataset.task, c.key).name)
            for i, c in enumerate(request.models)
        ]
        self.runs: list[Run] = []
        self.on_cluster = cluster.scheduler_address() is not None
        self.spread_folds = self.on_cluster and len(request.models) < _cluster_slots()
        local = workers or usable_cores()
        self.n_workers = len(request.models) if self.on_cluster else max(1, min(local, len(request.models)))
        self._workers: list[_Worker] = []
        self._crash: str | None = None
        self._start_workers(self._order(range(len(request.models))), self.n_workers)

    def _order(self, indices: Any) -> list[int]:
        """Slowest models first, so the last minutes are not spent on one long model alone."""
        task = self.request.dataset.task
        cost = {i: get_model(task, self.request.models[i].key).relative_cost for i in indices}
        return sorted(cost, key=lambda i: -cost[i])

    def _start_workers(self, indices: list[int], count: int) -> None:
        if self.on_cluster:  # one task per model: the cluster's scheduler spreads them over its workers
            for index in indices:
                job = Job(train_worker, self.request, self.split, [index], self.spread_folds)
                self._workers.append(_Worker(job, only=index))
            return
        self._tasks = _CONTEXT.Queue()
        for index in indices:
            self._tasks.put(index)
        for _ in range(min(count, len(indices))):
            self._workers.append(_Worker(Job(train_worker, self.request, self.split, self._tasks)))

    @property
    def elapsed(self) -> float:
        return (self._ended or time.monotonic()) - self.started

    def poll(self) -> TrainingSnapshot:
        """Read the workers' news, enforce the time budget, and describe the session now."""
        if self._ended is None:
            for worker in list(self._workers):
                self._read(worker)
            self._enforce_budget()
            self._restart_if_needed()
            if all(m.finished for m in self.models):
                self._ended = time.monotonic()
                for worker in self._workers:  # idle, waiting for work that will not come
                    worker.job.stop()
                self._workers.clear()
        return self._snapshot()

    def wait(
        self, timeout: float | None = None, interval: float = 0.1, on_run: Callable[[Run], None] | None = None
    ) -> TrainingSnapshot:
        """Poll until every model has finished (CLI and tests; pages poll instead); `on_run` gets each
        run as soon as it is seen to finish (the CLI saves it meanwhile)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: set[str] = set()
        snapshot = self.poll()
        while True:
            for run in snapshot.runs:
                if on_run is not None and run.id not in seen:
                    seen.add(run.id)
                    on_run(run)
            if not snapshot.running or (deadline is not None and time.monotonic() >= deadline):
                return snapshot
            time.sleep(interval)
            snapshot = self.poll()

    def stop(self) -> TrainingSnapshot:
        """Stop now: finished models are kept, the others are marked stopped."""
        if self._ended is None:
            for worker in list(self._workers):
                worker.job.stop()  # collects what the worker sent before ending it
                self._read(worker)
            self.stopped = True
            for model in self.models:
                if not model.finished:
                    self._finish(
                        model, failed_run(self.request, self._choice(model), RunStatus.STOPPED, "stopped")
                    )
            self._ended = time.monotonic()
        return self._snapshot()

    def _choice(self, model: ModelProgress) -> ModelChoice:
        return self.request.models[model.index]

    def _read(self, worker: _Worker) -> None:
        snapshot = worker.job.poll()
        for event in snapshot.events[worker.seen :]:
            model = self.models[event["index"]]
            kind = event["kind"]
            if kind == "start":
                worker.current = model.index
                model.state, model.started, model.message = "running", event["time"], "training"
            elif kind == "fold":
                done, steps = event["step"], event["of"]
                model.progress = done / steps
                model.message = f"fold {done + 1} of {steps - 1}" if done < steps - 1 else "final fit"
            elif kind == "run":
                worker.current = None
                self._finish(model, event["run"])
        worker.seen = len(snapshot.events)
        worker.place = snapshot.message if snapshot.state is JobState.QUEUED else None
        if not snapshot.state.active:
            if snapshot.state is JobState.FAILED:
                reason = snapshot.error or "the worker process stopped unexpectedly"
                if worker.current is None:
                    self._crash = reason  # the worker could not even start a model
                else:
                    model = self.models[worker.current]
                    self._finish(
                        model, failed_run(self.request, self._choice(model), RunStatus.FAILED, reason)
                    )
            self._workers.remove(worker)

    def _finish(self, model: ModelProgress, run: Run) -> None:
        model.run, model.state, model.progress = run, run.status.value, 1.0
        model.message = run.message or ("; ".join(run.notes) if run.notes else "")
        self.runs.append(run)

    def _enforce_budget(self) -> None:
        budget = self.request.time_budget
        if budget is None:
            return
        now = time.time()
        for worker in list(self._workers):
            model = self.models[worker.current] if worker.current is not None else None
            if model is None or model.finished or model.started is None or now - model.started <= budget:
                continue
            worker.job.stop()
            self._read(worker)  # news that arrived meanwhile; the stopped worker leaves the list here
            if not model.finished:
                message = f"stopped after its time budget of {budget:g} s"
                self._finish(
                    model, failed_run(self.request, self._choice(model), RunStatus.TIMED_OUT, message)
                )
            if worker.current is not None and not self.models[worker.current].finished:
                lost = self.models[worker.current]  # taken from the queue just before the stop
                lost.state, lost.started, lost.progress, lost.message = "queued", None, 0.0, "waiting"

    def _restart_if_needed(self) -> None:
        """Keep `n_workers` busy while models wait (after a budget stop, or a worker that exited early)."""
        waiting = [m.index for m in self.models if m.state == "queued"]
        if not waiting:
            return
        if self._crash is not None:
            for index in waiting:
                model = self.models[index]
                self._finish(
                    model, failed_run(self.request, self._choice(model), RunStatus.FAILED, self._crash)
                )
            return
        if self.on_cluster:
            held = {worker.only for worker in self._workers}
            self._start_workers([index for index in waiting if index not in held], 0)
        elif not self._workers:
            self._start_workers(self._order(waiting), self.n_workers)
        elif len(self._workers) < self.n_workers:
            self._workers.append(_Worker(Job(train_worker, self.request, self.split, self._tasks)))

    def _snapshot(self) -> TrainingSnapshot:
        state = "running" if self._ended is None else "stopped" if self.stopped else "done"
        progress = sum(m.progress for m in self.models) / len(self.models)
        finished = sum(m.finished for m in self.models)
        message = f"{finished} of {len(self.models)} models finished"
        waiting = None
        if self._workers and all(w.place for w in self._workers):  # the first in line is the first made
            waiting = self._workers[0].place
            message = f"{message}; {waiting}"
        return TrainingSnapshot(
            state, self.elapsed, progress, message, list(self.models), list(self.runs), waiting
        )
