"""Background jobs in worker processes: the page script never blocks on slow work.

A `Job` runs a function in a separate process (so it can be stopped at once, and a time budget can
be enforced by terminating it), passes progress events back through a queue, and is polled by the
page (e.g. from an `st.fragment(run_every=...)`). The function must be importable (module level)
and takes a `report` callable as its first argument.

Jobs do not start at once: each is submitted to the process's `mlcore.compute.job_queue`, which starts it when
one of the server's slots is free, in fair turns across sessions. Until then it is `QUEUED`, with its
place in line; its time budget counts from its start. Each worker may take a bounded amount of memory
(`mlcore.settings.job_limits`): past it, the job fails with a plain message and the server carries on.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing import forkserver, spawn
from typing import TYPE_CHECKING, Any

from mlcore.compute import cluster, job_queue
from mlcore.compute.machine import cap_address_space
from mlcore.settings import JOB_MEMORY_VARIABLE

if TYPE_CHECKING:
    from mlcore.compute.cluster_tasks import ClusterTask

# Forking Streamlit's multi-threaded server is unsafe, so workers come from a fork server: a clean,
# single-threaded process that imports the heavy libraries once and forks a worker in milliseconds.
_CONTEXT = mp.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["mlcore.compute.worker_preload"])
WORKER_NICENESS = 10  # added to a worker's niceness: the server's threads go first


_warm_up_started = threading.Event()


def warm_up() -> None:
    """Start the fork server in the background, so the first job does not wait for its imports.

    Safe to call on every page run: only the first call does anything.
    """
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()

    threading.Thread(target=forkserver.ensure_running, name="forkserver-warm-up", daemon=True).start()


Report = Callable[[dict[str, Any]], None]


class JobState(StrEnum):
    MISSING = "missing"  # never a job's own state: no job or result under a key (`mlcore.results`)
    QUEUED = "queued"  # waiting for a free slot on the server
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"
    TIMED_OUT = "timed out"

    @property
    def active(self) -> bool:
        """Not ended yet (waiting or running): the page polls again and offers a Stop."""
        return self in (JobState.QUEUED, JobState.RUNNING)


@dataclass
class JobSnapshot:
    """What the page draws: state, latest progress, the events so far, and the result or error; for a
    queued job its place in line and the expected wait in seconds (None: not known yet)."""

    state: JobState
    progress: float
    message: str
    elapsed: float
    events: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    position: int | None = None
    expected_wait: float | None = None


def _preparation_without_main(name: str) -> dict[str, Any]:
    """What multiprocessing tells a new process about this one, less this process's main module.

    Streamlit (and AppTest) install app.py as `__main__`, which a new process would execute again
    before its work. Streamlit sets `sys.modules["__main__"]` in other threads at every rerun, so
    swapping it around a start raced with them; the main module is left out of what is sent instead.
    """
    data = _get_preparation_data(name)
    data.pop("init_main_from_path", None)
    data.pop("init_main_from_name", None)
    return data


_get_preparation_data = spawn.get_preparation_data
spawn.get_preparation_data = _preparation_without_main  # for every process this one starts


def _worker(out: mp.Queue, memory_mb: int | None, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    def report(event: dict[str, Any]) -> None:
        out.put(("event", event))

    if memory_mb is not None:
        cap_address_space(memory_mb << 20)
    # Below the server in the scheduler's eyes: the pages of every session stay responsive while the
    # workers take the cores, which they still get whole whenever the server is idle.
    os.nice(WORKER_NICENESS)
    out.put(outcome(fn, report, args, kwargs, memory_mb))


Message = tuple[str, Any]  # ("event", dict), ("result", value) or ("error", {"message", "hint", "traceback"})


def outcome(
    fn: Callable[..., Any], report: Report, args: tuple, kwargs: dict, memory_mb: int | None = None
) -> Message:
    """Run a job's function where it was sent (a worker process, a cluster task) and say how it ended:
    its result, or its error as plain words (the message and hint of our errors) and a traceback."""
    try:
        return "result", fn(report, *args, **kwargs)
    except MemoryError:  # what the cap raises: a plain reason, not the traceback of some allocation
        return "error", _out_of_memory(memory_mb)
    except BaseException as exc:  # the parent must learn of any failure, whatever its type
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        hint = getattr(exc, "hint", "")
        return "error", {"message": message, "hint": hint, "traceback": traceback.format_exc()}


def _out_of_memory(memory_mb: int | None) -> dict[str, str]:
    """The error of a job that ran out of memory: past its cap, or the machine's where it had none."""
    hint = "Use fewer rows or columns, or lighter settings."
    if memory_mb is None:
        return plain("The job ran out of memory, so it was stopped.", hint)
    return plain(
        f"The job needed more memory than the {memory_mb:,} MB allowed per job, so it was stopped.",
        f"{hint} Whoever runs the server can allow more with {JOB_MEMORY_VARIABLE}.",
    )


