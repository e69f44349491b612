"""Ending BFGS and CG at a step that meets ``gtol`` but whose change in f is rounding noise.

scipy's BFGS and CG accept a step only if f drops by ``c1 * alpha * |g.p|``
(Armijo). Near a tight ``gtol`` (1e-8 on an objective of ~1e-2) that decrease
is ~1e-18, below the rounding noise of f itself (a few ulps, ~1e-17). Then a
first trial that already lands at ``max|g| < gtol`` but whose f comes out a
few ulps *higher* is refused, and the line search spends 30 to 100
evaluations at steps of 1e-12 to 1e-16 before it gives up ("precision loss",
returning the previous iterate) or crawls on. And when a step changes f by
noise only, scipy sizes its next first trial by that change (zero) and stops
at once with "precision loss", the gradient still above ``gtol``.
``benchmarks/bench_noise_floor.py`` measures both, with this rule and without.

The rule, a narrow form of the "approximate Wolfe" acceptance of Hager and
Zhang: a trial point ends the solve when its gradient already passes the
method's own test (``max|g| <= gtol``, scipy's default infinity norm), its
f is no higher than the current iterate's by more than ``NOISE_REL * |f|``,
and scipy's line search would refuse it (a trial that meets the strong Wolfe
conditions is left to scipy, which takes it and ends with its own message: the
rule, and its "rounding noise" message, speak only where they decided the end).
That is the point scipy would have stopped at had its line search accepted the
step: the run ends ``converged`` there, and for BFGS with the inverse Hessian
scipy would have returned (the current iteration's: scipy does not update it
after the final step), rebuilt from the steps seen, so the run's warm-start
payload is the same as after an ordinary convergence.

BFGS also takes a step its line search refused for noise alone when the step
is otherwise a good one (f within the same band, the curvature condition
``g.d >= c2 g_k.d`` met, the gradient smaller): scipy's loop is left and
started again from that point with the inverse Hessian updated by the step,
exactly as scipy would have continued (the restart's first evaluation is the
one already made, not counted twice). The same restart follows a step scipy
took itself whose change in f was noise, which would otherwise make it stop
as said above. Without this, a solve whose gradient is still above ``gtol``
when f stops resolving ends in "precision loss", often after the same 30-100
wasted evaluations.
"""

from __future__ import annotations

import math

import numpy as np

#: Methods whose scipy loop ends on ``max|g| <= gtol`` right after a Wolfe line search.
METHODS = ("BFGS", "CG")
#: scipy's default ``gtol`` for both.
DEFAULT_GTOL = 1e-5
#: scipy's default curvature constant of each method's line search.
DEFAULT_C2 = {"BFGS": 0.9, "CG": 0.4}
#: How far above the current iterate's f a trial may come out and still count
#: as "no worse": far above rounding noise (~1e-16 relative) and far below any
#: difference a user or the library's "worse optimum" test (1e-6) would see.
NOISE_REL = 1e-12
#: Steps kept before they are folded into the inverse Hessian (floats in all pairs).
PAIR_FLOATS = 1_000_000
#: Refused steps taken in one solve at most (each restarts scipy's loop).
MAX_STEPS_TAKEN = 50


class AcceptedAtNoise(Exception):
    """Raised from inside the objective to end the solve at an accepted trial point."""

    def __init__(self, x: np.ndarray, f: float, f_before: float, gnorm: float) -> None:
        super().__init__("trial step accepted at the rounding noise of f")
        self.x, self.f, self.f_before, self.gnorm = x, f, f_before, gnorm

    def message(self, gtol: float) -> str:
        return ("Optimization terminated successfully (the last step reached "
                f"max|g| = {self.gnorm:.2g} <= gtol {gtol:.2g}; it was taken without "
                "scipy's line-search test, which at a change in f of "
                f"{self.f - self.f_before:+.2g} works at the objective's rounding noise)")


class StepAtNoise(Exception):
    """Raised from inside the objective to take a step the line search refused for noise."""

    def __init__(self, x: np.ndarray, f: float, recorded: bool = False) -> None:
        super().__init__("step taken at the rounding noise of f")
        #: ``recorded``: scipy took the step itself (its callback) but will stall next.
        self.x, self.f, self.recorded = x, f, recorded


