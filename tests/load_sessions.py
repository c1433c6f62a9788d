"""A class on one server: simulated browser sessions of app.py sharing one process and its job queue.

Each session is a Streamlit `AppTest` of app.py driven from its own thread, all in this process,
which plays the server: as on `streamlit run`, every session's script runs in a thread of one
process, under its own session id (the owner of its jobs), and every job goes through the one
process-wide `mlcore.compute.job_queue`. A session does what a student does: it opens the app, loads a sample
on the Data page through its widgets, goes to Train, picks the default set ("Compare all") or some
models, presses Train, then reruns the page about once a second, as the browser's polling does, until
the leaderboard is complete. Every rerun is timed.

`concurrent_apptests` removes what makes AppTest a one-test-at-a-time tool, so that the sessions
behave like those of one server rather than like one test run many times:
- each AppTest gets a session id of its own (AppTest gives every runner "test session id", which
  would make all sessions one owner in the job queue);
- one Runtime stands for the server's, shared by every session (AppTest installs a fresh mock for each
  run and removes it when the run ends, which would pull it from under a concurrent run);
- one script cache holds the compiled app.py and pages for every session, as the server's does
  (AppTest compiles them again on every run; on Python 3.11, compiles racing in several threads can
  fail with "SystemError: AST constructor recursion depth mismatch", which the server's cache, one
  compile per script under a lock, never meets);
- `global.appTest` is set once for the whole load (AppTest patches `config.get_option` per run, and
  runs that overlap would restore each other's patches);
- a run is awaited by joining its script thread instead of checking every millisecond (thirty
  sessions checking a thousand times a second would load the server with work a real one never does).

While the class runs, a `ServerWatch` samples the server's memory (this process and its children:
the fork server and the job workers) and the job queue's load. `run_class` returns every session's
record and the server's figures; the scaled-down test (tests/app/test_class_load.py) and the
benchmark (bench/bench_class.py) both use it.

A real browser polls the Train page's live fragment (and the sidebar's) rather than the whole page;
each poll here reruns the whole page, so the server does more per poll than it would for a browser
and the timings are, if anything, pessimistic.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import MagicMock

import numpy as np
import psutil
import streamlit.testing.v1.app_test as app_test
import streamlit.testing.v1.local_script_runner as local_script_runner
from streamlit.runtime import Runtime
from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from mlcore.compute import job_queue
from mlcore.compute.job_queue import JobQueue
from mlcore.compute.jobs import Job
from mlcore.settings import JobLimits, job_limits

try:  # imported by the tests (tests/ on the path) or the benchmarks (the repository's root on it)
    from apptest_support import rerun_like_the_server
except ImportError:
    from tests.apptest_support import rerun_like_the_server

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TRAIN_PAGE = "pages/train.py"
IN_LINE = "in line"  # how the page words a waiting job's place ("number 3 in line", "next in line")
DONE = "Last training:"  # the label of the summary the Train page shows once a training is over
CLICK_EVERY = 5.0  # seconds between a simulated student's clicks while browser-like polling waits
_FORK_SERVER = "multiprocessing.forkserver"  # in the fork server's command line


# ---------- many AppTests in one process, as sessions of one server ----------

_session_ids: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # AppTest session state → id


class _SessionRunner(local_script_runner.LocalScriptRunner):
    """AppTest's script runner under the session id of its AppTest, as the server gives each browser tab."""

    def __init__(self, script_path, session_state, *args, **kwargs) -> None:
        super().__init__(script_path, session_state, *args, **kwargs)
        self._session_id = _session_ids.setdefault(session_state, str(uuid.uuid4()))


class _RunsOwnRuntime(Runtime):
    """What AppTest's per-run set-up assigns its mock Runtime to: the shared one stays in place."""


def _wait_for_run(runner: local_script_runner.LocalScriptRunner, timeout: float = 3) -> None:
    """`local_script_runner.require_widgets_deltas` without its 1 ms polling loop."""
    thread = runner._script_thread
    if thread is not None:
        thread.join(timeout)
    if runner.script_stopped():
        return
    runner.request_stop()
    runner.join()
    raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")


def _server_runtime() -> MagicMock:
    """One Runtime for every session, made as AppTest makes its own (media, dataframes, caches)."""
    runtime = MagicMock(spec=Runtime)
    runtime.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    runtime.dataframe_source_mgr = DataframeSourceManager()
    runtime.cache_storage_manager = MemoryCacheStorageManager()
    return runtime


