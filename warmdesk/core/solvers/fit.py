"""``fit``: a model expression fitted to CSV columns with scipy's least_squares.

The Jacobian is exact (one vectorised forward pass over our compiled model,
:mod:`warmdesk.core.dual`), so each
iteration costs one residual and one Jacobian evaluation instead of n+1
residuals. least_squares keeps no state worth passing back beyond x, so the
only payload is ``x0``.

A non-finite residual at a *trial* point is handed to the solver, which
rejects the step and shrinks its trust region (scipy's trf/dogbox test it,
MINPACK's lm reads it as no reduction); only a non-finite value at the start
or at a point the solver accepts ends the run ``failed``. An end point is
checked for stationarity (:mod:`.stationarity`) and described by a
:class:`~warmdesk.core.fit_report.FitReport` stored as ``info.fit_report``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize

from ..errors import SolveFailed
from ..fit_report import fit_report, flat_names
from ..jacobian_svd import JacobianSVD, jacobian_svd
from ..problem_types import Problem
from . import facts, stationarity
from .base import SolveContext, Stopped
from .compiled import VectorFunction, expression_vector
from .minimize import _split_copy
from ..status import Status

#: The method tables live in .facts (no scipy there: the kinds read them at start-up).
METHOD_FACTS = facts.FIT_METHOD_FACTS
PAYLOADS = facts.FIT_PAYLOADS
COST = "sum of squared residuals"


def residual_function(problem: Problem) -> VectorFunction:
    """r(x) = (model(x, columns) - target) / sigma, one entry per data row."""
    ds = problem.dataset
    assert ds is not None and problem.model is not None
    columns = {c: ds.column(c) for c in ds.columns if c not in problem.target_columns}
    model = expression_vector(problem, problem.model, ds.rows, extra=columns)
    y = problem.target_values()
    sigma = _sigma(problem)
    return model.scaled(y, sigma)


def _sigma(problem: Problem) -> np.ndarray | float:
    if isinstance(problem.sigma, str):
        assert problem.dataset is not None
        return problem.dataset.column(problem.sigma)
    return float(problem.sigma) if problem.sigma is not None else 1.0


def loss_weights(r: np.ndarray, loss: str, f_scale: float) -> tuple[float, np.ndarray]:
    """scipy's robust cost ``0.5 f_scale^2 sum rho(z)``, ``z = (r/f_scale)^2``, and
    ``rho'(z)`` per row (the weight of each residual in the gradient)."""
    z = (r / f_scale) ** 2
    if loss == "linear":
        rho, drho = z, np.ones_like(z)
    elif loss == "soft_l1":
        rho, drho = 2 * (np.sqrt(1 + z) - 1), 1 / np.sqrt(1 + z)
    elif loss == "huber":
        big = z > 1
        rho = np.where(big, 2 * np.sqrt(z) - 1, z)
        drho = np.where(big, 1 / np.sqrt(np.where(big, z, 1.0)), 1.0)
    elif loss == "cauchy":
        rho, drho = np.log1p(z), 1 / (1 + z)
    else:  # arctan
        rho, drho = np.arctan(z), 1 / (1 + z ** 2)
    return 0.5 * f_scale ** 2 * float(np.sum(rho)), drho


