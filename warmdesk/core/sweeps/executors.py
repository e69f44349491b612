"""Where a sweep's chains run. :class:`InlineExecutor` solves them one after
another in this thread (``--workers 0``; tests, benchmarks of evaluations);
:class:`warmdesk.core.sweeps.dask_runner.DaskExecutor` on a Dask cluster.
Both call ``on_point`` in the calling thread with each finished point as
plain data, and stop when ``cancel`` is set."""

from __future__ import annotations

import threading
from typing import Any, Callable, Protocol

from .chain import ChainSolver, ChainTask

PointCallback = Callable[[dict[str, Any]], None]


class Executor(Protocol):
    @property
    def workers(self) -> int: ...

    def run(self, tasks: list[ChainTask], on_point: PointCallback,
            cancel: threading.Event) -> list[str]:
        """Run every chain; the errors of chains that broke (empty: none)."""
        ...

    def close(self) -> None: ...


class InlineExecutor:
    workers = 1
    where = "this process"

    def run(self, tasks: list[ChainTask], on_point: PointCallback,
            cancel: threading.Event) -> list[str]:
        for task in tasks:
            if cancel.is_set():
                break
            ChainSolver(task, cancel).run(on_point)
        return []

    def close(self) -> None:
        pass
