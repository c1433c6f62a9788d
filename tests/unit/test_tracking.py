"""Every run tracked in MLflow (issue 13), against the embedded SQLite store and against a real
`mlflow server` started here: what a run becomes, the registry, several writers at once, a server
that does not answer, runs left behind by a killed writer, and a store from a newer MLflow."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from model_helpers import plain_env
from track_helpers import free_port, log_copies, mlflow_server

from mlcore.compute.jobs import JobState
from mlcore.data.samples import load_sample
from mlcore.track.project_files import ProjectSettings, model_bytes
from mlcore.track.projects import ProjectStore
from mlcore.track.recorder import TRACKING_NICE, Recorder
from mlcore.track.tracking import STATUS_TAG, WRITER_TAG, Tracker, TrackingError, mark_interrupted
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, Run, TrainRequest
from mlcore.train.split import SplitSpec
from mlcore.train.tuning import TuneSpec
from mlcore.workspace import Workspace


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> str:
    with mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as url:
        yield url


@pytest.fixture(params=["sqlite", "server"])
def uri(request, tmp_path) -> str:
    return (
        f"sqlite:///{tmp_path / 'mlflow.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("server")
    )


@pytest.fixture(scope="module")
def trained() -> tuple:
    dataset = load_sample("penguins")
    request = TrainRequest(dataset, split=SplitSpec(cv_folds=3))
    runs = [train_model(request, ModelChoice(m)) for m in ("logistic_regression", "decision_tree")]
    return dataset, runs


def _features(run: Run, dataset) -> object:
    return dataset.frame[list(run.pipeline.feature_names_in_)]


def test_a_tracked_run_has_its_spec_scores_tags_and_a_model_mlflow_loads(uri, tmp_path, trained):
    dataset, runs = trained
    run = runs[0]
    tracker = Tracker(uri, tmp_path)
    rid = tracker.log_run("abcdef012345", "Penguins", run, dataset, model_bytes(run))

    logged = tracker.client.get_run(rid)
    params, metrics, tags = logged.data.params, logged.data.metrics, logged.data.tags
    assert params["model"] == "logistic_regression" and params["seed"] == "0"
    assert params["param.C"] == str(run.params["C"]) and params["split.cv_folds"] == "3"
    assert params["prep.numeric.scale"] == run.prep.numeric.scale
    assert metrics["cv_accuracy"] == pytest.approx(run.cv_mean["accuracy"])
    assert metrics["cv_accuracy_std"] == pytest.approx(run.cv_std["accuracy"])
    assert metrics["holdout_accuracy"] == pytest.approx(run.holdout["accuracy"])
    folds = [m.value for m in tracker.client.get_metric_history(rid, "fold_accuracy")]
    assert folds == pytest.approx(list(run.fold_scores["accuracy"]))
    assert tags[STATUS_TAG] == "ok" and tags["mlcore.dataset_hash"] == dataset.content_hash
    assert tags["mlcore.version.scikit-learn"] == run.versions["scikit-learn"]
    assert logged.info.status == "FINISHED"
    assert logged.inputs.dataset_inputs[0].dataset.name == dataset.name

    mlflow.set_tracking_uri(uri)
    try:
        loaded = mlflow.sklearn.load_model(f"runs:/{rid}/model")
        served = mlflow.pyfunc.load_model(f"runs:/{rid}/model")
    finally:
        mlflow.set_tracking_uri("")
    X = _features(run, dataset)
    np.testing.assert_array_equal(loaded.predict(X), run.pipeline.predict(X))
    np.testing.assert_array_equal(served.predict(X), run.pipeline.predict(X))
    assert served.metadata.signature is not None and served.metadata.saved_input_example_info is not None
    artifacts = {a.path for a in tracker.client.list_artifacts(rid, "predictions")}
    assert artifacts == {"predictions/holdout_predictions.csv", "predictions/oof_predictions.csv"}
    folder = Path(tracker.client.download_artifacts(rid, "predictions", str(tmp_path / "got")))
    holdout = pd.read_csv(folder / "holdout_predictions.csv")
    assert (holdout["actual"] == holdout["predicted"]).mean() == pytest.approx(run.holdout["accuracy"])
    oof = pd.read_csv(folder / "oof_predictions.csv")
    assert sorted(oof["row"]) == sorted(set(dataset.frame.index) - set(run.holdout_index))
    by_fold = [(part["actual"] == part["predicted"]).mean() for _, part in oof.groupby("fold")]
    assert by_fold == pytest.approx(list(run.fold_scores["accuracy"]))  # each fold's own score
    probabilities = oof[[f"probability {c}" for c in run.classes]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


def test_a_run_registered_with_aliases_is_listed(uri, tmp_path, trained):
    dataset, runs = trained
    tracker = Tracker(uri, tmp_path)
    name = f"penguins-{tmp_path.name}"
    first = tracker.log_run("abcdef012345", "Penguins", runs[0], dataset, model_bytes(runs[0]))
    second = tracker.log_run("abcdef012345", "Penguins", runs[1], dataset, model_bytes(runs[1]))

    v1 = tracker.register(first, name, "the baseline", ("champion",))
    v2 = tracker.register(second, name, "", ("challenger", "my-alias"))

    assert (v1.version, v2.version) == ("1", "2")
    listed = {v.version: v for v in tracker.model_versions() if v.name == name}
    assert listed["1"].aliases == ("champion",) and listed["1"].description == "the baseline"
    assert listed["2"].aliases == ("challenger", "my-alias") and listed["2"].run_id == second
    assert listed["1"].metrics["cv_accuracy"] == pytest.approx(runs[0].cv_mean["accuracy"])
    mlflow.set_tracking_uri(uri)
    try:
        champion = mlflow.sklearn.load_model(f"models:/{name}@champion")
    finally:
        mlflow.set_tracking_uri("")
    X = _features(runs[0], dataset)
    np.testing.assert_array_equal(champion.predict(X), runs[0].pipeline.predict(X))


def test_four_processes_logging_25_runs_each_lose_none(uri, tmp_path, trained):
    """Four writers on a fresh store at once: its creation and every write (SQLite's "database is
    locked" under concurrent writers) are retried or serialised, so all 100 runs arrive."""
    dataset, runs = trained
    context = multiprocessing.get_context("spawn")
    project = f"{abs(hash(tmp_path.name)) % 10**12:012d}"
    with context.Pool(4) as pool:
        jobs = [
            pool.apply_async(log_copies, (uri, str(tmp_path), project, runs[1], dataset, 25 * i, 25))
            for i in range(4)
        ]
        logged = [rid for job in jobs for rid in job.get(timeout=600)]
    assert len(set(logged)) == 100
    table = Tracker(uri, tmp_path).project_runs(project)
    assert len(table) == 100 and set(table["status"]) == {"FINISHED"}
    assert sorted(table["tags.mlcore.run_id"]) == [f"{i:012d}" for i in range(100)]


def test_restoring_a_run_from_history_gives_the_same_predictions(tmp_path, trained):
    dataset, runs = trained
    home = tmp_path / "home"
    recorder = Recorder(ProjectStore(home), Tracker(f"sqlite:///{home / 'mlflow.db'}", home))
    workspace = Workspace(recorder=recorder)
    assert workspace.load_sample("penguins")
    workspace._keep_run(runs[1])
    assert recorder.flush(120) and recorder.problem is None
    rid = recorder.store.tracked(workspace.project.id, runs[1].id)["mlflow_run_id"]
    workspace.clear_runs()
    assert workspace.current_runs() == [] and recorder.store.info(workspace.project.id).runs == ()

    restored = workspace.restore_run(rid)

    assert restored is not None and [r.id for r in workspace.current_runs()] == [runs[1].id]
    X = _features(runs[1], dataset)
    np.testing.assert_array_equal(restored.pipeline.predict(X), runs[1].pipeline.predict(X))
    np.testing.assert_array_equal(restored.y_pred, runs[1].y_pred)
    assert [r.id for r in recorder.store.load(workspace.project.id).runs] == [runs[1].id]


def test_a_server_that_does_not_answer_is_a_plain_error_and_the_run_stays_in_the_project(tmp_path, trained):
    dataset, runs = trained
    dead = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(TrackingError, match="does not answer") as raised:
        Tracker(dead, tmp_path).client  # noqa: B018 - opening the store is what fails
    assert time.monotonic() - started < 30
    assert "Check that it runs" in raised.value.hint

    store = ProjectStore(tmp_path / "home")
    recorder = Recorder(store, Tracker(dead, tmp_path))
    info = store.create(dataset, ProjectSettings())
    recorder.record(info.id, info.name, runs[0], dataset)
    assert recorder.flush(120)
    assert isinstance(recorder.problem, TrackingError)
    assert [r.id for r in store.load(info.id).runs] == [runs[0].id]  # kept, only not tracked
    assert store.tracked(info.id, runs[0].id) == {}


def test_runs_left_running_by_a_killed_writer_are_marked_interrupted(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    tracker = Tracker(uri, tmp_path)
    experiment = tracker.experiment_id("abcdef012345", "Penguins")
    dead = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(0,))
    dead.start()
    dead.join()
    host = socket.gethostname()
    left = tracker.client.create_run(experiment, tags={WRITER_TAG: f"{host}:{dead.pid}"})
    alive = tracker.client.create_run(experiment, tags={WRITER_TAG: f"{host}:{os.getpid()}"})

    assert mark_interrupted(tracker.client) == 1
    marked = tracker.client.get_run(left.info.run_id)
    assert marked.info.status == "KILLED" and marked.data.tags[STATUS_TAG] == "interrupted"
    assert tracker.client.get_run(alive.info.run_id).info.status == "RUNNING"  # its writer still works


def test_a_store_from_a_newer_mlflow_is_refused_with_a_plain_message(tmp_path):
    """In a fresh process, as a user meets it (MLflow keeps one store object per process)."""
    Tracker(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path).client  # noqa: B018 - creates the store
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        db.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("mlcore")), "register", "0" * 32, "--name", "m"],
        env=plain_env(MLCORE_HOME=str(tmp_path), MLCORE_TRACKING="on"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "error: The workbench's MLflow store could not be opened" in done.stderr
    assert "newer MLflow" in done.stderr and "Traceback" not in done.stderr


def test_the_experiment_follows_the_project_name_and_keeps_artifacts_in_the_home(tmp_path):
    tracker = Tracker(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path)
    first = tracker.experiment_id("abcdef012345", "Lesson")
    assert tracker.experiment_id("abcdef012345", "Lesson, renamed") == first
    assert tracker.client.get_experiment(first).name == "Lesson, renamed [abcdef012345]"
    assert Path(tracker.client.get_experiment(first).artifact_location.removeprefix("file://")) == (
        tmp_path / "artifacts" / "abcdef012345"
    )


def test_logging_to_mlflow_runs_at_a_lower_cpu_priority_than_saving_runs(tmp_path):
    """Training goes first: the thread that logs to MLflow has nice 10 (bench/bench_track.py), the one
    that saves runs into their project (what a reload reopens) keeps the process's priority."""
    home = tmp_path / "home"
    Recorder(ProjectStore(home), Tracker(f"sqlite:///{home / 'mlflow.db'}", home))
    threads = {t.name: t.native_id for t in threading.enumerate()}
    base = os.getpriority(os.PRIO_PROCESS, 0)
    lowered = max(base, TRACKING_NICE)  # a process already niced further stays so
    deadline = time.monotonic() + 10
    while os.getpriority(os.PRIO_PROCESS, threads["mlcore-recorder-tracker"]) != lowered:  # set as it starts
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert os.getpriority(os.PRIO_PROCESS, threads["mlcore-recorder-saver"]) == base


def test_a_search_is_a_parent_run_with_one_child_run_per_trial(tmp_path):
    home = tmp_path / "home"
    recorder = Recorder(ProjectStore(home), Tracker(f"sqlite:///{home / 'mlflow.db'}", home))
    workspace = Workspace(recorder=recorder)
    assert workspace.load_sample("penguins")
    assert workspace.start_tuning(TuneSpec("decision_tree", method="random", n_trials=3, time_budget=None))
    deadline = time.monotonic() + 120
    while workspace.tuning.job.poll().state is JobState.RUNNING:  # read, as the page's poll does
        assert time.monotonic() < deadline
        time.sleep(0.2)
    _, result = workspace.poll_tuning()
    workspace.poll_tuning()  # tracked once, however often the page polls
    assert recorder.flush(120) and recorder.problem is None

    runs = recorder.tracker.project_runs(workspace.project.id)
    parents = runs[runs["tags.mlcore.kind"] == "search"]
    children = runs[runs["tags.mlcore.kind"] == "trial"]
    assert len(parents) == 1 and len(children) == len(result.trials) == 3
    assert set(children["tags.mlflow.parentRunId"]) == {parents["run_id"].iloc[0]}
    metric = result.metric
    by_name = {row["tags.mlflow.runName"]: row for _, row in children.iterrows()}
    for trial in result.trials:
        row = by_name[f"trial {trial.number}"]
        assert row[f"metrics.cv_{metric}"] == pytest.approx(trial.score)
        for key, value in trial.params.items():
            assert row[f"params.param.{key}"] == (value if isinstance(value, str) else json.dumps(value))
    assert parents[f"metrics.best_cv_{metric}"].iloc[0] == pytest.approx(result.best.score)


def test_deleting_a_project_deletes_its_experiment_and_artifacts(tmp_path, trained):
    dataset, runs = trained
    home = tmp_path / "home"
    recorder = Recorder(ProjectStore(home), Tracker(f"sqlite:///{home / 'mlflow.db'}", home))
    info = recorder.store.create(dataset, ProjectSettings())
    recorder.record(info.id, info.name, runs[0], dataset)
    assert recorder.flush(120) and recorder.problem is None
    artifacts = home / "artifacts" / info.id
    assert any(artifacts.rglob("model.skops"))
    client = recorder.tracker.client
    (experiment,) = client.search_experiments(filter_string=f"tags.`mlcore.project` = '{info.id}'")

    recorder.delete_project(info.id)

    assert recorder.problem is None and recorder.store.list() == []
    assert not artifacts.exists() and not (home / "projects" / info.id).exists()
    assert client.get_experiment(experiment.experiment_id).lifecycle_stage == "deleted"


def test_the_history_of_a_dataset_spans_its_projects_and_only_them(tmp_path, trained):
    dataset, runs = trained
    tracker = Tracker(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path)
    first = tracker.log_run("aaaaaaaaaaaa", "Lesson A", runs[0], dataset, None)
    second = tracker.log_run("bbbbbbbbbbbb", "Lesson B", runs[1], dataset, None)
    iris = load_sample("iris")
    other = train_model(TrainRequest(iris, split=SplitSpec(cv_folds=2)), ModelChoice("decision_tree"))
    tracker.log_run("cccccccccccc", "Iris", other, iris, None)

    both = tracker.dataset_runs(dataset.content_hash)
    assert set(both["run_id"]) == {first, second}
    assert set(both["tags.mlcore.project"]) == {"aaaaaaaaaaaa", "bbbbbbbbbbbb"}
    assert list(tracker.project_runs("aaaaaaaaaaaa")["run_id"]) == [first]


def test_a_dataset_another_process_inserted_first_is_retried_not_a_failure(tmp_path):
    """Regression: four processes logging the same dataset through one MLflow server failed now and
    then with MLflow's `UNIQUE constraint failed: datasets...` (both found it missing, both inserted)."""
    tracker = Tracker(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path)
    attempts = []

    def log_inputs() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError(
                "BAD_REQUEST: (sqlite3.IntegrityError) UNIQUE constraint failed: datasets.name"
            )
        return "linked"

    assert tracker.call(log_inputs) == "linked" and len(attempts) == 2
    other = [0]

    def fails_otherwise() -> None:
        other[0] += 1
        raise RuntimeError("UNIQUE constraint failed: experiments.name")

    with pytest.raises(TrackingError):
        tracker.call(fails_otherwise)
    assert other[0] == 1  # any other constraint is not retried
