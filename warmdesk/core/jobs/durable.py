"""Durable progress: what a job's running runs have done, written to the library
about once a second, so that a kill of the process loses at most that much.

The runner hands every progress batch it receives (from the solve here, or
from the child's pipe) and each new last iterate to :class:`DurableProgress`,
in the thread that owns the library writes; :meth:`DurableProgress.flush`
writes, per run, the rows that arrived since the last write and the latest
iterate, in one short transaction each (``Library.append_progress``: only the
new rows, never the whole history). The interval is 0.9 s, not 1 s: rows reach
the runner in batches every 50 ms, so a kill loses less than one second of
them. The final save of a run then only adds the rows after the last write
(the stop latency does not grow with the history's length).

A progress save that fails (a full disk) stops nothing: its rows stay pending
and are tried again at the next turn; the final save decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import WarmDeskError
from ..library import Library
from ..problem_types import Problem
from .progress import join_rows

#: How often a running run's progress is written (at most, and at least while rows come).
DURABLE_INTERVAL_S = 0.9


class DurableProgress:
    """Rows and iterates received, written to the library at most every ``interval_s``."""

    def __init__(self, library: Library, problem: Problem,
                 interval_s: float = DURABLE_INTERVAL_S) -> None:
        self._library = library
        self._problem = problem
        self._interval_s = interval_s
        self._rows: dict[str, list[np.ndarray]] = {}
        self._iterates: dict[str, np.ndarray] = {}
        self._last = time.monotonic()
        #: Transactions written and the time they took (the benchmark reads them).
        self.writes = 0
        self.rows_written = 0
        self.write_s = 0.0
        self.failures = 0

    def add(self, run_id: str, rows: np.ndarray) -> None:
        self._rows.setdefault(run_id, []).append(rows)

    def iterate(self, run_id: str, x: np.ndarray, fun: float) -> None:
        """The run's last iterate so far (the array is not copied: the solve
        records a new one each time)."""
        self._iterates[run_id] = x

    def forget(self, run_id: str) -> None:
        """The run was saved finished: its pending progress is in that save."""
        self._rows.pop(run_id, None)
        self._iterates.pop(run_id, None)

    def due(self) -> bool:
        return time.monotonic() - self._last >= self._interval_s

    def flush(self, force: bool = False) -> None:
        """Write what is pending, if the interval has passed (or ``force``)."""
        if not force and not self.due():
            return
        self._last = time.monotonic()
        for run_id in list(dict.fromkeys([*self._rows, *self._iterates])):
            blocks = self._rows.get(run_id, [])
            rows = join_rows(blocks) if blocks else np.empty((0, 0))
            x = self._iterates.get(run_id)
            arrays = self._iterate_arrays(x) if x is not None else None
            t0 = time.perf_counter()
            try:
                self._library.append_progress(run_id, rows, arrays)
            except WarmDeskError:
                self.failures += 1
                continue        # pending still: tried again at the next turn
            self.writes += 1
            self.rows_written += len(rows)
            self.write_s += time.perf_counter() - t0
            # written, or not a live run of this library: nothing to keep for it
            self._rows.pop(run_id, None)
            self._iterates.pop(run_id, None)

    def _iterate_arrays(self, x: np.ndarray) -> dict[str, np.ndarray] | None:
        """A run's last iterate as the arrays a finished run stores: the
        solution by variable and the state's ``x``."""
        try:
            parts = self._problem.split(x)
        except (ValueError, IndexError):
            return None      # not this problem's vector (cannot happen): rows only
        return {**{f"solution/{k}": np.array(v, dtype=float) for k, v in parts.items()},
                "state/x": np.array(x, dtype=float)}


class ProgressSink:
    """The progress listener a job's solve reports to: each batch goes to the
    window's batches and to durable progress, and each new last iterate to
    durable progress (``engine.solve`` calls :meth:`iterate`; so does
    ``core.process`` for a child's)."""

    def __init__(self, durable: DurableProgress,
                 batches: Callable[[str, np.ndarray], None],
                 outputs: Callable[[str, dict[str, Any], dict[str, int]], None] | None = None
                 ) -> None:
        self._durable = durable
        self._batches = batches
        self._outputs = outputs

    def outputs(self, run_id: str, outputs: dict[str, Any], starts: dict[str, int]) -> None:
        """A run's live outputs (see ``engine.solve``): to the window only."""
        if self._outputs is not None:
            self._outputs(run_id, outputs, starts)

    def __call__(self, run_id: str, rows: np.ndarray) -> None:
        self._durable.add(run_id, rows)
        self._batches(run_id, rows)
        self._durable.flush()

    def iterate(self, run_id: str, x: np.ndarray, fun: float) -> None:
        self._durable.iterate(run_id, x, fun)
