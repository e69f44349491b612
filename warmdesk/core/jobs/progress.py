"""Progress rows batched per run: at most one batch per run every ``interval_s``.

A solver reports rows far more often than a window can draw them (a child
process streams a batch per ~50 ms per run, several runs at once); the app asks
for about 20 batches a second per run. Interval 0 passes every batch at once
(the command line's progress line)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def join_rows(blocks: list[np.ndarray]) -> np.ndarray:
    """Batches of history rows as one array (no copy for a single batch)."""
    return np.vstack(blocks) if len(blocks) > 1 else blocks[0]


class ProgressBatches:
    def __init__(self, interval_s: float, emit: Callable[[str, np.ndarray], None]) -> None:
        self._interval_s = interval_s
        self._emit = emit
        self._pending: dict[str, list[np.ndarray]] = {}
        self._last: dict[str, float] = {}

    def add(self, run_id: str, rows: np.ndarray) -> None:
        self._pending.setdefault(run_id, []).append(rows)
        self.flush(force=self._interval_s <= 0)

    def flush(self, force: bool) -> None:
        """Emit each run's pending rows that are due (all of them if ``force``)."""
        now = time.monotonic()
        for run_id, blocks in self._pending.items():
            if blocks and (force or now - self._last.get(run_id, 0.0) >= self._interval_s):
                self._pending[run_id] = []
                self._last[run_id] = now
                self._emit(run_id, join_rows(blocks))
