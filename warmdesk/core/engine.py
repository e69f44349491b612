"""The solve engine: one entry point for every kind, in the calling thread.

``solve`` never raises for a failing solve: solver exceptions and NaN/Inf end
the run ``failed`` with the message. It raises only for bad input
(:class:`SpecError`), before any work. :func:`check_solvable` makes the same
checks before a run record exists, so callers that store a run as it starts
(the CLI, the guard, the app's child processes) refuse bad input without
leaving a run behind. For a solve in a child process see
:mod:`warmdesk.core.process`.
"""

from __future__ import annotations

import math
import time
import traceback
import warnings
from typing import Any, Callable

import numpy as np

from .errors import SolveFailed, SpecError
from .kinds.registry import kind
from .problem_types import Problem
from .runs import Run, library_versions, new_run_id
from .solvers.base import (PROGRESS_INTERVAL_S, ProgressListener, Recorder, SolveContext,
                           SolveControl, WarmStart)
from .status import Status


def new_run(problem: Problem, warm: WarmStart | None = None, run_id: str | None = None) -> Run:
    """A queued run record for ``problem`` (nothing solved yet)."""
    run = Run(id=run_id or new_run_id(), name=problem.name, kind=problem.kind,
              method=problem.method, problem=problem.spec,
              problem_hash=problem.content_hash(), structure_hash=problem.structure_hash(),
              tags=list(problem.tags))
    run.info["layout"] = [[name, size] for name, size in problem.layout]
    # where its relative data paths point ("new problem from this run")
    if problem.base_dir is not None:
        run.info["base_dir"] = str(problem.base_dir)
    if problem.dataset is not None:  # for similarity between data sets
        run.info["data"] = {**problem.dataset.fingerprint, **problem.dataset.summary()}
    if warm is not None:
        run.warm = warm.provenance()
    run.versions = library_versions()
    return run


def check_solvable(problem: Problem, warm: WarmStart | None = None) -> None:
    """Raise :class:`SpecError` for input the solve would refuse at its start
    (today: an objective that is not one number at the start point), before
    any run is made. One evaluation of the objective."""
    kind(problem.kind).check_solvable(problem, warm)


def solve(problem: Problem, warm: WarmStart | None = None,
          control: SolveControl | None = None,
          on_progress: ProgressListener | None = None,
          run: Run | None = None, progress_interval: float = PROGRESS_INTERVAL_S) -> Run:
    """Solve ``problem`` (optionally warm-started) and return the finished run.

    ``on_progress(run_id, rows)`` receives new history rows at most every
    ``progress_interval`` seconds (0: after every iteration). If it also has a
    method ``iterate(run_id, x, fun)`` (a job runner saving durable progress),
    that is called before each batch whose rows brought a new iterate, with
    the last one (for kinds that keep their last iterate). If it has a method
    ``outputs(run_id, outputs, starts)``, that is called before a batch with
    the run's outputs the solver set or replaced since the last batch (live
    outputs: a network's per-epoch table, ``outputs["epochs"]``): a table that
    only grew goes as its new rows, ``starts[name]`` the index of the first
    (0: the whole value). Outputs set at the end come with the finished run.
    """
    run = run or new_run(problem, warm)
    control = control or SolveControl()
    live = [True]     # outputs set from now until the solver returns are live ones
    recorder = Recorder(run, control, _with_outputs(
        _with_iterates(on_progress, problem, lambda: recorder), on_progress, run, live),
        progress_interval)
    run.status = Status.RUNNING
    run.started_at = time.time()
    ctx = SolveContext(problem, run, recorder, warm)
    caught = WarningLog()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("always")
            warnings.showwarning = caught.showwarning
            kind(problem.kind).solve(ctx)  # the kind's solver adapter
    except SpecError:
        raise
    except SolveFailed as exc:
        _failed(run, recorder, str(exc), problem)
    except Exception as exc:  # noqa: BLE001 - any solver error ends the run, never the app
        _failed(run, recorder, f"{type(exc).__name__}: {exc}", problem)
        run.info["traceback"] = traceback.format_exc(limit=8)[-4000:]
    live[0] = False
    _keep_warnings(run, caught)
    recorder.flush()
    run.finished_at = time.time()
    run.wall_s = recorder.elapsed()
    if run.fun is not None and not np.isfinite(run.fun):
        _failed(run, recorder, f"the final objective is {run.fun}", problem)
    return run