def session_id(at: AppTest) -> str | None:
    """The session id a simulated session's scripts run under (None before its first run)."""
    return _session_ids.get(at._session_state)


@contextmanager
def concurrent_apptests() -> Iterator[None]:
    """Let AppTests run at the same time in threads of this process, each as its own session of one
    server (see the module's docstring); everything is put back on exit."""
    rerun_like_the_server()  # every rerun runs app.py first, as on the server (idempotent)
    scripts = ScriptCache()
    patches = [
        (app_test, "LocalScriptRunner", _SessionRunner),
        (app_test, "ScriptCache", lambda: scripts),
        (local_script_runner, "ScriptCache", lambda: scripts),
        (app_test, "Runtime", _RunsOwnRuntime),
        (app_test, "patch_config_options", lambda overrides: nullcontext()),
        (local_script_runner, "require_widgets_deltas", _wait_for_run),
        (Runtime, "_instance", _server_runtime()),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, value in patches:
        setattr(owner, name, value)
    try:
        with patch_config_options({"global.appTest": True}):
            yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


# ---------- the server: its memory and its job queue ----------


class WatchedQueue(JobQueue):
    """The server's job queue, which also notes the owner of every job submitted."""

    def __init__(self, limits: JobLimits) -> None:
        super().__init__(limits)
        self.owners: set[str] = set()

    def submit(self, job) -> None:
        self.owners.add(job.owner)
        super().submit(job)


@dataclass(frozen=True)
class Memory:
    """Resident memory in bytes of the server process, and of it with its fork server and the job
    workers forked from that, and how many workers are alive. Pages a worker shares with the fork
    server count in each, so `total` is an upper bound."""

    server: int
    total: int
    workers: int


def server_memory() -> Memory:
    server = psutil.Process()
    own = total = server.memory_info().rss
    workers = 0
    for child in server.children():
        with suppress(psutil.Error):  # ended between the listing and the reading
            if _FORK_SERVER not in " ".join(child.cmdline()):
                continue  # the resource tracker, or a process some test started
            total += child.memory_info().rss
            for worker in child.children():
                with suppress(psutil.Error):
                    if worker.status() != psutil.STATUS_ZOMBIE:
                        total += worker.memory_info().rss
                        workers += 1
    return Memory(own, total, workers)


class ServerWatch:
    """Samples the server while the class works: memory every `memory_every` s, the queue's load
    every `load_every` s; the peaks are kept."""

    def __init__(self, queue: JobQueue, memory_every: float = 0.25, load_every: float = 0.05) -> None:
        self.queue = queue
        self.memory_every, self.load_every = memory_every, load_every
        self.baseline = self.peak = server_memory()
        self.most_running = self.most_waiting = self.most_sessions = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="server-watch", daemon=True)

    def __enter__(self) -> ServerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        next_memory = 0.0
        while not self._stop.is_set():
            load = self.queue.load()
            self.most_running = max(self.most_running, load.running)
            self.most_waiting = max(self.most_waiting, load.waiting)
            self.most_sessions = max(self.most_sessions, load.sessions)
            if time.monotonic() >= next_memory:
                now, peak = server_memory(), self.peak
                self.peak = Memory(
                    max(peak.server, now.server), max(peak.total, now.total), max(peak.workers, now.workers)
                )
                next_memory = time.monotonic() + self.memory_every
            self._stop.wait(self.load_every)


# ---------- one student ----------


@dataclass
class Rerun:
    started: float  # time.monotonic()
    seconds: float
    step: str  # open, sample, load, train page, models, click Train, poll


