"""The command line as users run it, whole processes start to finish (issue 11, item 19).

1. `mlcore --help` against a bare interpreter start (`python -c pass`): target within a few times.
2. `mlcore profile TABLE` (overview, alerts and target view of the 100,000-row bench table, printed)
   against a whole process that reads the same CSV with pandas and writes ydata-profiling's minimal
   report: target at least 10× faster.

Every case is a fresh process, taken in turns so that background load hits all alike; best of five.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, bench_table, markdown_table, write_section

ROUNDS = 5
MLCORE = str(Path(sys.executable).parent / "mlcore")
YDATA = """
import os, warnings
os.environ["YDATA_PROFILING_NO_ANALYTICS"] = "True"
warnings.simplefilter("ignore")
import pandas as pd
from ydata_profiling import ProfileReport
ProfileReport(pd.read_csv({path!r}), minimal=True, progress_bar=False).to_html()
"""


def _seconds(command: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    table = str(bench_table(100_000))
    cases = {
        "bare interpreter (`python -c pass`)": [sys.executable, "-c", "pass"],
        "`mlcore --help`": [MLCORE, "--help"],
        "`mlcore profile` on 100,000 rows": [MLCORE, "profile", table],
        "ydata-profiling minimal report on 100,000 rows": [sys.executable, "-c", YDATA.format(path=table)],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, command in cases.items():
            times[name].append(_seconds(command))
    best = {name: min(values) for name, values in times.items()}
    bare, helped = best["bare interpreter (`python -c pass`)"], best["`mlcore --help`"]
    profile, ydata = (
        best["`mlcore profile` on 100,000 rows"],
        best["ydata-profiling minimal report on 100,000 rows"],
    )
    rows = [
        ["bare interpreter (`python -c pass`)", f"{bare:.3f}", "1.00× (reference)"],
        ["`mlcore --help`", f"{helped:.3f}", f"{helped / bare:.2f}× the bare start"],
        ["`mlcore profile` on 100,000 rows", f"{profile:.3f}", f"{ydata / profile:.1f}× faster than ydata"],
        ["ydata-profiling minimal report on 100,000 rows", f"{ydata:.3f}", "1.0× (reference)"],
    ]
    body = (
        "Whole processes as a user runs them (interpreter start, imports, reading the file, output), "
        f"`make_table.py 100000` (100,000 rows × 21 columns), best of {ROUNDS} taken in turns.\n\n"
        + markdown_table(["command", "seconds", "ratio"], rows)
        + f"\n\nTargets: `--help` within a few times a bare start (measured {helped / bare:.2f}×); the whole "
        f"`profile` process at least 10× faster than the whole ydata-profiling process (measured "
        f"{ydata / profile:.1f}×)."
    )
    write_section("cli", "Command line: start-up and profile as whole processes (issue 11)", body)


if __name__ == "__main__":
    main()