def _with_iterates(on_progress: ProgressListener | None, problem: Problem,
                   recorder: Callable[[], Recorder]) -> ProgressListener | None:
    """``on_progress``, passing each batch's last iterate to its ``iterate``
    method first (when it has one); the iterate is the recorder's own copy."""
    sink = getattr(on_progress, "iterate", None)
    if on_progress is None or sink is None or not kind(problem.kind).keeps_last_iterate:
        return on_progress
    listener = on_progress
    sent: list[np.ndarray | None] = [None]

    def forward(run_id: str, rows: np.ndarray) -> None:
        x = recorder().last_x
        if x is not None and x is not sent[0]:
            sent[0] = x
            sink(run_id, x, recorder().last_fun)
        listener(run_id, rows)
    return forward


def _with_outputs(listener: ProgressListener | None, on_progress: ProgressListener | None,
                  run: Run, live: list[bool]) -> ProgressListener | None:
    """``listener``, first passing the outputs set or replaced since the last
    batch to ``on_progress.outputs`` (when it has one; see :func:`solve`). An
    output is sent again only when the solver assigned a new object to it;
    a table whose rows sent before are unchanged sends only its new rows."""
    sink = getattr(on_progress, "outputs", None)
    if listener is None or sink is None:
        return listener
    forward_rows = listener
    sent: dict[str, Any] = {}

    def forward(run_id: str, rows: np.ndarray) -> None:
        if live[0]:
            changed, starts = {}, {}
            for name, value in run.outputs.items():
                if sent.get(name) is not value:
                    start = _grown_from(sent.get(name), value)
                    sent[name] = value
                    changed[name], starts[name] = (value[start:] if start else value), start
            if changed:
                sink(run_id, changed, starts)
        forward_rows(run_id, rows)
    return forward


def _grown_from(old: Any, new: Any) -> int:
    """How many leading rows of table ``new`` are ``old`` exactly (0: none, or
    not tables)."""
    if not (isinstance(old, np.ndarray) and isinstance(new, np.ndarray)
            and old.ndim == new.ndim == 2 and old.shape[1] == new.shape[1]
            and 0 < old.shape[0] <= new.shape[0]):
        return 0
    return old.shape[0] if np.array_equal(old, new[:old.shape[0]], equal_nan=True) else 0


class WarningLog:
    """Solver warnings, each distinct one kept once with its count: a warning
    repeated at every one of a million evaluations costs a counter, not a list."""

    MAX_DISTINCT = 10

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def showwarning(self, message: Warning | str, category: type[Warning], filename: str,
                    lineno: int, file: Any = None, line: str | None = None) -> None:
        key = f"{category.__name__}: {message}"
        if key in self.counts:
            self.counts[key] += 1
        elif len(self.counts) < self.MAX_DISTINCT:
            self.counts[key] = 1

    def lines(self) -> list[str]:
        return [key if n == 1 else f"{key} ({n} times)" for key, n in self.counts.items()]


def _keep_warnings(run: Run, caught: WarningLog) -> None:
    """Solver warnings go into the run (deduplicated), not onto the terminal."""
    if caught.counts:
        run.info["warnings"] = caught.lines()


def _failed(run: Run, recorder: Recorder, message: str, problem: Problem) -> None:
    """End ``run`` failed. Work done is not thrown away: the last iterate the
    solver accepted (with a finite objective) stays the run's solution, a
    usable warm-start source (``info.kept_iterate``; see ``runs.is_usable``)."""
    run.status = Status.FAILED
    run.message = message
    run.nfev, run.njev, run.nit = recorder.nfev, recorder.njev, recorder.nit
    run.solution, run.state, run.fun = {}, {}, None
    x, fun = recorder.last_x, recorder.last_fun
    if (x is None or not kind(problem.kind).keeps_last_iterate or not math.isfinite(fun)
            or not np.all(np.isfinite(x))):
        return
    run.solution = {k: np.array(v, dtype=float) for k, v in problem.split(x).items()}
    run.state = {"x": np.array(x, dtype=float)}
    run.fun = float(fun)
    run.info["kept_iterate"] = {"fun": float(fun), "nit": recorder.nit}
    run.message = (f"{message}; the last iterate (f={fun:.6g}) is kept and can seed a "
                   "warm start")
