"""``minimize`` (and the optimiser behind ``train``): scipy.optimize.minimize
with exact gradients, a per-iteration history, and warm-start payloads (what each
method takes from an earlier run and leaves for the next: :mod:`.minimize_payload`;
the scaled start of L-BFGS-B and CG: :mod:`.curvature`).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Callable

import numpy as np
from scipy import optimize

from ..errors import SolveFailed
from ..method_facts import NO_BOUNDS, methods_with
from .base import Recorder, SolveContext, Stopped
from .minimize_payload import MATRIX_STATE_MAX_N, apply_payload, state_after
from . import curvature, facts, stationarity
from .compiled import ScalarFunction, ScalarObjective, expression_vector
from .noise_floor import (DEFAULT_C2, DEFAULT_GTOL, MAX_STEPS_TAKEN, AcceptedAtNoise,
                          NoiseFloorRule, StepAtNoise)
from .noise_floor import METHODS as NOISE_FLOOR_METHODS
from ..status import Status

#: The method tables live in .facts (no scipy there: the kinds read them at start-up).
METHOD_FACTS = facts.MINIMIZE_METHOD_FACTS
PAYLOADS = facts.MINIMIZE_PAYLOADS
NOT_REUSED = facts.NOT_REUSED
GRADIENT_METHODS = methods_with(METHOD_FACTS, gradient=True)


class _Objective:
    """Counts evaluations, checks control and finiteness, remembers the last few
    gradients and their norms. Kept lean: it runs on every evaluation."""

    __slots__ = ("ctx", "fn", "rec", "_norms", "last_f", "replay", "rule")

    def __init__(self, ctx: SolveContext, fn: ScalarObjective) -> None:
        self.ctx = ctx
        self.fn = fn
        self.rec = ctx.recorder
        #: the last few evaluations (x bytes, |g|, g): a bounded deque drops the oldest
        self._norms: deque[tuple[bytes, float, np.ndarray]] = deque(maxlen=4)
        self.last_f = math.nan
        self.rule: NoiseFloorRule | None = None
        #: (x bytes, f, g) of an evaluation made already, returned (not counted)
        #: when scipy, restarted there, asks for it first.
        self.replay: tuple[bytes, float, np.ndarray] | None = None

    def value(self, x: np.ndarray) -> float:
        f = self.fn.value(x)
        self.rec.evaluation(f)
        self.last_f = f
        return f

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        if self.replay is not None:
            key, f, g = self.replay
            self.replay = None
            if key == x.tobytes():
                return f, g
        f, g = self.fn.value_and_grad(x)
        rec = self.rec
        rec.njev += 1
        rec.evaluation(f)
        gsq = g.dot(g)   # (faster than @ on a vector); a numpy float math takes as it is
        if not math.isfinite(gsq):  # NaN or Inf anywhere in g makes the sum non-finite
            raise SolveFailed(f"the gradient holds NaN or Inf at evaluation {rec.nfev}")
        self.last_f = f
        self._norms.append((x.tobytes(), math.sqrt(gsq), g))
        rule = self.rule
        # the rule's cheap screen: past it, evaluated() can end the solve only when
        # max|g| <= gtol (so |g|^2 <= n gtol^2) or when it may take a refused step
        if rule is not None and f <= rule.bound and (
                gsq <= rule.gsq_limit or (f >= rule.floor and rule.continue_steps)):
            rule.evaluated(x, f, g)
        return f, g

    def hessp(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        rec = self.rec   # many a CG iteration: the recorder's cheap poll, as for f
        if rec.stop_requested():
            rec.control.check()
        return self.fn.hessp(x, p)

    def seen(self, x: np.ndarray) -> tuple[bytes, float, np.ndarray] | None:
        """``(x bytes, |g|, g)`` of one of the last few evaluations made at ``x``."""
        key = x.tobytes()
        for entry in reversed(self._norms):
            if entry[0] == key:
                return entry
        return None


Record = Callable[..., bool]


def _recorder(obj: _Objective, rule: NoiseFloorRule | None,
              violation: Callable[[np.ndarray], float] | None, has_gradient: bool,
              reports: bool) -> Record:
    """``record(x, fun, result=None)``: one history row per iteration; True when the
    noise-floor rule says scipy will stall from here. It runs 1,000s of times, so
    the common case (no rule, no constraints, no trust-constr figures) is its own
    short function (issue 16: recording < 5% of a bare solve)."""
    rec = obj.rec
    iterate = rec.iterate
    nan = math.nan
    if rule is None and violation is None and not reports:
        if not has_gradient:
            def plain(x: np.ndarray, fun: float, result: Any = None) -> bool:
                iterate(x, float(fun))
                return False
            return plain

        def with_norm(x: np.ndarray, fun: float, result: Any = None) -> bool:
            seen = obj.seen(x)
            iterate(x, float(fun), seen[1] if seen is not None else nan)
            return False
        return with_norm

    if rule is not None and violation is None and not reports:   # BFGS, CG
        watch = rule

        def with_rule(x: np.ndarray, fun: float, result: Any = None) -> bool:
            fun = float(fun)
            seen = obj.seen(x)
            kept = iterate(x, fun, seen[1] if seen is not None else nan)
            # the recorder's copy of x (made just now) is the rule's too
            return watch.iterate(kept, fun, seen[2] if seen is not None else None,
                                 private=True)
        return with_rule

    def general(x: np.ndarray, fun: float, result: Any = None) -> bool:
        x = np.asarray(x, dtype=float)
        fun = float(fun)
        optimality = result.get("optimality") if result is not None else None
        # one look-up serves the history's gradient norm and the rule
        seen = (obj.seen(x) if has_gradient and (optimality is None or rule is not None)
                else None)
        gnorm = (float(optimality) if optimality is not None else
                 seen[1] if seen is not None else nan)
        cv = result.get("constr_violation") if result is not None else None
        cviol = float(cv) if cv is not None else (violation(x) if violation else nan)
        iterate(x, fun, gnorm, cviol)  # keeps a copy of x: rec.last_x
        return rule is not None and rule.iterate(x, fun, seen[2] if seen is not None else None)
    return general


def _plain_callback(obj: _Objective, has_gradient: bool) -> Callable[..., None]:
    """scipy's callback when nothing but the history row is wanted at an iteration (no
    rule, no constraints): ``record`` of :func:`_recorder` without a call between."""
    iterate = obj.rec.iterate
    seen, nan = obj.seen, math.nan
    if not has_gradient:
        def plain(intermediate_result: optimize.OptimizeResult) -> None:
            res = intermediate_result   # a dict: item access, not its slower attributes
            iterate(res["x"], float(res["fun"]))
        return plain

    def with_norm(intermediate_result: optimize.OptimizeResult) -> None:
        res = intermediate_result
        x = res["x"]
        found = seen(x)
        iterate(x, float(res["fun"]), found[1] if found is not None else nan)
    return with_norm


def _constraints(ctx: SolveContext) -> tuple[list[Any], Callable[[np.ndarray], float]]:
    """scipy constraint objects for the method, and a violation measure."""
    p = ctx.problem
    funcs = [(c.type, expression_vector(p, c.expression)) for c in p.constraints]
    #: SLSQP: the constraint values it asked for last, by x (its own evaluation at an
    #: iterate serves the history's violation there, instead of a second one).
    last: list[tuple[bytes, np.ndarray] | None] = [None] * len(funcs)

    def violation(x: np.ndarray) -> float:
        worst, key = 0.0, x.tobytes()
        for i, (typ, vf) in enumerate(funcs):
            made = last[i]
            v = made[1] if made is not None and made[0] == key else vf.value(x)
            worst = max(worst, float(np.max(np.abs(v) if typ == "eq" else np.maximum(-v, 0.0))))
        return worst

    def remembered(i: int, vf: Any) -> Callable[[np.ndarray], np.ndarray]:
        value = vf.value

        def fun(x: np.ndarray) -> np.ndarray:
            v = value(x)   # a new array each call, which SLSQP only reads
            last[i] = (x.tobytes(), v)
            return v
        return fun

    if not funcs:
        return [], lambda x: math.nan
    if p.method == "SLSQP":
        return [{"type": typ, "fun": remembered(i, vf), "jac": vf.jacobian}
                for i, (typ, vf) in enumerate(funcs)], violation
    cons = [optimize.NonlinearConstraint(vf.value, 0.0, 0.0 if typ == "eq" else np.inf,
                                         jac=vf.jacobian, hess=optimize.BFGS())
            for typ, vf in funcs]
    return cons, violation


def _bounds(ctx: SolveContext) -> optimize.Bounds | None:
    p = ctx.problem
    if not METHOD_FACTS.get(p.method, NO_BOUNDS).bounds or not any(v.bounded for v in p.variables):
        return None
    lower, upper = p.bounds_arrays()
    return optimize.Bounds(lower, upper)


def solve_scalar(ctx: SolveContext, fn: ScalarObjective) -> None:
    """Minimise ``fn`` with the problem's method; fills ``ctx.run``."""
    p, run, rec = ctx.problem, ctx.run, ctx.recorder
    method = p.method
    x0 = ctx.start_point()
    fn.check_scalar(x0)
    obj = _Objective(ctx, fn)
    options = dict(p.options)
    kwargs: dict[str, Any] = {"method": method, "options": options}
    if method in GRADIENT_METHODS:
        kwargs["fun"], kwargs["jac"] = obj.value_and_grad, True
    else:
        kwargs["fun"] = obj.value
    if method == "Newton-CG":
        kwargs["hessp"] = obj.hessp
    bounds = _bounds(ctx)
    if bounds is not None:  # a method that ignores bounds never gets a bounded spec
        kwargs["bounds"] = bounds
    constraints, violation = _constraints(ctx)
    if constraints:
        kwargs["constraints"] = constraints
    qn = apply_payload(ctx, kwargs, options)
    rule = obj.rule = _noise_floor_rule(method, options, x0)

    constrained = bool(constraints)
    has_gradient = method in GRADIENT_METHODS
    rec.start_at(x0)

    record = _recorder(obj, rule, violation if constrained else None,
                       has_gradient, method == "trust-constr")
    if method == "TNC":   # scipy passes TNC's callback the iterate only
        kwargs["callback"] = lambda xk: record(xk, obj.last_f)
    elif rule is None and not constrained and method != "trust-constr":
        kwargs["callback"] = _plain_callback(obj, has_gradient)
    else:
        def callback(intermediate_result: optimize.OptimizeResult) -> None:
            res = intermediate_result   # a dict: item access, not its slower attributes
            if record(res["x"], res["fun"], res):
                raise StepAtNoise(np.array(res["x"], dtype=float), float(res["fun"]),
                                  recorded=True)
        kwargs["callback"] = callback

    start, maxiter = x0, int(options.get("maxiter", 200 * x0.size))  # scipy's default
    if ctx.warm is not None and ctx.warm.report.get("scaled"):
        try:
            start = _scaled_start(ctx, obj, x0, options, bounds)
        except Stopped as stop:
            _stopped(ctx, stop.status, _last_x(rec, x0), obj)
            return
    while True:
        try:
            res = optimize.minimize(x0=start, **kwargs)
            break
        except Stopped as stop:
            _stopped(ctx, stop.status, _last_x(rec, x0), obj)
            return
        except AcceptedAtNoise as accepted:
            assert rule is not None
            res = _accepted_result(accepted, rule)
            record(accepted.x, accepted.f)
            run.info["accepted_at_noise"] = {"df": accepted.f - accepted.f_before,
                                             "max_abs_grad": accepted.gnorm}
            break
        except StepAtNoise as step:
            assert rule is not None
            if not step.recorded:
                record(step.x, step.f)  # the iteration scipy's line search refused
            if rec.nit >= maxiter:  # where scipy's loop would have ended too
                res = optimize.OptimizeResult(
                    x=step.x, fun=step.f, success=False, hess_inv=rule.inverse_hessian(step.x.size),
                    message="Maximum number of iterations has been exceeded.")
                break
            start = _restart_at(step, rule, obj, options, maxiter - rec.nit)
    if rule is not None and rule.steps_taken:
        run.info["steps_at_noise"] = rule.steps_taken
    if res.success and method in stationarity.METHODS:
        try:
            res = _stationary_or_said(ctx, obj, kwargs, options, res, bounds)
        except Stopped as stop:
            _stopped(ctx, stop.status, _last_x(rec, x0), obj)
            return
    x = np.asarray(res.x, dtype=float)
    run.fun = float(res.fun)
    run.nfev, run.njev, run.nit = rec.nfev, rec.njev, rec.nit
    run.message = str(res.message)
    run.status = Status.CONVERGED if res.success else Status.STOPPED
    run.solution = _split_copy(p, x)
    run.state = state_after(ctx, res, x, qn, bounds is not None)
    if constraints:
        run.info["constr_violation"] = violation(x)


