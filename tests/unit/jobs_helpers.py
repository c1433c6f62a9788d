"""Functions the job tests run in worker processes (they must be importable by name)."""

from __future__ import annotations

import time
from pathlib import Path

from mlcore.errors import TargetError


def count_to(report, n: int) -> int:
    for i in range(n):
        report({"progress": (i + 1) / n, "message": f"step {i + 1}"})
    return sum(range(n))


def sleep_then_touch(report, seconds: float, marker: str) -> None:
    report({"progress": 0.1, "message": "sleeping"})
    time.sleep(seconds)
    Path(marker).write_text("finished")


def fail_plainly(report) -> None:
    raise TargetError("The column 'y' has only one class.", "Choose another target.")


def take_all(report, tasks) -> list[int]:
    """Read work items from a queue handed over as an argument (as TrainingSession does)."""
    items = []
    while (item := tasks.get(timeout=10)) is not None:
        items.append(item)
    return items
