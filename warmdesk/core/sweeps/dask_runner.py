"""Run a sweep's chains on a Dask ``distributed`` cluster: one task per chain.

By default WarmDesk starts a ``LocalCluster`` of worker *processes* (one per
core, one thread each, BLAS pinned to one thread, each worker at a lower CPU
priority); ``scheduler="tcp://host:8786"`` uses a running cluster instead
(its workers need WarmDesk installed, the same version). Dask is imported
here only, when a sweep runs on it: the app and ``warmdesk solve`` never pay
for it.

Progress streams back as points finish (:mod:`.remote`: a queue on the
scheduler, drained by the client every ``POLL_S``). Cancel sets an event the
chains read between evaluations; what finished is delivered, then the tasks
are cancelled. A lost worker's chain is run again by the scheduler and resumes
after its last finished point.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from typing import Any

from ..errors import WarmDeskError
from . import remote
from .chain import ChainTask
from .executors import PointCallback

POLL_S = 0.05
#: After a cancel, how long the chains have to stop before their tasks are cancelled.
CANCEL_GRACE_S = 10.0
#: Niceness of the worker processes of a LocalCluster (the machine stays usable).
WORKER_NICE = 10
_ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


class ClusterError(WarmDeskError):
    """The Dask cluster cannot be started or reached (``no_dask``: Dask is not
    installed, as in the frozen app)."""

    def __init__(self, message: str, no_dask: bool = False) -> None:
        super().__init__(message)
        self.no_dask = no_dask


class DaskExecutor:
    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 timeout: float = 30.0) -> None:
        try:
            import distributed
        except ImportError as exc:  # a frozen app built without it, a trimmed install
            raise ClusterError("sweeps on a cluster need dask[distributed] "
                               "(pip install 'dask[distributed]'); --workers 0 runs "
                               "in this process", no_dask=True) from exc
        self.cluster: Any = None
        self.nice = 0
        try:
            if scheduler:
                self.client = distributed.Client(scheduler, timeout=timeout)
                self.where = scheduler
            else:
                n = workers or os.cpu_count() or 1
                self.cluster = distributed.LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR, env=dict(_ONE_THREAD))
                self.client = distributed.Client(self.cluster, timeout=timeout)
                self.nice = WORKER_NICE
                self.where = f"a local Dask cluster of {n} worker processes"
        except (OSError, TimeoutError, RuntimeError) as exc:
            self.close()
            raise ClusterError(f"cannot reach the Dask scheduler {scheduler}: {exc}"
                               if scheduler else f"cannot start a local Dask cluster: {exc}"
                               ) from exc

    @property
    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def run(self, tasks: list[ChainTask], on_point: PointCallback,
            cancel: threading.Event) -> list[str]:
        from distributed import Event, Queue, Variable

        key = uuid.uuid4().hex[:12]
        where = remote.names(key)
        queue = Queue(where["queue"], client=self.client)
        stop = Event(where["cancel"], client=self.client)
        states = [Variable(remote.names(key, t.chain)["state"], client=self.client)
                  for t in tasks]
        for state in states:
            state.set({"done": [], "trail": [], "last": None})
        futures = [self.client.submit(remote.run_chain, t.to_dict(), key, self.nice,
                                      pure=False, key=f"warmdesk-chain-{key}-{t.chain}")
                   for t in tasks]
        deadline = None
        try:
            while True:
                for message in queue.get(batch=True):
                    on_point(message)
                if all(f.done() for f in futures):
                    break
                if cancel.is_set() and deadline is None:
                    stop.set()
                    deadline = time.monotonic() + CANCEL_GRACE_S
                if deadline is not None and time.monotonic() > deadline:
                    break
                time.sleep(POLL_S)
            for message in queue.get(batch=True):   # what came with the last futures
                on_point(message)
            return [f"chain {t.chain}: {_error(f)}" for t, f in zip(tasks, futures)
                    if f.status == "error"]
        finally:
            self.client.cancel([f for f in futures if not f.done()])
            for state in states:
                state.delete()

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def _error(future: Any) -> str:
    exc = future.exception(timeout=5)
    return f"{type(exc).__name__}: {exc}"

