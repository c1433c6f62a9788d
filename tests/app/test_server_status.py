"""AppTest for the sidebar's server panel (issue 19): where heavy work runs (this machine or a Dask
cluster), its workers, cores and memory, the dashboard link, the server queue's load, and a plain
problem when the configured cluster cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_support import shown
from streamlit.testing.v1 import AppTest

from mlcore.compute import cluster, job_queue
from mlcore.compute.cluster import ComputeStatus
from mlcore.compute.job_queue import JobQueue
from mlcore.compute.machine import total_memory, usable_cores
from mlcore.formatting import plural, size
from mlcore.settings import JobLimits
from ui import server_status

APP = str(Path(__file__).resolve().parents[2] / "app.py")


class Held:
    """A stand-in job for the queue: it holds its slot (or its place in line) until told it is done."""

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def launch(self, memory_mb: int | None) -> None:
        pass

    def refresh(self) -> None:
        pass


def panel(at: AppTest) -> str:
    """The panel's text as a reader sees it."""
    captions = [shown(c.value) for c in at.sidebar.caption if c.value.startswith("**Server**")]
    assert len(captions) == 1, [c.value for c in at.sidebar.caption]
    return captions[0]


def raw_panel(at: AppTest) -> str:
    return next(c.value for c in at.sidebar.caption if c.value.startswith("**Server**"))


@pytest.fixture
def fresh(monkeypatch):
    """No cluster client, server queue or cluster status left over from before; all restored after."""
    monkeypatch.setattr(cluster, "_clients", {})
    monkeypatch.setattr(job_queue, "_shared", None)
    monkeypatch.setattr(server_status, "_known", {})
    monkeypatch.delenv("MLCORE_MAX_JOBS", raising=False)
    yield
    for client in cluster._clients.values():
        client.close()


def test_this_machine_with_its_cores_memory_and_the_queues_load(open_app, monkeypatch):
    monkeypatch.delenv(cluster.SCHEDULER_VARIABLE, raising=False)
    at = open_app()
    text = panel(at)
    load = job_queue.shared().load()
    assert "**Server** · This machine" in text
    assert plural(usable_cores(), "core") in text
    assert f"{size(total_memory())} memory" in text
    assert f"{plural(load.bound, 'worker')} · " in text  # this machine's workers: the queue's slots
    assert f"Jobs: {load.running} running (at most {load.bound} at once) and {load.waiting} waiting" in text
    assert not at.sidebar.warning

    # A busy server: one session's job holds the only slot, another session's waits.
    queue = JobQueue(JobLimits(1, None))
    monkeypatch.setattr(job_queue, "_shared", queue)
    running, waiting = Held("first"), Held("second")
    queue.submit(running)
    queue.submit(waiting)
    try:
        at.run()
        text = panel(at)
        assert "1 worker · " in text
        assert "Jobs: 1 running (at most 1 at once) and 1 waiting, from 2 sessions" in text
    finally:
        queue.done(waiting, None)
        queue.done(running, 1.0)
    at.run()
    assert "Jobs: 0 running (at most 1 at once) and 0 waiting" in panel(at)
    assert "sessions" not in panel(at)


def test_a_dask_cluster_its_worker_and_its_load(open_app, monkeypatch, fresh):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",  # a scheduler a server could reach (in one process it defaults to inproc://)
        host="127.0.0.1",
        dashboard_address=":0",
    ) as local:
        monkeypatch.setenv(cluster.SCHEDULER_VARIABLE, local.scheduler_address)
        at = open_app()
        text = panel(at)
        info = cluster.client().scheduler_info()
        memory = sum(int(w["memory_limit"] or 0) for w in info["workers"].values())
        assert f"**Server** · Dask cluster {local.scheduler_address}" in text
        assert f"1 worker · 1 core · {size(memory)} memory" in text
        # The server's queue runs as many jobs at once as the cluster has threads.
        assert "Jobs: 0 running (at most 1 at once) and 0 waiting" in text
        assert "This machine" not in text and not at.sidebar.warning
        # Its dashboard is linked where the scheduler serves one (it needs bokeh installed).
        port = info.get("services", {}).get("dashboard")
        link = f"[Dask dashboard](http://127.0.0.1:{port}/status)"
        assert (link in raw_panel(at)) == bool(port)
        for client in cluster._clients.values():
            client.close()  # before its cluster goes


def test_the_dashboard_link_and_a_cluster_status_asked_once_in_a_while(open_app, monkeypatch, fresh):
    address = "tcp://10.0.0.5:8786"
    monkeypatch.setenv(cluster.SCHEDULER_VARIABLE, address)
    monkeypatch.setattr(job_queue, "_shared", JobQueue(JobLimits(12, None)))
    asked = []

    def status(local_workers: int) -> ComputeStatus:
        asked.append(local_workers)
        return ComputeStatus(address, 3, 12, 48 << 30, "http://10.0.0.5:8787/status")

    monkeypatch.setattr(cluster, "compute_status", status)
    at = open_app()
    raw = raw_panel(at)
    assert "Dask cluster tcp\\://10.0.0.5\\:8786" in raw  # escaped: shown as text, never as markup
    assert "3 workers · 12 cores · 48 GB memory · [Dask dashboard](http://10.0.0.5:8787/status)" in raw
    at.run()
    assert asked == [12]  # the rerun showed the answer of a moment ago


def test_an_unreachable_scheduler_is_said_plainly(open_app, monkeypatch, fresh):
    address = "tcp://127.0.0.1:9"  # nothing listens there
    monkeypatch.setenv(cluster.SCHEDULER_VARIABLE, address)
    monkeypatch.setattr(job_queue, "_shared", JobQueue(JobLimits(1, None)))  # not made by asking it
    at = open_app()
    assert f"**Server** · Dask cluster {address}" in panel(at)
    assert "worker" not in panel(at)
    problem = shown(at.sidebar.warning[0].value)
    assert problem == f"The Dask scheduler at {address} did not answer within {cluster.CONNECT_SECONDS} s."


def test_a_malformed_scheduler_address_is_the_one_thing_the_app_shows(monkeypatch, fresh):
    monkeypatch.setenv(cluster.SCHEDULER_VARIABLE, "localhost:8786")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "MLCORE_DASK_SCHEDULER is 'localhost:8786', which is not a Dask scheduler's address. "
        "Write it as Dask prints it, such as tcp://10.0.0.5:8786, or leave it unset to work on this machine."
    ]
