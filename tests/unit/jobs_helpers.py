"""Functions the job tests run in worker processes (they must be importable by name)."""

from __future__ import annotations

import os
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


def take_turn(report, name: str, log, gate, running, peak) -> str:
    """Log its start, count the jobs running at once (and the most seen), and hold its slot until the
    test opens the gate: the queue's tests read the start order and the bound from these."""
    with running.get_lock():
        running.value += 1
        peak.value = max(peak.value, running.value)
    log.put(name)
    gate.wait(30)
    time.sleep(0.02)  # long enough for a job over the bound to have been counted beside this one
    with running.get_lock():
        running.value -= 1
    return name


def hog_memory(report, megabytes: int) -> int:
    """Take memory 10 MB at a time, as a job on too large a table would."""
    chunks = [bytearray(10 << 20) for _ in range(megabytes // 10)]
    return len(chunks)


def die_by_signal(report, signum: int) -> None:
    """End the worker without a word, as the kernel's out-of-memory killer or a crash would."""
    os.kill(os.getpid(), signum)


def niceness(report) -> int:
    """The worker's own niceness (0 for a normal process, up to 19)."""
    return os.nice(0)
