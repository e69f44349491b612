"""Where a WarmDesk solve spends its time, for ``bench_wall.py`` (not a benchmark).

One instrumented pass: the evaluator's methods and the Recorder's are wrapped
with timers (only the outermost call of each group is timed, so nested calls
are not counted twice), then restored. The timers add ~0.2 us a call, which
this breakdown carries and the timed runs of ``bench_wall`` do not.

The evaluator classes are looked up by name and skipped when absent, so the
breakdown keeps working while the evaluator is replaced (issue 16, item 1).
"""

from __future__ import annotations

import functools
import importlib
import time
from pathlib import Path
from typing import Any, Callable

from warmdesk.core.codegen import cache as codegen_cache
from warmdesk.core.engine import solve
from warmdesk.core.problems import problem_from_dict

#: (module, class, methods) timed as "eval": every way the engine evaluates a problem.
EVALUATORS = [
    ("warmdesk.core.solvers.compiled", "ScalarFunction", ("value", "value_and_grad", "hessp")),
    ("warmdesk.core.solvers.compiled", "VectorFunction", ("value", "jacobian")),
    ("warmdesk.core.solvers.train", "TrainObjective", ("value", "value_and_grad", "hessp")),
    ("warmdesk.core.solvers.ode", "RightHandSide", ("__call__", "jacobian")),
]
RECORDER = [("warmdesk.core.solvers.base", "Recorder", ("evaluation", "row", "flush"))]


def _builders() -> dict[str, Callable[[Any], Any]]:
    """The evaluator each kind builds before it solves, with its generated code (built
    at the first evaluation: one is made at the start), timed as "compile"."""
    from warmdesk.core.solvers import compiled, fit, ode, train

    def minimize(p: Any) -> None:
        f = compiled.ScalarFunction(p, p.objective)
        f.value_and_grad(p.start_vector())

    def least_squares(p: Any) -> None:
        rf = fit.residual_function(p)
        rf.value(p.start_vector())
        rf.jacobian(p.start_vector())

    def ivp(p: Any) -> None:
        rhs = ode.RightHandSide(p)
        rhs(p.t_span[0], p.start_vector())
        rhs.jacobian(p.t_span[0], p.start_vector())

    return {"minimize": minimize, "fit": least_squares, "train": train.TrainObjective,
            "ode": ivp}


class _Timers:
    def __init__(self) -> None:
        self.total: dict[str, float] = {}
        self._depth: dict[str, int] = {}
        self._saved: list[tuple[type, str, Any]] = []

    def wrap(self, group: str, targets: list[tuple[str, str, tuple[str, ...]]]) -> None:
        self.total.setdefault(group, 0.0)
        self._depth.setdefault(group, 0)
        for module, cls_name, methods in targets:
            cls = getattr(importlib.import_module(module), cls_name, None)
            for name in methods if cls is not None else ():
                original = cls.__dict__.get(name)
                if original is None:
                    continue
                self._saved.append((cls, name, original))
                setattr(cls, name, self._timed(group, original))

    def _timed(self, group: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        depth, total, clock = self._depth, self.total, time.perf_counter

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if depth[group]:
                return fn(*args, **kwargs)
            depth[group] = 1
            t = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                total[group] += clock() - t
                depth[group] = 0
        return timed

    def restore(self) -> None:
        for cls, name, original in reversed(self._saved):
            setattr(cls, name, original)
        self._saved.clear()


class Breakdown:
    COLUMNS = [("parse", "parse"), ("compile", "compile"), ("eval", "eval"),
               ("record", "record"), ("rest", "engine+scipy"), ("save", "save"),
               ("eval_pct", "eval %")]

    def __init__(self, **ms: float) -> None:
        self.ms = ms

    def row(self) -> dict[str, Any]:
        total = sum(v for k, v in self.ms.items() if k != "solve")
        return {**self.ms, "eval_pct": 100.0 * self.ms["eval"] / total if total else None}


def instrumented_solve(spec: dict[str, Any], folder: Path, lib: Any) -> Breakdown:
    clock = time.perf_counter
    t = clock()
    problem = problem_from_dict(spec, base_dir=folder)
    parse = clock() - t
    build = _builders().get(problem.kind)
    codegen_cache.clear()   # the build's own cost (a solve of this problem again finds it)
    t = clock()
    if build is not None:
        build(problem)
    compile_s = clock() - t if build is not None else 0.0
    fresh = problem_from_dict(spec, base_dir=folder)  # finds the programs built just now
    timers = _Timers()
    timers.wrap("eval", EVALUATORS)
    timers.wrap("record", RECORDER)
    try:
        t = clock()
        run = solve(fresh)
        solve_s = clock() - t
    finally:
        timers.restore()
    t = clock()
    lib.save_run(run)
    save = clock() - t
    ev, rec = timers.total["eval"], timers.total["record"]
    rest = max(solve_s - ev - rec, 0.0)
    return Breakdown(parse=parse * 1e3, compile=compile_s * 1e3, eval=ev * 1e3, record=rec * 1e3,
                     rest=rest * 1e3, save=save * 1e3)
