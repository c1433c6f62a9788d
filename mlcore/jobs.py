"""Background jobs in worker processes: the page script never blocks on slow work.

A `Job` runs a function in a separate process (so it can be stopped at once, and a time budget can
be enforced by terminating it), passes progress events back through a queue, and is polled by the
page (e.g. from an `st.fragment(run_every=...)`). The function must be importable (module level)
and takes a `report` callable as its first argument.
"""

from __future__ import annotations

import importlib.machinery
import multiprocessing as mp
import queue
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing import forkserver
from typing import Any

# Forking Streamlit's multi-threaded server is unsafe, so workers come from a fork server: a clean,
# single-threaded process that imports the heavy libraries once and forks a worker in milliseconds.
_CONTEXT = mp.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["mlcore.worker_preload"])
_START_LOCK = threading.Lock()


_warm_up_started = threading.Event()


def warm_up() -> None:
    """Start the fork server in the background, so the first job does not wait for its imports.

    Safe to call on every page run: only the first call does anything.
    """
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()

    def start() -> None:
        with _main_module_not_rerun():
            forkserver.ensure_running()

    threading.Thread(target=start, name="forkserver-warm-up", daemon=True).start()


Report = Callable[[dict[str, Any]], None]


class JobState(StrEnum):
    MISSING = "missing"  # never a job's own state: no job or result under a key (`mlcore.results`)
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"
    TIMED_OUT = "timed out"


@dataclass
class JobSnapshot:
    """What the page draws: state, latest progress, the events so far, and the result or error."""

    state: JobState
    progress: float
    message: str
    elapsed: float
    events: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None
    error: str | None = None


@contextmanager
def _main_module_not_rerun() -> Iterator[None]:
    """Start workers without re-running the app's entry script in them.

    Streamlit (and AppTest) install app.py as `__main__`; multiprocessing would execute it again in
    each new process. A stand-in `__main__` whose spec is named "__main__" makes it skip that step.
    """
    with _START_LOCK:
        real_main = sys.modules["__main__"]
        stand_in = types.ModuleType("__main__")
        stand_in.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
        sys.modules["__main__"] = stand_in
        try:
            yield
        finally:
            sys.modules["__main__"] = real_main


def _worker(out: mp.Queue, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    def report(event: dict[str, Any]) -> None:
        out.put(("event", event))

    try:
        result = fn(report, *args, **kwargs)
    except BaseException as exc:  # the parent must learn of any failure, whatever its type
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        hint = getattr(exc, "hint", "")
        out.put(("error", {"message": message, "hint": hint, "traceback": traceback.format_exc()}))
        return
    out.put(("result", result))


class Job:
    """One function running in its own process, with progress, stop and an optional time budget."""

    def __init__(
        self, fn: Callable[..., Any], *args: Any, time_budget: float | None = None, **kwargs: Any
    ) -> None:
        self._queue: mp.Queue = _CONTEXT.Queue()
        # The payload travels as process arguments: queues and locks among `args` may only be shared
        # that way. Workers come from the preloaded fork server, so they read it at once.
        self._process = _CONTEXT.Process(target=_worker, args=(self._queue, fn, args, kwargs), daemon=True)
        self.time_budget = time_budget
        self.started = time.monotonic()
        self._finished: float | None = None
        self.state = JobState.RUNNING
        self.progress = 0.0
        self.message = "starting"
        self.events: list[dict[str, Any]] = []
        self.result: Any = None
        self.error: dict[str, str] | None = None
        with _main_module_not_rerun():
            self._process.start()

    @property
    def elapsed(self) -> float:
        return (self._finished or time.monotonic()) - self.started

    @property
    def running(self) -> bool:
        return self.state is JobState.RUNNING

    def poll(self) -> JobSnapshot:
        """Collect what the worker sent, enforce the time budget, and describe the job now."""
        if self.running:
            self._drain()
        if self.running and self.time_budget is not None and self.elapsed > self.time_budget:
            self._end(JobState.TIMED_OUT)
            self.message = f"stopped after its time budget of {self.time_budget:g} s"
        if self.running and not self._process.is_alive():
            self._drain()
            if self.running:  # the process died without a word (killed, out of memory)
                self.error = {
                    "message": "The worker process stopped unexpectedly.",
                    "hint": "",
                    "traceback": "",
                }
                self._end(JobState.FAILED)
        return JobSnapshot(
            self.state,
            self.progress,
            self.message,
            self.elapsed,
            list(self.events),
            self.result,
            self.error["message"] if self.error else None,
        )

    def wait(self, timeout: float | None = None, interval: float = 0.05) -> JobSnapshot:
        """Poll until the job ends (used by the CLI and tests; pages poll instead)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        snapshot = self.poll()
        while snapshot.state is JobState.RUNNING and (deadline is None or time.monotonic() < deadline):
            time.sleep(interval)
            snapshot = self.poll()
        return snapshot

    def stop(self) -> None:
        """Stop the worker now; whatever it reported before stays available."""
        if self.running:
            self._drain()
        if self.running:
            self._end(JobState.STOPPED)
            self.message = "stopped"

    def _drain(self) -> None:
        while True:
            try:
                kind, payload = self._queue.get_nowait()
            except queue.Empty:
                return
            except (EOFError, OSError):
                return
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
        self._finished = time.monotonic()
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
        self._process.join(timeout=1)
