"""Radau and BDF with lean dense linear algebra (issue 16: wall time).

scipy's implicit integrators factor and solve their Newton systems through
``scipy.linalg.lu_factor`` / ``lu_solve``. For the small dense systems of a stiff
ODE (3 to a few hundred states) those wrappers cost far more than the LAPACK
work: ~7 µs per solve against ~0.6 µs for the ``getrs`` they end in (batching,
array-API and finite checks). A Radau step solves 4-10 systems, so the glue was
~40% of a bare ``solve_ivp`` on Robertson. These subclasses call the same LAPACK
routines (``getrf``/``getrs``, the ones ``lu_factor``/``lu_solve`` pick), so the
arithmetic, the steps and the results are bit-identical; they keep the refusals
that matter (a non-finite matrix or right-hand side raises ``ValueError``, as
scipy's ``check_finite`` does; a singular factor warns ``LinAlgWarning``) and
keep scipy's sparse path untouched.

The methods are class attributes, not closures, so a deep copy of an integrator
(an interrupted run kept in memory, :data:`.ode.LIVE_SOLVERS`) counts into the
copy, not the original.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.integrate import BDF, Radau
from scipy.linalg import LinAlgWarning, lu_factor, lu_solve
from scipy.linalg.lapack import dgetrf, dgetrs, zgetrf, zgetrs

_GETRF = {np.dtype(np.float64): dgetrf, np.dtype(np.complex128): zgetrf}
_GETRS = {np.dtype(np.float64): dgetrs, np.dtype(np.complex128): zgetrs}


def _require_finite(a: np.ndarray) -> None:
    """``check_finite``'s refusal, screened by one dot product (a NaN or Inf makes
    it non-finite; only then, or on overflow, is every value looked at)."""
    flat = a.ravel()
    if not math.isfinite(np.vdot(flat, flat).real) and not np.isfinite(flat).all():
        raise ValueError("array must not contain infs or NaNs")


def lu_factor_lean(a: np.ndarray) -> Any:
    """``lu_factor(a, overwrite_a=True)`` without the wrapper's overhead."""
    getrf = _GETRF.get(a.dtype)
    if getrf is None or a.ndim != 2 or a.size == 0:
        return lu_factor(a, overwrite_a=True)
    _require_finite(a)
    lu, piv, info = getrf(a, overwrite_a=True)
    if info < 0:
        raise ValueError(f"illegal value in {-info}th argument of internal getrf (lu_factor)")
    if info > 0:
        warnings.warn(f"Diagonal number {info} is exactly zero. Singular matrix.",
                      LinAlgWarning, stacklevel=3)
    return lu, piv


def lu_solve_lean(lu_and_piv: Any, b: np.ndarray) -> np.ndarray:
    """``lu_solve(lu_and_piv, b, overwrite_b=True)`` without the wrapper's overhead."""
    lu, piv = lu_and_piv
    getrs = _GETRS.get(lu.dtype)
    if (getrs is None or b.dtype != lu.dtype or b.ndim != 1 or b.shape[0] != lu.shape[0]
            or b.size == 0):
        return lu_solve(lu_and_piv, b, overwrite_b=True)
    _require_finite(b)
    x, info = getrs(lu, piv, b, overwrite_b=True)
    if info != 0:
        raise ValueError(f"illegal value in {-info}th argument of internal gesv|posv")
    return x


class _LeanLinearAlgebra:
    """Replaces the dense ``lu`` / ``solve_lu`` closures scipy's ``__init__`` sets
    (left as they are when the Jacobian is sparse)."""

    nlu: int
    J: Any

    def _use_lean_linear_algebra(self) -> None:
        if isinstance(self.J, np.ndarray):
            del self.lu   # the class's methods below
            del self.solve_lu

    def lu(self, a: np.ndarray) -> Any:
        self.nlu += 1
        return lu_factor_lean(a)

    def solve_lu(self, lu_and_piv: Any, b: np.ndarray) -> np.ndarray:
        return lu_solve_lean(lu_and_piv, b)


class LeanRadau(_LeanLinearAlgebra, Radau):
    """scipy's Radau IIA (order 5), its dense Newton systems solved by LAPACK directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._use_lean_linear_algebra()


class LeanBDF(_LeanLinearAlgebra, BDF):
    """scipy's BDF (NDF orders 1-5), its dense Newton systems solved by LAPACK directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._use_lean_linear_algebra()
