"""`python -m bench [name ...]`: run the named benchmarks (default: all) and rewrite bench/RESULTS.md."""

from __future__ import annotations

import importlib
import pkgutil
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
        importlib.import_module(f"bench.bench_{name}").main()
    print(f"wrote {write_results()}")


if __name__ == "__main__":
    main(sys.argv[1:])