def _scaled_start(ctx: SolveContext, obj: _Objective, x0: np.ndarray, options: dict[str, Any],
                  bounds: optimize.Bounds | None) -> np.ndarray:
    """Where a warm L-BFGS-B or CG solve starts after its scaled phase (:mod:`.curvature`):
    the phase's last point, whose evaluation scipy's first request is given (not
    counted twice); its iterations count toward ``maxiter``. The start itself when
    it lies on or near a bound (:func:`.curvature.near_a_bound`)."""
    rec, rule = ctx.recorder, obj.rule
    box = (bounds.lb, bounds.ub) if bounds is not None else None
    if curvature.near_a_bound(x0, box):
        ctx.run.info["scaled_start"] = {"used": False, "evaluations": 0, "iterations": 0,
                                        "ended": f"{curvature.NOT_USED}: the start lies on "
                                                 "or near a bound"}
        return x0
    nfev = rec.nfev
    # a row per phase iteration with its gradient norm, as the user's solve records one
    record = _recorder(obj, None, None, has_gradient=True, reports=False)
    obj.rule = None   # the noise-floor rule watches the user's solve, not the phase
    try:
        (x, f, g), ended = curvature.scaled_start(
            obj, x0, float(options.get("gtol", DEFAULT_GTOL)),
            min(curvature.MAX_ITERATIONS, int(options.get("maxiter", curvature.MAX_ITERATIONS))),
            box, record)
    finally:
        obj.rule = rule
    obj.replay = (x.tobytes(), f, g)
    if "maxiter" in options:
        options["maxiter"] = max(1, int(options["maxiter"]) - rec.nit)
    ctx.run.info["scaled_start"] = {"used": not ended.startswith(curvature.NOT_USED),
                                    "evaluations": rec.nfev - nfev, "iterations": rec.nit,
                                    "ended": ended}
    return x


