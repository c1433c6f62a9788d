"""A job's function as a task on the configured Dask cluster, read by `mlcore.compute.jobs.Job` the way it
reads a worker process on this machine: the events it reports, how it ended, and an end on demand.

The task reports through a `distributed.Queue` named for it, so progress on the page looks the same
as local. Its large arguments (the dataset of a training request) go to the cluster once for all the
jobs that send them, so the models of one compare-all share them. Stop cancels the task: one not
started never runs, and one running is abandoned (Dask cannot interrupt a thread), its result never
read. A worker lost mid-task is Dask's to handle: the scheduler runs the task again on another worker
(up to its `allowed-failures`), and the results already read are kept by the job.

Inputs are tasks (`job_input`) rather than scattered data: the scheduler keeps each one's value in
its spec and computes it again when the worker holding it is lost. Scattered data has no such
recipe, and Dask's memory manager keeps a single copy of it, so losing that worker lost the input
of every job still to run.
"""

from __future__ import annotations

import pickle
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from typing import Any

from dask.base import tokenize
from distributed import Client, Future, Queue, get_worker, worker_client

from mlcore.compute import cluster
from mlcore.compute.jobs import Message, outcome, plain

ASK_SECONDS = 0.5  # the least time between two asks for a running task's events
PARTS_FIRST = 1  # the priority of a job's parts (Dask's default is 0)
# Sent inline with the task: small values, and containers (Dask would look inside them for futures).
_INLINE = (bool, int, float, str, bytes, type(None), list, tuple, dict)


def run_task(events: str, fn: Callable[..., Any], kwargs: dict, *args: Any) -> Message:
    """The task itself, on a worker: `fn` with a `report` that puts its events on the queue `events`."""
    queue = Queue(events)
    return outcome(fn, queue.put, args, kwargs)


def job_input(value: Any) -> Any:
    """The task that holds a job's input: it gives back the value it was sent with."""
    return value


def _as_task(client: Client, value: Any, **submit: Any) -> Future:
    """`value` as a `job_input` task (see the module's docstring); `submit` as `Client.submit` takes."""
    with warnings.catch_warnings():  # a table is meant to travel inside this one task's spec
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        return client.submit(job_input, value, pure=False, **submit)


_inputs: dict[str, tuple[Future, int]] = {}  # content token -> the input on the cluster, its users
_inputs_lock = threading.Lock()


def _share(client: Client, value: Any) -> tuple[str, Future]:
    """`value` on the cluster once however many jobs send it: the models of one compare-all share
    their training request. It is sent again only once no job holds it."""
    token = f"{client.scheduler.address}/{tokenize(value)}"  # futures belong to one cluster
    with _inputs_lock:
        future, users = _inputs.get(token) or (_as_task(client, value), 0)
        _inputs[token] = (future, users + 1)
        return token, future


def _unshare(token: str) -> None:
    """One job less needs the value: the last one lets the cluster forget it."""
    with _inputs_lock:
        future, users = _inputs[token]
        if users > 1:
            _inputs[token] = (future, users - 1)
        else:
            del _inputs[token]


class ClusterTask:
    """One job's task on the cluster."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        client = cluster.client()
        name = f"{getattr(fn, '__name__', 'job')}-{uuid.uuid4().hex}"
        self._events = Queue(f"events-{name}", client=client)
        self._asked = 0.0  # when the scheduler was last asked for events (time.monotonic)
        self._shared: list[tuple[str, Future]] = []
        try:
            self._shared.extend(_share(client, arg) for arg in args if not isinstance(arg, _INLINE))
            sent = iter(future for _, future in self._shared)
            shipped = [arg if isinstance(arg, _INLINE) else next(sent) for arg in args]
            self._future = client.submit(
                run_task, self._events.name, fn, kwargs, *shipped, key=name, pure=False
            )
        except (TypeError, pickle.PicklingError) as error:  # an argument that cannot travel (a lock)
            self._release()
            raise cluster.ClusterError(
                "The job's inputs could not be sent to the Dask cluster.",
                f"This job cannot run there; unset {cluster.SCHEDULER_VARIABLE} to run it on this machine.",
            ) from error
        except BaseException:  # not sent (a lost scheduler): hold nothing
            self._release()
            raise

    def messages(self) -> list[Message]:
        """The events reported since the last look, then how the task ended once it has. While it
        runs, the scheduler is asked at most every `ASK_SECONDS`: a page, the server's queue and a
        waiting command all poll, and each ask is a round trip that takes the workers' cores."""
        ended = self._future.done()  # looked at first: every event of a finished task is queued by then
        now = time.monotonic()
        if not ended and now - self._asked < ASK_SECONDS:
            return []
        self._asked = now
        found: list[Message] = [("event", event) for event in self._events.get(batch=True)]
        if ended:
            found.append(self._ending())
        return found

    def _ending(self) -> Message:
        try:
            return self._future.result()
        except CancelledError:
            return "error", plain("The cluster cancelled the job.", "Start it again.")
        except Exception as error:  # lost workers (KilledWorker), a scheduler that went away
            return "error", plain(
                f"The cluster could not finish the job: {type(error).__name__}: {error}",
                "The workers running it were lost; check the cluster (its dashboard or logs) and "
                "start it again.",
            )

    @property
    def alive(self) -> bool:
        return not self._future.done()

    def died(self) -> dict[str, str]:
        """Never needed: a task that is done always says how it ended (`messages`)."""
        return plain("The cluster task ended without a word.", "Start it again.")

    def end(self) -> None:
        """Cancel the task (abandoned if it runs) and let go of what it held."""
        self._future.cancel()
        self._release()

    def _release(self) -> None:
        """Let go of the event queue and of the shared inputs."""
        self._events.close()
        for token, _ in self._shared:
            _unshare(token)
        self._shared.clear()


def fan_out(fn: Callable[..., Any], count: int, *shared: Any) -> Iterator[Any]:
    """`fn(i, *shared)` for i in range(count), each a task of its own, from inside a cluster task;
    the results in order, each as soon as it and those before it are done.

    The waiting task leaves its worker's thread pool meanwhile (`worker_client` secedes), so the
    parts may run on its own worker too. Their inputs are `job_input` tasks, computed on this worker:
    a lost worker costs only the parts it ran, run again; losing this one reruns the whole task.
    Closing the iterator early (a time budget ran out) cancels the parts not yet read.
    """
    here = [get_worker().address]
    with worker_client() as client:
        sent = [
            arg if isinstance(arg, _INLINE) else _as_task(client, arg, workers=here, priority=PARTS_FIRST)
            for arg in shared
        ]
        # Before any job still waiting: a started job finishes first, as on this machine, instead of
        # every job starting and the slowest one's last part running alone at the end.
        parts = [client.submit(fn, i, *sent, pure=False, priority=PARTS_FIRST) for i in range(count)]
        try:
            for part in parts:
                yield part.result()
        finally:
            client.cancel([part for part in parts if not part.done()])
