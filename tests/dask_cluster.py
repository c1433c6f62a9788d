"""Dask clusters for the cluster-backend tests (issue 19): a `LocalCluster` in worker processes, and a
scheduler with two workers started by the `dask` command, as an analyst would start them.

Fixtures (registered in conftest.py): `local_cluster` (one per test module: starting one costs a few
seconds) and `cli_cluster` (one per test: a test may kill one of its workers). `jobs_on_cluster` sends
the jobs of a `with` block to a cluster: it sets `MLCORE_DASK_SCHEDULER`, installs a fresh job queue
with a server's limits on that cluster, and afterwards stops what is left of its jobs, puts the
previous queue back and closes the connections (`mlcore.compute.cluster`'s cached clients) the block made.
`distributed` is imported only inside the fixtures, so the other tests never pay for it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mlcore.compute import cluster, job_queue

ROOT = Path(__file__).resolve().parents[1]
# What the workers import: this checkout (mlcore), tests/ (this module's job functions) and
# tests/unit (jobs_helpers), as the test process has them.
WORKER_PATH = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "unit")]
DASK = Path(sys.executable).with_name("dask")
START_SECONDS = 90  # for the scheduler and both workers to be up; they import a lot on 2 busy cores
WORKERS = 2


def row_count(report, frame) -> int:
    """A job on a table, the kind of argument a cluster task receives by scatter (not inline)."""
    report({"progress": 1.0, "message": "counted"})
    return len(frame)


def slow_row_count(report, frame, seconds: float) -> int:
    """`row_count` that takes `seconds` (long enough to lose its worker meanwhile)."""
    report({"progress": 0.1, "message": "counting"})
    time.sleep(seconds)
    return len(frame)


def free_port() -> int:
    """A port nothing listens on now (the caller binds it soon after, or relies on it being closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class CliCluster:
    """A scheduler and its workers, each a `dask` command we started."""

    address: str
    scheduler: subprocess.Popen
    workers: dict[str, subprocess.Popen]  # by the worker's address, as the scheduler names it
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def log_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log")))


def _start(command: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*WORKER_PATH, os.environ.get("PYTHONPATH", "")])}
    env.pop(cluster.SCHEDULER_VARIABLE, None)
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


@contextmanager
def running_cli_cluster(workers: int = WORKERS) -> Iterator[CliCluster]:
    """`dask scheduler` on 127.0.0.1 and `workers` `dask worker`s of one thread each; all of them are
    killed (and reaped) on the way out, whatever happened.

    The workers run without a nanny (`--no-nanny`): the process we hold is the worker itself, so
    killing it loses that worker for good, as a machine that goes down would. With a nanny, the
    process we hold would be the nanny: killing it would orphan its worker, and killing the worker
    would have the nanny start a fresh one, which is not the loss the kill test is about.
    """
    from distributed import Client

    logs = Path(tempfile.mkdtemp(prefix="mlcore-dask-"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    started: list[subprocess.Popen] = []
    try:
        scheduler = _start(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
            logs / "scheduler.log",
        )
        started.append(scheduler)
        by_address = {}
        for i in range(workers):
            worker_port = free_port()
            command = [str(DASK), "worker", address, "--nthreads", "1", "--host", "127.0.0.1"]
            command += ["--worker-port", str(worker_port), "--no-dashboard", "--no-nanny"]
            command += ["--local-directory", str(logs)]  # its scratch space goes with the logs
            command += ["--death-timeout", "60"]  # gone on its own should the kill below be missed
            process = _start(command, logs / f"worker-{i}.log")
            started.append(process)
            by_address[f"tcp://127.0.0.1:{worker_port}"] = process
        found = CliCluster(address, scheduler, by_address, logs, started)
        _wait_for_workers(found, workers, Client)
        yield found
    finally:
        for process in started:
            with suppress(OSError):
                process.kill()
        for process in started:
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
        shutil.rmtree(logs, ignore_errors=True)


def _wait_for_workers(found: CliCluster, count: int, client_type: type) -> None:
    """Until `count` workers are registered with the scheduler; a clear failure (with the processes'
    logs) when one exits or they are not all there within `START_SECONDS`."""
    deadline = time.monotonic() + START_SECONDS
    client = None
    try:
        while time.monotonic() < deadline:
            exited = [p.args[1] for p in found.processes if p.poll() is not None]
            if exited:
                pytest.fail(f"`dask {exited[0]}` exited while starting:\n{found.log_text()}")
            if client is None:
                with suppress(OSError, TimeoutError):
                    client = client_type(found.address, timeout=5, set_as_default=False)
            if client is not None and len(client.scheduler_info(n_workers=-1)["workers"]) >= count:
                return
            time.sleep(0.25)
        pytest.fail(f"{count} Dask workers did not register within {START_SECONDS} s:\n{found.log_text()}")
    finally:
        if client is not None:
            client.close()


@pytest.fixture
def cli_cluster() -> Iterator[CliCluster]:
    """A scheduler and two one-thread workers started by the `dask` command (a fresh one per test)."""
    with running_cli_cluster() as found:
        yield found


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[object]:
    """A `distributed.LocalCluster` of two worker processes with one thread each, for a test module."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
    ) as made:
        made.wait_for_workers(WORKERS, timeout=START_SECONDS)
        yield made


@contextmanager
def jobs_on_cluster(address: str, queue: job_queue.JobQueue | None = None) -> Iterator[job_queue.JobQueue]:
    """Within the block, jobs go to the scheduler at `address`, through `queue` or a fresh queue with a
    server's limits there (its bound: the cluster's threads)."""
    before_queue, before_clients = job_queue._shared, set(cluster._clients)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(cluster.SCHEDULER_VARIABLE, address)
        patch.delenv("MLCORE_MAX_JOBS", raising=False)
        installed = queue or job_queue.JobQueue(job_queue._server_limits())
        job_queue.use(installed)
        try:
            yield installed
        finally:
            _stop_all(installed)
            job_queue.use(before_queue)
            for made in set(cluster._clients) - before_clients:
                cluster._clients.pop(made).close()


def _stop_all(queue: job_queue.JobQueue) -> None:
    """Stop the jobs a failed test left running or waiting in `queue`."""
    with queue._changed:
        left = list(queue._running) + [job for line in queue._waiting.values() for job in line]
    for job in left:
        with suppress(Exception):
            job.stop()


@contextmanager
def jobs_here() -> Iterator[None]:
    """Within the block, jobs run on this machine (no scheduler set), whatever the environment says."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(cluster.SCHEDULER_VARIABLE, raising=False)
        yield
