"""``ode``: an initial-value problem integrated step by step with scipy's
OdeSolver classes (what solve_ivp uses inside), saving checkpoints.

Warm starts:
- ``checkpoint``: restart from a stored checkpoint's time, state and step size
  (a new integrator; works across sessions and processes).
- ``live_solver``: within one process, an interrupted integrator is kept in
  memory (a deep copy, never pickled, never written to disk) and continued
  exactly; the continuation ends bit-identical to an uninterrupted run.
The control is checked between steps, so an interrupt always leaves the
integrator at an accepted step.
"""

from __future__ import annotations

import copy
import functools
import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from scipy.integrate import DOP853, LSODA, RK45, OdeSolver

from .. import codegen
from ..errors import SolveFailed
from ..expression_tree import _EVAL_ERRORS
from ..problem_types import Problem
from .. import dual
from . import facts
from .base import Recorder, SolveContext, Stopped
from .ode_linalg import LeanBDF, LeanRadau
from ..status import Status

#: Radau and BDF: scipy's, their dense Newton systems solved by LAPACK directly
#: (:mod:`.ode_linalg`: the same steps, bit for bit, in ~3/4 of the time).
SOLVERS: dict[str, type[OdeSolver]] = {"RK45": RK45, "DOP853": DOP853, "Radau": LeanRadau,
                                       "BDF": LeanBDF, "LSODA": LSODA}
#: The method tables live in .facts (no scipy there: the kinds read them at start-up).
METHOD_FACTS = facts.ODE_METHOD_FACTS
PAYLOADS = facts.ODE_PAYLOADS
IMPLICIT_ODE_METHODS = facts.IMPLICIT_ODE_METHODS
IMPLICIT = IMPLICIT_ODE_METHODS
DEFAULT_MAX_STEPS = 200_000
LIVE_SOLVERS_KEPT = 8