class NoiseFloorRule:
    """Watches the evaluations of one BFGS/CG solve; see the module docstring."""

    __slots__ = ("_gk", "_gk_max", "_h", "_trail", "_xk", "bound", "c1", "c2",
                 "continue_steps", "floor", "fk", "gsq_limit", "gtol", "keep_pairs", "steps_taken")

    def __init__(self, gtol: float, h0: np.ndarray | None = None, keep_pairs: bool = False,
                 continue_steps: bool = False, c1: float = 1e-4, c2: float = 0.9) -> None:
        self.gtol = gtol
        self.keep_pairs = keep_pairs
        #: Take refused steps (BFGS: needs the replayed inverse Hessian to restart).
        self.continue_steps = continue_steps and keep_pairs
        self.c1, self.c2 = c1, c2
        self.steps_taken = 0
        #: max|g| at the current iterate, computed when first asked (see ``_gmax``).
        self._gk_max: float | None = math.inf
        #: f below this is a real decrease: scipy's line search takes such steps itself.
        self.floor = -math.inf
        #: f of the current iterate, and how high a trial's f may come out.
        self.fk = math.nan
        self.bound = math.inf  # the first evaluation (the start point) always comes through
        #: |g|^2 above which max|g| > gtol for sure (|g|_2 <= sqrt(n) max|g|), set per size.
        self.gsq_limit = math.inf
        self._xk: np.ndarray | None = None
        self._gk: np.ndarray | None = None
        self._h = None if h0 is None else np.array(h0, dtype=float)
        #: The iterates (x, g) not yet folded into ``_h``, the current one last; the
        #: steps are their differences. Kept as the copies ``_set_iterate`` makes
        #: anyway, so an iteration costs no arithmetic until the matrix is asked for.
        self._trail: list[tuple[np.ndarray, np.ndarray]] = []

    def evaluated(self, x: np.ndarray, f: float, g: np.ndarray) -> None:
        """Called with (x, f, g) of every evaluation that passes the cheap screen
        ``f <= bound and (f >= floor or g @ g <= gsq_limit)`` (the caller's, to keep
        the common case to a few comparisons). Raises :class:`AcceptedAtNoise` to
        end the solve, :class:`StepAtNoise` to take the step and go on."""
        if self._xk is None:  # scipy evaluates the start point first
            self._set_iterate(x, f, g)
            return
        if not f <= self.bound or np.array_equal(x, self._xk):
            return
        gmax = float(np.abs(g).max()) if g.size else 0.0
        if gmax <= self.gtol:
            if self._wolfe_accepts(x, f, g):
                return  # scipy takes this step itself and ends there: nothing to decide
            raise AcceptedAtNoise(np.array(x, dtype=float), f, self.fk, gmax)
        if self.continue_steps and f >= self.floor and gmax < self._gmax():
            assert self._gk is not None
            d = x - self._xk
            gkd = float(self._gk @ d)
            refused = f > self.fk + self.c1 * gkd  # what scipy's Armijo test says
            if gkd < 0.0 and refused and float(g @ d) >= self.c2 * gkd:
                raise StepAtNoise(np.array(x, dtype=float), f)

    def _wolfe_accepts(self, x: np.ndarray, f: float, g: np.ndarray) -> bool:
        """Whether scipy's line search accepts the trial ``x`` as it is (the strong
        Wolfe conditions with the method's c1 and c2). Then scipy's own loop ends
        there with its own message, and the rule must not claim the end: a clean
        convergence (say to f = 0) is not "at the rounding noise"."""
        if self._gk is None:
            return False
        d = x - self._xk
        gkd = float(self._gk @ d)
        return (gkd < 0.0 and f <= self.fk + self.c1 * gkd
                and abs(float(g @ d)) <= self.c2 * abs(gkd))

    def iterate(self, x: np.ndarray, f: float, g: np.ndarray | None,
                private: bool = False) -> bool:
        """scipy accepted ``x`` (its callback); ``g`` is the gradient evaluated there.
        ``private``: ``x`` is a copy nobody else changes (kept as it is, not copied).

        True when the step changed f by rounding noise only while the gradient is
        still above ``gtol``: scipy's next line search then starts from a zero
        step (its first trial is sized by the last decrease in f) and gives up at
        once with "precision loss"; going on from here (a restart) avoids that."""
        if self._xk is None:
            return False
        if g is None:  # not among the last evaluations: the steps can no longer be replayed
            self.keep_pairs = False
            self._trail.clear()
            self.continue_steps = False
            self._set_iterate(x, f, None)
            return False
        stagnated = self.floor <= f <= self.bound
        keep = self.keep_pairs
        if keep and not self._trail:
            assert self._xk is not None and self._gk is not None
            self._trail.append((self._xk, self._gk))
        self._set_iterate(x, f, g, private)
        if keep:
            assert self._xk is not None and self._gk is not None
            self._trail.append((self._xk, self._gk))
            if (len(self._trail) - 1) * x.size * 2 > PAIR_FLOATS:
                self._fold()
        return stagnated and self.continue_steps and self._gmax() > self.gtol

    def inverse_hessian(self, n: int) -> np.ndarray:
        """The BFGS inverse Hessian of the current iteration (scipy's update, replayed)."""
        self._fold(n)
        assert self._h is not None
        return 0.5 * (self._h + self._h.T)

    def restart_matrix(self, n: int) -> np.ndarray:
        """The inverse Hessian to restart scipy with. scipy refuses one that is not
        positive definite (rounding can make the replay so): then the identity,
        as scipy itself starts, and the replay goes on from it."""
        h = self.inverse_hessian(n)
        try:
            np.linalg.cholesky(h)
        except np.linalg.LinAlgError:
            h = np.eye(n)
            self._h = h.copy()
        return h

    def _set_iterate(self, x: np.ndarray, f: float, g: np.ndarray | None,
                     private: bool = False) -> None:
        """``x`` is the current iterate. ``g`` None (unknown) keeps the gradient
        figures as they were: ``gsq_limit`` is the same at every iterate, and the
        others serve only the taking of refused steps, which is then off."""
        self._xk, self.fk = (x if private else np.array(x, dtype=float)), f
        self.bound = f + NOISE_REL * abs(f)
        self.floor = f - NOISE_REL * abs(f)
        if g is not None:
            self._gk = np.array(g, dtype=float)
            self.gsq_limit = x.size * self.gtol * self.gtol
            self._gk_max = None

    def _gmax(self) -> float:
        """max|g| at the current iterate (asked for only near the end of a solve)."""
        if self._gk_max is None:
            assert self._gk is not None
            self._gk_max = float(np.abs(self._gk).max()) if self._gk.size else 0.0
        return self._gk_max

    def _fold(self, n: int | None = None) -> None:
        trail = self._trail
        if self._h is None:
            size = n if n is not None else (trail[0][0].size if trail else 0)
            self._h = np.eye(size)
        h = self._h
        for (x0, g0), (x1, g1) in zip(trail, trail[1:]):
            s, y = x1 - x0, g1 - g0
            sy = float(y @ s)
            rho = 1000.0 if sy == 0.0 else 1.0 / sy  # scipy's rule for y.s == 0
            h = inverse_bfgs_update(h, s, y, rho)
        self._h = h
        del trail[:-1]  # the current iterate starts the next steps


def inverse_bfgs_update(h: np.ndarray, s: np.ndarray, y: np.ndarray, rho: float) -> np.ndarray:
    """scipy's BFGS update of a symmetric inverse Hessian ``h`` by the step ``s`` and
    the change of gradient ``y``, ``rho = 1 / (y . s)``: ``(I - rho s y^T) h (I - rho
    y s^T) + rho s s^T``, written as a rank-2 update (O(n^2) instead of O(n^3)).
    The rule's replay of scipy's BFGS and the scaled start (curvature.py) use it."""
    hy = h @ y
    return (h - rho * (np.outer(s, hy) + np.outer(hy, s))
            + (rho * rho * float(y @ hy) + rho) * np.outer(s, s))
