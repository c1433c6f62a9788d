"""The bundle's serve.py and Dockerfile, for real: the Dockerfile's CMD run in a fresh virtual
environment holding only the bundle's requirements.txt (nothing of the workbench), answering
/predict and /predict/csv exactly as the Predict page does; the Dockerfile checked by hadolint."""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from model_helpers import make_dataset, make_frame, plain_env, train

from mlcore.deploy.bundle import build_bundle
from mlcore.deploy.predict import predict_frame, predictor_from_run
from mlcore.deploy.serving_files import serve_script
from mlcore.evaluate.decision_rule import rule_for
from mlcore.train.prep_spec import NumericPrep, PrepSpec

KEY = "a-test-key"
THRESHOLD = 0.35


def _cmd(dockerfile: str) -> list[str]:
    """The Dockerfile's CMD (its exec form), the command the test runs."""
    lines = [line for line in dockerfile.splitlines() if line.startswith("CMD ")]
    assert len(lines) == 1
    return json.loads(lines[0][len("CMD ") :])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def bundle_server(tmp_path_factory):
    """A classifier with dates, a clipper pickled by value and a chosen threshold, exported; its
    bundle unpacked, a fresh venv with its requirements, and the Dockerfile's CMD running there."""
    dataset = make_dataset(make_frame(160, dates=True), "label")
    run = train(dataset, "logistic_regression", prep=PrepSpec(numeric=NumericPrep(clip="iqr")))
    rule = rule_for(run.classes, True, THRESHOLD)
    bundle = build_bundle(run, dataset, rule=rule)
    folder = tmp_path_factory.mktemp("bundle")
    zipfile.ZipFile(io.BytesIO(bundle.zip_bytes())).extractall(folder)
    venv = folder / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-r", "requirements.txt"],
        cwd=folder,
        env=plain_env(PIP_DISABLE_PIP_VERSION_CHECK="1"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    port = _free_port()
    env = plain_env(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        UVICORN_HOST="127.0.0.1",
        UVICORN_PORT=str(port),
        MLCORE_API_KEY=KEY,
    )
    env.pop("MLCORE_OPEN_API", None)
    process = subprocess.Popen(
        _cmd(bundle.text("Dockerfile")), cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"serve.py did not start: {process.stdout.read().decode()[-3000:]}")
        time.sleep(0.3)
    yield {"url": url, "folder": folder, "venv": venv, "bundle": bundle, "dataset": dataset, "run": run}
    process.terminate()
    process.wait(timeout=20)


def _holdout(server) -> pd.DataFrame:
    run, dataset = server["run"], server["dataset"]
    return dataset.frame.loc[run.holdout_index, dataset.features].reset_index(drop=True)


def _json_value(value):
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _records(frame: pd.DataFrame) -> list[dict]:
    """The rows as JSON, numbers in full (pandas' to_json rounds them to 10 digits)."""
    return [{k: _json_value(v) for k, v in row.items()} for row in frame.astype(object).to_dict("records")]


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


def test_the_venv_holds_nothing_of_the_workbench(bundle_server):
    listed = subprocess.run(
        [str(bundle_server["venv"] / "bin" / "pip"), "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        env=plain_env(),
    )
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert {"fastapi", "uvicorn", "scikit-learn"} <= names
    assert not any(name.startswith("mlcore") or name == "streamlit" or name == "mlflow" for name in names)
    tree = ast.parse((bundle_server["folder"] / "serve.py").read_text())
    imported = {
        (n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in n.names
    }
    assert "mlcore" not in imported and "_script" not in imported


def test_serve_py_answers_predict_exactly_as_the_predict_page(bundle_server):
    rows = _holdout(bundle_server)
    page = predict_frame(predictor_from_run(bundle_server["run"], bundle_server["dataset"], THRESHOLD), rows)
    answer = httpx.post(f"{bundle_server['url']}/predict", json={"records": _records(rows)}, headers=_auth())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["predictions"] == page.labels.tolist()
    classes = [str(c) for c in bundle_server["run"].classes]
    got = np.array([[p[c] for c in classes] for p in body["probabilities"]])
    np.testing.assert_allclose(got, page.probabilities().to_numpy(float), rtol=1e-12, atol=1e-15)
    # the threshold (not the model's own 0.5) decided, as rows between the two show
    proba_yes = got[:, classes.index("yes")]
    assert ((proba_yes > THRESHOLD) & (proba_yes <= 0.5)).any()
    assert ((proba_yes > THRESHOLD) == (np.array(body["predictions"]) == "yes")).all()


def test_serve_py_csv_and_mlflow_formats_agree_with_the_predict_page(bundle_server):
    rows = _holdout(bundle_server).head(12)
    page = predict_frame(predictor_from_run(bundle_server["run"], bundle_server["dataset"], THRESHOLD), rows)
    csv_answer = httpx.post(
        f"{bundle_server['url']}/predict/csv",
        content=rows.to_csv(index=False).encode(),
        headers={**_auth(), "Content-Type": "text/csv"},
    )
    assert csv_answer.status_code == 200, csv_answer.text
    back = pd.read_csv(io.StringIO(csv_answer.text))
    assert back["predicted label"].tolist() == page.labels.tolist()
    records = _records(rows)
    split = {"columns": list(rows.columns), "data": [list(r.values()) for r in records]}
    mlflow_answer = httpx.post(
        f"{bundle_server['url']}/invocations", json={"dataframe_split": split}, headers=_auth()
    )
    assert mlflow_answer.json()["predictions"] == page.labels.tolist()


def test_serve_py_refuses_bad_rows_and_callers_without_the_key(bundle_server):
    url = bundle_server["url"]
    row = _records(_holdout(bundle_server).head(1))[0]
    assert httpx.post(f"{url}/predict", json={"records": [row]}).status_code == 401
    missing = {k: v for k, v in row.items() if k != "a"}
    answer = httpx.post(f"{url}/predict", json={"records": [missing]}, headers=_auth())
    assert answer.status_code == 422 and answer.json()["problems"][0]["field"] == "a"
    unseen = httpx.post(f"{url}/predict", json={"records": [{**row, "colour": "purple"}]}, headers=_auth())
    assert unseen.status_code == 200 and unseen.json()["flags"][0]["field"] == "colour"


def test_serve_py_will_not_start_without_a_key(bundle_server):
    env = plain_env(PATH=f"{bundle_server['venv'] / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("MLCORE_API_KEY", None)
    done = subprocess.run(
        ["python", "-c", "import serve"],
        cwd=bundle_server["folder"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "MLCORE_API_KEY" in done.stderr


def test_the_dockerfile_passes_hadolint_and_runs_uvicorn_on_serve_py(bundle_server):
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    text = bundle_server["bundle"].text("Dockerfile")
    checked = subprocess.run([hadolint, "-"], input=text, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert _cmd(text) == ["uvicorn", "serve:app"]
    python = re.search(r"^FROM python:(\S+)-slim$", text, re.M)
    assert python and python.group(1) == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert re.search(r"^USER \d+$", text, re.M) and "HEALTHCHECK" in text
    for name in ("serve.py", "model.joblib", "model_card.json"):
        assert name in text


def test_serve_py_pastes_each_carried_name_once():
    """serve.py is the API, the rules for new rows and its own part in one file: a name defined twice
    would silently replace the other."""
    defined: list[str] = []
    for node in ast.parse(serve_script()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.append(node.name)
        elif isinstance(node, ast.Assign):
            defined += [t.id for t in node.targets if isinstance(t, ast.Name)]
    assert len(defined) == len(set(defined)), sorted(n for n in defined if defined.count(n) > 1)