class _Fit:
    """One fit: the residuals and Jacobian as least_squares sees them, counted."""

    def __init__(self, ctx: SolveContext) -> None:
        self.ctx = ctx
        p = ctx.problem
        self.rf = residual_function(p)
        self.scale = np.abs(p.target_values() / _sigma(p))
        self.last: dict[str, np.ndarray] = {}
        self.at_start = True
        #: lm: (x bytes, r, cost) of the last residuals; MINPACK asks for J right after
        #: the residuals at the same point, so its history row needs no second r(x).
        self._lm = p.method == "lm"
        self._last_r: tuple[bytes, np.ndarray, float] | None = None
        #: (x bytes, J) of the last Jacobian. With the plain (linear) loss scipy leaves
        #: the arrays it is handed as they are, so the end point's residuals and
        #: Jacobian, evaluated already by the solver, are reused (:func:`_at_end`)
        #: instead of evaluated again (a robust loss rescales them in place).
        self._reuse = p.loss == "linear"
        self._last_j: tuple[bytes, np.ndarray] | None = None
        #: (J, its SVD): the end point's one decomposition, shared by the stationarity
        #: probe and the fit report (:mod:`..jacobian_svd`).
        self._svd: tuple[np.ndarray, JacobianSVD] | None = None

    def cost(self, r: np.ndarray) -> float:
        return loss_weights(r, self.ctx.problem.loss, self.ctx.problem.f_scale)[0]

    def residuals(self, x: np.ndarray) -> np.ndarray:
        rec = self.ctx.recorder
        r = self.rf.value(x)
        cost = 0.5 * float(r.dot(r))
        if self.at_start:
            self.at_start = False
            if not math.isfinite(cost):
                raise SolveFailed(_not_finite_at_start(self.ctx.problem, r))
        elif not math.isfinite(cost):
            self.ctx.run.info["rejected_non_finite"] = (
                int(self.ctx.run.info.get("rejected_non_finite", 0)) + 1)
        rec.evaluation(cost, COST, trial=True)
        if self._reuse:
            self._last_r = (x.tobytes(), r, cost)
        return r

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """At an accepted point (least_squares asks for J only there)."""
        rec = self.ctx.recorder
        rec.njev += 1
        if rec.stop_requested():
            rec.control.check()
        jac = self.rf.jacobian(x)
        if not _all_finite(jac):
            raise SolveFailed(f"the Jacobian holds NaN or Inf at evaluation {rec.nfev} "
                              f"(iteration {rec.nit}), at a point the solver accepted")
        key = x.tobytes()
        if self._reuse:
            self._last_j = (key, jac)
        if self._lm:  # lm takes no callback: one Jacobian is one iteration
            last_x = rec.last_x
            if last_x is not None and last_x.tobytes() == key:
                return jac   # scipy's own J at the end, at the iterate recorded last
            last = self._last_r
            if last is not None and last[0] == key:
                r, cost = last[1], last[2]
            else:
                r = self.rf.value(x)
                cost = 0.5 * float(r.dot(r))
            self.accepted(cost, float(np.max(np.abs(jac.T @ r))), x)
        return jac

    def made_at(self, x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The residuals and the Jacobian the solver itself evaluated at ``x`` last
        (each None when its last one was elsewhere, or under a robust loss)."""
        if not self._reuse:
            return None, None
        key, r, jac = x.tobytes(), self._last_r, self._last_j
        return (r[1] if r is not None and r[0] == key else None,
                jac[1] if jac is not None and jac[0] == key else None)

    def svd(self, jac: np.ndarray) -> JacobianSVD | None:
        """The SVD of the end point's Jacobian ``jac``, made once for the probe and
        the report; None when ``jac`` is not finite or LAPACK fails on it (each then
        does as it does alone: the probe falls back to lstsq, the report says so)."""
        if self._svd is not None and self._svd[0] is jac:
            return self._svd[1]
        if not _all_finite(jac):
            return None
        try:
            made = jacobian_svd(jac)
        except np.linalg.LinAlgError:
            return None
        self._svd = (jac, made)
        return made

    def callback(self, intermediate_result: optimize.OptimizeResult) -> None:
        res = intermediate_result   # a dict: item access, not its slower attributes
        opt = res.get("optimality")
        self.accepted(float(res["cost"]), float(opt) if opt is not None else math.nan,
                      np.asarray(res["x"], dtype=float))

    def accepted(self, cost: float, grad_norm: float, x: np.ndarray) -> None:
        rec = self.ctx.recorder
        if not math.isfinite(cost):
            raise SolveFailed(f"the {COST} is {cost} at evaluation {rec.nfev} (iteration "
                              f"{rec.nit + 1}), at a point the solver accepted")
        rec.iterate(x, cost, grad_norm)   # keeps a copy: rec.last_x
        self.last["x"] = rec.last_x   # type: ignore[assignment]  # set just now

    def least_squares(self, x0: np.ndarray) -> optimize.OptimizeResult:
        p = self.ctx.problem
        lower, upper = p.bounds_arrays()
        kwargs: dict[str, Any] = dict(p.options)
        kwargs["max_nfev"] = int(kwargs["max_nfev"]) if "max_nfev" in kwargs else None
        if p.method != "lm":
            kwargs.update(bounds=(lower, upper), loss=p.loss, f_scale=p.f_scale,
                          callback=self.callback)
        return optimize.least_squares(self.residuals, x0, jac=self.jacobian, method=p.method,
                                      **kwargs)

    def not_stationary(self, x: np.ndarray, r: np.ndarray, jac: np.ndarray
                       ) -> tuple[float, float] | None:
        """(first-order optimality, drop of the cost) when a Cauchy or Gauss-Newton
        probe lowers the cost by more than the f tolerance (stationarity.py)."""
        p = self.ctx.problem
        cost, w = loss_weights(r, p.loss, p.f_scale)
        lower, upper = p.bounds_arrays() if p.method != "lm" else (None, None)
        # The linear loss weighs every row 1, so the weighted residuals and Jacobian
        # are r and J themselves (multiplying by ones would make equal copies) and
        # the probe shares the fit report's SVD of J (..jacobian_svd).
        if p.loss == "linear":
            g = jac.T @ r
            probes = stationarity.least_squares_probes(x, r, jac, lower, upper,
                                                       svd=self.svd(jac))
        else:
            root = np.sqrt(w)
            g = jac.T @ (w * r)
            probes = stationarity.least_squares_probes(x, root * r, root[:, None] * jac,
                                                       lower, upper)
        optimality = float(np.max(np.abs(stationarity.projected_gradient(x, g, lower, upper)))
                           ) if x.size else 0.0
        noise = stationarity.cost_noise(r, self.scale)
        best = 0.0
        for point in probes:
            r_moved = self.rf.value(point)
            self.ctx.recorder.evaluation(0.5 * float(np.dot(r_moved, r_moved)), COST, trial=True)
            moved = self.cost(r_moved)
            if (math.isfinite(moved) and stationarity.least_squares_lowers_too_much(
                    p.options, cost, moved, noise)):
                best = max(best, cost - moved)
        return (optimality, best) if best > 0 else None


def solve_fit(ctx: SolveContext) -> None:
    p, run, rec = ctx.problem, ctx.run, ctx.recorder
    fit = _Fit(ctx)
    x0 = ctx.start_point()
    lower, upper = p.bounds_arrays()
    x0 = np.clip(x0, lower, upper)
    if p.method == "trf" or p.method == "dogbox":
        # least_squares wants a strictly feasible start with bounds
        inside = (x0 > lower) & (x0 < upper)
        if not np.all(inside):
            span = np.where(np.isfinite(upper - lower), upper - lower, 1.0)
            x0 = np.clip(x0, lower + 1e-10 * span, upper - 1e-10 * span)
    fit.last["x"] = x0.copy()
    rec.start_at(x0)
    try:
        res = fit.least_squares(x0)
        x, status, message = np.asarray(res.x, dtype=float), int(res.status), str(res.message)
        optimality = float(res.optimality)
        r, jac = _at_end(fit, x)
        if status > 0:
            x, status, message, r, jac, optimality = _stationary_or_said(
                fit, x, r, jac, status, message, optimality)
    except Stopped as stop:
        _stopped(ctx, fit, stop.status)
        return
    run.fun = fit.cost(r)
    run.nfev, run.njev, run.nit = rec.nfev, rec.njev, rec.nit
    run.message = message
    run.status = Status.CONVERGED if status > 0 else Status.STOPPED
    run.solution = _split_copy(p, x)
    run.state = {"x": x.copy()}
    run.info["optimality"] = optimality
    run.info["rows"] = int(p.dataset.rows) if p.dataset else 0
    run.info["fit_report"] = fit_report(x, jac, r, flat_names(p.layout),
                                        svd=fit.svd(jac)).to_dict()


def _all_finite(jac: np.ndarray) -> bool:
    """No NaN or Inf in ``jac``, screened by one dot product (a non-finite entry
    makes it non-finite; an overflowing sum is looked at entry by entry)."""
    flat = jac.reshape(-1)
    return math.isfinite(flat.dot(flat)) or bool(np.all(np.isfinite(jac)))


def _at_end(fit: _Fit, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residuals and Jacobian at the end point: the solver's own when it evaluated
    them there last (no evaluation made), else one counted evaluation each."""
    rec = fit.ctx.recorder
    r, jac = fit.made_at(x)
    if r is None:
        r = fit.rf.value(x)
        rec.evaluation(0.5 * float(np.dot(r, r)), COST)
    if jac is None:
        rec.njev += 1
        jac = fit.rf.jacobian(x)
    return r, jac


def _stationary_or_said(fit: _Fit, x: np.ndarray, r: np.ndarray, jac: np.ndarray,
                        status: int, message: str, optimality: float
                        ) -> tuple[np.ndarray, int, str, np.ndarray, np.ndarray, float]:
    """A success checked for stationarity: restarted once (a fresh trust region)
    when its end point is not a minimum; still not, the run ends stopped saying why."""
    run = fit.ctx.run
    found = fit.not_stationary(x, r, jac)
    if found is None:
        return x, status, message, r, jac, optimality
    run.info["restarted_at"] = {"optimality": found[0], "drop": found[1],
                                "fun": fit.cost(r)}
    again = fit.least_squares(x)
    x2 = np.asarray(again.x, dtype=float)
    r2, jac2 = _at_end(fit, x2)
    if fit.cost(r2) < fit.cost(r):
        x, status, message, r, jac = x2, int(again.status), str(again.message), r2, jac2
        optimality = float(again.optimality)
    if status <= 0:
        return x, status, message, r, jac, optimality
    found = fit.not_stationary(x, r, jac)
    if found is None:
        return x, status, message, r, jac, optimality
    run.info["not_stationary"] = {"optimality": found[0], "drop": found[1]}
    message = stationarity.least_squares_message(fit.ctx.problem.method, *found)
    return x, 0, message, r, jac, optimality


def _stopped(ctx: SolveContext, fit: _Fit, status: Status) -> None:
    run, rec, p = ctx.run, ctx.recorder, ctx.problem
    run.status = status
    run.nfev, run.njev, run.nit = rec.nfev, rec.njev, rec.nit
    if status is Status.INTERRUPTED:
        x = fit.last["x"]
        run.solution = _split_copy(p, x)
        run.state = {"x": x.copy()}
        run.fun = fit.cost(fit.rf.value(x))
        run.message = f"interrupted after {rec.nit} iterations; the last iterate is kept"
    else:
        run.message = f"cancelled after {rec.nit} iterations"


def _not_finite_at_start(problem: Problem, r: np.ndarray) -> str:
    """Where the residuals are not finite at the start point, and what to do."""
    bad = np.flatnonzero(~np.isfinite(r))
    i = int(bad[0]) if bad.size else 0
    more = f" and {bad.size - 1} more rows" if bad.size > 1 else ""
    return (f"the {COST} is not finite at the start point: the residual of data row {i + 1} "
            f"is {r[i]}{more}; the model '{problem.model.text if problem.model else ''}' "
            "overflows or is undefined there. Choose start values where it is finite.")
