"""`python -m bench [name ...]`: run the named benchmarks (default: all) and rewrite bench/RESULTS.md.

Each benchmark runs in a fresh process, so what an earlier one left in memory (a million-row table,
caches, AppTest sessions) does not slow a later one's timings.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bench
from bench.common import write_results


def main(names: list[str]) -> None:
    available = sorted(
        m.name[len("bench_") :] for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    for name in names or available:
        if name not in available:
            sys.exit(f"unknown benchmark '{name}'; available: {', '.join(available)}")
        subprocess.run([sys.executable, "-m", f"bench.bench_{name}"], check=True)
    print(f"wrote {write_results()}")


if __name__ == "__main__":
    main(sys.argv[1:])
