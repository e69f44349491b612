"""One thin SVD of a fit's final Jacobian, shared by the fit report and the
stationarity probe.

At the end of a fit two things need a decomposition of the same Jacobian ``J``
(m rows, n parameters): the fit report (:mod:`.fit_report`: singular values
for the condition number, the right singular vectors for the covariance) and
the Gauss-Newton probe of the stationarity check (:mod:`.solvers.stationarity`:
the least-squares solution of ``J step = -r``). On a 2000-row fit each
decomposition costs about what a few solver iterations do, so it is made once.

:meth:`JacobianSVD.lstsq` is ``numpy.linalg.lstsq(J, b, rcond=None)[0]``
computed from the SVD: the minimum-norm least-squares solution
``V diag(1/s) U^T b`` over the singular values kept by lstsq's own rank rule
(``s > eps * max(m, n) * s_max``; LAPACK's gelsd drops ``s <= rcond * s_max``
with numpy's default ``rcond = eps * max(m, n)``). It is the fit report's rule
for a direction the data do not determine, too: one cut-off for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class JacobianSVD:
    """``J = u @ diag(s) @ vt`` (thin: ``min(m, n)`` singular values, descending)."""

    u: np.ndarray
    s: np.ndarray
    vt: np.ndarray
    rows: int
    cols: int

    @property
    def s_max(self) -> float:
        return float(self.s[0]) if self.s.size else 0.0

    @property
    def keep(self) -> np.ndarray:
        """The singular values above lstsq's (and the fit report's) rank cut-off."""
        cutoff = np.finfo(float).eps * max(self.rows, self.cols) * self.s_max
        return self.s > cutoff

    def lstsq(self, b: np.ndarray) -> np.ndarray:
        """The minimum-norm least-squares solution of ``J x = b``, as
        ``np.linalg.lstsq(J, b, rcond=None)[0]`` gives it (up to rounding)."""
        keep = self.keep
        return self.vt[keep].T @ ((self.u[:, keep].T @ b) / self.s[keep])


def jacobian_svd(jac: np.ndarray) -> JacobianSVD:
    """The thin SVD of ``jac`` (raises ``LinAlgError`` as ``np.linalg.svd`` does)."""
    jac = np.asarray(jac, dtype=float)
    u, s, vt = np.linalg.svd(jac, full_matrices=False)
    m, n = jac.shape
    return JacobianSVD(u, s, vt, m, n)
