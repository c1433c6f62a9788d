"""The server-wide job queue (issue 19): a bound on running workers, turns taken fairly between
sessions, places in line with a wait estimate, stops and budgets while queued, a memory cap per job,
and the CLI's own workers unbounded as before."""

from __future__ import annotations

import multiprocessing
import signal
import time
from dataclasses import dataclass, field

import pytest
from jobs_helpers import count_to, die_by_signal, hog_memory, sleep_then_touch, take_turn

from mlcore.cli import main
from mlcore.compute import job_queue
from mlcore.compute.job_queue import DEFAULT_OWNER, JobQueue, Place
from mlcore.compute.jobs import Job, JobState
from mlcore.data.samples import load_sample
from mlcore.errors import SettingsError
from mlcore.settings import JobLimits, job_limits
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.session import TrainingSession

CONTEXT = multiprocessing.get_context("forkserver")


@pytest.fixture
def slots(monkeypatch):
    """Install a queue with the given bound (and memory cap) for this test's jobs."""

    def install(max_running: int | None, memory_mb: int | None = None) -> JobQueue:
        queue = JobQueue(JobLimits(max_running, memory_mb))
        monkeypatch.setattr(job_queue, "_shared", queue)
        return queue

    return install


@dataclass
class Turns:
    """What `take_turn` jobs share: the log of their starts, a gate that holds them, and counters of
    how many run at once."""

    log: object = field(default_factory=CONTEXT.Queue)
    gate: object = field(default_factory=CONTEXT.Event)
    running: object = field(default_factory=lambda: CONTEXT.Value("i", 0))
    peak: object = field(default_factory=lambda: CONTEXT.Value("i", 0))

    def job(self, name: str, owner: str | None = None) -> Job:
        return Job(take_turn, name, self.log, self.gate, self.running, self.peak, owner=owner)

    def starts(self, count: int) -> list[str]:
        return [self.log.get(timeout=30) for _ in range(count)]


def submit_ten_each(turns: Turns) -> list[Job]:
    """Session a submits ten jobs, then session b ten (as two students pressing 'Train all')."""
    return [turns.job(f"{owner}{i}", owner) for owner in "ab" for i in range(10)]


def finish(jobs: list[Job]) -> list[JobState]:
    return [job.wait(timeout=60).state for job in jobs]


def test_two_sessions_take_turns_for_one_slot(slots):
    slots(1)
    turns = Turns()
    jobs = submit_ten_each(turns)
    assert [job.state for job in jobs] == [JobState.RUNNING] + [JobState.QUEUED] * 19
    turns.gate.set()
    assert finish(jobs) == [JobState.DONE] * 20
    assert turns.starts(20) == [f"{owner}{i}" for i in range(10) for owner in "ab"]
    assert turns.peak.value == 1


def test_never_more_running_than_the_bound_and_turns_still_alternate(slots):
    slots(2)
    turns = Turns()
    jobs = submit_ten_each(turns)
    assert [job.state for job in jobs] == [JobState.RUNNING] * 2 + [JobState.QUEUED] * 18
    turns.gate.set()
    assert finish(jobs) == [JobState.DONE] * 20
    # Queued jobs start one after another in the queue's own thread: their start times follow the line.
    started = [job.result for job in sorted(jobs, key=lambda job: job.started)]
    # a's first two took the free slots; then b, which had no turn yet, and a alternate.
    alternating = [name for i in range(8) for name in (f"b{i}", f"a{i + 2}")]
    assert started == ["a0", "a1", *alternating, "b8", "b9"]
    assert turns.peak.value == 2


def test_a_newcomer_goes_before_those_who_had_a_turn_and_each_keeps_its_order(slots):
    slots(1)
    turns = Turns()
    jobs = [turns.job(name, name[0]) for name in ("a0", "b0", "a1", "c0", "b1", "a2")]
    turns.gate.set()
    assert finish(jobs) == [JobState.DONE] * 6
    assert turns.starts(6) == ["a0", "b0", "c0", "a1", "b1", "a2"]


