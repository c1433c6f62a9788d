"""`kill -9` of a server in the middle of training (issue 13): the next start opens the store intact,
with every run that had finished, and no MLflow run left "running"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from model_helpers import plain_env

from mlcore.data.samples import load_sample
from mlcore.track.projects import ProjectStore
from mlcore.track.tracking import PROJECT_TAG, Tracker

SERVER = textwrap.dedent(
    """
    import time
    from pathlib import Path
    from mlcore.track.recorder import recorder_for
    from mlcore.workspace import Workspace

    workspace = Workspace(recorder=recorder_for(Path.cwd()))
    workspace.load_sample("digits")
    workspace.configure(compare_all=True)
    workspace.start_training()
    print(workspace.project.id, flush=True)
    while True:  # a server's page polling its training
        workspace.poll_training()
        time.sleep(0.1)
    """
)


def _saved_runs(home: Path, project: str) -> int:
    try:
        return len(json.loads((home / "projects" / project / "project.json").read_text())["runs"])
    except (OSError, ValueError, KeyError):
        return 0


def test_a_server_killed_mid_training_loses_only_the_runs_in_flight(tmp_path):
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        cwd=tmp_path,
        env=plain_env(MLCORE_TRACKING="on"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its training workers are killed with it
    )
    project = server.stdout.readline().strip()
    deadline = time.monotonic() + 240
    tracked_files = (tmp_path / "projects" / project / "runs").glob("*/tracking.json")
    while server.poll() is None and time.monotonic() < deadline:
        if _saved_runs(tmp_path, project) >= 2 and any(True for _ in tracked_files):
            break  # finished runs on disk, one of them in MLflow too: kill it now, mid-training
        tracked_files = (tmp_path / "projects" / project / "runs").glob("*/tracking.json")
        time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)

    state = ProjectStore(tmp_path).load(project)  # the next start
    finished = len(state.runs)
    assert finished >= 2
    assert finished < 11, "the training should have been killed before it ended"
    dataset = load_sample("digits")
    for run in state.runs:
        X = dataset.frame[list(run.pipeline.feature_names_in_)]
        np.testing.assert_array_equal(run.pipeline.predict(X.loc[run.holdout_index]), run.y_pred)

    tracker = Tracker(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path)  # marks interrupted runs on open
    client = tracker.client
    (experiment,) = client.search_experiments(filter_string=f"tags.`{PROJECT_TAG}` = '{project}'")
    runs = client.search_runs([experiment.experiment_id])
    assert "RUNNING" not in {r.info.status for r in runs}
    tracked = {r.data.tags["mlcore.run_id"] for r in runs if r.info.status == "FINISHED"}
    store = ProjectStore(tmp_path)
    noted = {r.id for r in state.runs if store.tracked(project, r.id)}
    assert noted and noted <= tracked