def _died(exitcode: int | None, memory_mb: int | None) -> dict[str, str]:
    """The error of a worker that ended without a word: killed (most likely by the kernel, out of
    memory), or crashed (a library may do that when an allocation fails under the cap)."""
    if exitcode == -signal.SIGKILL:
        return plain(
            "The job's worker process was killed, most likely because the server ran out of memory.",
            "Use fewer rows or columns, or lighter settings, or try again when the server is less busy.",
        )
    cap = "" if memory_mb is None else f"It may have needed more than the {memory_mb:,} MB allowed per job."
    return plain("The worker process stopped unexpectedly.", cap)


def plain(message: str, hint: str) -> dict[str, str]:
    """An error as the worker sends it, for a cause we can name: no traceback to show."""
    return {"message": message, "hint": hint, "traceback": ""}


class _Process:
    """A job's worker process on this machine (`mlcore.compute.cluster_tasks.ClusterTask` is its counterpart
    on a Dask cluster): what it sent, whether it is alive, why it died, and its end."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, memory_mb: int | None) -> None:
        self._queue: mp.Queue = _CONTEXT.Queue()
        # The payload travels as process arguments: queues and locks among `args` may only be shared
        # that way. Workers come from the preloaded fork server, so they read it at once.
        self._process = _CONTEXT.Process(
            target=_worker, args=(self._queue, memory_mb, fn, args, kwargs), daemon=True
        )
        self._memory_mb = memory_mb
        self._process.start()

    def messages(self) -> list[Message]:
        found = []
        while True:
            try:
                found.append(self._queue.get_nowait())
            except (queue.Empty, EOFError, OSError):
                return found

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def died(self) -> dict[str, str]:
        return _died(self._process.exitcode, self._memory_mb)

    def end(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
        self._process.join(timeout=1)


class Job:
    """One function running in its own process, with progress, stop and an optional time budget.

    It is submitted to the server's queue when made, under `owner` (by default the calling session),
    and starts when a slot is free; polls and stops may come from any thread."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        time_budget: float | None = None,
        owner: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._call: tuple[Callable[..., Any], tuple, dict] | None = (fn, args, kwargs)
        self._worker: _Process | ClusterTask | None = None  # made at the start: a waiting job holds none
        self.owner = owner or job_queue.current_owner()
        self.time_budget = time_budget
        self.started: float | None = None  # when it left the queue: budgets and durations count from here
        self._finished: float | None = None
        self.state = JobState.QUEUED
        self.progress = 0.0
        self.message = "waiting for a free worker"
        self.events: list[dict[str, Any]] = []
        self.result: Any = None
        self.error: dict[str, str] | None = None
        self._lock = threading.RLock()
        self._jobs = job_queue.shared()
        self._jobs.submit(self)

    @property
    def elapsed(self) -> float:
        """Seconds it has run (none while queued)."""
        if self.started is None:
            return 0.0
        return (self._finished or time.monotonic()) - self.started

    @property
    def active(self) -> bool:
        return self.state.active

    @property
    def running(self) -> bool:
        return self.state is JobState.RUNNING

    def launch(self, memory_mb: int | None) -> None:
        """Start the worker (the queue calls this when a slot is free), unless the job was stopped."""
        with self._lock:
            if self.state is not JobState.QUEUED:
                return
            fn, args, kwargs = self._call
            self._call = None  # the payload belongs to the worker from now on
            self.state, self.message, self.started = JobState.RUNNING, "starting", time.monotonic()
            try:
                if cluster.scheduler_address() is None:
                    self._worker = _Process(fn, args, kwargs, memory_mb)
                else:  # the cluster's workers have their own memory limits
                    from mlcore.compute.cluster_tasks import ClusterTask

                    self._worker = ClusterTask(fn, args, kwargs)
            except Exception as exc:  # arguments that cannot be sent, no fork server, no cluster: it fails
                message = (
                    getattr(exc, "message", None) or f"The job could not start: {type(exc).__name__}: {exc}"
                )
                self.error = {
                    "message": message,
                    "hint": getattr(exc, "hint", ""),
                    "traceback": traceback.format_exc(),
                }
                self.message = self.error["message"]
                self._end(JobState.FAILED)

    def poll(self) -> JobSnapshot:
        """Collect what the worker sent, enforce the time budget, and describe the job now."""
        with self._lock:
            self.refresh()
            place = self._jobs.place(self) if self.state is JobState.QUEUED else None
            if place is not None:
                self.message = place.describe()
            return JobSnapshot(
                self.state,
                self.progress,
                self.message,
                self.elapsed,
                list(self.events),
                self.result,
                self.error["message"] if self.error else None,
                place.position if place else None,
                place.expected_wait if place else None,
            )

    def refresh(self) -> None:
        """Read what the worker sent, and end the job if it finished, overran its budget or died
        (the page's polls and the queue's dispatcher both call it)."""
        with self._lock:
            if self.state is not JobState.RUNNING:
                return
            self._drain()
            if self.running and self.time_budget is not None and self.elapsed > self.time_budget:
                self._end(JobState.TIMED_OUT)
                self.message = f"stopped after its time budget of {self.time_budget:g} s"
            if self.running and not self._worker.alive:
                self._drain()
                if self.running:  # the worker died without a word
                    self.error = self._worker.died()
                    self.message = self.error["message"]
                    self._end(JobState.FAILED)

    def wait(self, timeout: float | None = None, interval: float = 0.05) -> JobSnapshot:
        """Poll until the job ends (used by the CLI and tests; pages poll instead)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        snapshot = self.poll()
        while snapshot.state.active and (deadline is None or time.monotonic() < deadline):
            time.sleep(interval)
            snapshot = self.poll()
        return snapshot

    def stop(self) -> None:
        """Stop the worker now, or take the job out of the queue before it starts; whatever it
        reported before stays available."""
        with self._lock:
            if self.running:
                self._drain()
            if self.active:
                self._end(JobState.STOPPED)
                self.message = "stopped"

    def _drain(self) -> None:
        for kind, payload in self._worker.messages():
            if kind == "event":
                self.events.append(payload)
                self.progress = float(payload.get("progress", self.progress))
                self.message = str(payload.get("message", self.message))
            elif kind == "result":
                self.result = payload
                self.progress, self.message = 1.0, "done"
                self._end(JobState.DONE)
                return
            else:
                self.error = payload
                self.message = payload["message"]
                self._end(JobState.FAILED)
                return

    def _end(self, state: JobState) -> None:
        self.state = state
        self._call = None  # a job stopped while queued lets go of its arguments (a table, say)
        self._finished = time.monotonic()
        if self._worker is not None:
            self._worker.end()
        self._jobs.done(self, None if self.started is None else self.elapsed)
