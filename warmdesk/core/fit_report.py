"""How well a fit determines its parameters: standard errors, correlations and
the conditioning of the problem, as lmfit's report and R's ``summary(nls)`` give.

Computed once at the end of every ``fit`` run (:func:`fit_report`) from the
Jacobian ``J`` (m rows, n parameters) of the weighted residuals ``r`` at the
solution, and stored with the run as ``run.info["fit_report"]``:

- covariance ``C = s^2 (J^T J)^-1`` with the residual variance
  ``s^2 = r.r / (m - n)`` (= 2 cost / (m - n) for the linear loss). ``C`` is
  scaled by ``s^2`` whether or not ``sigma`` is given, as lmfit
  (``scale_covar``) and ``curve_fit(absolute_sigma=False)`` do.
- standard error ``se_i = sqrt(C_ii)``; correlation ``C_ij / (se_i se_j)``.
- condition number of ``J^T J``: ``(s_max / s_min)^2`` from the singular values
  of ``J`` (J^T J is never formed: that would square the rounding). About
  ``16 - log10(cond)`` digits of the parameters are reliable in double precision.

A direction with a singular value at or below ``eps * max(m, n) * s_max`` is
not determined by the data at all: the parameters it touches get no standard
error (None) and are flagged.

For a robust loss (soft_l1, huber, ...) the same formulas use the plain
weighted residuals: a guide, not the robust estimator's exact covariance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .jacobian_svd import JacobianSVD, jacobian_svd

#: A parameter whose standard error exceeds this multiple of |value| is poorly determined.
RELATIVE_ERROR_LIMIT = 1.0
#: Two parameters correlated beyond this (in absolute value) trade off against each other.
CORRELATION_LIMIT = 0.99
#: Beyond this condition number of J^T J fewer than about 6 digits are reliable (16 - 10).
CONDITION_LIMIT = 1e10
DOUBLE_DIGITS = 16
#: The correlation matrix is stored for at most this many parameters (n^2 numbers);
#: the flags are computed for any number.
MAX_CORRELATION_STORED = 50
#: At most this many warnings are kept (the last one says how many more there were).
MAX_FLAGS = 20
#: The text report lists at most this many parameters (the JSON form has them all).
MAX_LINES = 30


def flat_names(layout: list[tuple[str, int]] | list[list[Any]]) -> list[str]:
    """One name per unknown: ``a`` for a scalar, ``w[0]``, ``w[1]``... for a vector."""
    names: list[str] = []
    for name, size in layout:
        names += [str(name)] if int(size) == 1 else [f"{name}[{i}]" for i in range(int(size))]
    return names


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass
class FitReport:
    """Parameter uncertainties of one fit (JSON-ready: non-finite values are None)."""

    names: list[str]
    values: list[float]
    stderr: list[float | None]              # None: not determined by the data
    correlation: list[list[float | None]]   # empty above MAX_CORRELATION_STORED parameters
    condition: float | None                 # of J^T J; None: singular
    rows: int
    dof: int                                # rows - parameters
    residual_variance: float | None
    flags: list[str] = field(default_factory=list)
    poorly_determined: list[str] = field(default_factory=list)

    @property
    def correct_digits(self) -> float | None:
        """About how many digits of the parameters double precision leaves reliable."""
        if self.condition is None:
            return 0.0
        return max(0.0, DOUBLE_DIGITS - math.log10(max(self.condition, 1.0)))

    def to_dict(self) -> dict[str, Any]:
        """What ``dataclasses.asdict`` gives (fresh lists, the same keys in the same
        order), written out: asdict deep-copies every number one by one (measured at the
        end of a 7-parameter fit: 70-80 us against 3 us; tests/core/test_jacobian_svd.py
        checks both agree)."""
        return {"names": list(self.names), "values": list(self.values),
                "stderr": list(self.stderr),
                "correlation": [list(row) for row in self.correlation],
                "condition": self.condition, "rows": self.rows, "dof": self.dof,
                "residual_variance": self.residual_variance, "flags": list(self.flags),
                "poorly_determined": list(self.poorly_determined)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FitReport:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    @classmethod
    def read(cls, data: Any) -> FitReport | None:
        """The report stored with a run, or None when it is missing or malformed
        (a run file from elsewhere): shown as far as it can be, never a crash."""
        try:
            report = cls.from_dict(data)
            n = len(report.names)
            numbers = (int, float)
            ok = (len(report.values) == n == len(report.stderr)
                  and all(isinstance(v, numbers) for v in report.values)
                  and all(v is None or isinstance(v, numbers) for v in report.stderr)
                  and all(isinstance(f, str) for f in report.flags)
                  and (report.condition is None or isinstance(report.condition, numbers))
                  and isinstance(report.rows, int) and isinstance(report.dof, int)
                  and all(len(row) == n and all(c is None or isinstance(c, numbers) for c in row)
                          for row in report.correlation))
        except (TypeError, ValueError, AttributeError):
            return None
        return report if ok else None

    def lines(self) -> list[str]:
        """The report as text: one line per parameter, then the flags."""
        out = [f"{'parameter':>12} {'value':>14} {'std error':>11} {'relative':>9}"]
        for name, value, se in list(zip(self.names, self.values, self.stderr))[:MAX_LINES]:
            if se is None:
                err, rel = "-", "-"
            else:
                err = f"{se:.4g}"
                rel = f"{se / abs(value):.2%}" if value != 0 else "-"
            mark = "  poorly determined" if name in self.poorly_determined else ""
            out.append(f"{name:>12} {value:>14.8g} {err:>11} {rel:>9}{mark}")
        if len(self.names) > MAX_LINES:
            out.append(f"{'':>12} … {len(self.names) - MAX_LINES} more parameters (--json has "
                       "them all)")
        cond = "singular" if self.condition is None else f"{self.condition:.3g}"
        digits = self.correct_digits
        out.append(f"condition number of J^T J: {cond} (at worst about {digits:.0f} correct "
                   f"digits); {self.rows} rows, {self.dof} degrees of freedom")
        strong = [(self.names[i], self.names[j], c) for i, row in enumerate(self.correlation)
                  for j, c in enumerate(row) if j > i and c is not None and abs(c) > 0.9][:10]
        if strong:
            out.append("correlations above 0.9: " + ", ".join(
                f"{a}~{b} {c:+.4f}" for a, b, c in strong))
        out += [f"warning: {flag}" for flag in self.flags]
        return out


def fit_report(x: np.ndarray, jac: np.ndarray, residuals: np.ndarray,
               names: list[str], svd: JacobianSVD | None = None) -> FitReport:
    """The report for a fit ending at ``x`` with Jacobian ``jac`` and residuals;
    ``svd``, when given, is :func:`~.jacobian_svd.jacobian_svd` of this ``jac``
    made already (by the stationarity probe), else it is made here."""
    x = np.asarray(x, dtype=float)
    jac = np.asarray(jac, dtype=float)
    r = np.asarray(residuals, dtype=float)
    m, n = jac.shape
    if svd is not None and (svd.rows, svd.cols) != (m, n):
        raise ValueError(f"the SVD given is of a {svd.rows}x{svd.cols} Jacobian, not of "
                         f"this {m}x{n} one")
    dof = m - n
    values = [float(v) for v in x]
    empty = FitReport(names, values, [None] * n, [[None] * n for _ in range(n)], None, m, dof,
                      None)
    if n == 0:
        return empty
    if not (np.all(np.isfinite(jac)) and np.all(np.isfinite(r))):
        empty.flags.append("the Jacobian or the residuals are not finite at the solution: "
                           "no uncertainties")
        empty.poorly_determined = list(names)
        return empty
    dec = svd if svd is not None else jacobian_svd(jac)
    s, vt, s_max, keep = dec.s, dec.vt, dec.s_max, dec.keep
    # a parameter is undetermined when a dropped (null) direction touches it
    null = vt[~keep] if s.size == n else np.vstack([vt[~keep], _complement(vt)])
    touched = (np.any(np.abs(null) > 1e-8, axis=0) if null.size
               else np.zeros(n, dtype=bool))
    condition = (s_max / float(s[-1])) ** 2 if s.size == n and bool(np.all(keep)) else math.inf
    report = FitReport(names, values, [None] * n, [[None] * n for _ in range(n)],
                       _finite_or_none(condition), m, dof, None)
    if dof <= 0:
        report.flags.append(f"{m} data rows for {n} parameters: no degrees of freedom left to "
                            "estimate uncertainties; add data or fix parameters")
        report.poorly_determined = list(names)
        return report
    variance = float(r @ r) / dof
    report.residual_variance = variance
    v_kept = vt[keep].T / s[keep]
    cov = variance * (v_kept @ v_kept.T)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    poor: list[str] = []
    for i in range(n):
        if touched[i]:
            poor.append(names[i])
            report.flags.append(f"{names[i]} is not determined by the data (J^T J is singular "
                                "in its direction); fix it or reparametrise the model")
            continue
        report.stderr[i] = float(se[i])
        if se[i] > RELATIVE_ERROR_LIMIT * abs(values[i]):
            poor.append(names[i])
            report.flags.append(
                f"{names[i]} is poorly determined: its standard error {se[i]:.3g} exceeds "
                f"{RELATIVE_ERROR_LIMIT:g} x |value| ({abs(values[i]):.3g})")
    known = ~touched & (se > 0)
    with np.errstate(all="ignore"):
        corr = np.clip(cov / np.outer(se, se), -1.0, 1.0)
    corr[~np.outer(known, known)] = np.nan
    if n <= MAX_CORRELATION_STORED:
        report.correlation = [[_finite_or_none(c) for c in row] for row in corr.tolist()]
    else:
        report.correlation = []
    for i, j in np.argwhere(np.triu(np.abs(np.nan_to_num(corr)) > CORRELATION_LIMIT, 1)):
        c = float(corr[i, j])
        poor += [name for name in (names[i], names[j]) if name not in poor]
        report.flags.append(
            f"{names[i]} and {names[j]} are correlated at {c:+.4f} (|c| > "
            f"{CORRELATION_LIMIT:g}): the data fix a combination of them, not each; "
            "fix one or reparametrise the model")
    if report.condition is not None and report.condition > CONDITION_LIMIT:
        report.flags.append(
            f"J^T J is ill-conditioned (condition number {report.condition:.3g} > "
            f"{CONDITION_LIMIT:.0e}): at worst only about {report.correct_digits:.0f} digits of "
            "the parameters are correct (16 - log10 of it); rescale the variables or "
            "reparametrise the model")
    poor_set = set(poor)
    report.poorly_determined = [name for name in names if name in poor_set]
    if len(report.flags) > MAX_FLAGS:
        rest = len(report.flags) - MAX_FLAGS + 1
        report.flags = report.flags[:MAX_FLAGS - 1] + [
            f"and {rest} more warnings like these ({len(poor_set)} parameters in all are "
            "poorly determined; see poorly_determined)"]
    return report


def _complement(vt: np.ndarray) -> np.ndarray:
    """Directions of parameter space the rows of ``vt`` do not span (m < n)."""
    n = vt.shape[1]
    q, _ = np.linalg.qr(np.hstack([vt.T, np.eye(n)]))
    return q[:, vt.shape[0]:n].T
