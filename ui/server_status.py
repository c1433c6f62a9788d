"""The sidebar's server panel: where heavy work runs (this machine or a Dask cluster), what that place
offers, and how busy the server's job queue is, so that a class sees why a job waits.

Drawn on every rerun of every page, so it stays cheap: this machine's status is a few system calls;
a cluster's needs a round trip to its scheduler, so its last answer is kept for `FRESH_SECONDS` and
then renewed in a background thread while the page shows the last one (an unreachable scheduler
costs its connection timeout once, not on every rerun).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

import streamlit as st

from mlcore.compute import cluster, job_queue
from mlcore.compute.cluster import ComputeStatus
from mlcore.compute.job_queue import Load
from mlcore.compute.machine import usable_cores
from mlcore.formatting import plural, size
from mlcore.markup import markdown_text

FRESH_SECONDS = 5.0  # how long a cluster's status is shown before it is asked again
# A dashboard address as `mlcore.compute.cluster` builds it: http, a host (name, IPv4, [IPv6]), port, path.
_DASHBOARD = re.compile(r"https?://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}/[A-Za-z0-9/_.\-]*")


@dataclass
class _Known:
    status: ComputeStatus
    at: float  # time.monotonic() of the answer
    renewing: bool = False


_known: dict[str, _Known] = {}  # by scheduler address
_known_lock = threading.Lock()


def server_status() -> None:
    """The panel: one caption, and a warning when the configured cluster cannot be used."""
    load = job_queue.shared().load()
    status = compute_status(load.bound or usable_cores())
    st.caption(describe(status, load))
    if status.problem:
        st.warning(markdown_text(status.problem))


def describe(status: ComputeStatus, load: Load) -> str:
    """The panel's Markdown: the place, its workers, cores and memory (and dashboard), then the jobs."""
    where = "This machine" if status.cluster is None else f"Dask cluster {markdown_text(status.cluster)}"
    lines = [f"**Server** · {where}"]
    if not status.problem:
        offer = [plural(status.workers, "worker"), plural(status.cores, "core")]
        if status.memory:
            offer.append(f"{size(status.memory)} memory")
        if status.dashboard and _DASHBOARD.fullmatch(status.dashboard):
            offer.append(f"[Dask dashboard]({status.dashboard})")
        lines.append(" · ".join(offer))
    bound = "no limit" if load.bound is None else f"at most {load.bound:,} at once"
    jobs = f"Jobs: {load.running:,} running ({bound}) and {load.waiting:,} waiting"
    if load.sessions:
        jobs += f", from {plural(load.sessions, 'session')}"
    lines.append(jobs)
    return "  \n".join(lines)


def compute_status(local_workers: int) -> ComputeStatus:
    """`mlcore.compute.cluster.compute_status`, asked at most every `FRESH_SECONDS` of a cluster: the first
    ask waits for the scheduler; later ones show the last answer while a thread renews it."""
    address = cluster.scheduler_address()
    if address is None:
        return cluster.compute_status(local_workers)
    with _known_lock:
        known = _known.get(address)
        if known is not None:
            if not known.renewing and time.monotonic() - known.at >= FRESH_SECONDS:
                known.renewing = True
                threading.Thread(
                    target=_renew, args=(address, local_workers), name="server-status", daemon=True
                ).start()
            return known.status
    status = cluster.compute_status(local_workers)
    with _known_lock:
        _known[address] = _Known(status, time.monotonic())
    return status


def _renew(address: str, local_workers: int) -> None:
    try:
        status = cluster.compute_status(local_workers)
    except Exception as error:  # the setting changed meanwhile, or the client broke: shown as a problem
        status = ComputeStatus(address, 0, 0, 0, problem=f"The scheduler could not be asked: {error}")
    with _known_lock:
        _known[address] = _Known(status, time.monotonic())
