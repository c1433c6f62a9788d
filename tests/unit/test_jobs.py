"""Background jobs: results and progress come back, failures are explained, stop and budget work."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import types
from multiprocessing import spawn

from jobs_helpers import count_to, fail_plainly, niceness, sleep_then_touch, take_all

from mlcore.compute.jobs import WORKER_NICENESS, Job, JobState


def test_result_and_progress_events_come_back():
    snapshot = Job(count_to, 5).wait(timeout=60)
    assert snapshot.state is JobState.DONE
    assert snapshot.result == 10
    assert [e["message"] for e in snapshot.events] == [f"step {i}" for i in range(1, 6)]
    assert snapshot.progress == 1.0


def test_failure_keeps_the_plain_message():
    snapshot = Job(fail_plainly).wait(timeout=60)
    assert snapshot.state is JobState.FAILED
    assert snapshot.error == "The column 'y' has only one class."


def test_stop_kills_the_worker_before_it_finishes(tmp_path):
    marker = tmp_path / "done.txt"
    job = Job(sleep_then_touch, 3.0, str(marker))
    job.wait(timeout=0.5)
    start = time.monotonic()
    job.stop()
    assert time.monotonic() - start < 2
    assert job.poll().state is JobState.STOPPED
    time.sleep(3.5)
    assert not marker.exists()


def test_time_budget_marks_and_stops_a_slow_job(tmp_path):
    marker = tmp_path / "done.txt"
    snapshot = Job(sleep_then_touch, 5.0, str(marker), time_budget=1.0).wait(timeout=30)
    assert snapshot.state is JobState.TIMED_OUT
    assert snapshot.elapsed < 4
    time.sleep(4.5)
    assert not marker.exists()


def test_a_queue_can_be_passed_to_the_worker():
    tasks = multiprocessing.get_context("forkserver").Queue()
    for item in [3, 1, 2, None]:
        tasks.put(item)
    assert Job(take_all, tasks).wait(timeout=60).result == [3, 1, 2]


def test_a_rerun_setting_main_while_a_job_starts_does_not_run_the_app_in_the_worker(monkeypatch, tmp_path):
    """Streamlit sets `sys.modules["__main__"]` to app.py whenever a session's rerun starts, from its
    own thread. One landing while another session's job started made the worker run app.py first."""
    marker = tmp_path / "ran.txt"
    app = tmp_path / "fake_app.py"
    app.write_text(f"open({str(marker)!r}, 'w').write('the app ran in the worker')\n")
    rerun_main = types.ModuleType("__main__")
    rerun_main.__file__ = str(app)
    prepare = spawn.get_preparation_data

    def rerun_starts_meanwhile(name: str) -> dict:
        monkeypatch.setitem(sys.modules, "__main__", rerun_main)
        return prepare(name)

    monkeypatch.setattr(spawn, "get_preparation_data", rerun_starts_meanwhile)
    snapshot = Job(count_to, 3).wait(timeout=60)
    assert snapshot.state is JobState.DONE and snapshot.result == 3
    assert not marker.exists()


def test_workers_yield_the_cores_to_the_server():
    """A class's training must not make every session's page wait: workers run at a lower priority."""
    snapshot = Job(niceness).wait(timeout=60)
    assert snapshot.result == min(19, os.nice(0) + WORKER_NICENESS)
