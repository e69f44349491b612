"""Progress batches (core/jobs/progress.py): the app's ~20 batches a second per
run, the command line's every batch, and nothing lost at the end."""

from __future__ import annotations

import numpy as np

from warmdesk.core.jobs.progress import ProgressBatches


def _rows(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=float).reshape(n, 1)


def test_batches_within_the_interval_wait_and_are_joined_in_order() -> None:
    emitted: list[tuple[str, np.ndarray]] = []
    batches = ProgressBatches(3600.0, lambda run_id, rows: emitted.append((run_id, rows)))
    batches.add("a", _rows(0, 2))          # the first batch of a run goes at once
    batches.add("a", _rows(2, 3))          # then they wait for the interval
    batches.add("a", _rows(5, 1))
    batches.add("b", _rows(0, 1))          # each run has its own interval
    assert [(r, len(rows)) for r, rows in emitted] == [("a", 2), ("b", 1)]
    batches.flush(force=False)
    assert len(emitted) == 2
    batches.flush(force=True)              # the end: everything pending, joined
    assert emitted[-1][0] == "a" and emitted[-1][1][:, 0].tolist() == [2, 3, 4, 5]
    batches.flush(force=True)              # nothing twice
    assert len(emitted) == 3


def test_interval_zero_passes_every_batch() -> None:
    emitted: list[int] = []
    batches = ProgressBatches(0.0, lambda run_id, rows: emitted.append(len(rows)))
    for n in (1, 2, 3):
        batches.add("a", _rows(0, n))
    assert emitted == [1, 2, 3]
