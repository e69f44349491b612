"""The cases of bench_recording: one per method the engine offers, each with the
bare scipy call that uses the *same* compiled functions (not a benchmark itself).

Every case is sized so that bare scipy does real work per iteration (tens of
microseconds or more) and runs ~1,000 iterations, fewer where the method is slow
per iteration (Powell, TNC, trust-constr, Newton-CG, the fits, the stiff ODEs);
each case's title says which. A bare runner takes an optional callback: the
``intermediate_result`` form (TNC's, and lm's at each Jacobian, get ``{"x": iterate}``;
ODEs have no callback: the bare loop is ``solve_ivp`` itself, with the integrator
class the engine uses: for Radau and BDF that is scipy's with lean LAPACK glue,
``solvers/ode_linalg.py``, so what is measured is the recording, not the glue;
bench_wall compares with scipy's own), and an optional counter of the evaluations:
a :class:`FloorRecorder` as both is the floor of bench_recording.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
from scipy import integrate, optimize

from _common import (FORMAT, PEAK_MODEL, PEAK_TRUE, constrained_spec, lotka_volterra_spec,
                     peak_values, robertson_spec, rosenbrock_spec, write_csv)

from warmdesk.core.problems import Problem, problem_from_dict
from warmdesk.core.solvers.compiled import ScalarFunction, expression_vector
from warmdesk.core.solvers.fit import residual_function
from warmdesk.core.solvers.ode import SOLVERS, RightHandSide

Runner = Callable[[], Any]
Bare = Callable[..., Runner]   # (problem, callback=None, counter=None) -> a runner


class FloorRecorder:
    """The least recording a Python recorder can do while doing what issue 16 asks of
    one (the floor of bench_recording): each call of a function handed to scipy
    counted and its value kept (:meth:`scalar`, :meth:`vector`), and per iteration
    (:meth:`record`, scipy's callback) the iterate copied (what durable progress and
    a resume need: only the last is kept) and a row (evaluations, time, f) appended
    to a list. No stop poll, finite check, gradient norm or step length. TNC's
    callback, and lm's at each Jacobian, hand it ``{"x": iterate}`` only: f is then
    the last evaluation's (lm: the cost of its residuals). :meth:`start` before
    each solve."""

    def __init__(self) -> None:
        self.calls = 0
        self.last_f: Any = np.nan
        self.last_x: np.ndarray | None = None
        self.rows: list[tuple[int, float, float]] = []
        self.t0 = time.perf_counter()

    def start(self) -> None:
        self.calls, self.last_f, self.last_x, self.rows = 0, np.nan, None, []
        self.t0 = time.perf_counter()

    def scalar(self, fn: Callable[[np.ndarray], Any]) -> Callable[[np.ndarray], Any]:
        def counted(x: np.ndarray) -> Any:
            self.calls += 1
            out = fn(x)
            self.last_f = out[0] if type(out) is tuple else out
            return out
        return counted

    def vector(self, fn: Callable[[np.ndarray], Any]) -> Callable[[np.ndarray], Any]:
        def counted(x: np.ndarray) -> Any:
            self.calls += 1
            self.last_f = out = fn(x)   # the residuals: their cost is taken per iteration
            return out
        return counted

    def record(self, intermediate_result: Any) -> None:
        res = intermediate_result
        self.last_x = res["x"].copy()
        if "cost" in res:
            f = res["cost"]
        elif "fun" in res:
            f = res["fun"]
        else:
            f = self.last_f
            if isinstance(f, np.ndarray):   # lm: the residuals
                f = 0.5 * float(f.dot(f))
        self.rows.append((self.calls, time.perf_counter() - self.t0, f))


_DATA = Path(tempfile.mkdtemp(prefix="warmdesk-bench-recording-"))


def rosenbrock(method: str, n: int, **options: Any) -> Problem:
    return problem_from_dict(rosenbrock_spec(method, n=n, start=-1.0, **options))


def quadratic(method: str, n: int, cond: float, **options: Any) -> Problem:
    d = np.logspace(0.0, np.log10(cond), n).round(10).tolist()
    return problem_from_dict({
        "format": FORMAT, "name": f"quadratic-{n}", "kind": "minimize",
        "variables": {"x": {"size": n, "start": 1.0}}, "parameters": {"d": d},
        "objective": "0.5*sum(d*x**2)", "solver": {"method": method, "options": options}})


def decay(method: str, rows: int, **options: Any) -> Problem:
    """Least squares of an exponential decay as a minimize objective: three unknowns,
    ``rows`` data points as parameters (an objective that does real work per call)."""
    t = np.linspace(0.0, 10.0, rows)
    y = 2.5 * np.exp(-0.7 * t) + 0.3 + np.random.default_rng(rows).normal(0.0, 0.01, rows)
    return problem_from_dict({
        "format": FORMAT, "name": f"decay-{rows}", "kind": "minimize",
        "variables": {"A": {"start": 1.0}, "k": {"start": 0.3}, "c": {"start": 0.0}},
        "parameters": {"s": t.round(12).tolist(), "y": y.round(12).tolist()},
        "objective": "sum((A*exp(-k*s) + c - y)**2)",
        "solver": {"method": method, "options": options}})


def constrained(method: str, n: int, **options: Any) -> Problem:
    rng = np.random.default_rng(n)
    c = rng.uniform(-1.0, 1.0, n).round(6).tolist()
    q = rng.uniform(0.5, 2.0, n).round(6).tolist()
    return problem_from_dict(constrained_spec(method, c, q, s=1.0, r=0.5 * n,
                                              start=[0.1] * n, **options))


def peaks_fit(method: str, rows: int, **options: Any) -> Problem:
    x = np.linspace(0.0, 10.0, rows)
    y = peak_values(x, PEAK_TRUE) + np.random.default_rng(rows).normal(0.0, 0.01, rows)
    path = write_csv(_DATA / f"peaks-{rows}.csv", ["x", "y", "s"],
                     np.column_stack([x, y, np.full(rows, 0.01)]))
    variables = {"A": {"start": [1.5, 1.2]}, "mu": {"start": [2.8, 6.8]},
                 "sig": {"start": [0.6, 0.6]}, "c": {"start": 0.0}}
    return problem_from_dict({"format": FORMAT, "name": "peaks", "kind": "fit",
                              "variables": variables, "data": {"file": str(path)},
                              "target": "y", "sigma": "s", "model": PEAK_MODEL,
                              "solver": {"method": method, "options": options}})


def bare_minimize(p: Problem, callback: Callable[..., Any] | None = None,
                  counter: FloorRecorder | None = None) -> Runner:
    """scipy.optimize.minimize with the engine's functions and arguments (counted by
    ``counter`` when one is given)."""
    assert p.objective is not None
    sf = ScalarFunction(p, p.objective)
    count = counter.scalar if counter is not None else (lambda fn: fn)
    x0 = p.start_vector()
    kw: dict[str, Any] = {"method": p.method}
    if p.method in ("Nelder-Mead", "Powell"):
        kw["fun"] = count(sf.value)
    else:
        kw["fun"], kw["jac"] = count(sf.value_and_grad), True
    if p.method == "Newton-CG":
        kw["hessp"] = sf.hessp
    if any(v.bounded for v in p.variables):
        kw["bounds"] = optimize.Bounds(*p.bounds_arrays())
    cons = [(c.type, expression_vector(p, c.expression)) for c in p.constraints]
    if cons and p.method == "SLSQP":
        kw["constraints"] = [{"type": t, "fun": f.value, "jac": f.jacobian} for t, f in cons]
    elif cons:
        kw["constraints"] = [optimize.NonlinearConstraint(
            f.value, 0.0, 0.0 if t == "eq" else np.inf, jac=f.jacobian, hess=optimize.BFGS())
            for t, f in cons]
    if callback is not None:
        kw["callback"] = (lambda xk: callback(intermediate_result={"x": xk})) \
            if p.method == "TNC" else callback

    def run() -> Any:
        extra = {"hess": optimize.BFGS()} if p.method == "trust-constr" else {}
        return optimize.minimize(x0=x0, options=dict(p.options), **kw, **extra)
    return run


def bare_fit(p: Problem, callback: Callable[..., Any] | None = None,
             counter: FloorRecorder | None = None) -> Runner:
    """least_squares with the engine's residuals and Jacobian (counted by ``counter``
    when one is given; lm takes no callback, so then each Jacobian, one an
    iteration, calls ``callback`` with ``{"x": point}``, as the engine records lm)."""
    rf = residual_function(p)
    x0 = p.start_vector()
    kw: dict[str, Any] = dict(p.options)
    fun, jac = rf.value, rf.jacobian
    if counter is not None:
        fun = counter.vector(fun)
    if p.method != "lm":
        kw.update(bounds=optimize.Bounds(*p.bounds_arrays()), loss=p.loss, f_scale=p.f_scale)
        if callback is not None:
            kw["callback"] = callback
    elif callback is not None:
        jacobian = jac

        def jac(x: np.ndarray) -> np.ndarray:
            callback(intermediate_result={"x": x})
            return jacobian(x)
    return lambda: optimize.least_squares(fun, x0, jac=jac, method=p.method, **kw)


def bare_ode(p: Problem, callback: Callable[..., Any] | None = None,
             counter: FloorRecorder | None = None) -> Runner:
    """solve_ivp with the engine's right-hand side and Jacobian (no callback or
    counter: solve_ivp has no per-step hook; the engine's loop is its loop)."""
    rhs = RightHandSide(p)
    opts = dict(p.options)
    opts.pop("max_steps", None)
    if p.method in ("Radau", "BDF", "LSODA"):
        opts["jac"] = rhs.jacobian
    t_eval = np.linspace(*p.t_span, p.t_eval_points) if p.t_eval_points else None
    return lambda: integrate.solve_ivp(rhs, p.t_span, p.start_vector(),
                                       method=SOLVERS[p.method], t_eval=t_eval, **opts)


