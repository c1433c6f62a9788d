"""Jobs on a Dask cluster (issue 19): with `MLCORE_DASK_SCHEDULER` set, every `Job` is a task on that
cluster. A compare-all there gives the leaderboard and the fitted models of a local run, survives the
loss of a worker, and stops on demand; events, typed errors, tuning and refit analyses arrive as they
do locally; a malformed or unreachable setting is a plain error; the status panel and the server
queue see the cluster's workers and threads.

Clusters come from tests/dask_cluster.py: a `LocalCluster` shared by the module, and a scheduler with
two workers started by the `dask` command (a fresh one for each test that kills a worker). Local
references (the penguins compare-all, a tuning job) run on this machine in the same session, with
the same seed.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from dask_cluster import free_port, jobs_here, jobs_on_cluster, row_count, slow_row_count
from jobs_helpers import count_to, fail_plainly, sleep_then_touch

from mlcore.compute import cluster, cluster_tasks, job_queue
from mlcore.compute.jobs import Job, JobState
from mlcore.data.samples import load_sample
from mlcore.errors import SettingsError
from mlcore.evaluate import refit
from mlcore.settings import JobLimits
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, Run, RunStatus, TrainRequest
from mlcore.train.session import TrainingSession, TrainingSnapshot
from mlcore.train.split import SplitSpec
from mlcore.train.tuning import TuneSpec, tune

SEED = 7
WAIT = 240  # seconds any one training or job may take here before the test gives up


def leaderboard(runs: list[Run]) -> dict[str, tuple]:
    """Everything a leaderboard shows of each run, by model: status, message, every CV mean and spread,
    every holdout score, the fold scores, and the rows it trained on."""
    return {
        r.model_key: (
            r.status.value,
            r.message,
            dict(r.cv_mean),
            dict(r.cv_std),
            dict(r.holdout),
            {name: tuple(scores) for name, scores in r.fold_scores.items()},
            r.n_train_rows,
            r.sampled,
        )
        for r in runs
    }


def assert_same_models(local: list[Run], remote: list[Run], dataset) -> None:
    """The same leaderboard (NaN equal to NaN), and each fitted pipeline predicts the same on the
    holdout rows: labels and probabilities."""
    np.testing.assert_equal(leaderboard(remote), leaderboard(local))
    by_key = {r.model_key: r for r in remote}
    for here in local:
        there = by_key[here.model_key]
        np.testing.assert_array_equal(there.holdout_index, here.holdout_index)
        np.testing.assert_array_equal(there.y_pred, here.y_pred)
        columns = list(getattr(here.pipeline, "feature_names_in_", dataset.features))
        rows = dataset.frame.loc[here.holdout_index, columns]
        np.testing.assert_array_equal(there.pipeline.predict(rows), here.pipeline.predict(rows))
        if hasattr(here.pipeline, "predict_proba"):
            np.testing.assert_array_equal(
                there.pipeline.predict_proba(rows), here.pipeline.predict_proba(rows)
            )


def finished(snapshot: TrainingSnapshot) -> int:
    return sum(m.finished for m in snapshot.models)


@pytest.fixture(scope="module")
def penguins_request() -> TrainRequest:
    return TrainRequest.compare_all(load_sample("penguins"), seed=SEED)


@pytest.fixture(scope="module")
def local_penguins(penguins_request) -> TrainingSnapshot:
    """The default set trained on this machine (the normal path), the reference for the cluster runs."""
    with jobs_here():
        snapshot = TrainingSession(penguins_request).wait(WAIT)
    assert snapshot.state == "done" and [r.status for r in snapshot.runs] == [RunStatus.OK] * 11
    return snapshot


def scheduler_tasks(prefix: str) -> dict[str, str]:
    """The tasks the scheduler still holds whose key starts with `prefix`, and their states."""

    def held(dask_scheduler) -> dict[str, str]:
        return {str(k): ts.state for k, ts in dask_scheduler.tasks.items() if str(k).startswith(prefix)}

    return cluster.client().run_on_scheduler(held)


def finished_tasks(kind: str) -> int:
    """How many tasks whose key starts with `kind` (a function's name) the scheduler has seen finish."""

    def count(dask_scheduler) -> int:
        prefix = dask_scheduler.task_prefixes.get(kind)
        return 0 if prefix is None else prefix.state_counts["memory"]

    return cluster.client().run_on_scheduler(count)


# ---------- a compare-all on the cluster ----------


def test_compare_all_on_a_local_cluster_equals_the_local_run(local_cluster, penguins_request, local_penguins):
    with jobs_on_cluster(local_cluster.scheduler_address):
        models, folds = finished_tasks("train_worker"), finished_tasks("fit_fold")
        session = TrainingSession(penguins_request)
        assert session.on_cluster and session.n_workers == 11  # one task per model
        assert not session.spread_folds  # eleven models fill two threads: folds as tasks would only cost
        snapshot = session.wait(WAIT)
        assert finished_tasks("train_worker") - models == 11 and finished_tasks("fit_fold") == folds
    assert snapshot.state == "done", [(m.key, m.state, m.message) for m in snapshot.models]
    assert [m.state for m in snapshot.models] == ["ok"] * 11, [(m.key, m.message) for m in snapshot.models]
    assert_same_models(local_penguins.runs, snapshot.runs, penguins_request.dataset)


def test_one_model_on_the_cluster_spreads_its_folds_and_equals_the_local_run(
    local_cluster, penguins_request, local_penguins
):
    one = TrainRequest(
        penguins_request.dataset,
        models=(ModelChoice("random_forest"),),
        split=penguins_request.split,
        seed=SEED,
    )
    with jobs_on_cluster(local_cluster.scheduler_address):
        folds = finished_tasks("fit_fold")
        session = TrainingSession(one)
        assert session.spread_folds  # one model, two threads: its folds run side by side
        snapshot = session.wait(WAIT)
        assert finished_tasks("fit_fold") - folds == one.split.cv_folds
    assert snapshot.state == "done" and snapshot.runs[0].status is RunStatus.OK, snapshot.runs[0].message
    here = [r for r in local_penguins.runs if r.model_key == "random_forest"]
    assert_same_models(here, snapshot.runs, one.dataset)


def test_a_worker_lost_mid_run_costs_nothing_but_its_task(cli_cluster, penguins_request, local_penguins):
    """Two `dask worker`s; once two models have finished, the worker running a model is killed: the
    scheduler runs that model again on the other one, the runs read before stay as they were, and the
    leaderboard is the local one."""
    with jobs_on_cluster(cli_cluster.address) as queue:
        assert queue.limits == JobLimits(2, None)  # the cluster's threads
        assert cluster.compute_status(2).workers == 2
        session = TrainingSession(penguins_request)
        snapshot, kept, victim = session.poll(), {}, None
        while snapshot.running:
            if victim is None and finished(snapshot) >= 2:
                busy = [w for w, keys in cluster.client().processing().items() if keys]
                if busy:
                    victim = busy[0]
                    kept = {r.model_key: r for r in snapshot.runs}
                    cli_cluster.workers[victim].kill()
            time.sleep(0.02)
            snapshot = session.poll()
        assert victim is not None, "every model finished before a worker could be killed mid-run"
        assert len(kept) < 11  # the kill came mid-run
        status = cluster.compute_status(2)
    assert (status.workers, status.cores) == (1, 1)  # the scheduler saw the worker go
    assert snapshot.state == "done", [(m.key, m.state, m.message) for m in snapshot.models]
    assert [m.state for m in snapshot.models] == ["ok"] * 11, [(m.key, m.message) for m in snapshot.models]
    after = {r.model_key: r for r in snapshot.runs}
    assert all(after[key] is run for key, run in kept.items())  # read before the kill: kept as they were
    assert_same_models(local_penguins.runs, snapshot.runs, penguins_request.dataset)


def test_a_job_whose_worker_is_lost_runs_again_with_its_inputs(cli_cluster):
    """A job on a table, its worker killed after the cluster had time to tidy its memory (Dask's
    active memory manager looks every 2 s): the table was sent to every worker, so the scheduler
    runs the job again on the other one and it finishes."""
    frame = load_sample("wine").frame
    with jobs_on_cluster(cli_cluster.address):
        job = Job(slow_row_count, frame, 6.0)
        deadline = time.monotonic() + WAIT
        while job.poll().message != "counting" and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(3.0)
        busy = [w for w, keys in cluster.client().processing().items() if keys]
        assert len(busy) == 1
        cli_cluster.workers[busy[0]].kill()
        snapshot = job.wait(WAIT)
    assert (snapshot.state, snapshot.result, snapshot.error) == (JobState.DONE, len(frame), None)


def test_stopping_a_compare_all_on_the_cluster_cancels_its_tasks(local_cluster, penguins_request):
    with jobs_on_cluster(local_cluster.scheduler_address):
        session = TrainingSession(penguins_request)
        snapshot = session.poll()
        deadline = time.monotonic() + WAIT
        while not any(m.state == "running" for m in snapshot.models) and time.monotonic() < deadline:
            time.sleep(0.02)
            snapshot = session.poll()
        assert any(m.state == "running" for m in snapshot.models)  # tasks are on the cluster
        snapshot = session.stop()
        assert snapshot.state == "stopped"
        stopped = [m for m in snapshot.models if m.state == "stopped"]
        assert len(stopped) >= 9  # at most the two models running at the stop could have finished
        assert all(m.run.status is RunStatus.STOPPED for m in stopped)
        assert all(m.state in ("ok", "stopped") for m in snapshot.models)
        deadline = time.monotonic() + 10
        while scheduler_tasks("") and time.monotonic() < deadline:
            time.sleep(0.1)
        # Cancelled, and their inputs let go: the scheduler holds nothing of the session (its folds,
        # where a model's task sent them as tasks of their own, included).
        assert scheduler_tasks("") == {}


def test_a_stopped_task_that_had_not_started_never_runs(local_cluster, tmp_path):
    """Four slots on two threads (as MLCORE_MAX_JOBS=4 would give): two jobs wait on the scheduler.
    Stopped then, they never run; the two running ones are abandoned (a thread cannot be interrupted)."""
    with jobs_on_cluster(local_cluster.scheduler_address, job_queue.JobQueue(JobLimits(4, None))):
        markers = [tmp_path / f"done-{i}" for i in range(4)]
        jobs = [Job(sleep_then_touch, 2.0, str(marker)) for marker in markers]
        assert all(job.running for job in jobs)  # all four sent to the cluster
        deadline = time.monotonic() + WAIT
        while sum(job.poll().message == "sleeping" for job in jobs) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        waiting = [
            marker for job, marker in zip(jobs, markers, strict=True) if job.poll().message != "sleeping"
        ]
        assert len(waiting) == 2
        for job in jobs:
            job.stop()
        assert [job.poll().state for job in jobs] == [JobState.STOPPED] * 4
        time.sleep(3.0)  # longer than a started job sleeps
        assert not any(marker.exists() for marker in waiting)
        assert scheduler_tasks("sleep_then_touch-") == {}


# ---------- jobs on the cluster: events, errors, tuning, refit analyses ----------


def test_a_jobs_events_and_result_arrive_from_the_cluster(local_cluster):
    with jobs_on_cluster(local_cluster.scheduler_address):
        snapshot = Job(count_to, 20).wait(WAIT)
    assert snapshot.state is JobState.DONE and snapshot.result == sum(range(20))
    assert snapshot.progress == 1.0
    assert [e["progress"] for e in snapshot.events] == [(i + 1) / 20 for i in range(20)]
    assert [e["message"] for e in snapshot.events] == [f"step {i + 1}" for i in range(20)]


def test_a_typed_error_on_the_cluster_keeps_its_plain_message_and_hint(local_cluster):
    with jobs_on_cluster(local_cluster.scheduler_address):
        job = Job(fail_plainly)
        snapshot = job.wait(WAIT)
    assert snapshot.state is JobState.FAILED
    assert snapshot.error == "The column 'y' has only one class."
    assert job.error["hint"] == "Choose another target."
    assert "TargetError" in job.error["traceback"]  # the worker's own traceback, for the logs


def test_jobs_on_the_same_table_one_after_another_all_finish(local_cluster):
    """Each job scatters the table under its content key and lets go of it when it ends; the next job
    on that table, started at once, must still find it (a compare-all or a tuning job does this)."""
    frame = load_sample("wine").frame
    with jobs_on_cluster(local_cluster.scheduler_address):
        ended = [Job(row_count, frame).wait(WAIT) for _ in range(4)]
    assert [(s.state, s.result, s.error) for s in ended] == [(JobState.DONE, len(frame), None)] * 4


def test_tuning_on_the_cluster_finds_what_it_finds_locally(local_cluster):
    request = TrainRequest(load_sample("iris"), split=SplitSpec(cv_folds=3), seed=5)
    spec = TuneSpec(
        "decision_tree", "random", params=("max_depth", "min_samples_leaf"), n_trials=4, time_budget=None
    )
    with jobs_here():
        here = Job(tune, request, spec).wait(WAIT)
    with jobs_on_cluster(local_cluster.scheduler_address):
        folds = finished_tasks("fit_fold")
        there = Job(tune, request, spec).wait(WAIT)
        assert finished_tasks("fit_fold") - folds == 4 * 3  # each trial's three folds as tasks
    assert here.state is JobState.DONE and there.state is JobState.DONE, there.error
    local, remote = here.result, there.result
    assert remote.best.params == local.best.params and remote.best_score == local.best_score
    assert [(t.params, t.score) for t in remote.trials] == [(t.params, t.score) for t in local.trials]
    assert len(there.events) == len(here.events) == 4


def test_a_refit_analysis_from_a_result_store_runs_on_the_cluster(local_cluster):
    dataset = load_sample("breast_cancer")
    request = TrainRequest(dataset, split=SplitSpec(cv_folds=3), models=(), seed=3)
    run = train_model(request, ModelChoice("logistic_regression"))
    expected = refit.learning_curve(lambda event: None, run, dataset, "accuracy", fractions=(0.5, 1.0))
    analyses = refit.RefitAnalyses()
    with jobs_on_cluster(local_cluster.scheduler_address):
        key = analyses.start("learning", run, dataset, metric="accuracy", fractions=(0.5, 1.0))
        entry = analyses.poll(key)
        deadline = time.monotonic() + WAIT
        while entry.state.active and time.monotonic() < deadline:
            time.sleep(0.05)
            entry = analyses.poll(key)
    assert entry.state is JobState.DONE, entry.error
    curve = entry.result
    assert curve.sizes == expected.sizes and curve.metric == "accuracy"
    np.testing.assert_array_equal(curve.train, expected.train)
    np.testing.assert_array_equal(curve.validation, expected.validation)
    np.testing.assert_array_equal(curve.validation[-1], run.fold_scores["accuracy"])


# ---------- the setting, an unreachable scheduler, and what the server sees ----------


@pytest.mark.parametrize("text", ["localhost", "http://x:1", "tcp://a b:1", "tcp://host", "localhost:8786"])
def test_a_malformed_scheduler_setting_is_a_settings_error(monkeypatch, text):
    monkeypatch.setenv(cluster.SCHEDULER_VARIABLE, text)
    for ask in (cluster.scheduler_address, lambda: cluster.compute_status(2), job_queue._server_limits):
        with pytest.raises(SettingsError, match=cluster.SCHEDULER_VARIABLE) as raised:
            ask()
        assert repr(text) in raised.value.message and "tcp://" in raised.value.hint


def test_an_unreachable_scheduler_fails_the_job_with_a_plain_reason(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    expected = f"The Dask scheduler at {address} did not answer within 1 s."
    with jobs_on_cluster(address) as queue:
        assert queue.limits == JobLimits(1, None)  # the cluster's size is unknown: one job at a time
        job = Job(count_to, 3)
        snapshot = job.wait(30)
        status = cluster.compute_status(2)
    assert snapshot.state is JobState.FAILED and snapshot.error == expected
    assert "Traceback" not in snapshot.error and cluster.SCHEDULER_VARIABLE in job.error["hint"]
    assert status.cluster == address and status.problem == expected
    assert (status.workers, status.cores, status.memory) == (0, 0, 0)


def test_the_status_panel_and_the_server_queue_see_the_clusters_workers(local_cluster):
    address = local_cluster.scheduler_address
    with jobs_on_cluster(address) as queue:
        status = cluster.compute_status(local_workers=5)
        threads = cluster.cluster_threads()
        info = cluster.client().scheduler_info()
        before = job_queue._shared
        job_queue.use(None)  # what a server makes on its first job
        try:
            made = job_queue.shared()
        finally:
            job_queue.use(before)
    assert (status.cluster, status.workers, status.cores, status.problem) == (address, 2, 2, None)
    workers = info["workers"].values()
    assert status.memory == sum(w["memory_limit"] for w in workers) > 0
    port = info["services"].get("dashboard")  # served only where bokeh is installed
    assert status.dashboard == (f"http://127.0.0.1:{port}/status" if port else None)
    assert threads == 2 and queue.limits == made.limits == JobLimits(2, None)
    assert made.load().bound == 2


def test_a_job_that_cannot_be_sent_fails_plainly_and_holds_nothing(local_cluster):
    """An argument that cannot travel (a lock): the job fails at its start with the reason, and the
    inputs it had shared with the cluster are let go."""
    with jobs_on_cluster(local_cluster.scheduler_address):
        snapshot = Job(row_count, threading.Lock()).wait(WAIT)
    assert snapshot.state is JobState.FAILED
    assert snapshot.error == "The job's inputs could not be sent to the Dask cluster."
    assert cluster_tasks._inputs == {}
