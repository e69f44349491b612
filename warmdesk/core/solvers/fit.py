"""``fit``: a model expression fitted to CSV columns with scipy's least_squares.

The Jacobian is exact (one vectorised forward pass over our compiled model,
:mod:`warmdesk.core.dual`), so each
iteration costs one residual and one Jacobian evaluation instead of n+1
residuals. least_squares keeps no state worth passing back beyond x, so the
only payload is ``x0``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from ..errors import SolveFailed
from ..problems import Problem
from .base import SolveContext, Stopped
from .compiled import VectorFunction, expression_vector
from .minimize import _split_copy

PAYLOADS = ("x0",)


def residual_function(problem: Problem) -> VectorFunction:
    """r(x) = (model(x, columns) - target) / sigma, one entry per data row."""
    ds = problem.dataset
    assert ds is not None and problem.model is not None
    columns = {c: ds.column(c) for c in ds.columns if c != problem.target}
    model = expression_vector(problem, problem.model, ds.rows, extra=columns)
    y = ds.column(problem.target)
    if isinstance(problem.sigma, str):
        sigma: np.ndarray | float = ds.column(problem.sigma)
    else:
        sigma = float(problem.sigma) if problem.sigma is not None else 1.0
    base_np, base_dual = model._np, model._dual
    return VectorFunction(problem, lambda env: (base_np(env) - y) / sigma,
                          lambda env: (base_dual(env) - y) / sigma, extra=columns)


def solve_fit(ctx: SolveContext) -> None:
    p, run, rec = ctx.problem, ctx.run, ctx.recorder
    rf = residual_function(p)
    x0 = ctx.start_point()
    lower, upper = p.bounds_arrays()
    x0 = np.clip(x0, lower, upper)
    if p.method == "trf" or p.method == "dogbox":
        # least_squares wants a strictly feasible start with bounds
        inside = (x0 > lower) & (x0 < upper)
        if not np.all(inside):
            span = np.where(np.isfinite(upper - lower), upper - lower, 1.0)
            x0 = np.clip(x0, lower + 1e-10 * span, upper - 1e-10 * span)
    last = {"x": x0.copy()}
    rec.start_at(x0)

    def residuals(x: np.ndarray) -> np.ndarray:
        r = rf.value(x)
        cost = 0.5 * float(np.dot(r, r))
        rec.evaluation(cost, "sum of squared residuals")
        return r

    def jacobian(x: np.ndarray) -> np.ndarray:
        rec.njev += 1
        rec.control.check()
        jac = rf.jacobian(x)
        if not np.all(np.isfinite(jac)):
            raise SolveFailed(f"the Jacobian holds NaN or Inf at evaluation {rec.nfev}")
        if p.method == "lm":  # lm takes no callback: one Jacobian is one iteration
            r = rf.value(x)
            rec.row(fun=0.5 * float(np.dot(r, r)), grad_norm=float(np.max(np.abs(jac.T @ r))),
                    x=np.array(x, dtype=float))
            last["x"] = np.array(x, dtype=float)
        return jac

    def callback(intermediate_result: optimize.OptimizeResult) -> None:
        x = np.asarray(intermediate_result.x, dtype=float)
        opt = getattr(intermediate_result, "optimality", None)
        rec.row(fun=float(intermediate_result.cost),
                grad_norm=float(opt) if opt is not None else math.nan, x=x)
        last["x"] = x.copy()

    kwargs = {k: v for k, v in p.options.items()}
    kwargs["max_nfev"] = int(kwargs["max_nfev"]) if "max_nfev" in kwargs else None
    if p.method != "lm":
        kwargs.update(bounds=(lower, upper), loss=p.loss, f_scale=p.f_scale)
    try:
        if p.method != "lm":
            kwargs["callback"] = callback
        res = optimize.least_squares(residuals, x0, jac=jacobian, method=p.method, **kwargs)
    except Stopped as stop:
        run.status = stop.status
        run.nfev, run.njev, run.nit = rec.nfev, rec.njev, rec.nit
        if stop.status == "interrupted":
            run.solution = _split_copy(p, last["x"])
            run.state = {"x": last["x"].copy()}
            r = rf.value(last["x"])
            run.fun = 0.5 * float(np.dot(r, r))
            run.message = f"interrupted after {rec.nit} iterations; the last iterate is kept"
        else:
            run.message = f"cancelled after {rec.nit} iterations"
        return
    x = np.asarray(res.x, dtype=float)
    run.fun = float(res.cost)
    run.nfev, run.njev, run.nit = rec.nfev, rec.njev, rec.nit
    run.message = str(res.message)
    run.status = "converged" if res.status > 0 else "stopped"
    run.solution = _split_copy(p, x)
    run.state = {"x": x.copy()}
    run.info["optimality"] = float(res.optimality)
    run.info["rows"] = int(p.dataset.rows) if p.dataset else 0
