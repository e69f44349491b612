"""What a ``minimize`` (or ``train``) solve takes from an earlier run beyond ``x0``,
and what it leaves for the next one.

Payloads each method accepts beyond ``x0`` (scipy takes nothing else for
L-BFGS-B, CG, SLSQP, TNC and Newton-CG, and we say so rather than pretend):

- BFGS: ``hess_inv`` (the previous inverse Hessian, symmetrised, as ``hess_inv0``)
- Nelder-Mead: ``initial_simplex`` (the previous final simplex, resized: see
  :func:`resized_simplex`)
- Powell: ``direc`` (the previous direction set) is accepted, stored, and by
  default not passed back (see ``NOT_REUSED``: measured to slow warm runs down)
- trust-constr: ``qn_hess`` (the quasi-Newton Hessian of the objective). Its
  barrier parameter is stored but not passed back (see ``NOT_REUSED``), and
  never the final trust radius: passed back it stopped runs after one
  evaluation at a worse point, reporting success.

A warm L-BFGS-B or CG start of a hard problem takes no payload but begins with
the curvature at its start point instead (:mod:`.curvature`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize

from .base import SolveContext

#: Largest problem whose n x n matrices (inverse Hessian, directions) are kept:
#: 1000^2 float64 is 8 MB a run; above that a library of thousands of runs
#: would be dominated by matrices, and only x0 is stored.
MATRIX_STATE_MAX_N = 1000
#: A barrier parameter passed back is floored at this: a converged run's tiny
#: barrier would tell the interior-point method it is already done.
BARRIER_FLOOR = 1e-4
#: A Nelder-Mead simplex passed back is resized to this fraction of the point's scale.
SIMPLEX_FRACTION = 0.05


def apply_payload(ctx: SolveContext, kwargs: dict[str, Any], options: dict[str, Any]
                  ) -> optimize.BFGS | None:
    """Pass the warm-start state to scipy. Returns the trust-constr Hessian strategy."""
    method = ctx.problem.method
    state = ctx.warm.state if ctx.warm is not None else {}
    if method == "BFGS" and "hess_inv" in state:
        h = np.asarray(state["hess_inv"], dtype=float)
        options["hess_inv0"] = 0.5 * (h + h.T)  # scipy refuses the not-quite-symmetric matrix
    if method == "Nelder-Mead" and "initial_simplex" in state:
        options["initial_simplex"] = resized_simplex(np.asarray(state["initial_simplex"], float))
    if method == "Powell" and "direc" in state:
        options["direc"] = np.asarray(state["direc"], dtype=float)
    if method != "trust-constr":
        return None
    qn = optimize.BFGS()
    if "qn_hess" in state:
        b = np.asarray(state["qn_hess"], dtype=float)
        qn = optimize.BFGS(init_scale=0.5 * (b + b.T))
    if "barrier" in state:
        options.setdefault("initial_barrier_parameter",
                           max(float(np.ravel(state["barrier"])[0]), BARRIER_FLOOR))
    kwargs["hess"] = qn
    return qn


def resized_simplex(simplex: np.ndarray, fraction: float = SIMPLEX_FRACTION) -> np.ndarray:
    """The previous simplex's shape and orientation around its best vertex, resized.

    A converged simplex is tiny: handed back as it is, Nelder-Mead crawls (measured
    here on Rosenbrock: 1.0-1.7x the cold work). Resized to ``fraction`` of the
    point's scale it keeps what it learned of the valley's direction.
    """
    best = simplex[0]
    n = best.size
    edges = simplex[1:] - best
    size = float(np.max(np.linalg.norm(edges, axis=1))) if edges.size else 0.0
    target = fraction * max(1.0, float(np.linalg.norm(best)) / np.sqrt(max(n, 1)))
    if size <= 1e-300 or not np.isfinite(size):
        return np.vstack([best, best + np.eye(n) * target])
    return np.vstack([best, best + edges * (target / size)])


def state_after(ctx: SolveContext, res: optimize.OptimizeResult, x: np.ndarray,
                qn: optimize.BFGS | None, bounded: bool) -> dict[str, np.ndarray]:
    """The state a finished run keeps for the next warm start (``bounded``: the
    solve had bounds, so trust-constr ran its interior-point method)."""
    method, n = ctx.problem.method, x.size
    state: dict[str, np.ndarray] = {"x": x.copy()}
    if n > MATRIX_STATE_MAX_N:
        ctx.run.info["state_note"] = (f"n={n} > {MATRIX_STATE_MAX_N}: only x is kept "
                                      "(matrix state would be too large)")
        return state
    if method == "BFGS" and getattr(res, "hess_inv", None) is not None:
        h = np.asarray(res.hess_inv, dtype=float)
        state["hess_inv"] = 0.5 * (h + h.T)
    elif method == "Nelder-Mead" and getattr(res, "final_simplex", None) is not None:
        state["initial_simplex"] = np.asarray(res.final_simplex[0], dtype=float)
    elif method == "Powell" and getattr(res, "direc", None) is not None:
        state["direc"] = np.asarray(res.direc, dtype=float)
    elif method == "trust-constr":
        if qn is not None and getattr(qn, "B", None) is not None:
            state["qn_hess"] = np.array(qn.B, dtype=float)
        barrier = getattr(res, "barrier_parameter", None)
        interior_point = bool(ctx.problem.constraints) or bounded
        if barrier is not None and interior_point:
            state["barrier"] = np.array([float(barrier)])
    return state