def test_queued_jobs_know_their_place_and_a_stop_takes_one_out_unstarted(slots, tmp_path):
    slots(1)
    turns = Turns()
    holder = turns.job("a0", "a")
    never = tmp_path / "never.txt"
    a1 = Job(sleep_then_touch, 0.0, str(never), owner="a")
    b0, b1 = turns.job("b0", "b"), turns.job("b1", "b")
    snapshots = [job.poll() for job in (a1, b0, b1)]
    assert [(s.state, s.position, s.expected_wait) for s in snapshots] == [
        (JobState.QUEUED, 2, None),  # b had no turn yet: its first job goes first
        (JobState.QUEUED, 1, None),
        (JobState.QUEUED, 3, None),
    ]
    assert [s.message for s in snapshots] == [
        "waiting for a free worker: number 2 in line",
        "waiting for a free worker: next in line",
        "waiting for a free worker: number 3 in line",
    ]
    assert snapshots[0].elapsed == 0.0
    a1.stop()
    assert a1.poll().state is JobState.STOPPED and a1.started is None
    assert b1.poll().position == 2
    turns.gate.set()
    assert finish([holder, a1, b0, b1]) == [JobState.DONE, JobState.STOPPED, JobState.DONE, JobState.DONE]
    assert turns.starts(3) == ["a0", "b0", "b1"]
    assert not never.exists()


@dataclass(eq=False)
class Fake:
    """A job as the queue sees it, without a process: the estimate's arithmetic checked exactly."""

    owner: str
    launched: bool = False

    def launch(self, memory_mb: int | None) -> None:
        self.launched = True

    def refresh(self) -> None:
        return None


