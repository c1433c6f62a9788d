"""A job's function as a task on the configured Dask cluster, read by `mlcore.jobs.Job` the way it
reads a worker process on this machine: the events it reports, how it ended, and an end on demand.

The task reports through a `distributed.Queue` named for it, so progress on the page looks the same
as local. Its large arguments (the dataset of a training request) are scattered to every worker once,
keyed by a hash of their content, so the models of one compare-all share them and a lost worker
loses no input. Stop cancels the
task: one not started never runs, and one running is abandoned (Dask cannot interrupt a thread), its
result never read. A worker lost mid-task is Dask's to handle: the scheduler runs the task again on
another worker (up to its `allowed-failures`), and the results already read are kept by the job.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any

from distributed import Queue

from mlcore import cluster
from mlcore.jobs import Message, outcome, plain

# Sent inline with the task, not scattered: small values, and containers (Dask would scatter each item).
_INLINE = (bool, int, float, str, bytes, type(None), list, tuple, dict)


def run_task(events: str, fn: Callable[..., Any], kwargs: dict, *args: Any) -> Message:
    """The task itself, on a worker: `fn` with a `report` that puts its events on the queue `events`."""
    queue = Queue(events)
    return outcome(fn, queue.put, args, kwargs)


class ClusterTask:
    """One job's task on the cluster."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        client = cluster.client()
        name = f"{getattr(fn, '__name__', 'job')}-{uuid.uuid4().hex}"
        self._events = Queue(f"events-{name}", client=client)
        # A copy on every worker, so losing one loses no input; held until the end, as a shared key's
        # data lives while any task still needs it.
        self._sent = [
            arg if isinstance(arg, _INLINE) else client.scatter(arg, hash=True, broadcast=True)
            for arg in args
        ]
        self._future = client.submit(
            run_task, self._events.name, fn, kwargs, *self._sent, key=name, pure=False
        )

    def messages(self) -> list[Message]:
        """The events reported since the last look, then how the task ended once it has."""
        ended = self._future.done()  # looked at first: every event of a finished task is queued by then
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
        """Cancel the task (abandoned if it runs) and let go of its event queue."""
        self._future.cancel()
        self._events.close()
        self._sent.clear()
