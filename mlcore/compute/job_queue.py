"""One queue for the heavy work of every session of a server, so that a class pressing "Train all" in
the same minute shares the machine instead of thrashing it.

Every `mlcore.compute.jobs.Job` (training workers, tuning, refit analyses, slow SHAP runs, profile reports,
Discover analyses) is submitted here under its owner, the browser session that started it. At most
`max_running` jobs run at once (`mlcore.settings.job_limits`). A free slot goes to the owner whose
turn came least recently among those with jobs waiting, so sessions take turns (round-robin) and none
waits behind another's ten jobs; an owner's own jobs start in the order they were submitted. A
waiting job can tell its place in line and a plain estimate of its wait.

A job starts at once when a slot is free and nobody waits. Otherwise a dispatcher thread, alive
while jobs wait, starts it in turn; it also reads what the running workers sent, so that one that
ended frees its slot even when no page polls it (a closed tab).
"""

from __future__ import annotations

import itertools
import logging
import statistics
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mlcore.compute import cluster
from mlcore.settings import JobLimits, job_limits

DEFAULT_OWNER = "default"  # the owner of jobs started outside any session: the CLI, scripts, tests
RECENT = 20  # finished jobs whose durations make the wait estimate
TICK = 0.05  # seconds between the dispatcher's looks at the running jobs
_LOG = logging.getLogger(__name__)


class Queued(Protocol):
    """What the queue needs of a job (`mlcore.compute.jobs.Job`)."""

    owner: str

    def launch(self, memory_mb: int | None) -> None:
        """Start the worker process now, with its memory cap (a job stopped meanwhile stays unstarted)."""

    def refresh(self) -> None:
        """Read what the worker sent and end the job if it is over (which calls `JobQueue.done`)."""


@dataclass(frozen=True)
class Place:
    """Where a waiting job stands: its 1-based position among all waiting jobs, in the order they
    will start, and the expected wait in seconds (None until some job has finished)."""

    position: int
    expected_wait: float | None

    def describe(self) -> str:
        """The page's progress text, e.g. "waiting for a free worker: number 3 in line, about 40 s"."""
        line = "next in line" if self.position == 1 else f"number {self.position} in line"
        estimate = "" if self.expected_wait is None else f", about {_duration(self.expected_wait)}"
        return f"waiting for a free worker: {line}{estimate}"


@dataclass(frozen=True)
class Load:
    """What the queue holds now, for the status panel: jobs running and waiting, the sessions they
    belong to, and the bound on running jobs (None: none)."""

    running: int
    waiting: int
    sessions: int
    bound: int | None


