"""Explore (issue 3): the instant overview against pandas and ydata-profiling, and the page rerun.

1. Overview on 100k rows against ydata-profiling's minimal report (HTML included) on the same frame,
   with the full report beside it: target at least 10× faster than the minimal report.
2. Overview on 1M rows × 21 columns against `DataFrame.describe(include="all")`: target at most 3×,
   with peak memory. Times are best of fresh processes taken in turns; peak memory is what the work
   allocated (numpy and Python, traced by tracemalloc in a separate run, so tracing costs no time).
3. Explore page rerun with the 1M-row table loaded and caches warm, under AppTest: well under 0.3 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from streamlit.testing.v1 import AppTest

from bench.common import ROOT, bench_table, markdown_table, measure_interleaved, write_section
from mlcore.data.loading import load_path
from mlcore.workspace import Workspace
from tests.apptest_support import rerun_like_the_server

SETUP = """
import os
os.environ["YDATA_PROFILING_NO_ANALYTICS"] = "True"
from mlcore.data.loading import load_path
dataset = load_path({path!r})
frame = dataset.frame
"""
DESCRIBE = "def work():\n    frame.describe(include='all')\n"
OVERVIEW = """
from mlcore.explore.overview import compute_overview
def work():
    compute_overview(dataset)
"""
EVERYTHING = """
from mlcore.explore.alerts import find_alerts
from mlcore.explore.overview import compute_overview
from mlcore.explore.target_view import rank_features
def work():
    find_alerts(dataset, compute_overview(dataset), rank_features(dataset))
"""
YDATA = """
import warnings
warnings.simplefilter("ignore")
from ydata_profiling import ProfileReport
def work():
    ProfileReport(frame, minimal={minimal}, progress_bar=False).to_html()
"""
MEMORY_RUNNER = """
import json, tracemalloc
{code}
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
tracemalloc.reset_peak()
work()
print(json.dumps({{"peak_mib": (tracemalloc.get_traced_memory()[1] - before) / 2**20}}))
"""
EMPTY_PAGE = "import streamlit as st\nst.title('empty')\n"


def _cases(path: str, cases: dict[str, str]) -> dict[str, str]:
    return {name: SETUP.format(path=path) + code for name, code in cases.items()}


def _peak_mib(code: str) -> float:
    """Memory the work allocated at its peak, beyond what the loaded table already held."""
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_RUNNER.format(code=code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def _versus_ydata() -> tuple[str, float]:
    path = str(bench_table(100_000))
    fast = measure_interleaved(
        _cases(
            path,
            {
                "mlcore overview": OVERVIEW,
                "mlcore overview + alerts + target view": EVERYTHING,
                "ydata-profiling minimal report (with HTML)": YDATA.format(minimal=True),
            },
        ),
        repeat=2,
    )
    full = measure_interleaved(
        _cases(path, {"ydata-profiling full report (with HTML)": YDATA.format(minimal=False)}), repeat=1
    )
    results = {**fast, **full}
    reference = results["ydata-profiling minimal report (with HTML)"]["seconds"]
    rows = [[name, f"{r['seconds']:.3f}", f"{reference / r['seconds']:.1f}×"] for name, r in results.items()]
    ratio = reference / results["mlcore overview"]["seconds"]
    body = (
        "Frame: `make_table.py 100000` (100,000 rows × 21 columns) loaded with `load_path`. "
        "Best of fresh processes taken in turns (the full report once).\n\n"
        + markdown_table(["what", "seconds", "minimal report ÷ this"], rows)
        + f"\n\nTarget: the overview at least 10× faster than the minimal report. Measured: {ratio:.0f}×."
    )
    return body, ratio


def _versus_describe() -> tuple[str, float]:
    path = str(bench_table(1_000_000))
    cases = _cases(
        path,
        {
            "DataFrame.describe(include='all') (reference)": DESCRIBE,
            "mlcore overview": OVERVIEW,
            "mlcore overview + alerts + target view": EVERYTHING,
        },
    )
    times = measure_interleaved(cases, repeat=3)
    reference = times["DataFrame.describe(include='all') (reference)"]["seconds"]
    peaks = {name: _peak_mib(code) for name, code in cases.items()}
    rows = [
        [name, f"{r['seconds']:.2f}", f"{r['seconds'] / reference:.2f}×", f"{peaks[name]:.0f}"]
        for name, r in times.items()
    ]
    ratio = times["mlcore overview"]["seconds"] / reference
    body = (
        "Frame: `make_table.py 1000000` (1,000,000 rows × 21 columns: 17 numeric, 4 text) loaded with "
        "`load_path`. Best of 3 fresh processes taken in turns. Peak MiB: the most memory the work "
        "allocated beyond the loaded table (tracemalloc, separate run).\n\n"
        + markdown_table(["what", "seconds", "vs describe", "peak MiB"], rows)
        + f"\n\nTarget: the overview at most 3× `describe(include='all')`. Measured: {ratio:.2f}×."
    )
    return body, ratio


def _rerun_seconds(app: AppTest, repeat: int = 7) -> tuple[float, float]:
    """Seconds of the first run and the median of warm reruns."""
    start = time.perf_counter()
    app.run()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - start)
    return first, sorted(times)[len(times) // 2]


def _page_rerun() -> tuple[str, float]:
    rerun_like_the_server()  # every rerun runs app.py (navigation, sidebar) first, as on the server
    dataset = load_path(bench_table(1_000_000))
    _, floor = _rerun_seconds(AppTest.from_string(EMPTY_PAGE, default_timeout=120))
    rows = [["empty page (floor)", "", f"{floor * 1000:.0f}"]]
    default_rerun = 0.0
    for tab in ["Columns", "Relations", "Target"]:
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        app.session_state["workspace"] = Workspace(dataset=dataset)
        app.session_state["explore_last_tab"] = tab
        app.run()
        app.switch_page("pages/explore.py")
        first, rerun = _rerun_seconds(app)
        assert not app.exception and app.title[0].value == "Explore", app.exception
        rows.append([f"Explore, tab '{tab}', 1M × 21 loaded", f"{first:.2f}", f"{rerun * 1000:.0f}"])
        default_rerun = default_rerun or rerun
    body = (
        "Under AppTest, in this process: the first visit computes (overview, alerts, target view, "
        "the tab's charts; later visits take them from the caches), then the median of 7 reruns.\n\n"
        + markdown_table(["page", "first visit s", "warm rerun ms"], rows)
        + f"\n\nTarget: well under 300 ms. Measured on the default tab: {default_rerun * 1000:.0f} ms."
    )
    return body, default_rerun


def main() -> None:
    ydata_body, _ = _versus_ydata()
    describe_body, _ = _versus_describe()
    rerun_body, _ = _page_rerun()
    body = (
        "### Overview on 100k rows against ydata-profiling\n\n"
        + ydata_body
        + "\n\n### Overview on 1M rows against pandas describe\n\n"
        + describe_body
        + "\n\n### Explore page rerun with 1M rows loaded\n\n"
        + rerun_body
    )
    write_section("explore", "Explore: instant overview, alerts and page reruns (issue 3)", body)


if __name__ == "__main__":
    main()
