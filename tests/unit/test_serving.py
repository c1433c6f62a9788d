"""Serving for real: uvicorn processes started the way the Deploy page and `mlcore serve` start them,
called over 127.0.0.1, found again from their record files, stopped (and the port is free again);
models named by run id, by registry alias and by bundle; every answered request in the traffic log."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import httpx
import pandas as pd
import pytest
from model_helpers import make_dataset, make_frame, plain_env, train

from mlcore.deploy.bundle import build_bundle
from mlcore.deploy.predict import predict_frame, predictor_from_run
from mlcore.serve.server import ServeOptions
from mlcore.serve.servers import list_servers, start_server, stop_server
from mlcore.serve.sources import ServeError, resolve
from mlcore.serve.traffic import read_traffic
from mlcore.track.project_files import ProjectSettings, model_bytes
from mlcore.track.projects import ProjectStore
from mlcore.track.tracking import Tracker

FEATURES = ["a", "b", "colour", "flag"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    dataset = make_dataset(make_frame(150), "label")
    run = train(dataset, "logistic_regression")
    store = ProjectStore(home)
    info = store.create(dataset, ProjectSettings())
    store.save_run(info.id, run)
    return home, info.id, dataset, run


def _rows(dataset, n=4):
    return json.loads(dataset.frame[FEATURES].head(n).to_json(orient="records"))


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_served_run_answers_as_the_predict_page_and_stops_freeing_its_port(project):
    home, project_id, dataset, run = project
    record = start_server(home, run.id, ServeOptions())
    try:
        assert record.state == "running" and record.host == "127.0.0.1" and record.port > 0
        rows = _rows(dataset, 6)
        answer = httpx.post(f"{record.url}/predict", json={"records": rows}, timeout=30).json()
        expected = predict_frame(predictor_from_run(run, dataset), pd.DataFrame(rows))
        assert answer["predictions"] == expected.labels.tolist()
        assert answer["version"] == f"run {run.id}"
        found = {r.id: r for r in list_servers(home)}
        assert found[record.id].state == "running" and found[record.id].model == run.label
    finally:
        stop_server(home, record.id)
    assert _port_free(record.port)
    assert {r.id: r.state for r in list_servers(home)}[record.id] == "stopped"
    traffic = read_traffic(ProjectStore(home).folder(project_id) / "traffic")
    pd.testing.assert_frame_equal(traffic[FEATURES].head(6), pd.DataFrame(rows), check_dtype=False)
    assert traffic["_prediction"].head(6).tolist() == expected.labels.tolist()


def test_a_server_killed_outright_is_listed_as_stopped(project):
    home, _, _, run = project
    record = start_server(home, run.id, ServeOptions(log_traffic=False))
    os.killpg(record.pid, signal.SIGKILL)
    os.waitpid(record.pid, 0)
    assert {r.id: r.state for r in list_servers(home)}[record.id] == "stopped"


def test_another_address_needs_an_api_key(project):
    home, _, dataset, run = project
    with pytest.raises(ServeError, match="API key is required"):
        start_server(home, run.id, ServeOptions(host="0.0.0.0"))
    record = start_server(home, run.id, ServeOptions(api_key="k3y", log_traffic=False))
    try:
        body = {"records": _rows(dataset, 1)}
        assert httpx.post(f"{record.url}/predict", json=body).status_code == 401
        good = httpx.post(f"{record.url}/predict", json=body, headers={"Authorization": "Bearer k3y"})
        assert good.status_code == 200
        assert record.key_required
    finally:
        stop_server(home, record.id)


def test_a_registered_alias_resolves_to_its_run(project):
    home, project_id, dataset, run = project
    tracker = Tracker(f"sqlite:///{home / 'mlflow.db'}", home)
    mlflow_run = tracker.log_run(project_id, "table", run, dataset, model_bytes(run))
    tracker.register(mlflow_run, "churn", aliases=("champion",))
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{home / 'mlflow.db'}"
    try:
        served = resolve("churn@champion", home)
        assert (served.model.name, served.model.version, served.project_id) == ("churn", "1", project_id)
        assert resolve("models:/churn/1", home).model.facts["run_id"] == run.id
        with pytest.raises(ServeError, match="no model churn@nobody"):
            resolve("churn@nobody", home)
    finally:
        del os.environ["MLFLOW_TRACKING_URI"]
    with pytest.raises(ServeError, match="no model called"):
        resolve("nothing-here", home)


def test_mlcore_serve_a_bundle_from_the_command_line(project, tmp_path):
    home, _, dataset, run = project
    bundle = tmp_path / "model.zip"
    bundle.write_bytes(build_bundle(run, dataset).zip_bytes())
    command = [sys.executable, "-m", "mlcore", "serve", str(bundle), "--port", "0", "--no-traffic-log"]
    process = subprocess.Popen(
        command,
        env=plain_env(MLCORE_HOME=str(home)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("Serving "), process.stderr.read()
        url = first.split(" at ")[1].strip()
        rows = _rows(dataset, 5)
        answer = httpx.post(f"{url}/predict", json={"records": rows}, timeout=30).json()
        expected = predict_frame(predictor_from_run(run, dataset), pd.DataFrame(rows))
        assert answer["predictions"] == expected.labels.tolist()
        assert answer["version"] == "bundle model.zip"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
