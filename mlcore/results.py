"""One store for results that are slow to make: made once per key, looked up on every rerun.

A page reruns its whole script on every click, so it looks its results up instead of computing them
again. A `ResultStore` serves both ways of making one: built in this process on first use
(`get_or_build`: evaluations, tables, figures) or computed by a background `Job` that the page polls
(`start`, `poll`, `stop`: profile reports, refit analyses, explanations). Under each key it holds a
finished result, a running job, or the plain error (`MLCoreError`) that ended it, and answers with
an `Entry`.

Keys are tuples of what a result depends on, compared as they are (nothing but the key is hashed);
the lock is held only for dict operations, and builds, job starts and polls happen outside it, so a
lookup costs a dict access and a slow build never blocks another session. Finished entries (results
and errors) are bounded: beyond `max_entries` the least recently used is dropped. Running jobs are
never dropped: `stop` or `forget` ends them. A store may be shared by every session, for results
that depend only on their key, or held by one session's `Workspace`, for jobs that session started
and may stop.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mlcore.compute.jobs import Job, JobState
from mlcore.errors import MLCoreError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """What a store holds under a key, as a page draws it: the state, progress while a job runs, and
    the result or the error once it ended."""

    state: JobState
    result: T | None = None
    error: MLCoreError | None = None
    progress: float = 0.0
    message: str = ""
    elapsed: float = 0.0

    @property
    def failed(self) -> bool:
        """Ended with an error to show (a stop asked for by the user is not one)."""
        return self.state in (JobState.FAILED, JobState.TIMED_OUT)

    def result_or_raise(self) -> T:
        """What a lookup gives: the result, or the kept error raised again."""
        if self.error is not None:
            raise self.error.with_traceback(None)  # raised again on each lookup: no traceback piles up
        return self.result


MISSING: Entry[Any] = Entry(JobState.MISSING)


def plain_error(job: Job) -> MLCoreError:
    """The worker's own message and hint, or what ended the job (a stop, its time budget, a crash)."""
    error = job.error or {}
    return MLCoreError(error.get("message") or job.message, error.get("hint", ""))


@dataclass
class _Running(Generic[T]):
    """A job under a key and how its end becomes an entry: once, whichever thread polls first."""

    job: Job
    result: Callable[[Job], T]
    error: Callable[[Job], MLCoreError]
    lock: threading.Lock = field(default_factory=threading.Lock)
    ended: Entry[T] | None = None

    def poll(self) -> Entry[T]:
        with self.lock:
            if self.ended is not None:
                return self.ended
            now = self.job.poll()
            if now.state.active:
                return Entry(now.state, progress=now.progress, message=now.message, elapsed=now.elapsed)
            kept = self.result(self.job) if now.state is JobState.DONE else None
            error = None if now.state is JobState.DONE else self.error(self.job)
            self.ended = Entry(now.state, kept, error, now.progress, now.message, now.elapsed)
            return self.ended

    def stop(self) -> None:
        with self.lock:
            self.job.stop()