class RightHandSide:
    """dy/dt from the problem's expressions. The recorder can be swapped, so an
    integrator kept in memory counts into the run that continues it."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.recorder: Recorder | None = None
        #: (t, dy/dt) of the last call, for :meth:`check_step`.
        self.last: tuple[float, np.ndarray] = (math.nan, np.zeros(0))
        self._generated: codegen.VectorProgram | None | bool = False   # False: not built yet

    @functools.cached_property
    def _np(self) -> list[tuple[str, int, Any]]:
        """The interpreted closures: made only when the generated code declines or
        raises (they give an error its position in the text)."""
        p = self.problem
        return [(v.name, v.size, p.rhs[v.name].compile(np)) for v in p.variables]

    @functools.cached_property
    def _dual(self) -> list[tuple[str, int, Any]]:
        p = self.problem
        return [(v.name, v.size, p.rhs[v.name].compile(dual.DUAL)) for v in p.variables]

    def _program(self, t: float, y: np.ndarray) -> codegen.VectorProgram | None:
        """dy/dt and its Jacobian as generated code (:mod:`warmdesk.core.codegen`), built
        at the first call; None keeps the closures below."""
        if self._generated is False:
            p = self.problem
            layout = codegen.layout_of(p.variables, p.parameters, time="t")
            self._generated = codegen.vector_program(
                [(p.rhs[v.name], v.size) for v in p.variables], layout, y, t)
        assert self._generated is not True
        return self._generated

    def _values(self, t: float, y: np.ndarray) -> np.ndarray:
        program = self._program(t, y)
        if program is not None:
            try:
                return program.value(t, y)
            except _EVAL_ERRORS:
                pass   # the closures below raise it with its position in the text
        env = self._env(t, y)
        return np.concatenate([np.broadcast_to(np.asarray(f(env), dtype=float), (size,))
                               for _, size, f in self._np])

    def _env(self, t: Any, y: Any) -> dict[str, Any]:
        env: dict[str, Any] = dict(self.problem.parameters)
        env.update(self.problem.split(y))
        env["t"] = t
        return env

    def __call__(self, t: float, y: np.ndarray) -> np.ndarray:
        dy = self._values(t, y)
        if self.recorder is not None:
            self.recorder.nfev += 1
        self.last = (t, dy)  # checked once per step (check_step), not on every call
        return dy

    def check_step(self, y: np.ndarray) -> float:
        """Fail at once when the step just taken ended non-finite, or its last
        right-hand side was. A non-finite value at a trial stage the integrator
        then rejects is not an error (it shrinks its step, as for any bad trial);
        one it accepts, or one that made it fail, ends the run. Screened by two dot
        products (a NaN or Inf anywhere makes them non-finite); only when they are
        (or overflow) is every value looked at (issue 16: once per step, cheaply).
        Returns ``y . y`` (the history's ``|y|`` squared, so it is computed once)."""
        t, dy = self.last
        yy = y.dot(y)
        if math.isfinite(dy.dot(dy) + yy):
            return yy
        if not (np.isfinite(dy).all() and np.isfinite(y).all()):
            raise SolveFailed(f"the right-hand side is not finite at t={t:.6g}")
        return yy   # finite values whose squares overflow

    def jacobian(self, t: float, y: np.ndarray) -> np.ndarray:
        """d(dy/dt)/dy, exact, in one vectorised forward pass."""
        y = np.asarray(y, dtype=float)
        program = self._program(t, y)
        if program is not None:
            try:
                jac = program.jacobian(t, y)
                if self.recorder is not None:
                    self.recorder.njev += 1
                return jac
            except _EVAL_ERRORS:
                pass
        env = self._env(t, dual.variables(y))
        blocks = [dual.jacobian_of(dual.add(f(env), np.zeros(size)), y.size, (size,))
                  for _, size, f in self._dual]
        if self.recorder is not None:
            self.recorder.njev += 1
        return np.vstack(blocks)


class _LiveSolvers:
    """Interrupted integrators of this process, by run id (bounded, in memory only)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[OdeSolver, RightHandSide, str]] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, run_id: str, solver: OdeSolver, rhs: RightHandSide, signature: str) -> None:
        with self._lock:
            self._items[run_id] = (copy.deepcopy(solver), rhs, signature)
            while len(self._items) > LIVE_SOLVERS_KEPT:
                self._items.popitem(last=False)

    def get(self, run_id: str, signature: str) -> tuple[OdeSolver, RightHandSide] | None:
        with self._lock:
            item = self._items.get(run_id)
        if item is None or item[2] != signature:
            return None
        return copy.deepcopy(item[0]), item[1]


LIVE_SOLVERS = _LiveSolvers()


def resume_signature(problem: Problem) -> str:
    """What must agree for an exact resume: the whole problem, numbers included."""
    return problem.content_hash()


def solve_ode(ctx: SolveContext) -> None:
    p, run, rec = ctx.problem, ctx.run, ctx.recorder
    t0, t1 = p.t_span
    opts = dict(p.options)
    max_steps = int(opts.pop("max_steps", DEFAULT_MAX_STEPS))
    solver, rhs = _start(ctx, opts)
    rhs.recorder = rec
    start_t = float(solver.t)
    ck_every = (t1 - t0) / p.checkpoints
    next_ck = t0 + ck_every * (math.floor((start_t - t0) / ck_every + 1e-9) + 1)
    cks: list[tuple[float, np.ndarray, float]] = []
    out_t = np.linspace(t0, t1, p.t_eval_points) if p.t_eval_points else np.zeros(0)
    out_t = out_t[out_t >= start_t - 1e-12 * max(1.0, abs(start_t))]
    out_y: list[np.ndarray] = []
    out_i = 0
    if out_t.size and abs(out_t[0] - start_t) <= 1e-12 * max(1.0, abs(start_t)):
        out_y.append(np.array(solver.y))
        out_i = 1
    # the per-step loop is kept lean (issue 16: recording < 5% of a bare solve): the
    # stop flags are polled as the recorder polls them, the next output time and
    # checkpoint are plain floats, and the step size is read only at a checkpoint
    stop_requested, step_row, check_step = rec.stop_requested, rec.step_row, rhs.check_step
    next_out = float(out_t[out_i]) if out_i < out_t.size else math.inf
    ck_due = next_ck - 1e-12 * max(1.0, abs(next_ck))
    try:
        while solver.status == "running":
            if stop_requested():
                rec.control.check()
            if rec.nit >= max_steps:
                raise SolveFailed(f"more than {max_steps} steps (options.max_steps)")
            t_old = solver.t
            try:
                message = solver.step()
            except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                check_step(solver.y)  # a non-finite right-hand side made it fail: say so
                raise
            y = solver.y
            yy = check_step(y)
            if solver.status == "failed":
                raise SolveFailed(f"the integrator failed at t={solver.t:.6g}: {message}")
            t = float(solver.t)
            step_row(abs(t - t_old), t, math.sqrt(yy))  # |y|, as norm()
            if next_out <= t:
                dense = solver.dense_output()
                hi = int(np.searchsorted(out_t, t, side="right"))
                out_y.extend(np.atleast_2d(dense(out_t[out_i:hi]).T))
                out_i = hi
                next_out = float(out_t[out_i]) if out_i < out_t.size else math.inf
            if t >= ck_due or solver.status == "finished":
                h = float(getattr(solver, "h_abs", abs(t - t_old)) or abs(t - t_old))
                cks.append((t, np.array(y), h))
                next_ck += ck_every * max(1, math.floor((t - next_ck) / ck_every) + 1)
                ck_due = next_ck - 1e-12 * max(1.0, abs(next_ck))
    except Stopped as stop:
        _finish(ctx, solver, cks, out_t[:len(out_y)], out_y, stop.status)
        if stop.status is Status.INTERRUPTED:
            LIVE_SOLVERS.keep(run.id, solver, rhs, resume_signature(p))
            run.info["live_solver"] = True
        return
    _finish(ctx, solver, cks, out_t[:len(out_y)], out_y, Status.CONVERGED)


def _start(ctx: SolveContext, opts: dict[str, Any]) -> tuple[OdeSolver, RightHandSide]:
    p, warm = ctx.problem, ctx.warm
    if warm is not None and warm.live_solver is not None:
        solver, rhs = warm.live_solver
        return solver, rhs
    rhs = RightHandSide(p)
    t0, t1 = p.t_span
    y0 = p.start_vector()
    if warm is not None and "checkpoint" in warm.state:
        ck = warm.state["checkpoint"]
        t0, y0 = float(ck[0]), np.asarray(ck[2:], dtype=float)
        if ck[1] > 0 and "first_step" not in opts:
            opts["first_step"] = min(float(ck[1]), t1 - t0)
    kwargs: dict[str, Any] = {k: v for k, v in opts.items()}
    if p.method in IMPLICIT:
        kwargs["jac"] = rhs.jacobian
    cls = SOLVERS[p.method]
    return cls(rhs, t0, y0, t1, **kwargs), rhs


def _finish(ctx: SolveContext, solver: OdeSolver, cks: list[tuple[float, np.ndarray, float]],
            out_t: np.ndarray, out_y: list[np.ndarray], status: Status) -> None:
    p, run, rec = ctx.problem, ctx.run, ctx.recorder
    run.status = status
    run.nfev, run.njev, run.nit = rec.nfev, rec.njev, rec.nit
    t = float(solver.t)
    if status is Status.CANCELLED:
        run.message = f"cancelled at t={t:.6g}"
        return
    h = float(getattr(solver, "h_abs", 0.0) or 0.0)
    if not cks or cks[-1][0] != t:
        cks.append((t, np.array(solver.y), h))
    run.solution = {k: np.array(v, dtype=float) for k, v in p.split(np.array(solver.y)).items()}
    run.state = {"checkpoint_t": np.array([c[0] for c in cks]),
                 "checkpoint_h": np.array([c[2] for c in cks]),
                 "checkpoint_y": np.stack([c[1] for c in cks])}
    run.outputs = {"t": np.asarray(out_t, dtype=float),
                   "y": np.asarray(out_y, dtype=float).reshape(len(out_y), p.size)}
    run.info["t_reached"] = t
    run.message = (f"integrated to t={t:.6g}" if status is Status.CONVERGED else
                   f"interrupted at t={t:.6g}; resume from its last checkpoint")
