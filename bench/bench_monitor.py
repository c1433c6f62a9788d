"""Drift (issue 15, item 10): our drift report against Evidently 0.7's data-drift preset, in one run.

1. Speed: two halves of the 200,000-row bench table (100,000 reference × 100,000 current rows, the
   20 features), written once as Parquet and read by both sides. Ours: `drift_report` in this
   process after a warm-up. Evidently's: `Report([DataDriftPreset()]).run(...)` from the same pandas
   frames, timed inside a subprocess after its imports and a warm-up. Best of `ROUNDS`, taken in
   turns; then whole processes (start, imports, reading the Parquet, one report), also in turns.
   Target: at least 5× faster.
2. False alarms: `BATCHES` batches of `BATCH` rows against a `REFERENCE`-row reference, all rows of
   the standard 100,000-row table, so nothing changed and every flag is false: the share of batches
   whose whole table is flagged, of batches with any column flagged, and of column verdicts that fire.

Evidently pins plotly below 6, which our environment cannot share, so it runs in a virtual
environment of its own (bench/.venv-evidently, from bench/requirements-evidently.txt), made here when
missing or when the pins change, with its usage telemetry off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from scipy import stats

from bench.common import ROOT, bench_table, markdown_table, write_section
from mlcore.monitor.drift import drift_report

ROWS = 100_000
WARM_ROWS = 2_000  # over 1,000 reference rows, so Evidently's warm-up takes the same code path
ROUNDS = 3
REFERENCE = 5_000
BATCHES = 200
BATCH = 100
WORKERS = min(8, os.cpu_count() or 1)  # Evidently's batches in parallel processes (untimed)
VENV = ROOT / "bench" / ".venv-evidently"
REQUIREMENTS = ROOT / "bench" / "requirements-evidently.txt"
# DO_NOT_TRACK switches off evidently.telemetry's event logger, EVIDENTLY_DISABLE_TELEMETRY the
# legacy flag, ITERATIVE_DO_NOT_TRACK the iterative-telemetry library underneath both.
NO_TELEMETRY = {"DO_NOT_TRACK": "1", "EVIDENTLY_DISABLE_TELEMETRY": "1", "ITERATIVE_DO_NOT_TRACK": "1"}

# Evidently's side, run by its own interpreter: MODE KINDS_JSON REFERENCE.parquet CURRENT.parquet ...
EVIDENTLY_SIDE = """
import json, sys, time
began = time.perf_counter()
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset
from evidently.telemetry import event_logger
imported = time.perf_counter() - began
assert not event_logger.is_enabled(), "Evidently's usage telemetry is on"
mode, kinds = sys.argv[1], json.loads(sys.argv[2])
reference, current = pd.read_parquet(sys.argv[3]), pd.read_parquet(sys.argv[4])
definition = DataDefinition(
    numerical_columns=[name for name, kind in kinds.items() if kind == "numeric"],
    categorical_columns=[name for name, kind in kinds.items() if kind == "categorical"],
)

def run(ref, cur, tests=False):
    return Report([DataDriftPreset()], include_tests=tests).run(
        current_data=Dataset.from_pandas(cur, data_definition=definition),
        reference_data=Dataset.from_pandas(ref, data_definition=definition),
    )

def type_of(item):
    return item["config"]["type"] if "config" in item else item["metric_config"]["params"]["type"]

if mode == "once":
    run(reference, current)
elif mode == "time":
    warm = int(sys.argv[5])
    run(reference.head(warm), current.head(warm))
    start = time.perf_counter()
    snapshot = run(reference, current)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    snapshot.get_html_str(as_iframe=False)
    html = time.perf_counter() - start
    count = [m for m in snapshot.dict()["metrics"] if type_of(m).endswith(":DriftedColumnsCount")]
    result = {"imports": imported, "seconds": seconds, "html": html, "drifted": count[0]["value"]["count"]}
    print(json.dumps(result))
