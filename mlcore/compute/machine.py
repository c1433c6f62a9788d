"""What this machine offers worker processes: the cores this process may use and its memory (a
container's limit counts, since the kernel kills past it), and the cap that keeps one worker within
its share of that memory.

Read where bounds are derived (`mlcore.settings.job_limits`, a training session's worker count), so
that a server sized for its machine needs no configuration.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

# Where a container's memory limit is written: cgroup v2, then v1 (a huge number there means none).
_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the platform tells), at least one."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def total_memory() -> int:
    """Bytes of memory for this process's work: the physical memory, or the container's limit if lower."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limits = [_number(path) for path in _CGROUP_LIMITS]
    return min([physical, *(limit for limit in limits if limit)])


def available_memory() -> int:
    """Bytes that new work may take now without swapping (the kernel's MemAvailable), within
    `total_memory`; the total where the kernel does not say."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return total_memory()
    kib = next((int(line.split()[1]) for line in lines if line.startswith("MemAvailable:")), None)
    return total_memory() if kib is None else min(kib * 1024, total_memory())


def cap_address_space(extra: int) -> None:
    """Cap this process's address space at its size now plus `extra` bytes (Linux; elsewhere no cap).

    What a forked worker inherits (the preloaded libraries) is not counted, so the cap bounds what its
    own work takes: an allocation past it raises `MemoryError` in the worker instead of letting one
    job push the whole server into swap or the kernel's out-of-memory killer.
    """
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = pages * resource.getpagesize() + extra
    resource.setrlimit(
        resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard)
    )


def _number(path: Path) -> int | None:
    """The whole number in a control file, or None (no such file, or "max": no limit)."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
