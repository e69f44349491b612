"""The guard in a child process: runs announced as they start, progress per run,
the runs and the report sent back, and cancel/kill in guard mode."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np

from warmdesk.core.advisor import record_outcome
from warmdesk.core.engine import new_run, solve
from warmdesk.core.library import Library
from warmdesk.core.process import GuardedProcessSolve
from warmdesk.core.runs import Run
from warmdesk.core.warmstart import warm_start_from_run

from .factories import build, rosenbrock


def _harmful_setup(lib: Library):
    """A cold reference and a source from another basin (as in test_advisor):
    warm from it, the guard falls back to cold."""
    spec = rosenbrock("BFGS", n=6)
    cold_ref = solve(build(spec))
    lib.save_run(cold_ref)
    record_outcome(lib, cold_ref)
    local = copy.deepcopy(spec)
    local["variables"]["x"]["start"] = [-1.0, 1, 1, 1, 1, 1]
    harmful = solve(build(local))
    lib.save_run(harmful)
    record_outcome(lib, harmful)
    new = build(rosenbrock("BFGS", n=6, a=1.01))
    return new, warm_start_from_run(new, harmful)


def test_guarded_solve_in_a_child_returns_its_runs_and_report(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        problem, warm = _harmful_setup(lib)
        # a run of another (live) solve: the child must not mark it interrupted
        other = new_run(build(rosenbrock()))
        other.status = "running"
        lib.save_run(other)
        handle = GuardedProcessSolve(lib.folder, problem, warm)
        announced: list[Run] = []
        rows_per_run: dict[str, int] = {}

        def progress(run_id: str, rows: np.ndarray) -> None:
            rows_per_run[run_id] = rows_per_run.get(run_id, 0) + len(rows)

        events: list[tuple[str, Run]] = []

        def started(run: Run) -> None:
            announced.append(run)
            events.append(("start", run))

        def poll_until_done() -> None:
            deadline = time.monotonic() + 120
            while not handle.poll(0.1, progress, started,
                                  lambda run: events.append(("end", run))):
                assert time.monotonic() < deadline, "the guarded child did not finish"

        poll_until_done()
        kept = handle.run
        assert handle.done and handle.error is None
        report = handle.guard
        assert report is not None and report["action"] == "fell back to cold"
        assert len(handle.runs) == 2 and kept is not None and kept.id == report["cold_run"]
        warm_run, cold_run = handle.runs
        assert warm_run.id == report["warm_run"] and warm_run.warm is not None
        assert cold_run.warm is None and cold_run.status == "converged"
        # each run announced before it ran, with its warm info
        assert [r.id for r in announced] == [warm_run.id, cold_run.id]
        assert announced[0].warm is not None and announced[0].status == "running"
        assert announced[1].warm is None
        # progress carried each run's id, and every row arrived
        assert rows_per_run == {warm_run.id: len(warm_run.history),
                                cold_run.id: len(cold_run.history)}
        assert all(v > 0 for v in rows_per_run.values())
        # each run was sent back whole as it ended, the warm one before the cold one began
        order = [(what, run.id) for what, run in events]
        assert order == [("start", warm_run.id), ("end", warm_run.id),
                         ("start", cold_run.id), ("end", cold_run.id)]
        ended_warm = events[1][1]
        assert ended_warm.status not in ("queued", "running")
        assert len(ended_warm.history) == len(warm_run.history) > 0
        assert kept.info["guard"]["kept"] == cold_run.id
        # the parent saves them
        lib.save_runs(handle.runs)
        for run in handle.runs:
            record_outcome(lib, run)
        assert lib.get_run(cold_run.id).status == "converged"
        assert lib.get_meta(warm_run.id)["info"]["guard"]["action"] == "fell back to cold"
        assert lib.get_meta(other.id)["status"] == "running"


def _slow_warm(n: int = 30):
    slow = rosenbrock("Nelder-Mead", n=n, maxiter=10_000_000, maxfev=10_000_000,
                      xatol=1e-300, fatol=1e-300)
    source = solve(build(rosenbrock("Nelder-Mead", n=n, maxiter=40)))
    problem = build(slow)
    return problem, warm_start_from_run(problem, source)


def test_cancel_and_kill_in_guard_mode(tmp_path: Path) -> None:
    problem, warm = _slow_warm()
    with Library(tmp_path) as lib:
        handle = GuardedProcessSolve(lib.folder, problem, warm)
        seen: list[str] = []
        while not seen:
            assert not handle.poll(1.0, on_progress=lambda rid, rows: seen.append(rid))
        handle.cancel()
        run = handle.wait(timeout=60)
        assert run is not None and run.status == "cancelled" and run.id == seen[0]
        assert handle.guard is not None and handle.guard["reason"].startswith("no cold")

        handle = GuardedProcessSolve(lib.folder, problem, warm)
        started: list[Run] = []
        while not started:
            handle.poll(1.0, on_run=started.append)
        handle.poll(0.5)
        handle.kill()
        run = handle.wait(timeout=30)
        assert run is not None and run.id == started[0].id
        assert run.status == "cancelled" and "stopped" in run.message
        assert handle.guard is None and run.warm is not None


def test_interrupt_in_guard_mode_keeps_the_iterate(tmp_path: Path) -> None:
    problem, warm = _slow_warm(n=10)
    with Library(tmp_path) as lib:
        handle = GuardedProcessSolve(lib.folder, problem, warm)
        seen: list[int] = []
        while not seen:
            handle.poll(1.0, on_progress=lambda rid, rows: seen.append(len(rows)))
        handle.interrupt()
        run = handle.wait(timeout=60)
    assert run is not None and run.status == "interrupted" and run.usable
    assert run.info["guard"]["reason"].startswith("no cold")


def test_a_bad_library_folder_is_an_error_not_a_hang(tmp_path: Path) -> None:
    problem, warm = _slow_warm(n=4)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    handle = GuardedProcessSolve(blocker, problem, warm)
    assert handle.wait(timeout=60) is None
    assert handle.error is not None and "LibraryError" in handle.error and handle.runs == []
