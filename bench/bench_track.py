"""Projects and tracking (issue 13): what keeping and tracking every run costs.

1. Compare-all on the 20,000-row bench table as a user runs it, whole `mlcore train --project`
   processes taken in turns: tracking off (`MLCORE_TRACKING=off`, the reference: every run is kept in
   the project) and on (each run also logged with its model to MLflow's SQLite store, created before
   the timing, as it is after first use); and, for the record, without a project at all.
   Target: tracking on at most 5% slower than off.
2. Opening a project of 200 runs in the app (AppTest) until the Train page's leaderboard is drawn,
   against drawing the same page with the same 200 runs already in the session. Target: at most 1 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import ROOT, bench_table, markdown_table, write_section

RUNS = 200
REPEAT = 5


def _cli_seconds(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mlcore", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def _tracking_cost(home: Path) -> tuple[float, float, float]:
    """Best seconds of: no project; a project with tracking off; a project tracked in MLflow."""
    table = str(bench_table(20_000))
    plain = ["train", table, "--target", "target", "--json"]
    env = {"MLCORE_HOME": str(home)}
    from mlcore.track.tracking import Tracker

    Tracker(f"sqlite:///{home / 'mlflow.db'}", home).client  # noqa: B018 - the store exists, as after first use
    times: dict[str, list[float]] = {"none": [], "off": [], "on": []}
    for i in range(REPEAT):  # in turns, so background load hits all alike
        times["none"].append(_cli_seconds(plain, {**env, "MLCORE_TRACKING": "on"}))
        times["off"].append(
            _cli_seconds([*plain, "--project", f"off-{i}"], {**env, "MLCORE_TRACKING": "off"})
        )
        times["on"].append(_cli_seconds([*plain, "--project", f"on-{i}"], {**env, "MLCORE_TRACKING": "on"}))
    return min(times["none"]), min(times["off"]), min(times["on"])


def _open_seconds(home: Path) -> tuple[float, float, int]:
    from streamlit.testing.v1 import AppTest

    from mlcore.data.samples import load_sample
    from mlcore.track.project_files import ProjectSettings
    from mlcore.track.projects import ProjectStore
    from mlcore.track.recorder import Recorder
    from mlcore.train.fit import train_model
    from mlcore.train.runs import ModelChoice, TrainRequest
    from mlcore.workspace import Workspace
    from tests.apptest_support import rerun_like_the_server

    rerun_like_the_server()
    os.environ["MLCORE_HOME"], os.environ["MLCORE_TRACKING"] = str(home), "off"
    dataset = load_sample("penguins")
    request = TrainRequest(dataset)
    models = [train_model(request, ModelChoice(m)) for m in ("logistic_regression", "decision_tree", "knn")]
    store = ProjectStore(home)
    info = store.create(dataset, ProjectSettings(model_keys=("logistic_regression",)))
    runs = [replace(models[i % 3], id=f"{i:012x}") for i in range(RUNS)]
    for run in runs:
        store.save_run(info.id, run)

    def draw(app: AppTest) -> float:
        start = time.perf_counter()
        app.run()
        app.switch_page("pages/train.py").run()
        seconds = time.perf_counter() - start
        assert not app.exception, app.exception
        return seconds

    warm = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    warm.query_params["project"] = info.id
    draw(warm)  # imports and caches, once
    opened, in_memory = [], []
    for _ in range(3):
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        app.query_params["project"] = info.id
        opened.append(draw(app))
        assert len(app.session_state["workspace"].current_runs()) == RUNS
        reference = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        workspace = Workspace(recorder=Recorder(store, None))
        workspace.open_project(info.id)
        loaded = store.load(info.id).runs
        workspace.runs = list(loaded)
        reference.session_state["workspace"] = workspace
        in_memory.append(draw(reference))
    return min(opened), min(in_memory), len(loaded)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        none, off, on = _tracking_cost(Path(folder) / "cli")
        opened, in_memory, count = _open_seconds(Path(folder) / "app")
    rows = [
        [
            "compare-all, 20,000 rows, `mlcore train --project P`, tracking off (reference)",
            f"{off:.1f}",
            "1.00×",
        ],
        ["the same, tracking on (each run logged to MLflow with its model)", f"{on:.1f}", f"{on / off:.3f}×"],
        ["the same without `--project` (nothing kept)", f"{none:.1f}", f"{none / off:.3f}×"],
        [f"Train page with {count} runs already in the session (reference)", f"{in_memory:.2f}", "1.00×"],
        [
            f"open a {count}-run project from its URL until the leaderboard is drawn",
            f"{opened:.2f}",
            f"{opened / in_memory:.2f}×",
        ],
    ]
    body = "\n".join(
        [
            f"Best of {REPEAT} whole CLI processes each (taken in turns), best of 3 for the app (AppTest). "
            "Tracking off is `MLCORE_TRACKING=off`: the project is kept (every session works in one), "
            "nothing goes to MLflow.",
            "",
            markdown_table(["case", "seconds", "vs reference"], rows),
            "",
            f"- Tracking on against off: **{(on / off - 1) * 100:+.1f}%** (target ≤ +5%); keeping the "
            f"project and tracking it against keeping nothing: {(on / none - 1) * 100:+.1f}%.",
            f"- Opening a project of {count} runs: **{opened:.2f} s** (target ≤ 1 s).",
        ]
    )
    write_section("track", "Projects and tracking (issue 13)", body)


if __name__ == "__main__":
    main()
