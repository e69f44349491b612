"""After a method reports success: is its end point a minimum?

The one home of that rule, for Powell and Nelder-Mead (below) and for
least-squares fits (the second half of this module).

scipy's Powell and Nelder-Mead stop on their own x and f tolerances, and can
report success at a point that is not a minimum. Measured here: bounded Powell
warm-started on Rosenbrock n=4 after a 50% change ended at f = 1.45 with
max|g| = 2.3 (the minimum is 0.099) in 6 of 9 trials, reporting success; bare
scipy does the same. That is the silent harm a warm start must not do.

WarmDesk has the exact gradient of every objective, so it checks the end point
against the method's own tolerances: one step of the method's x tolerance
(``xtol * (1 + |x|)`` for Powell, ``xatol`` for Nelder-Mead) down the
projected gradient must not lower f by more than the method's f tolerance
(``ftol * |f|``, ``fatol``). A real step, not a first-order prediction: at a
minimum with f near 0 a small gradient predicts a decrease that curvature
cancels. Where the step does lower f by more, the method is started once more
from there (fresh directions or simplex: what it learned is what misled it);
if the point is still not stationary, the run ends ``stopped`` at the better
of the two, its message saying so (``info.not_stationary``). Two evaluations
per check (f and gradient at the end point, f after the step), counted.
"""

from __future__ import annotations

import math

import numpy as np

from ..jacobian_svd import JacobianSVD

#: method -> (x tolerance option, default, f tolerance option, default, f tolerance is relative)
TOLERANCES: dict[str, tuple[str, float, str, float, bool]] = {
    "Powell": ("xtol", 1e-4, "ftol", 1e-4, True),
    "Nelder-Mead": ("xatol", 1e-4, "fatol", 1e-4, False),
}
METHODS = tuple(TOLERANCES)
#: What of a method's state a restart leaves out (it is what led the method astray).
FRESH_START_DROPS = ("direc", "initial_simplex")


def projected_gradient(x: np.ndarray, g: np.ndarray, lower: np.ndarray | None,
                       upper: np.ndarray | None) -> np.ndarray:
    """``x - clip(x - g)``: the gradient, less what a bound blocks."""
    if lower is None or upper is None:
        return g
    return x - np.clip(x - g, lower, upper)


def probe(method: str, options: dict, x: np.ndarray, g: np.ndarray,
          lower: np.ndarray | None = None, upper: np.ndarray | None = None
          ) -> tuple[np.ndarray, float] | None:
    """The point one x-tolerance step down the projected gradient (inside the
    bounds), and the largest projected-gradient entry; None when that is 0."""
    x_opt, x_default, _, _, relative = TOLERANCES[method]
    pg = projected_gradient(x, g, lower, upper)
    size = float(np.linalg.norm(pg))
    if x.size == 0 or size == 0.0:
        return None
    step = float(options.get(x_opt, x_default)) * ((1.0 + float(np.linalg.norm(x)))
                                                    if relative else 1.0)
    moved = x - (step / size) * pg if math.isfinite(size) else x
    if lower is not None and upper is not None:
        moved = np.clip(moved, lower, upper)
    return moved, float(np.max(np.abs(pg)))


def lowers_too_much(method: str, options: dict, f: float, f_moved: float) -> bool:
    """Whether the probe step lowered f by more than the method's f tolerance."""
    _, _, f_opt, f_default, relative = TOLERANCES[method]
    ftol = float(options.get(f_opt, f_default))
    allowed = ftol * abs(f) if relative else ftol
    return f - f_moved > allowed


def message(method: str, pg: float, drop: float) -> str:
    return (f"{method} reported success, but its end point is not a minimum: one step of "
            f"its x tolerance down the gradient ({pg:.3g} there) lowers f by {drop:.3g}, more "
            "than its f tolerance, also after one fresh restart. Try another method or "
            "tighter tolerances.")