def nit_of(result: Any) -> int:
    """Iterations (ODE: steps) of a bare result."""
    if hasattr(result, "nit"):
        return int(result.nit)
    if hasattr(result, "njev") and result.njev is not None:   # least_squares: one J a step
        return int(result.njev)
    return int(result.t.size) if hasattr(result, "t") else -1


CASES: list[tuple[str, Callable[[], Problem], Bare]] = [
    ("Nelder-Mead, Rosenbrock n=10, maxiter 1000", lambda: rosenbrock(
        "Nelder-Mead", 10, maxiter=1000, xatol=1e-300, fatol=1e-300), bare_minimize),
    ("Powell, Rosenbrock n=10, maxiter 20 (slow: ~n line searches an iteration)",
     lambda: rosenbrock("Powell", 10, maxiter=20, xtol=1e-300, ftol=1e-300), bare_minimize),
    ("CG, quadratic n=200 cond 1e6, maxiter 1000", lambda: quadratic(
        "CG", 200, 1e6, maxiter=1000, gtol=1e-300), bare_minimize),
    ("BFGS, Rosenbrock n=50, maxiter 200", lambda: rosenbrock(
        "BFGS", 50, maxiter=200, gtol=1e-300), bare_minimize),
    ("L-BFGS-B, quadratic n=1000 cond 1e6, maxcor 3, maxiter 1000", lambda: quadratic(
        "L-BFGS-B", 1000, 1e6, maxiter=1000, maxcor=3, gtol=1e-300, ftol=1e-300),
     bare_minimize),
    ("TNC, quadratic n=200 cond 1e4, maxfun 1000 (Newton iterations: few)", lambda: quadratic(
        "TNC", 200, 1e4, maxfun=1000, gtol=1e-300, ftol=1e-300, xtol=1e-300), bare_minimize),
    ("SLSQP, constrained quartic n=30, maxiter 200", lambda: constrained(
        "SLSQP", 30, maxiter=200, ftol=1e-300), bare_minimize),
    ("trust-constr, constrained quartic n=20, maxiter 200 (slow per iteration)",
     lambda: constrained("trust-constr", 20, maxiter=200, gtol=1e-300, xtol=1e-300),
     bare_minimize),
    ("Newton-CG, Rosenbrock n=50, maxiter 100 (Hessian-vector products)", lambda: rosenbrock(
        "Newton-CG", 50, maxiter=100, xtol=1e-300), bare_minimize),
    ("trf, two peaks, 2000 rows, max_nfev 200", lambda: peaks_fit(
        "trf", 2000, max_nfev=200, ftol=1e-15, xtol=1e-15, gtol=1e-15), bare_fit),
    ("dogbox, two peaks, 2000 rows, max_nfev 200", lambda: peaks_fit(
        "dogbox", 2000, max_nfev=200, ftol=1e-15, xtol=1e-15, gtol=1e-15), bare_fit),
    ("lm, two peaks, 2000 rows, max_nfev 200", lambda: peaks_fit(
        "lm", 2000, max_nfev=200, ftol=1e-15, xtol=1e-15, gtol=1e-15), bare_fit),
    ("RK45, Lotka-Volterra to t=200 (steps)", lambda: problem_from_dict(
        lotka_volterra_spec("RK45", t1=200.0)), bare_ode),
    ("DOP853, Lotka-Volterra to t=400 (steps)", lambda: problem_from_dict(
        lotka_volterra_spec("DOP853", t1=400.0)), bare_ode),
    ("Radau, Robertson to t=1e5 (steps)", lambda: problem_from_dict(
        robertson_spec("Radau", t1=1e5)), bare_ode),
    ("BDF, Robertson to t=1e5 (steps)", lambda: problem_from_dict(
        robertson_spec("BDF", t1=1e5)), bare_ode),
    ("LSODA, Robertson to t=1e5 (steps)", lambda: problem_from_dict(
        robertson_spec("LSODA", t1=1e5)), bare_ode),
]