def eventually(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_the_wait_is_estimated_from_recent_durations_per_slot():
    queue = JobQueue(JobLimits(2, None))
    running = [Fake("a"), Fake("b")]
    waiting = [Fake("a"), Fake("b"), Fake("c")]
    for job in running + waiting:
        queue.submit(job)
    assert [job.launched for job in running + waiting] == [True, True, False, False, False]
    # c had no turn yet, so it goes first; nothing has finished yet, so there is no estimate.
    assert [queue.place(job) for job in waiting] == [Place(2, None), Place(3, None), Place(1, None)]
    queue.done(running[0], 30.0)  # the free slot goes to c, started by the queue's own thread
    assert eventually(lambda: [job.launched for job in waiting] == [False, False, True])
    queue.done(running[1], 50.0)
    assert eventually(lambda: [job.launched for job in waiting] == [True, False, True])
    assert queue.place(waiting[1]) == Place(1, 40.0 * 1 / 2)
    assert queue.place(waiting[1]).describe() == "waiting for a free worker: next in line, about 20 s"
    assert Place(4, 600.0).describe() == "waiting for a free worker: number 4 in line, about 10 min"
    assert queue.place(running[0]) is None
    for job in waiting:
        queue.done(job, None)


def test_a_time_budget_counts_from_the_start_not_from_the_queue(slots, tmp_path):
    slots(1)
    turns = Turns()
    holder = turns.job("a0", "a")
    marker = tmp_path / "done.txt"
    queued_at = time.monotonic()
    budgeted = Job(sleep_then_touch, 0.2, str(marker), time_budget=1.0, owner="b")
    time.sleep(1.5)  # longer than its budget, spent waiting
    assert budgeted.poll().state is JobState.QUEUED
    turns.gate.set()
    assert finish([holder, budgeted]) == [JobState.DONE, JobState.DONE]
    assert budgeted.started - queued_at >= 1.5 and budgeted.elapsed < 1.0
    assert marker.read_text() == "finished"


def test_a_memory_hungry_job_fails_plainly_and_the_others_finish(slots):
    slots(2, memory_mb=200)
    hog = Job(hog_memory, 2000, owner="a")
    others = [Job(count_to, n, owner=owner) for owner, n in (("a", 3), ("b", 4), ("b", 5))]
    snapshot = hog.wait(timeout=60)
    assert snapshot.state is JobState.FAILED
    assert snapshot.error == "The job needed more memory than the 200 MB allowed per job, so it was stopped."
    assert hog.error == {
        "message": snapshot.error,
        "hint": "Use fewer rows or columns, or lighter settings. Whoever runs the server can allow more "
        "with MLCORE_JOB_MEMORY_MB.",
        "traceback": "",
    }
    assert [job.wait(timeout=60).result for job in others] == [3, 6, 10]


def test_a_worker_killed_or_crashed_is_explained_without_a_traceback(slots):
    slots(2, memory_mb=300)
    killed, crashed = Job(die_by_signal, signal.SIGKILL), Job(die_by_signal, signal.SIGSEGV)
    assert [job.wait(timeout=60).state for job in (killed, crashed)] == [JobState.FAILED] * 2
    assert killed.error == {
        "message": "The job's worker process was killed, most likely because the server ran out of memory.",
        "hint": "Use fewer rows or columns, or lighter settings, or try again when the server is less busy.",
        "traceback": "",
    }
    assert crashed.error == {
        "message": "The worker process stopped unexpectedly.",
        "hint": "It may have needed more than the 300 MB allowed per job.",
        "traceback": "",
    }


def test_a_training_session_waits_in_line_then_trains(slots):
    slots(1)
    turns = Turns()
    holder = turns.job("a0", "a")
    iris = load_sample("iris")
    request = TrainRequest(iris, models=(ModelChoice("logistic_regression"), ModelChoice("naive_bayes")))
    session = TrainingSession(request, workers=2)
    snapshot = session.poll()
    assert snapshot.state == "running"
    assert snapshot.message == "0 of 2 models finished; waiting for a free worker: next in line"
    assert [m.state for m in snapshot.models] == ["queued", "queued"]
    turns.gate.set()
    assert holder.wait(timeout=60).state is JobState.DONE
    done = session.wait(timeout=240)
    assert done.state == "done" and [m.state for m in done.models] == ["ok", "ok"]


def test_the_cli_runs_its_own_workers_at_once_beyond_the_cores(monkeypatch, slots, tmp_path):
    slots(1)  # a server's bound, which the CLI replaces with its own
    monkeypatch.delenv("MLCORE_MAX_JOBS", raising=False)
    monkeypatch.delenv("MLCORE_JOB_MEMORY_MB", raising=False)
    table = tmp_path / "t.csv"
    table.write_text("x,y\n1,a\n2,b\n")
    assert main(["info", str(table)]) == 0
    assert job_queue.shared().limits == JobLimits(None, None)
    turns = Turns()
    jobs = [turns.job(f"w{i}") for i in range(4)]
    assert [(job.owner, job.state) for job in jobs] == [(DEFAULT_OWNER, JobState.RUNNING)] * 4
    assert sorted(turns.starts(4)) == ["w0", "w1", "w2", "w3"]
    assert turns.peak.value == 4  # all four at once, whatever the cores
    turns.gate.set()
    assert finish(jobs) == [JobState.DONE] * 4


def test_jobs_belong_to_the_session_that_started_them(monkeypatch, slots):
    slots(None)
    monkeypatch.setattr(job_queue, "_find_owner", job_queue._find_owner)  # restored after the test
    job_queue.identify_owners(lambda: "session-1")
    jobs = [Job(count_to, 1)]
    job_queue.identify_owners(lambda: None)  # a thread outside any session
    jobs += [Job(count_to, 1), Job(count_to, 1, owner="cli")]
    assert [job.owner for job in jobs] == ["session-1", DEFAULT_OWNER, "cli"]
    assert finish(jobs) == [JobState.DONE] * 3


def test_job_limits_come_from_the_machine_or_the_environment(monkeypatch):
    monkeypatch.delenv("MLCORE_MAX_JOBS", raising=False)
    monkeypatch.delenv("MLCORE_JOB_MEMORY_MB", raising=False)
    monkeypatch.setattr("mlcore.settings.usable_cores", lambda: 4)
    monkeypatch.setattr("mlcore.settings.total_memory", lambda: 8 << 30)
    monkeypatch.setattr("mlcore.settings.available_memory", lambda: 5 << 30)
    assert job_limits() == JobLimits(4, 2048)  # one per core, an equal share of the 8 GB each
    monkeypatch.setattr("mlcore.settings.available_memory", lambda: (2 << 30) + 1)
    assert job_limits() == JobLimits(2, 4096)  # room for two typical jobs only
    assert job_limits(shared=False) == JobLimits(None, None)
    monkeypatch.setenv("MLCORE_MAX_JOBS", "3")
    monkeypatch.setenv("MLCORE_JOB_MEMORY_MB", " 1500 ")
    assert job_limits() == JobLimits(3, 1500) == job_limits(shared=False)


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_a_bad_bound_is_a_plain_settings_error(monkeypatch, value):
    monkeypatch.setenv("MLCORE_MAX_JOBS", value)
    with pytest.raises(SettingsError) as caught:
        job_limits()
    assert caught.value.message == f"MLCORE_MAX_JOBS is {value!r}, which is not a whole number above zero."
    assert caught.value.hint == "Set it to a number such as 4, or leave it unset for one job per core."
