"""One solve whose run is announced as it starts and as it ends: how both guards
(:mod:`.guard`, :mod:`.training_guard`) run each of their solves, so the caller
saves each run as soon as it ends (a crash during a later cold run loses
neither the earlier run's history nor the record of it)."""

from __future__ import annotations

import time
from typing import Callable

from ..engine import new_run, solve
from ..problems import Problem
from ..runs import Run
from ..solvers.base import ProgressListener, SolveControl, WarmStart
from ..status import Status

#: Called with a run as it starts or ends (None: nobody listens).
RunHook = Callable[[Run], None] | None


def solve_announced(problem: Problem, warm: WarmStart | None, control: SolveControl,
                    on_progress: ProgressListener | None,
                    hooks: tuple[RunHook, RunHook]) -> Run:
    """One solve; the first hook sees the run record (status running) first, the
    second the finished run (before the guard decides, and before any cold run)."""
    on_run_start, on_run_end = hooks
    run = new_run(problem, warm)
    run.status, run.started_at = Status.RUNNING, time.time()
    if on_run_start is not None:
        on_run_start(run)
    run = solve(problem, warm, control, on_progress, run=run)
    if on_run_end is not None:
        on_run_end(run)
    return run