def _stationary_or_said(ctx: SolveContext, obj: _Objective, kwargs: dict[str, Any],
                        options: dict[str, Any], res: optimize.OptimizeResult,
                        bounds: optimize.Bounds | None) -> optimize.OptimizeResult:
    """A derivative-free success checked with the exact gradient: restarted once
    when its end point is not stationary; still not, it says so (stationarity.py)."""
    lower, upper = (bounds.lb, bounds.ub) if bounds is not None else (None, None)
    found = _not_stationary(ctx, obj, options, res, lower, upper)
    if found is None:
        return res
    fresh = dict(kwargs, options={k: v for k, v in options.items()
                                  if k not in stationarity.FRESH_START_DROPS})
    again = optimize.minimize(x0=np.asarray(res.x, dtype=float), **fresh)
    best = again if float(again.fun) < float(res.fun) else res
    ctx.run.info["restarted_at"] = {"max_projected_grad": found[0], "drop": found[1],
                                    "fun": float(res.fun)}
    found = _not_stationary(ctx, obj, options, best, lower, upper)
    if found is not None:
        best["success"] = False
        best["message"] = stationarity.message(ctx.problem.method, *found)
        ctx.run.info["not_stationary"] = {"max_projected_grad": found[0], "drop": found[1]}
    return best