# -- least squares (fit) -------------------------------------------------------------
#
# scipy's least_squares (trf, dogbox, lm) ends "successfully" on its x tolerance
# when its trust region has shrunk below ``xtol * |x|``, which on a badly scaled
# model can be far from a minimum. Measured: NIST MGH10 (b1 ~ 0.006, b2 ~ 6000)
# from its published start with trf and xtol=1e-3 ends on xtol at cost 3689
# with first-order optimality 8e6; the minimum's cost is 44. A step of the x
# tolerance down the raw gradient is no test here (it is 5 units along b1, which
# is 0.006): the probes are the model's own steps instead, scale-free: the Cauchy
# point (the minimiser of the Gauss-Newton model along the projected gradient)
# and the Gauss-Newton step, both kept inside the bounds. If either lowers the
# cost by more than the method's own f tolerance (``ftol * cost``, scipy's test)
# and more than the cost's rounding noise, the end point is not a minimum.

#: scipy's default f tolerance of least_squares.
LEAST_SQUARES_FTOL = 1e-8


def least_squares_probes(x: np.ndarray, r: np.ndarray, jac: np.ndarray,
                         lower: np.ndarray | None = None,
                         upper: np.ndarray | None = None,
                         svd: JacobianSVD | None = None) -> list[np.ndarray]:
    """Points a least-squares minimum at ``x`` (residuals ``r``, Jacobian ``jac``,
    weighted for a robust loss) must not improve on: the Cauchy point and the
    Gauss-Newton step, clipped into the bounds.

    ``svd``, when given, is the SVD of this ``jac`` (shared with the fit report,
    :mod:`..jacobian_svd`): the Gauss-Newton step is then solved from it, the same
    minimum-norm solution with the same rank cut-off as ``np.linalg.lstsq``."""
    g = jac.T @ r
    pg = projected_gradient(x, g, lower, upper)
    points: list[np.ndarray] = []
    jpg = jac @ pg
    curvature = float(jpg @ jpg)
    slope = float(g @ pg)
    if curvature > 0.0 and slope > 0.0 and math.isfinite(curvature / slope):
        points.append(x - (slope / curvature) * pg)
    step: np.ndarray | None
    if svd is not None:
        if (svd.rows, svd.cols) != jac.shape:
            raise ValueError(f"the SVD given is of a {svd.rows}x{svd.cols} Jacobian, not "
                             f"of this {jac.shape[0]}x{jac.shape[1]} one")
        step = svd.lstsq(-r)
    else:
        try:
            step = np.linalg.lstsq(jac, -r, rcond=None)[0]
        except np.linalg.LinAlgError:
            step = None
    if step is not None and np.all(np.isfinite(step)):
        points.append(x + step)
    if lower is not None and upper is not None:
        points = [np.clip(p, lower, upper) for p in points]
    return [p for p in points if not np.array_equal(p, x)]


def least_squares_lowers_too_much(options: dict, cost: float, cost_moved: float,
                                  noise: float) -> bool:
    """Whether a probe lowered the cost by more than ``ftol * cost`` and the noise."""
    ftol = options.get("ftol", LEAST_SQUARES_FTOL)
    ftol = float(ftol) if ftol is not None else 0.0
    return cost - cost_moved > max(ftol * cost, noise)


def cost_noise(r: np.ndarray, scale: np.ndarray | float) -> float:
    """The rounding noise of ``0.5 * r.r`` where each residual is a difference of
    values of size ``scale`` (the target / sigma): a few ulps of each term."""
    r = np.abs(r)
    return float(8 * np.finfo(float).eps * np.sum(r * (r + 2 * np.abs(scale))))


def least_squares_message(method: str, optimality: float, drop: float) -> str:
    return (f"{method} stopped on its tolerances, but its end point is not a minimum: the "
            f"gradient is {optimality:.3g} there and a Gauss-Newton step lowers the cost by "
            f"{drop:.3g}, more than its f tolerance, also after one fresh restart. Try "
            "tighter xtol/ftol, another method, or variables of similar size (rescale "
            "them in the model).")
