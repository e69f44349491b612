"""The new problem's own judgement of a start point: its objective (plus a
penalty for constraint violation), so that candidates are compared by what
matters for the new solve, not only by how similar their parameters were."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..kinds.registry import kind
from ..problem_types import Problem

#: Violation is weighed this much relative to the objective's scale.
PENALTY = 1e3

#: A run of a different problem (another structure) is a candidate only when the
#: new objective at its start point is this many times lower than at the default
#: start: sharing a variable name says nothing about where the new minimum lies,
#: and merely "lower than the default start" is what almost any point near the
#: middle of a bowl achieves.
DIFFERENT_PROBLEM_FACTOR = 10.0


def merit_function(problem: Problem) -> Callable[[np.ndarray], tuple[float, float]]:
    """x (flat) -> (objective, constraint violation); inf when not finite. Each
    kind judges its own points (``Kind.merit``); ValueError for a kind without."""
    return _guarded(kind(problem.kind).merit(problem))


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


def different_problem_bar(m0: float, factor: float = DIFFERENT_PROBLEM_FACTOR) -> float:
    """The merit a start point from a different problem must reach, given the
    default start's merit ``m0``: ``factor`` times lower (the kind's
    ``different_problem_factor``, ``DIFFERENT_PROBLEM_FACTOR`` unless it says
    otherwise), i.e. ``m0 / 10`` for ``m0 > 0``, ``10 * m0`` for ``m0 < 0``, below
    0 for ``m0 == 0``, and any finite value when the default start is not finite."""
    if not math.isfinite(m0):
        return math.inf
    return m0 / factor if m0 >= 0 else m0 * factor


def proves_useful(m: float, m0: float, factor: float = DIFFERENT_PROBLEM_FACTOR) -> bool:
    """Whether a start point of a different problem, of merit ``m``, has earned a
    place above the cold start (of merit ``m0``): see :func:`different_problem_bar`."""
    return math.isfinite(m) and m < m0 and m <= different_problem_bar(m0, factor)


def different_problem_factor(problem: Problem) -> float:
    """The bar's factor for ``problem``'s kind (``Kind.different_problem_factor``)."""
    return float(kind(problem.kind).different_problem_factor)