class JobQueue:
    """Jobs waiting for a slot and jobs holding one, under one lock; thread-safe."""

    def __init__(self, limits: JobLimits) -> None:
        self.limits = limits
        # By owner, in the order owners arrived (among those that never had a turn, the first goes first).
        self._waiting: dict[str, deque[Queued]] = {}
        self._running: set[Queued] = set()
        self._turns: dict[str, int] = {}  # owner → when its last turn came, while it has jobs here
        self._clock = itertools.count()
        self._durations: deque[float] = deque(maxlen=RECENT)
        self._changed = threading.Condition()
        self._dispatcher: threading.Thread | None = None

    def submit(self, job: Queued) -> None:
        """Start `job` now if a slot is free and nobody waits before it, or queue it."""
        with self._changed:
            self._waiting.setdefault(job.owner, deque()).append(job)
        self._fill()
        with self._changed:
            if self._waiting and self._dispatcher is None:
                self._dispatcher = threading.Thread(target=self._dispatch, name="job-queue", daemon=True)
                self._dispatcher.start()

    def done(self, job: Queued, ran: float | None) -> None:
        """`job` ended, stopped while waiting or after `ran` seconds in a slot: its place is free."""
        with self._changed:
            if job in self._running:
                self._running.remove(job)
            elif job in self._waiting.get(job.owner, ()):
                self._remove_waiting(job)
            if ran is not None:
                self._durations.append(ran)
            if job.owner not in self._waiting and all(j.owner != job.owner for j in self._running):
                self._turns.pop(job.owner, None)  # its next job starts as a newcomer's would
            self._changed.notify_all()  # the dispatcher starts the next in line

    def place(self, job: Queued) -> Place | None:
        """Where `job` stands in line, or None if it is not waiting. Its wait: the mean time recent jobs
        held a slot, times its position, over the number of slots."""
        with self._changed:
            order = self._order()
            if job not in order:
                return None
            position = order.index(job) + 1
            durations = list(self._durations)
        slots = self.limits.max_running
        wait = statistics.fmean(durations) * position / slots if durations and slots else None
        return Place(position, wait)

    def load(self) -> Load:
        """How busy the queue is now."""
        with self._changed:
            waiting = sum(len(line) for line in self._waiting.values())
            owners = set(self._waiting) | {job.owner for job in self._running}
            return Load(len(self._running), waiting, len(owners), self.limits.max_running)

    def _order(self) -> list[Queued]:
        """The waiting jobs in the order they will start: in rounds, one job of each owner per round,
        owners whose turn came least recently first (the lock is held)."""
        owners = sorted(self._waiting, key=lambda owner: self._turns.get(owner, -1))
        lines = [self._waiting[owner] for owner in owners]
        rounds = max(len(line) for line in lines) if lines else 0
        return [line[i] for i in range(rounds) for line in lines if i < len(line)]

    def _fill(self) -> None:
        """Start waiting jobs, one at a time in line, while a slot is free."""
        while True:
            with self._changed:
                bound = self.limits.max_running
                if not self._waiting or (bound is not None and len(self._running) >= bound):
                    return
                job = self._order()[0]
                self._remove_waiting(job)
                self._turns[job.owner] = next(self._clock)
                self._running.add(job)
            job.launch(self.limits.memory_mb)  # outside the lock: the first start waits for the fork server

    def _remove_waiting(self, job: Queued) -> None:
        line = self._waiting[job.owner]
        line.remove(job)
        if not line:
            del self._waiting[job.owner]

    def _dispatch(self) -> None:
        """While jobs wait: look at the running ones (one that ended frees its slot) and start the next
        in line. Queued jobs start here, so a page's poll never pays for another session's start."""
        while True:
            with self._changed:
                if not self._waiting:
                    self._dispatcher = None
                    return
                running = list(self._running)
            for job in running:
                try:
                    job.refresh()
                except Exception:  # one broken job must not stop the line for every session
                    _LOG.exception("reading a running job failed")
            self._fill()
            with self._changed:
                if self._waiting:
                    self._changed.wait(TICK)


def _duration(seconds: float) -> str:
    return f"{max(1, round(seconds))} s" if seconds < 90 else f"{round(seconds / 60)} min"


_shared: JobQueue | None = None
_shared_lock = threading.Lock()


def _no_session() -> str | None:
    return None


_find_owner: Callable[[], str | None] = _no_session


def shared() -> JobQueue:
    """This process's queue: every job goes through it; made on first use with a server's limits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = JobQueue(_server_limits())
        return _shared


def _server_limits() -> JobLimits:
    """A server's limits: from this machine, or on a cluster as many jobs at once as it has threads
    (fair turns still decide whose job goes next) and no memory cap (its workers have their own)."""
    if cluster.scheduler_address() is None:
        return job_limits()
    bound = job_limits(shared=False).max_running
    if bound is None:
        try:
            bound = cluster.cluster_threads()
        except cluster.ClusterError:  # each job will fail with this plain reason; the line stays short
            bound = 1
    return JobLimits(bound, None)


def use(queue: JobQueue) -> None:
    """Send the jobs submitted from now on to `queue` (the CLI's, with one user's limits; a test's)."""
    global _shared
    with _shared_lock:
        _shared = queue


def identify_owners(find: Callable[[], str | None]) -> None:
    """Tell the queue how to find the session of the calling thread (the app: Streamlit's session id;
    None outside any session)."""
    global _find_owner
    _find_owner = find


def current_owner() -> str:
    """The owner of a job started now: the caller's session, or `DEFAULT_OWNER` outside any."""
    return _find_owner() or DEFAULT_OWNER
