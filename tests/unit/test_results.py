"""The result store: bounded and least recently used, thread-safe, jobs from start to end, kept errors."""

from __future__ import annotations

import threading
import time
import traceback

import pytest
from jobs_helpers import count_to, fail_plainly, sleep_then_touch

from mlcore.compute.jobs import JobState
from mlcore.errors import MLCoreError
from mlcore.results import MISSING, ResultStore


def _ended(store: ResultStore, key: tuple, timeout: float = 60):
    entry = store.poll(key)
    deadline = time.monotonic() + timeout
    while entry.state is JobState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
        entry = store.poll(key)
    return entry


def test_the_least_recently_used_result_is_dropped_beyond_the_bound():
    store = ResultStore(max_entries=2)
    store.put(("a",), 1)
    store.put(("b",), 2)
    assert store.get_or_build(("a",), lambda: pytest.fail("kept: not built again")) == 1  # "a" used last
    store.put(("c",), 3)
    assert store.get(("b",)) is None and store.get(("a",)) == 1 and store.get(("c",)) == 3
    assert len(store) == 2 and store.values() == [1, 3]
    assert store.poll(("b",)) is MISSING and store.poll(("b",)).state is JobState.MISSING


def test_threads_building_one_key_all_get_the_same_result():
    store, builds, barrier = ResultStore(max_entries=4), [], threading.Barrier(8)

    def build() -> object:
        builds.append(1)
        time.sleep(0.01)
        return object()

    def look_up(out: list) -> None:
        barrier.wait()
        out.append(store.get_or_build(("shared",), build))

    got: list = []
    threads = [threading.Thread(target=look_up, args=(got,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(result is got[0] for result in got) and store.get(("shared",)) is got[0]
    assert 1 <= len(builds) <= 8 and len(store) == 1


def test_many_threads_and_keys_keep_the_bound():
    store = ResultStore(max_entries=16)

    def work(offset: int) -> None:
        for i in range(200):
            key = ((offset + i) % 40,)
            assert store.get_or_build(key, lambda key=key: key[0] * 2) == key[0] * 2

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store) == 16


def test_an_error_is_kept_and_raised_again_without_building_again():
    store, builds = ResultStore(), []

    def build() -> int:
        builds.append(1)
        raise MLCoreError("No holdout rows.", "Keep a holdout share.")

    depths = []
    for _ in range(3):
        with pytest.raises(MLCoreError, match="No holdout rows") as raised:
            store.get_or_build(("run",), build)
        depths.append(len(traceback.extract_tb(raised.value.__traceback__)))
    assert len(builds) == 1 and raised.value.hint == "Keep a holdout share."
    assert depths[1] == depths[2]  # raised afresh each time: no traceback piles up
    entry = store.poll(("run",))
    assert entry.failed and entry.error is raised.value


def test_a_bug_is_not_kept():
    store, builds = ResultStore(), []

    def build() -> int:
        builds.append(1)
        raise ValueError("a bug")

    for _ in range(2):
        with pytest.raises(ValueError):
            store.get_or_build(("run",), build)
    assert len(builds) == 2 and store.poll(("run",)) is MISSING


def test_a_job_runs_to_its_result_which_is_kept():
    store = ResultStore()
    job = store.start(("count",), count_to, 5)
    assert job is not None and store.running == [("count",)]
    assert store.start(("count",), count_to, 5) is job  # already computing: no second worker
    entry = _ended(store, ("count",))
    assert (entry.state, entry.result, entry.progress, entry.error) == (JobState.DONE, 10, 1.0, None)
    assert store.running == [] and store.get(("count",)) == 10
    assert store.start(("count",), count_to, 5) is None  # known: nothing to start


def test_a_job_result_can_be_made_into_what_is_kept():
    store = ResultStore()
    store.start(("count",), count_to, 3, result=lambda job: (job.result, job.state.value))
    assert _ended(store, ("count",)).result == (3, "done")


def test_a_failed_job_keeps_its_plain_error_until_started_again():
    store = ResultStore()
    store.start(("fail",), fail_plainly)
    entry = _ended(store, ("fail",))
    assert entry.state is JobState.FAILED and entry.failed
    assert (entry.error.message, entry.error.hint) == (
        "The column 'y' has only one class.",
        "Choose another target.",
    )
    assert store.poll(("fail",)) is entry
    assert store.start(("fail",), count_to, 2) is not None  # a failure may be retried
    assert _ended(store, ("fail",)).result == 1


def test_a_job_error_can_be_reworded():
    store = ResultStore()
    store.start(("fail",), fail_plainly, error=lambda job: MLCoreError(f"Stopped: {job.error['message']}"))
    assert _ended(store, ("fail",)).error.message == "Stopped: The column 'y' has only one class."


def test_stopping_a_job_keeps_a_stopped_entry_and_ends_the_worker(tmp_path):
    store, marker = ResultStore(), tmp_path / "done.txt"
    store.start(("slow",), sleep_then_touch, 3.0, str(marker))
    entry = store.poll(("slow",))
    deadline = time.monotonic() + 30
    while entry.message != "sleeping" and time.monotonic() < deadline:
        time.sleep(0.05)
        entry = store.poll(("slow",))
    assert entry.state is JobState.RUNNING and entry.progress == 0.1
    store.stop(("slow",))
    entry = store.poll(("slow",))
    assert entry.state is JobState.STOPPED and not entry.failed and entry.error.message == "stopped"
    assert store.running == []
    time.sleep(3.5)
    assert not marker.exists()


def test_a_job_over_its_time_budget_fails_with_a_reason(tmp_path):
    store = ResultStore()
    store.start(("slow",), sleep_then_touch, 5.0, str(tmp_path / "done.txt"), time_budget=0.5)
    entry = _ended(store, ("slow",))
    assert (
        entry.state is JobState.TIMED_OUT and entry.failed and "time budget of 0.5 s" in entry.error.message
    )


def test_running_jobs_are_never_evicted(tmp_path):
    store = ResultStore(max_entries=1)
    job = store.start(("slow",), sleep_then_touch, 30.0, str(tmp_path / "done.txt"))
    for name in "abc":
        store.put((name,), name)
    assert store.running == [("slow",)] and job.running and store.values() == ["c"]
    store.stop(("slow",))
    assert not job.running


def test_forgetting_by_key_drops_results_and_stops_jobs(tmp_path):
    store = ResultStore()
    job = store.start(("run-1", "explain"), sleep_then_touch, 30.0, str(tmp_path / "done.txt"))
    store.put(("run-1", "oof"), 1)
    store.put(("run-2", "oof"), 2)
    store.forget(lambda key: key[0] == "run-1")
    assert job.state is JobState.STOPPED and store.running == []
    assert store.poll(("run-1", "oof")) is MISSING and store.values() == [2]


def test_a_result_that_ends_after_newer_ones_is_kept_as_the_most_recent():
    store = ResultStore(max_entries=2)
    store.start(("count",), count_to, 3)
    for name in "abc":
        store.put((name,), name)
    assert _ended(store, ("count",)).result == 3
    assert store.values() == ["c", 3] and store.get(("count",)) == 3
