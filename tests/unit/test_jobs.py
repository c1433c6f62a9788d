"""Background jobs: results and progress come back, failures are explained, stop and budget work."""

from __future__ import annotations

import multiprocessing
import time

from jobs_helpers import count_to, fail_plainly, sleep_then_touch, take_all

from mlcore.jobs import Job, JobState


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
