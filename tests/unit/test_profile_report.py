"""The full report: planning, the bounded cache, the worker, and failures in plain words."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from mlcore.compute.jobs import JobState
from mlcore.dataset import build_dataset, hash_frame
from mlcore.explore.profile_report import (
    ProfileCache,
    ProfileError,
    ProfilePlan,
    ProfileResult,
    ProfileSettings,
    build_report_html,
    cache_key,
    plan_profile,
    start_profile,
)


def tiny(rows: int = 40):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"size": rng.normal(size=rows), "kind": rng.choice(["a", "b"], rows)})
    return build_dataset(frame, name="tiny.csv", source="test", content_hash=hash_frame(frame))


def test_plan_samples_rows_and_switches_to_minimal():
    settings = ProfileSettings(max_rows=10_000, minimal_above_columns=30, seed=7)
    big = plan_profile(50_000, 12, settings)
    assert (big.rows_profiled, big.sampled, big.minimal) == (10_000, True, False)
    assert "uniform random sample of 10,000 of the 50,000 rows (seed 7)" in big.describe(settings)
    wide = plan_profile(500, 31, settings)
    assert (wide.rows_profiled, wide.sampled, wide.minimal) == (500, False, True)
    assert "minimal preset" in wide.describe(settings) and "all 500 rows" in wide.describe(settings)
    assert not plan_profile(500, 30, settings).minimal


@pytest.mark.parametrize("bad", [{"max_rows": 0}, {"minimal_above_columns": -1}])
def test_impossible_settings_are_refused(bad):
    with pytest.raises(ProfileError):
        ProfileSettings(**bad)


def test_cache_is_bounded_and_keeps_the_most_recent():
    cache = ProfileCache(max_entries=2)
    result = ProfileResult("<html></html>", ProfilePlan(1, 1, 1, False), 0.1)
    cache.put(("a",), result)
    cache.put(("b",), result)
    assert cache.get(("a",)) is result  # "a" is now the most recently used
    cache.put(("c",), result)
    assert cache.get(("b",)) is None and cache.get(("a",)) is result and len(cache) == 2


def test_key_follows_data_and_settings_but_not_the_time_budget():
    dataset = tiny()
    base = cache_key(dataset, ProfileSettings())
    assert base == cache_key(dataset, ProfileSettings(time_budget=5))
    assert base != cache_key(dataset, ProfileSettings(max_rows=20))
    assert base != cache_key(tiny(41), ProfileSettings())


def test_a_cached_report_comes_back_without_a_worker():
    dataset, settings, cache = tiny(), ProfileSettings(), ProfileCache()
    result = ProfileResult("<html>cached</html>", plan_profile(40, 2, settings), 1.0)
    cache.put(cache_key(dataset, settings), result)
    run = start_profile(dataset, settings, cache)
    assert run.job is None
    status = run.poll()
    assert (status.state, status.result) == (JobState.DONE, result)


def test_worker_builds_the_html_and_reports_progress(monkeypatch):
    import ydata_profiling.model.describe as describe_module

    # The worker function runs in this process here: restore what it changes for the worker's sake.
    monkeypatch.setattr(describe_module, "tqdm", describe_module.tqdm)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.delenv("YDATA_PROFILING_NO_ANALYTICS", raising=False)
    events = []
    html = build_report_html(events.append, tiny().frame, "Tiny title", True)
    assert os.environ["YDATA_PROFILING_NO_ANALYTICS"] == "True"  # set before ydata-profiling runs
    assert html.lstrip().lower().startswith("<!doctype html") and "Tiny title" in html
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] < 1
    assert any(e["message"].startswith("describing") for e in events)


def test_a_failure_inside_ydata_is_reported_plainly():
    with pytest.raises(ProfileError, match="ydata-profiling could not build the report: ValueError"):
        build_report_html(lambda event: None, pd.DataFrame(index=range(3)), "empty", True)


def test_report_runs_in_a_worker_on_a_sample_and_is_cached():
    dataset, cache = tiny(300), ProfileCache()
    settings = ProfileSettings(max_rows=100, minimal_above_columns=0)
    run = start_profile(dataset, settings, cache)
    assert run.job is not None and run.plan.rows_profiled == 100 and run.plan.minimal
    run.job.wait(timeout=180)
    status = run.poll()
    assert status.state is JobState.DONE, status.error
    assert "tiny.csv" in status.result.html and status.result.plan.rows_profiled == 100
    assert start_profile(dataset, settings, cache).result is status.result


def test_a_report_over_its_time_budget_is_stopped_with_a_reason():
    run = start_profile(tiny(), ProfileSettings(time_budget=0.2), ProfileCache())
    run.job.wait(timeout=30)
    status = run.poll()
    assert status.state is JobState.TIMED_OUT
    assert "longer than 0.2 s" in status.error.message and status.error.hint


def test_stopping_a_report():
    run = start_profile(tiny(), ProfileSettings(), ProfileCache())
    run.stop()
    status = run.poll()
    assert status.state is JobState.STOPPED and status.error.message == "The report was stopped."
