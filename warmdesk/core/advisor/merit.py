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

#: A run of a different problem (another structure) is a candidate only when the
#: new objective at its start point is this many times lower than at the default
#: start: sharing a variable name says nothing about where the new minimum lies,
#: and merely "lower than the default start" is what almost any point near the
#: middle of a bowl achieves.
DIFFERENT_PROBLEM_FACTOR = 10.0


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


def different_problem_bar(m0: float) -> float:
    """The merit a start point from a different problem must reach, given the
    default start's merit ``m0``: ``DIFFERENT_PROBLEM_FACTOR`` times lower, i.e.
    ``m0 / 10`` for ``m0 > 0``, ``10 * m0`` for ``m0 < 0``, below 0 for ``m0 == 0``,
    and any finite value when the default start is not finite."""
    if not math.isfinite(m0):
        return math.inf
    return m0 / DIFFERENT_PROBLEM_FACTOR if m0 >= 0 else m0 * DIFFERENT_PROBLEM_FACTOR


def proves_useful(m: float, m0: float) -> bool:
    """Whether a start point of a different problem, of merit ``m``, has earned a
    place above the cold start (of merit ``m0``): see :func:`different_problem_bar`."""
    return math.isfinite(m) and m < m0 and m <= different_problem_bar(m0)
