"""Where heavy work runs: on this machine (the default, with nothing to start), or on an existing Dask
cluster when `MLCORE_DASK_SCHEDULER` names its scheduler (`tcp://host:8786`).

This module owns that choice and the connection: the one `distributed.Client` of the process, the
plain error when the scheduler cannot be reached, and what the status panel shows (the cluster, its
workers, cores and memory, and its dashboard). `mlcore.compute.cluster_tasks` runs a job on the cluster.
`distributed` is imported only when a cluster is configured, so the local default pays nothing.

The cluster is the analyst's own: its workers need this package and its libraries installed (the
same `requirements.txt`), and it is trusted with the data and the fitted models it sends back.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mlcore.compute.machine import total_memory, usable_cores
from mlcore.errors import MLCoreError, SettingsError

if TYPE_CHECKING:
    from distributed import Client

SCHEDULER_VARIABLE = "MLCORE_DASK_SCHEDULER"
CONNECT_SECONDS = 10
# A scheduler's address as Dask writes it: a protocol, a host (a name, IPv4 or [IPv6]) and a port.
_ADDRESS = re.compile(r"(tcp|tls)://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}")


class ClusterError(MLCoreError):
    """The configured Dask cluster cannot be used (unreachable, or it went away)."""


def scheduler_address() -> str | None:
    """The Dask scheduler named by `MLCORE_DASK_SCHEDULER`, or None for this machine."""
    text = os.environ.get(SCHEDULER_VARIABLE, "").strip()
    if not text:
        return None
    if not _ADDRESS.fullmatch(text):
        raise SettingsError(
            f"{SCHEDULER_VARIABLE} is {text!r}, which is not a Dask scheduler's address.",
            "Write it as Dask prints it, such as tcp://10.0.0.5:8786, or leave it unset to work on "
            "this machine.",
        )
    return text


RETRY_SECONDS = 30  # a scheduler that did not answer is not asked again sooner: each job would wait
_clients: dict[str, Client] = {}
_unreachable: dict[str, tuple[float, ClusterError]] = {}  # address -> when it failed, and how
_clients_lock = threading.Lock()


def client() -> Client:
    """The process's connection to the configured scheduler, made on first use and remade if it closed."""
    address = scheduler_address()
    if address is None:
        raise ClusterError("No Dask cluster is configured.", f"Set {SCHEDULER_VARIABLE} to use one.")
    with _clients_lock:
        known = _clients.get(address)
        if known is not None and known.status in ("running", "connecting"):
            return known
        failed = _unreachable.get(address)
        if failed is not None and time.monotonic() - failed[0] < RETRY_SECONDS:
            raise failed[1]
        from distributed import Client

        try:
            made = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as error:
            problem = ClusterError(
                f"The Dask scheduler at {address} did not answer within {CONNECT_SECONDS} s.",
                f"Check that it runs and is reachable from this server, or unset {SCHEDULER_VARIABLE} "
                "to work on this machine.",
            )
            _unreachable[address] = (time.monotonic(), problem)
            raise problem from error
        _unreachable.pop(address, None)
        _clients[address] = made
        return made


def inside_cluster_task() -> bool:
    """Whether the caller runs inside a task on a Dask cluster (a worker's thread), where it may
    split its work into tasks of its own."""
    if "distributed" not in sys.modules:  # never imported: certainly not on a worker
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def cluster_threads() -> int:
    """How many tasks the cluster runs at once: its workers' threads (at least one)."""
    return max(1, sum(client().nthreads().values()))


@dataclass(frozen=True)
class ComputeStatus:
    """What the status panel shows: where heavy work runs and what that place offers; `problem` says
    why a configured cluster could not be asked."""

    cluster: str | None  # the scheduler's address; None: this machine
    workers: int
    cores: int
    memory: int  # bytes
    dashboard: str | None = None
    problem: str | None = None


def compute_status(local_workers: int) -> ComputeStatus:
    """This machine (with its `local_workers` job slots), or the configured cluster as its scheduler
    describes it now."""
    address = scheduler_address()
    if address is None:
        return ComputeStatus(None, local_workers, usable_cores(), total_memory())
    try:
        info = client().scheduler_info()
    except (ClusterError, OSError, TimeoutError) as error:
        problem = (
            error.message if isinstance(error, ClusterError) else f"The scheduler did not answer: {error}"
        )
        return ComputeStatus(address, 0, 0, 0, problem=problem)
    workers = list(info.get("workers", {}).values())
    return ComputeStatus(
        address,
        len(workers),
        sum(int(w.get("nthreads", 0)) for w in workers),
        sum(int(w.get("memory_limit") or 0) for w in workers),
        _dashboard(address, info),
    )


def _dashboard(address: str, info: dict[str, Any]) -> str | None:
    """The scheduler's dashboard page, where it serves one (it needs bokeh installed there)."""
    port = info.get("services", {}).get("dashboard")
    if not port:
        return None
    host = urlsplit(address).hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/status"