def _not_stationary(ctx: SolveContext, obj: _Objective, options: dict[str, Any],
                    res: optimize.OptimizeResult, lower: np.ndarray | None,
                    upper: np.ndarray | None) -> tuple[float, float] | None:
    """(max projected gradient, drop of f) when a step of the method's x tolerance
    down the gradient lowers f by more than its f tolerance; two counted evaluations."""
    x, method, rec = np.asarray(res.x, dtype=float), ctx.problem.method, ctx.recorder
    f, g = obj.fn.value_and_grad(x)
    rec.njev += 1
    rec.evaluation(f)
    step = stationarity.probe(method, options, x, np.asarray(g, dtype=float), lower, upper)
    if step is None:
        return None
    moved, pg = step
    f_moved = obj.value(moved)
    if not stationarity.lowers_too_much(method, options, f, f_moved):
        return None
    return pg, f - f_moved


def _noise_floor_rule(method: str, options: dict[str, Any],
                      x0: np.ndarray) -> NoiseFloorRule | None:
    """BFGS and CG end at a trial step that meets gtol within f's rounding noise."""
    if method not in NOISE_FLOOR_METHODS:
        return None
    keep = method == "BFGS" and x0.size <= MATRIX_STATE_MAX_N
    return NoiseFloorRule(float(options.get("gtol", DEFAULT_GTOL)), options.get("hess_inv0"),
                          keep_pairs=keep, continue_steps=keep,
                          c1=float(options.get("c1", 1e-4)),
                          c2=float(options.get("c2", DEFAULT_C2[method])))