@dataclass
class SessionRecord:
    """What one simulated session did and saw."""

    index: int
    sample: str
    owner: str | None = None
    asked: int = 0  # models the Train button offered to train
    reruns: list[Rerun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    clicked: float | None = None  # time.monotonic() of pressing Train
    finished: float | None = None  # when the page first showed the training over
    saw_place: bool = False  # the page showed the session's place in line while it waited
    board: list[dict] = field(default_factory=list)  # the leaderboard's rows: model, status, scores

    @property
    def time_to_result(self) -> float | None:
        """Seconds from pressing Train to the page showing the last model's result."""
        if self.clicked is None or self.finished is None:
            return None
        return self.finished - self.clicked

    @property
    def ok_runs(self) -> int:
        return sum(row["status"] == "ok" for row in self.board)

    @property
    def lost(self) -> int:
        """Models asked for that have no run on the leaderboard, or one that did not end ok."""
        return self.asked - self.ok_runs

    def scores(self) -> list[tuple]:
        """The leaderboard without its timings: what the same data, settings and seed must repeat."""
        return sorted(tuple(sorted(row.items())) for row in self.board)


def _timed(record: SessionRecord, at: AppTest, step: str, action=None) -> None:
    start = time.monotonic()
    (at if action is None else action).run()
    record.reruns.append(Rerun(start, time.monotonic() - start, step))
    _check(record, at, step)


def _check(record: SessionRecord, at: AppTest, step: str) -> None:
    for exception in at.exception:
        record.errors.append(f"{step}: exception {exception.message}")
    for error in at.error:
        record.errors.append(f"{step}: error {error.value}")
    texts = (
        [p.text for p in at.get("progress")] + [e.value for e in at.caption] + [e.value for e in at.markdown]
    )
    if any(IN_LINE in text for text in texts):
        record.saw_place = True


def _leaderboard(at: AppTest) -> list[dict]:
    """The rows of the leaderboard on the page, its model, status and score columns."""
    boards = [d.value for d in at.dataframe if {"model", "status", "rank"} <= set(d.value.columns)]
    if not boards:
        return []
    board = boards[-1]
    columns = ["model", "status", *[c for c in board.columns if c.startswith(("CV ", "holdout "))]]
    return board[columns].to_dict("records")


def _train_button(at: AppTest):
    return next(b for b in at.button if b.label.startswith("Train "))


def simulate_session(
    record: SessionRecord,
    at: AppTest,
    models: Sequence[str] | None,
    click_at: threading.Barrier | None,
    poll: float,
    deadline: float,
    browser_polls: bool = False,
) -> None:
    """One student, from opening the app (`at`, not run yet) to a complete leaderboard; what happened
    goes to `record`. Every `poll` seconds while it trains, the whole page reruns, or, with
    `browser_polls`, what a browser asks of the server: its live fragments' work (the training's
    poll) each time, and a whole-page rerun when a model has ended (the sidebar's fragment asks for
    one) and every `CLICK_EVERY` seconds (a student's click)."""
    try:
        _timed(record, at, "open")  # the start page: Data
        record.owner = session_id(at)
        at.selectbox(key="sample_choice").set_value(record.sample)
        _timed(record, at, "sample")
        _timed(record, at, "load", next(b for b in at.button if b.label == "Load sample").click())
        source = at.session_state["workspace"].dataset.source
        if source != f"sample: {record.sample}":
            record.errors.append(f"load: the page loaded {source}, not the sample {record.sample}")
        _timed(record, at, "train page", at.switch_page(TRAIN_PAGE))
        chooser = next(r for r in at.radio if r.label == "Models to train")
        if models is None:  # the default set: "Compare all"
            chooser.set_value(True)
        else:
            chooser.set_value(False)
            _timed(record, at, "models")
            next(m for m in at.multiselect if m.label == "Models").set_value(list(models))
        _timed(record, at, "models")
        button = _train_button(at)
        record.asked = int(button.label.split()[1])
        if click_at is not None:
            click_at.wait()  # the class presses Train together
        record.clicked = time.monotonic()
        _timed(record, at, "click Train", _train_button(at).click())
        workspace, seen, polled = at.session_state["workspace"], None, time.monotonic()
        while record.finished is None and time.monotonic() < deadline:
            if any(e.label.startswith(DONE) for e in at.expander):
                record.finished = record.reruns[-1].started + record.reruns[-1].seconds
                break
            time.sleep(max(0.0, polled + poll - time.monotonic()))
            polled = time.monotonic()
            if not browser_polls:
                _timed(record, at, "poll")
                continue
            snapshot = workspace.poll_training()  # the server's work of the page's live fragments
            now = (sum(m.finished for m in snapshot.models), snapshot.running)
            if now != seen or polled - record.reruns[-1].started >= CLICK_EVERY:
                seen = now  # the sidebar's fragment reruns the page when a model ends; a user clicks
                _timed(record, at, "rerun")
        if record.finished is None:
            record.errors.append(f"the training had not finished after {deadline - record.clicked:.0f} s")
        record.board = _leaderboard(at)
    except Exception:
        record.errors.append(traceback.format_exc())


# ---------- the class ----------


@dataclass
class ClassResult:
    """Every session's record and the server's figures during the load."""

    sessions: list[SessionRecord]
    bound: int | None
    owners: set[str]  # owners of the jobs the queue was given
    baseline: Memory  # the server before the class (its fork server started)
    peak: Memory  # each figure's peak while the class ran
    most_running: int
    most_waiting: int
    most_sessions: int
    seconds: float  # from the first Train click to the last result

    @property
    def errors(self) -> list[str]:
        return [f"session {s.index}: {e}" for s in self.sessions for e in s.errors]

    @property
    def lost(self) -> int:
        return sum(s.lost for s in self.sessions)

    def timed(self, while_training: bool = True) -> list[Rerun]:
        """Every page rerun of every session; only those that started while some session's training
        ran (between the first Train click and the last result), if `while_training`."""
        clicks = [s.clicked for s in self.sessions if s.clicked is not None]
        ends = [s.finished for s in self.sessions if s.finished is not None]
        start, end = (min(clicks), max(ends)) if clicks and ends else (0.0, float("inf"))
        return [r for s in self.sessions for r in s.reruns if not while_training or start <= r.started <= end]

    def reruns(self, while_training: bool = True) -> list[float]:
        """The seconds of `timed` reruns."""
        return [r.seconds for r in self.timed(while_training)]


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100) of `values`, by linear interpolation; NaN if there are none."""
    return float(np.percentile(values, q)) if len(values) else float("nan")


def _warm_server(teacher: AppTest) -> None:
    """The server as a class finds it: the app served once (the teacher's page), so its imports are
    done, and the fork server the job workers come from started (by a trivial job)."""
    teacher.run()
    Job(callable).wait(60)  # callable(report) returns True in the worker at once


def run_class(
    sessions: int,
    samples: Sequence[str] = ("iris",),
    models: Sequence[str] | None = None,
    bound: int | None = None,
    together: bool = True,
    arrival: float = 0.0,
    poll: float = 1.0,
    limit: float = 1800.0,
    timeout: float = 120.0,
    browser_polls: bool = False,
) -> ClassResult:
    """Run `sessions` simulated sessions at once on this process's job queue and return what happened.

    Session i loads `samples[i % len(samples)]` and trains `models` (None: the default set). The queue
    is a fresh one with the server's limits (`job_limits()`), or at most `bound` jobs at once. With
    `together`, every session presses Train at the same moment once all are ready; otherwise session i
    opens the app `i * arrival` seconds after the first and presses Train as soon as it is ready.
    Each session polls as `simulate_session` says (`browser_polls`), every `poll` seconds.
    Each session gives up `limit` seconds after the start; each page run may take `timeout` s. The
    server is warmed first (`_warm_server`), so the memory baseline holds the app and the fork server.
    """
    limits = job_limits() if bound is None else JobLimits(bound, job_limits().memory_mb)
    queue = WatchedQueue(limits)
    previous = job_queue.shared()
    records = [SessionRecord(i, samples[i % len(samples)]) for i in range(sessions)]
    barrier = threading.Barrier(sessions) if together else None
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "missing ScriptRunContext": AppTest sets its state up outside a run
    try:
        teacher, *apps = [AppTest.from_file(APP, default_timeout=timeout) for _ in range(sessions + 1)]
    finally:
        quiet.setLevel(level)
    rerun_like_the_server()
    _warm_server(teacher)
    deadline = time.monotonic() + limit
    job_queue.use(queue)
    try:
        with concurrent_apptests(), ServerWatch(queue) as watch:

            def student(record: SessionRecord, at: AppTest) -> None:
                if not together:
                    time.sleep(record.index * arrival)
                simulate_session(record, at, models, barrier, poll, deadline, browser_polls)
                if barrier is not None and record.clicked is None:
                    barrier.abort()  # this session failed before the click: release the others

            threads = [
                threading.Thread(target=student, args=(r, at), name=f"session-{r.index}")
                for r, at in zip(records, apps, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        job_queue.use(previous)
    clicks = [r.clicked for r in records if r.clicked is not None]
    ends = [r.finished for r in records if r.finished is not None]
    return ClassResult(
        records,
        limits.max_running,
        queue.owners,
        watch.baseline,
        watch.peak,
        watch.most_running,
        watch.most_waiting,
        watch.most_sessions,
        max(ends) - min(clicks) if clicks and ends else float("nan"),
    )


def isolated_home() -> None:
    """Projects of the simulated sessions go to a fresh folder, never the user's (benchmarks; the
    tests' conftest does the same)."""
    os.environ["MLCORE_HOME"] = tempfile.mkdtemp(prefix="mlcore-class-home-")
