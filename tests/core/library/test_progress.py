"""Durable progress in the library: a running run's history appended in chunks
(never rewritten), its last iterate replaced, both readable from another
connection while it runs; the final save adds only the tail; recovery keeps
what was written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import new_run
from warmdesk.core.library import Library
from warmdesk.core.runs import HISTORY_COLUMNS, Run
from warmdesk.core.status import Status

from ..factories import build, rosenbrock

NCOL = len(HISTORY_COLUMNS)


def _rows(first: int, n: int) -> np.ndarray:
    rows = np.zeros((n, NCOL))
    rows[:, 0] = np.arange(first + 1, first + n + 1)        # iter
    rows[:, 1] = 3 * rows[:, 0]                             # nfev
    rows[:, 3] = rows[:, 0] * 1e-3                          # wall_s
    rows[:, 4] = 100.0 / rows[:, 0]                         # fun
    return rows


def _running(lib: Library) -> Run:
    run = new_run(build(rosenbrock(n=3)))
    run.status = Status.RUNNING
    lib.save_run(run)
    return run


def _history_parts(lib: Library, run_id: str) -> dict[str, int]:
    return {key: rowid for key, rowid in lib._sql.read(
        "SELECT key, rowid FROM arrays WHERE run_id=? AND key LIKE 'history%'", (run_id,))}


def test_rows_and_iterate_appear_from_another_connection(tmp_path: Path) -> None:
    with Library(tmp_path) as lib, Library(tmp_path, recover=False) as other:
        run = _running(lib)
        x = np.array([0.5, 0.25, 0.125])
        assert lib.append_progress(run.id, _rows(0, 40), {"solution/x": x, "state/x": x})
        seen = other.get_run(run.id)
        assert seen.status == "running" and len(seen.history) == 40
        np.testing.assert_array_equal(seen.solution["x"], x)
        before = _history_parts(lib, run.id)
        assert lib.append_progress(run.id, _rows(40, 25))
        after = _history_parts(lib, run.id)
        # only a new chunk: the parts written before are the same rows of the table
        assert {k: v for k, v in after.items() if k in before} == before
        assert len(after) == len(before) + 1
        np.testing.assert_array_equal(other.get_run(run.id).history.array,
                                      np.vstack([_rows(0, 40), _rows(40, 25)]))
        assert lib.check() == []


def test_the_final_save_adds_the_tail_only(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        run = _running(lib)
        for first in (0, 50):
            rows = _rows(first, 50)
            lib.append_progress(run.id, rows)
            run.history.extend(rows)
        kept = _history_parts(lib, run.id)
        run.history.extend(_rows(100, 7))
        run.status, run.nit = Status.INTERRUPTED, 107
        lib.save_run(run)
        parts = _history_parts(lib, run.id)
        assert {k: v for k, v in parts.items() if k in kept} == kept and len(parts) == 4
        stored = lib.get_run(run.id)
        np.testing.assert_array_equal(stored.history.array, run.history.array)
        lib.save_run(run)   # saving again (idempotent): the same history, nothing added
        np.testing.assert_array_equal(lib.get_run(run.id).history.array, run.history.array)
        assert lib.check() == []
        # a run whose history no longer starts with the stored rows is written whole
        other = Run.from_parts(run.to_dict(), {"history": _rows(0, 3) + 1.0})
        lib.save_run(other)
        np.testing.assert_array_equal(lib.get_run(run.id).history.array, _rows(0, 3) + 1.0)
        assert list(_history_parts(lib, run.id)) == ["history"]


def test_progress_only_for_a_live_run_this_library_owns(tmp_path: Path) -> None:
    with Library(tmp_path) as lib, Library(tmp_path, recover=False) as other:
        run = _running(lib)
        assert not other.append_progress(run.id, _rows(0, 5))   # not its run
        run.status = Status.CONVERGED
        lib.save_run(run)
        assert not lib.append_progress(run.id, _rows(0, 5))     # finished
        assert len(lib.get_run(run.id).history) == 0


@pytest.mark.parametrize("with_iterate", [True, False])
def test_recovery_keeps_the_progress_written(tmp_path: Path, with_iterate: bool) -> None:
    lib = Library(tmp_path)
    run = _running(lib)
    x = np.array([1.0, 2.0, 3.0])
    lib.append_progress(run.id, _rows(0, 30), {"solution/x": x, "state/x": x}
                        if with_iterate else None)
    lib.append_progress(run.id, _rows(30, 12))
    lib.close()                   # unfinished: given up, as a dead owner's
    with Library(tmp_path) as again:
        assert again.recovered == 1
        stored = again.get_run(run.id)
        assert stored.status == "interrupted" and len(stored.history) == 42
        assert (stored.nit, stored.nfev) == (42, 126) and stored.fun == pytest.approx(100 / 42)
        [summary] = again.query()
        assert summary["nfev"] == 126
        if with_iterate:
            assert stored.usable and "last saved iterate (126 evaluations)" in stored.message
            np.testing.assert_array_equal(stored.solution["x"], x)
        else:
            assert "only its progress up to then (42 iterations" in stored.message
        assert again.check() == []
