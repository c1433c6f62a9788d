"""Shared benchmark plumbing: the standard tables, timing, peak memory, and the results file.

Each benchmark module writes its own section to `bench/results/<name>.md`; `python -m bench`
joins all sections into `bench/RESULTS.md`, so modules can be re-run one at a time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
SECTIONS = ROOT / "bench" / "results"
MAKE_TABLE = ROOT.parent / "shared" / "bench" / "make_table.py"


def bench_table(rows: int) -> Path:
    """The standard bench table of `rows` rows (from shared/bench/make_table.py), made once and kept."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"table_{rows}.csv"
    if not path.exists():
        spec = importlib.util.spec_from_file_location("make_table", MAKE_TABLE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.make(rows).to_csv(path, index=False)
    return path


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of `repeat` wall-clock timings, in seconds (the least disturbed by other load)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure_interleaved(cases: dict[str, str], repeat: int = 5) -> dict[str, dict]:
    """`measure_in_subprocess` for several cases, taken in turns so that background load hits all alike."""
    runs: dict[str, list[dict]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, code in cases.items():
            runs[name].append(measure_in_subprocess(code, repeat=1))
    return {
        name: {
            "seconds": min(r["seconds"] for r in results),
            "peak_mib": min(r["peak_mib"] for r in results),
        }
        for name, results in runs.items()
    }


def measure_in_subprocess(code: str, repeat: int = 3) -> dict:
    """Run `code` (which must define `work()`) in fresh processes; best wall time and peak RSS growth.

    Peak memory is the process's maximum resident set size minus what it held after imports,
    so the figure covers the work alone, whether it allocated through Python, NumPy or Arrow.
    """
    runner = f"""
import json, resource, time, gc
{code}
gc.collect()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
work()
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": elapsed, "peak_mib": (peak - base) / 1024}}))
"""
    results = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", runner],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "seconds": min(r["seconds"] for r in results),
        "peak_mib": min(r["peak_mib"] for r in results),
    }


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(name: str, title: str, body: str) -> None:
    """Print a section and store it for RESULTS.md."""
    SECTIONS.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = f"## {title}\n\n_Measured {stamp} on {machine}._\n\n{body}\n"
    (SECTIONS / f"{name}.md").write_text(text)
    print(text)


def write_results() -> Path:
    """Join every stored section into bench/RESULTS.md."""
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`). Each figure is a ratio "
        "against a reference measured in the same run on the same machine.",
        "",
    ]
    for section in sorted(SECTIONS.glob("*.md")):
        parts.append(section.read_text())
    out = ROOT / "bench" / "RESULTS.md"
    out.write_text("\n".join(parts))
    return out