def _restart_at(step: StepAtNoise, rule: NoiseFloorRule, obj: _Objective,
                options: dict[str, Any], iterations_left: int) -> np.ndarray:
    """Set scipy up to go on from ``step`` as its own loop would have."""
    options["hess_inv0"] = rule.restart_matrix(step.x.size)  # updated with the step
    options["maxiter"] = iterations_left
    seen = obj.seen(step.x)
    assert seen is not None  # evaluated a moment ago
    obj.replay = (seen[0], step.f, seen[2])
    rule.steps_taken += 1
    if rule.steps_taken >= MAX_STEPS_TAKEN:
        rule.continue_steps = False
    return step.x


def _accepted_result(accepted: AcceptedAtNoise, rule: NoiseFloorRule) -> optimize.OptimizeResult:
    """What scipy would have returned had its line search accepted the step."""
    hess_inv = rule.inverse_hessian(accepted.x.size) if rule.keep_pairs else None
    return optimize.OptimizeResult(x=accepted.x, fun=accepted.f, success=True,
                                   message=accepted.message(rule.gtol), hess_inv=hess_inv)


def _last_x(rec: Recorder, x0: np.ndarray) -> np.ndarray:
    """The last iterate recorded (the start point before the first)."""
    return rec.last_x if rec.last_x is not None else x0


def _split_copy(problem: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=float) for k, v in problem.split(np.asarray(x, float)).items()}


def _stopped(ctx: SolveContext, status: Status, x: np.ndarray, obj: _Objective) -> None:
    """Cancel drops the result; interrupt keeps the last iterate as a usable partial result."""
    run, rec = ctx.run, ctx.recorder
    run.status = status
    run.nfev, run.njev, run.nit = rec.nfev, rec.njev, rec.nit
    if status is Status.INTERRUPTED:
        run.message = (f"interrupted by the user after {rec.nit} iterations; "
                       "the last iterate is kept")
        run.solution = _split_copy(ctx.problem, x)
        run.state = {"x": np.array(x, dtype=float)}
        try:
            run.fun = float(obj.fn.value(x))
        except Exception:  # noqa: BLE001 - the value is informative only
            run.fun = obj.last_f if math.isfinite(obj.last_f) else None
    else:
        run.message = f"cancelled by the user after {rec.nit} iterations"


def solve_minimize(ctx: SolveContext) -> None:
    p = ctx.problem
    assert p.objective is not None
    solve_scalar(ctx, ScalarFunction(p, p.objective))
