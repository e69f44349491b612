"""The new problem's own judgement of a start point: its objective (plus a
penalty for constraint violation), so that candidates are compared by what
matters for the new solve, not only by how similar their parameters were."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..problems import Problem
from ..solvers.compiled import ScalarFunction, expression_vector

#: Violation is weighed this much relative to the objective's scale.
PENALTY = 1e3


def merit_function(problem: Problem) -> Callable[[np.ndarray], tuple[float, float]]:
    """x (flat) -> (objective, constraint violation); inf when not finite."""
    if problem.kind == "minimize":
        assert problem.objective is not None
        fn = ScalarFunction(problem, problem.objective)
        cons = [(c.type, expression_vector(problem, c.expression)) for c in problem.constraints]

        def minimize_merit(x: np.ndarray) -> tuple[float, float]:
            viol = 0.0
            for typ, vf in cons:
                v = vf.value(x)
                viol = max(viol, float(np.max(np.abs(v) if typ == "eq" else np.maximum(-v, 0))))
            return fn.value(x), viol
        return _guarded(minimize_merit)
    if problem.kind == "fit":
        from ..solvers.fit import residual_function
        rf = residual_function(problem)
        lower, upper = problem.bounds_arrays()

        def fit_merit(x: np.ndarray) -> tuple[float, float]:
            r = rf.value(np.clip(x, lower, upper))
            return 0.5 * float(np.dot(r, r)), 0.0
        return _guarded(fit_merit)
    if problem.kind == "train":
        from ..solvers.train import TrainObjective
        obj = TrainObjective(problem)
        return _guarded(lambda x: (obj.value(x), 0.0))
    raise ValueError(f"no merit for kind {problem.kind!r}")


def _guarded(fn: Callable[[np.ndarray], tuple[float, float]]
             ) -> Callable[[np.ndarray], tuple[float, float]]:
    def safe(x: np.ndarray) -> tuple[float, float]:
        try:
            with np.errstate(all="ignore"):
                f, v = fn(np.asarray(x, dtype=float))
        except (ValueError, ArithmeticError, IndexError, TypeError):
            return math.inf, math.inf
        return (f if math.isfinite(f) else math.inf), (v if math.isfinite(v) else math.inf)
    return safe


def combined(f: float, viol: float, scale: float) -> float:
    """One number to rank by: objective plus a scaled violation penalty."""
    return f + PENALTY * max(scale, 1.0) * viol