class ResultStore(Generic[T]):
    """Results, errors and running jobs by key; thread-safe, and bounded in finished entries."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, Entry[T] | _Running[T]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def running(self) -> list[tuple]:
        """The keys whose job has not been seen to end yet."""
        with self._lock:
            return [key for key, entry in self._entries.items() if isinstance(entry, _Running)]

    def values(self) -> list[T]:
        """The finished results, least recently used first."""
        with self._lock:
            entries = list(self._entries.values())
        return [e.result for e in entries if isinstance(e, Entry) and e.state is JobState.DONE]

    def get(self, key: tuple) -> T | None:
        """The finished result under `key`, or None."""
        entry = self.poll(key)
        return entry.result if entry.state is JobState.DONE else None

    def put(self, key: tuple, result: T, elapsed: float = 0.0) -> None:
        """Keep a result made elsewhere, as if it had been made here in `elapsed` seconds; a job still
        computing it is stopped."""
        with self._lock:
            replaced = self._entries.get(key)
            self._store(key, Entry(JobState.DONE, result, None, 1.0, "done", elapsed))
        if isinstance(replaced, _Running):
            replaced.stop()

    def get_or_build(self, key: tuple, build: Callable[[], T]) -> T:
        """The result under `key`, built now if there is none; an `MLCoreError` the build raised is kept
        and raised again. Threads building the same key at once all get the entry stored first."""
        with self._lock:
            entry = self._entries.get(key)
            settled = isinstance(entry, Entry) and (entry.state is JobState.DONE or entry.failed)
            if settled:
                self._entries.move_to_end(key)
        if not settled:
            entry = _built(build)
            with self._lock:
                current = self._entries.get(key)
                if isinstance(current, Entry) and (current.state is JobState.DONE or current.failed):
                    entry = current  # another thread stored it first
                elif not isinstance(current, _Running):  # a job computing it keeps running
                    self._store(key, entry)
        return entry.result_or_raise()

    def start(
        self,
        key: tuple,
        fn: Callable[..., Any],
        *args: Any,
        time_budget: float | None = None,
        result: Callable[[Job], T] = lambda job: job.result,
        error: Callable[[Job], MLCoreError] = plain_error,
        **kwargs: Any,
    ) -> Job | None:
        """Compute `fn(report, *args, **kwargs)` in a background `Job` under `key`, unless its result is
        kept or a job computes it already (an error or a stop is replaced). `result` makes what is
        kept from the finished job, `error` the plain reason for one that did not finish. Returns
        the job computing `key`, or None when its result is kept."""
        with self._lock:
            known = self._known(key)
        if known is None:
            running: _Running[T] = _Running(Job(fn, *args, time_budget=time_budget, **kwargs), result, error)
            with self._lock:
                known = self._known(key)  # another thread may have started it meanwhile
                if known is None:
                    self._store(key, running)
                    return running.job
            running.stop()
        return known.job if isinstance(known, _Running) else None

    def poll(self, key: tuple) -> Entry[T]:
        """The entry under `key` now (`MISSING` if none); a job seen to end becomes its finished entry."""
        with self._lock:
            entry = self._entries.get(key, MISSING)
            if isinstance(entry, Entry):
                if entry is not MISSING:
                    self._entries.move_to_end(key)
                return entry
        ended = entry.poll()  # outside the store's lock: it may unpickle a large result
        if not ended.state.active:
            with self._lock:
                if self._entries.get(key) is entry:
                    self._store(key, ended)
        return ended

    def stop(self, key: tuple) -> None:
        """Stop the job computing `key`; its stopped entry stays (or its result, had it just finished)."""
        with self._lock:
            entry = self._entries.get(key)
        if isinstance(entry, _Running):
            entry.stop()
            self.poll(key)

    def forget(self, predicate: Callable[[tuple], bool]) -> None:
        """Drop every entry whose key matches, stopping the jobs still running among them."""
        with self._lock:
            dropped = [self._entries.pop(key) for key in [k for k in self._entries if predicate(k)]]
        for entry in dropped:
            if isinstance(entry, _Running):
                entry.stop()

    def _known(self, key: tuple) -> Entry[T] | _Running[T] | None:
        """A kept result or a running job under `key`: what makes starting it again pointless."""
        entry = self._entries.get(key)
        if isinstance(entry, _Running) or (entry is not None and entry.state is JobState.DONE):
            return entry
        return None

    def _store(self, key: tuple, entry: Entry[T] | _Running[T]) -> None:
        """Put `entry` under `key` as the most recently used, within the bound (the lock is held)."""
        self._entries[key] = entry
        self._entries.move_to_end(key)
        if len(self._entries) <= self.max_entries:
            return
        finished = [key for key, entry in self._entries.items() if isinstance(entry, Entry)]
        for key in finished[: len(finished) - self.max_entries]:
            del self._entries[key]


def _built(build: Callable[[], T]) -> Entry[T]:
    """The entry of a build in this process: its result, or the `MLCoreError` it raised."""
    started = time.perf_counter()
    try:
        result = build()
    except MLCoreError as error:
        return Entry(JobState.FAILED, error=error, elapsed=time.perf_counter() - started)
    return Entry(JobState.DONE, result, None, 1.0, "done", time.perf_counter() - started)