else:  # "alarms": batches of SIZE rows, every WORKERS-th from WORKER, with Evidently's own verdicts
    size, worker, workers = map(int, sys.argv[5:8])
    verdicts = []
    for start in range(worker * size, len(current), workers * size):
        batch = current.iloc[start : start + size].reset_index(drop=True)
        tests = run(reference, batch, tests=True).dict()["tests"]
        share = [t["status"] == "FAIL" for t in tests if type_of(t).endswith(":DriftedColumnsCount")]
        columns = [t["status"] == "FAIL" for t in tests if type_of(t).endswith(":ValueDrift")]
        assert len(share) == 1 and len(columns) == len(kinds), tests
        verdicts.append({"start": start, "dataset": share[0], "columns": sum(columns)})
    print(json.dumps(verdicts))
"""

OURS_ONCE = """
import json, sys
import pandas as pd
from mlcore.monitor.drift import drift_report
drift_report(pd.read_parquet(sys.argv[2]), pd.read_parquet(sys.argv[3]), json.loads(sys.argv[1]))
"""


def _evidently_python() -> Path:
    """Evidently's interpreter, its environment made (or remade, when the pins changed) first."""
    python = VENV / "bin" / "python"
    stamp = VENV / "installed-requirements.txt"
    wanted = REQUIREMENTS.read_text()
    if not stamp.exists() or stamp.read_text() != wanted:
        print(f"installing Evidently into {VENV.relative_to(ROOT)} (a minute or two)")
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        out = subprocess.run([*install, "-r", str(REQUIREMENTS)], capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"installing Evidently failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
        stamp.write_text(wanted)
    return python


def _evidently_env() -> dict[str, str]:
    """This environment without our PYTHONPATH (so our repository shadows nothing), telemetry off."""
    return {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, **NO_TELEMETRY}


def _evidently(python: Path, mode: str, kinds: dict[str, str], reference: Path, *args: object) -> dict:
    """Evidently's side in a fresh process, run beside the data (no repository on its path)."""
    out = subprocess.run(
        [str(python), "-c", EVIDENTLY_SIDE, mode, json.dumps(kinds), str(reference), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=reference.parent,
        env=_evidently_env(),
    )
    if out.returncode:
        raise RuntimeError(f"Evidently's side failed ({mode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _whole_process(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _speed(python: Path, kinds: dict[str, str], reference: Path, current: Path) -> dict[str, float]:
    """Ours in this process, Evidently's inside its subprocess, then whole processes; all in turns."""
    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    drift_report(ref.head(WARM_ROWS), cur.head(WARM_ROWS), kinds)  # warm-up, as Evidently's side does
    ours: list[float] = []
    theirs: list[dict] = []
    for _ in range(ROUNDS):
        theirs.append(_evidently(python, "time", kinds, reference, current, WARM_ROWS))
        ours.append(_timed(lambda: drift_report(ref, cur, kinds)))
    report = drift_report(ref, cur, kinds)
    ours_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ours_once = [sys.executable, "-c", OURS_ONCE, json.dumps(kinds), str(reference), str(current)]
    theirs_once = [str(python), "-c", EVIDENTLY_SIDE, "once", json.dumps(kinds), str(reference), str(current)]
    whole_ours, whole_theirs = [], []
    for _ in range(ROUNDS):
        whole_theirs.append(_whole_process(theirs_once, reference.parent, _evidently_env()))
        whole_ours.append(_whole_process(ours_once, ROOT, ours_env))
    return {
        "ours": min(ours),
        "evidently": min(t["seconds"] for t in theirs),
        "html": min(t["html"] for t in theirs),
        "imports": min(t["imports"] for t in theirs),
        "ours_drifted": sum(f.drifted for f in report.features),
        "evidently_drifted": theirs[0]["drifted"],
        "whole_ours": min(whole_ours),
        "whole_evidently": min(whole_theirs),
    }


def _our_alarms(kinds: dict[str, str], reference: Path, batches: Path) -> dict[str, int]:
    ref, rows = pd.read_parquet(reference), pd.read_parquet(batches)
    counts = {"table": 0, "columns": 0, "raw": 0}
    for start in range(0, len(rows), BATCH):
        report = drift_report(ref, rows.iloc[start : start + BATCH], kinds)
        counts["table"] += report.drifted
        counts["columns"] += sum(f.drifted for f in report.features)
        counts["raw"] += sum(f.p_value < 0.05 for f in report.features)  # before the correction
    return counts


def _evidently_alarms(python: Path, kinds: dict[str, str], reference: Path, batches: Path) -> dict[str, int]:
    """Evidently's verdicts on every batch, `WORKERS` processes at once (only the verdicts count here)."""
    command = [str(python), "-c", EVIDENTLY_SIDE, "alarms", json.dumps(kinds), str(reference), str(batches)]
    workers = [
        subprocess.Popen(
            [*command, str(BATCH), str(worker), str(WORKERS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=reference.parent,
            env=_evidently_env(),
        )
        for worker in range(WORKERS)
    ]
    verdicts = []
    for process in workers:
        out, err = process.communicate()
        if process.returncode:
            raise RuntimeError(f"Evidently's side failed (alarms):\n{err[-3000:]}")
        verdicts += json.loads(out.strip().splitlines()[-1])
    assert len(verdicts) == BATCHES, len(verdicts)
    return {
        "table": sum(v["dataset"] for v in verdicts),
        "any": sum(v["columns"] > 0 for v in verdicts),
        "columns": sum(v["columns"] for v in verdicts),
    }


def _rate(count: int, total: int) -> str:
    """The share with its 95% Clopper–Pearson interval: 200 batches leave a few points either way."""
    low, high = stats.binomtest(count, total).proportion_ci(0.95)
    return f"{count / total:.1%} ({low:.1%}–{high:.1%})"


def main() -> None:
    python = _evidently_python()
    began = time.perf_counter()
    version = subprocess.run(
        [str(python), "-c", "import evidently; print(evidently.__version__)"],
        capture_output=True,
        text=True,
        check=True,
        env=_evidently_env(),
    ).stdout.strip()
    halves = pd.read_csv(bench_table(2 * ROWS)).drop(columns="target")
    kinds = {n: "numeric" if pd.api.types.is_numeric_dtype(halves[n]) else "categorical" for n in halves}
    small = pd.read_csv(bench_table(ROWS), nrows=REFERENCE + BATCHES * BATCH).drop(columns="target")
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: Path(folder) / f"{name}.parquet" for name in ("ref", "cur", "alarm_ref", "batches")}
        halves.iloc[:ROWS].to_parquet(paths["ref"], index=False)
        halves.iloc[ROWS:].to_parquet(paths["cur"], index=False)
        small.iloc[:REFERENCE].to_parquet(paths["alarm_ref"], index=False)
        small.iloc[REFERENCE:].to_parquet(paths["batches"], index=False)
        speed = _speed(python, kinds, paths["ref"], paths["cur"])
        ours = _our_alarms(kinds, paths["alarm_ref"], paths["batches"])
        theirs = _evidently_alarms(python, kinds, paths["alarm_ref"], paths["batches"])
    numbers = sum(k == "numeric" for k in kinds.values())
    ratio = speed["evidently"] / speed["ours"]
    speed_rows = [
        ["ours: `drift_report`", f"{speed['ours']:.2f}", "1.0×", f"{speed['ours_drifted']} of {len(kinds)}"],
        [
            "Evidently: `Report([DataDriftPreset()]).run` (with its figures)",
            f"{speed['evidently']:.2f}",
            f"{ratio:.1f}×",
            f"{speed['evidently_drifted']:.0f} of {len(kinds)}",
        ],
        ["Evidently: that snapshot to HTML (`get_html_str`), on top", f"{speed['html']:.2f}", "", ""],
        [
            "whole process, ours: start, imports, read Parquet, report",
            f"{speed['whole_ours']:.2f}",
            "1.0×",
            "",
        ],
        [
            "whole process, Evidently: the same",
            f"{speed['whole_evidently']:.2f}",
            f"{speed['whole_evidently'] / speed['whole_ours']:.1f}×",
            "",
        ],
    ]
    tests = BATCHES * len(kinds)
    alarm_rows = [
        [
            "whole table flagged (ours: `report.drifted`; Evidently: dataset drift)",
            _rate(ours["table"], BATCHES),
            _rate(theirs["table"], BATCHES),
        ],
        [
            "any column flagged",
            "the same: " + _rate(ours["table"], BATCHES),
            _rate(theirs["any"], BATCHES),
        ],
        [
            f"column verdicts that fire (of {tests:,})",
            _rate(ours["columns"], tests),
            _rate(theirs["columns"], tests),
        ],
        [f"column tests with p < 0.05 before the correction (of {tests:,})", _rate(ours["raw"], tests), "—"],
    ]
    body = "\n".join(
        [
            f"Evidently {version} in a virtual environment of its own (`bench/requirements-evidently.txt`: "
            "plotly 5, and the same pandas, NumPy and SciPy as ours), usage telemetry off (`DO_NOT_TRACK=1`, "
            "`EVIDENTLY_DISABLE_TELEMETRY=1`; checked in its process). Both read the same Parquet files "
            f"and get the same column kinds ({numbers} numbers, {len(kinds) - numbers} categories; Evidently "
            "through a `DataDefinition`).",
            "",
            f"### Speed: {ROWS:,} reference × {ROWS:,} current rows × {len(kinds)} columns",
            "",
            f"The two halves of `make_table.py {2 * ROWS}` (nothing changed between them). Ours "
            "in-process; Evidently's timed inside its subprocess around `Dataset.from_pandas` and "
            f"`Report.run` only, after its imports ({speed['imports']:.1f} s). Both warmed up on "
            f"{WARM_ROWS:,} rows; best of {ROUNDS} taken in turns. Evidently's run also builds its figures "
            "(plotly), as every run does; rendering them to HTML is timed on top. Whole processes: best of "
            f"{ROUNDS}, in turns.",
            "",
            markdown_table(["what", "seconds", "vs ours", "columns flagged"], speed_rows),
            "",
            f"### False alarms: {BATCHES} batches of {BATCH} rows with nothing changed",
            "",
            f"Reference: the first {REFERENCE:,} rows of `make_table.py {ROWS}`; batches: the next "
            f"{BATCHES * BATCH:,} rows in order. Every flag is false; intervals are 95% (Clopper–Pearson), "
            "and all batches share one reference, so the verdicts are not independent of each other.",
            "",
            "- Evidently's verdict: each column on its own, by the method its preset picks for a reference "
            "of over 1,000 rows: Wasserstein distance in reference standard deviations ≥ 0.1 for numbers, "
            "Jensen–Shannon distance ≥ 0.1 for categories (fixed thresholds on distances, not tests; at "
            "1,000 reference rows or fewer it takes KS or chi-square p < 0.05 per column instead); the "
            "dataset drifts when at least half the columns do (`drift_share` 0.5).",
            "- Ours: a calibrated test per feature (Kolmogorov–Smirnov; chi-square against its exact "
            "conditional null by Monte Carlo; Fisher's exact test on a missing share), all of a table's "
            "hypotheses corrected as one family by weighted Benjamini–Hochberg at α = 0.05 (equal weights "
            "here: no model), a feature counting as drift only past a practical floor (a shift of 0.1 "
            "reference standard deviations, a Jensen–Shannon distance of 0.05); the table drifts when any "
            "feature does.",
            "",
            markdown_table(["share of …", "ours", f"Evidently {version}"], alarm_rows),
            "",
            f"- Speed: ours **{ratio:.1f}×** faster than Evidently's preset on {ROWS:,} × {ROWS:,} rows "
            f"(target ≥ 5×); whole processes {speed['whole_evidently'] / speed['whole_ours']:.1f}×.",
            f"- False alarms: the whole table flagged in **{ours['table'] / BATCHES:.1%}** of no-change "
            f"batches by ours (designed for at most α = 5%), against **{theirs['table'] / BATCHES:.1%}** "
            f"for Evidently's dataset drift and **{theirs['any'] / BATCHES:.1%}** for any of its columns.",
        ]
    )
    write_section("monitor", "Drift against Evidently (issue 15)", body)
    print(f"measuring took {time.perf_counter() - began:.0f} s (Evidently's environment ready)")


if __name__ == "__main__":
    main()
