"""Training benchmark: our default classification set (5-fold CV + holdout) against lazypredict.

Both run on the standard 20,000-row table in fresh processes in the same run, each timed from a
loaded table to a finished leaderboard (our time includes starting the worker processes). Then our
set runs on the 100,000-row table, whose time should stay within 5x the 20,000-row time. CPU time
(the process and its workers) is reported beside wall time: on a shared machine it is the steadier
measure of the work done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.common import ROOT, bench_table, markdown_table, write_section

LAZY = """
import json, resource, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from sklearn.model_selection import train_test_split
from lazypredict.Supervised import LazyClassifier
frame = pd.read_csv(sys.argv[1])
X, y = frame.drop(columns="target"), frame["target"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
start, cpu = time.perf_counter(), time.process_time()
models, _ = LazyClassifier(verbose=0, ignore_warnings=True).fit(X_train, X_test, y_train, y_test)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - start, "models": len(models),
                  "cpu": time.process_time() - cpu + children.ru_utime + children.ru_stime,
                  "best": float(models["Accuracy"].max()), "best_model": str(models["Accuracy"].idxmax())}))
"""

OURS = """
import json, os, sys, time
from mlcore.data.loading import load_path
from mlcore.train.runs import TrainRequest
from mlcore.train.session import TrainingSession
dataset = load_path(sys.argv[1])
start, cpu = time.perf_counter(), time.process_time()
snapshot = TrainingSession(TrainRequest.compare_all(dataset)).wait()
seconds = time.perf_counter() - start
time.sleep(0.5)  # let the fork server reap the last workers
# Workers are children of the fork server: its own and its reaped children's CPU time, from /proc.
from multiprocessing import forkserver
fields = open(f"/proc/{forkserver._forkserver._forkserver_pid}/stat").read().rsplit(")", 1)[1].split()
workers_cpu = sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")
ok = [r for r in snapshot.runs if r.ok]
best = max(ok, key=lambda r: r.cv_mean["accuracy"])
print(json.dumps({
    "seconds": seconds, "models": len(snapshot.runs), "ok": len(ok),
    "cpu": time.process_time() - cpu + workers_cpu,
    "best": best.cv_mean["accuracy"], "best_model": best.model_name, "best_holdout": best.holdout["accuracy"],
    "capped": [f"{r.model_name} ({r.n_train_rows:,} rows)" for r in snapshot.runs if r.sampled],
    "per_model": {r.model_key: round(r.total_seconds, 1) for r in snapshot.runs},
}))
"""


def _run(code: str, path: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(name: str, rows: str, result: dict, reference: dict, best: str) -> list[object]:
    ratio = result["seconds"] / reference["seconds"]
    return [
        name,
        rows,
        result["models"],
        f"{result['seconds']:.1f}",
        f"{result['cpu']:.1f}",
        f"{ratio:.2f}",
        best,
    ]


def main() -> None:
    small, large = str(bench_table(20_000)), str(bench_table(100_000))
    lazy = _run(LAZY, small)
    ours = _run(OURS, small)
    ours_large = _run(OURS, large)
    mlcore = "mlcore default set (5-fold CV + holdout)"
    rows = [
        _row("lazypredict 0.3.0 (one split, no CV)", "20,000", lazy, lazy, f"{lazy['best']:.4f} holdout"),
        _row(mlcore, "20,000", ours, lazy, f"{ours['best']:.4f} CV, {ours['best_holdout']:.4f} holdout"),
        _row(mlcore, "100,000", ours_large, lazy, f"{ours_large['best']:.4f} CV"),
    ]
    header = ["run", "rows", "models", "wall s", "CPU s", "wall / lazypredict", "best accuracy"]
    time_ratio = ours["seconds"] / lazy["seconds"]
    body = "\n".join(
        [
            markdown_table(header, rows),
            "",
            f"- Wall-time ratio against lazypredict on 20,000 rows: **{time_ratio:.2f}** (target ≤ 1.00); "
            f"best CV accuracy **{ours['best']:.4f}** with {ours['best_model']} (target ≥ 0.954); "
            f"lazypredict's best holdout accuracy: {lazy['best_model']}.",
            f"- 100,000 rows took **{ours_large['seconds'] / ours['seconds']:.2f}×** the 20,000-row wall "
            f"time (target ≤ 5) and **{ours_large['cpu'] / ours['cpu']:.2f}×** its CPU time.",
            f"- Trained on a sample by default (20,000 rows): {', '.join(ours['capped']) or 'none'}; "
            f"(100,000 rows): {', '.join(ours_large['capped']) or 'none'}.",
            f"- Seconds per model, 20,000 rows: {ours['per_model']}.",
            f"- Seconds per model, 100,000 rows: {ours_large['per_model']}.",
        ]
    )
    write_section("train", "Training: default model set vs lazypredict", body)


if __name__ == "__main__":
    main()
