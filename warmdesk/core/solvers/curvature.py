"""A warm start's curvature, for the methods scipy gives nothing but ``x0``: L-BFGS-B, CG.

From an earlier optimum both methods start with a steepest-descent step, blind to the
curvature, and on an ill-conditioned problem they spend most of a warm solve learning
it again (Rosenbrock n=10 after a 1% change, warm from the old optimum: L-BFGS-B 26
evaluations, CG 156-340; bare scipy from the cold start 84 and ~400). The source run's
L-BFGS pairs describe it too poorly to help (measured: 50-92 evaluations, worse than
none), and one Newton step from the old optimum leaves the new one's neighbourhood.

So a warm start of these methods first takes quasi-Newton steps that begin with the
curvature: the inverse of the Hessian at the start point (forward differences of the
exact gradient, n counted evaluations), full steps with a backtracking line search,
BFGS updates. From a nearby optimum that converges in a few steps (that family: 16
evaluations in all, 11 of them for the Hessian; the user's method then stops at its
first evaluation, which the phase's last one serves). The user's own solve goes on
from where the phase ended, on the user's problem, bounds and tolerances, and decides
convergence, its message and its status as always; the phase's iterations are in the
run's history and ``run.info["scaled_start"]``.

Why not the method itself in coordinates scaled by the Hessian: measured, scipy's
L-BFGS-B costs ~50 us an evaluation in Python around its core, the loop here ~15,
for about as many evaluations. Why differences and not the generated Hessian-vector
product: that costs ~1.7 ms to build at its first use in a process, more than the
phase saves, and a start needs no exactness.

Only where it is sound and pays (:func:`worth_scaling`): a warm start, one of these two
methods, at most ``MAX_N`` unknowns, a source of the same structure that shows the
problem is hard, the start not on nor near a bound, and ``H(x0)`` positive definite.
A step never leaves the bounds, nor ends where f or its gradient is not finite: it is
shortened.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

import numpy as np

from ..errors import SolveFailed
from ..runs import Run
from .noise_floor import inverse_bfgs_update

METHODS = frozenset({"L-BFGS-B", "CG"})
#: Largest problem scaled: n gradients for H, an n^3 factorisation, n^2 per evaluation.
MAX_N = 64
#: At most this many iterations of the scaled phase (fewer when the user's ``maxiter`` is).
#: From a nearby optimum it converges in a few; after a large change (a and b by 50%)
#: it takes 20-40 steps that each lower f, which cost CG far more (cut at 20: 250
#: evaluations instead of 46). Every step must lower f by more than ``STALL_REL``.
MAX_ITERATIONS = 50
#: The phase's line search: sufficient decrease, and at most this many halvings of the
#: step (a quadratic model that needs more is a poor one: the method takes over).
ARMIJO = 1e-4
MAX_HALVINGS = 4
#: The phase hands over when a step lowers f by at most this, relative to f: well above
#: f's rounding noise (~1e-16), where a quasi-Newton step can stall for good (seen on
#: Rosenbrock's second minimum, where gtol=1e-8 is below what the rounding allows).
#: Relative to f alone, not to max(|f|, 1) as L-BFGS-B's ftol: near f = 6e-4 that
#: would end the phase a step before gtol is met.
STALL_REL = 1e-10
#: How ``ended`` begins when the phase took no step (its Hessian evaluations are spent).
NOT_USED = "not used"
#: A start this close to a bound (relative to its size, at least 1) is not scaled: the
#: new optimum may well lie on the bound, where the phase's steps are cut short and its
#: n + 1 evaluations are lost (seen: bounds 0.3% above the old optimum, 24-30 evaluations
#: against 16-19 without the phase).
NEAR_BOUND = 0.01


#: Evaluations the scaled phase itself takes, besides the n + 1 for the Hessian
#: (measured: 5 on the family of the module docstring; counted with some margin).
PHASE_EVALUATIONS = 9
#: The phase must cost at most this fraction of the source's evaluations: a plain warm
#: start from a nearby optimum takes about as much (measured: L-BFGS-B 27 of 84), and it
#: is the guard's budget for a warm run (advisor/guard.py, BUDGET_FRACTION), which the
#: phase then never exhausts by itself.
WARM_FRACTION = 0.3


def worth_scaling(method: str, n: int, source: Run, structure: str) -> str | None:
    """Why a warm start of ``method`` with ``n`` unknowns from ``source`` should run the
    scaled phase (the mapping report's ``scaled`` line), or None. The phase costs
    n + 1 + ``PHASE_EVALUATIONS`` evaluations: it runs when that is at most
    ``WARM_FRACTION`` of what the source took, or when the source ran it too (its own
    few evaluations then say nothing of how hard the problem is). Only a source of the
    same structure (``structure``: the problem's hash) says how hard the problem is."""
    if method not in METHODS or not 0 < n <= MAX_N or source.structure_hash != structure:
        return None
    first = f"quasi-Newton steps from the Hessian at the start ({n + 1} evaluations) come first"
    earlier = source.info.get("scaled_start")   # a stored run's info: any JSON
    if isinstance(earlier, dict) and earlier.get("used") is True:
        return f"{first}, as in its source {source.id[:8]}"
    if source.nfev * WARM_FRACTION < n + 1 + PHASE_EVALUATIONS:
        return None
    return f"{first}: its source took {source.nfev} evaluations for {n} unknowns"


def near_a_bound(x0: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None) -> bool:
    """Whether the start lies on a bound or within ``NEAR_BOUND`` of one."""
    if bounds is None:
        return False
    room = NEAR_BOUND * np.maximum(1.0, np.abs(x0))
    return bool((x0 - bounds[0] <= room).any() or (bounds[1] - x0 <= room).any())


class Counted(Protocol):
    """The solve's counted objective (``minimize._Objective``)."""

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]: ...


def hessian_by_differences(obj: Counted, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Symmetrised forward differences of the exact gradient at ``x`` (whose gradient
    is ``g``); n counted evaluations. A non-finite gradient raises SolveFailed."""
    n = x.size
    h = np.sqrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(x))
    rows = np.empty((n, n))
    for i in range(n):
        moved = x.copy()
        moved[i] += h[i]
        rows[i] = (obj.value_and_grad(moved)[1] - g) / (moved[i] - x[i])
    return 0.5 * (rows + rows.T)


def scaled_start(obj: Counted, x0: np.ndarray, gtol: float, max_iterations: int,
                 bounds: tuple[np.ndarray, np.ndarray] | None,
                 record: Callable[[np.ndarray, float], Any]
                 ) -> tuple[tuple[np.ndarray, float, np.ndarray], str]:
    """Run the scaled phase (module docstring) from ``x0``. Returns its last point
    ``(x, f, g)``, for the user's solve to go on from, and how the phase ended.
    ``record(x, f)`` records an iteration. A stop asked for meanwhile propagates
    as anywhere in the solve."""
    f, g = obj.value_and_grad(x0)   # the user's solve would fail here as well
    x = x0
    try:
        factor = np.linalg.cholesky(hessian_by_differences(obj, x0, g))
    except np.linalg.LinAlgError:   # not positive definite (or not finite): no bowl
        return (x, f, g), f"{NOT_USED}: the Hessian at the start is not positive definite"
    except SolveFailed as exc:
        return (x, f, g), f"{NOT_USED}: {exc}"
    inverse = np.linalg.inv(factor)
    inv_h = inverse.T @ inverse     # H^-1 = C^-T C^-1 for H = C C^T
    ended = f"{max_iterations} iterations"
    for _ in range(max_iterations):
        if np.abs(g).max() <= gtol:
            ended = "the gradient tolerance met"
            break
        d = -(inv_h @ g)
        slope = g.dot(d)
        if not slope < 0.0:
            ended = "no descent direction"
            break
        step = _line_search(obj, x, f, d, slope, bounds)
        if step is None:
            ended = "no decrease along the scaled step"
            break
        trial, f_new, g_new = step
        s, y = trial - x, g_new - g
        sy = s.dot(y)
        if sy > 0.0:   # then the update keeps the inverse Hessian positive definite
            inv_h = inverse_bfgs_update(inv_h, s, y, 1.0 / sy)
        met = np.abs(g_new).max() <= gtol   # the method then stops at its first evaluation
        if not met and f - f_new <= STALL_REL * max(abs(f), abs(f_new)):
            # Handed over from the stalled point, L-BFGS-B's first line search can find
            # no decrease left within f's rounding (ABNORMAL, seen): from the point
            # before it there is a decrease to find, and the method's own tests end it.
            ended = f"f no longer decreases (by at most {STALL_REL:g} of it)"
            break
        x, f, g = trial, f_new, g_new
        record(x, f)
    return (x, f, g), ended


def _line_search(obj: Counted, x: np.ndarray, f: float, d: np.ndarray, slope: float,
                 bounds: tuple[np.ndarray, np.ndarray] | None
                 ) -> tuple[np.ndarray, float, np.ndarray] | None:
    """The first of the steps 1, 1/2, ... 1/2^``MAX_HALVINGS`` along ``d`` that stays in
    the bounds and lowers f enough (Armijo); a trial where f or its gradient is not
    finite is counted and shortened, as a trust region would shrink. None: no such step."""
    t = 1.0
    for _ in range(MAX_HALVINGS + 1):
        trial = x + t * d
        if bounds is None or not ((trial < bounds[0]).any() or (trial > bounds[1]).any()):
            try:
                f_new, g_new = obj.value_and_grad(trial)
            except SolveFailed:
                pass   # NaN or Inf there (counted): a shorter step
            else:
                if f_new <= f + ARMIJO * t * slope:
                    return trial, f_new, g_new
        t *= 0.5
    return None
