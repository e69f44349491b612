"""The cases of ``bench_wall.py``: a WarmDesk spec and the same problem written
by hand in numpy (objective and gradient, residuals and Jacobian, right-hand
side and Jacobian) for bare scipy. Not a benchmark itself.

Each hand-written function is what a careful user would write: vectorised
numpy, the exact derivative, no counting, no checks. The bare solve gets the
same start, bounds, tolerances and options the engine passes to scipy, so the
two should take the same steps; ``bench_wall`` checks that (nfev / steps).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from scipy import integrate, optimize
from scipy.special import expit, log_expit

from _common import FORMAT, robertson_spec, rosenbrock_spec


@dataclass
class WallCase:
    label: str
    kind: str
    method: str
    spec: dict[str, Any]
    #: (data already loaded, or None) -> (nfev, second count): the bare scipy solve;
    #: the second count is ``nit`` for minimize and train, ``njev`` for fit and ode.
    bare: Callable[[Any], tuple[int, int]]
    #: Reads the case's data file the way a numpy user would (np.loadtxt); None: no data.
    load: Callable[[], Any] | None = None


# --------------------------------------------------------------------------- Rosenbrock

def rosen_value_grad(x: np.ndarray, a: float = 1.0, b: float = 100.0) -> tuple[float, np.ndarray]:
    u = x[1:] - x[:-1] ** 2
    v = a - x[:-1]
    f = float(np.sum(b * u * u + v * v))
    g = np.zeros_like(x)
    g[:-1] = -4.0 * b * u * x[:-1] - 2.0 * v
    g[1:] += 2.0 * b * u
    return f, g


def rosenbrock(method: str, n: int) -> WallCase:
    spec = rosenbrock_spec(method, n=n, start=0.0)
    lower = spec["variables"]["x"].get("lower")
    upper = spec["variables"]["x"].get("upper")

    def bare(_: Any) -> tuple[int, int]:
        bounds = None if lower is None else optimize.Bounds(np.full(n, lower), np.full(n, upper))
        res = optimize.minimize(rosen_value_grad, np.zeros(n), jac=True, method=method,
                                bounds=bounds, options={})
        return int(res.nfev), int(res.nit)

    return WallCase(f"Rosenbrock n={n}", "minimize", method, spec, bare)


# --------------------------------------------------------------------------- exponential decay fit

DECAY_TRUE = (2.5, 1.3, 0.4)  # A, k, c


def decay_fit(folder: Path, rows: int) -> WallCase:
    rng = np.random.default_rng(16)
    t = np.linspace(0.0, 5.0, rows)
    a, k, c = DECAY_TRUE
    y = a * np.exp(-k * t) + c + rng.normal(0.0, 0.02, rows)
    path = folder / f"decay-{rows}.csv"
    np.savetxt(path, np.column_stack([t, y]), delimiter=",", header="t,y", comments="",
               fmt="%.17g")
    spec = {"format": FORMAT, "name": "decay", "kind": "fit",
            "variables": {"A": {"start": 1.0}, "k": {"start": 0.5}, "c": {"start": 0.0}},
            "data": {"file": str(path)}, "target": "y", "model": "A*exp(-k*t) + c",
            "solver": {"method": "trf", "options": {}}}

    def load() -> Any:
        return np.loadtxt(path, delimiter=",", skiprows=1)

    def bare(data: np.ndarray) -> tuple[int, int]:
        tt, yy = data[:, 0], data[:, 1]

        def residuals(p: np.ndarray) -> np.ndarray:
            return p[0] * np.exp(-p[1] * tt) + p[2] - yy

        def jacobian(p: np.ndarray) -> np.ndarray:
            e = np.exp(-p[1] * tt)
            return np.column_stack([e, -p[0] * tt * e, np.ones_like(tt)])

        res = optimize.least_squares(residuals, np.array([1.0, 0.5, 0.0]), jac=jacobian,
                                     method="trf")
        return int(res.nfev), int(res.njev)

    return WallCase(f"exp. decay fit, {rows} points", "fit", "trf", spec, bare, load)


# --------------------------------------------------------------------------- logistic regression

def logistic(folder: Path, rows: int, features: int = 50, l2: float = 1e-2) -> WallCase:
    rng = np.random.default_rng(17)
    X = rng.normal(0.0, 1.0, (rows, features))
    w = rng.normal(0.0, 1.0, features) / np.sqrt(features)
    y = (X @ w + 0.3 + rng.logistic(size=rows) > 0).astype(float)
    path = folder / f"logistic-{rows}.csv"
    header = ",".join([f"f{i}" for i in range(features)] + ["label"])
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=header, comments="",
               fmt="%.9g")
    spec = {"format": FORMAT, "name": "logistic", "kind": "train", "data": {"file": str(path)},
            "target": "label", "model": "logistic", "l2": l2,
            "solver": {"method": "L-BFGS-B", "options": {}}}

    def load() -> Any:
        return np.loadtxt(path, delimiter=",", skiprows=1)

    def bare(data: np.ndarray) -> tuple[int, int]:
        Xd, yd = data[:, :-1], data[:, -1]
        m = Xd.shape[0]

        def value_grad(p: np.ndarray) -> tuple[float, np.ndarray]:
            wv, b = p[:-1], p[-1]
            z = Xd @ wv + b
            f = float(np.mean(-yd * log_expit(z) - (1 - yd) * log_expit(-z)))
            dz = (expit(z) - yd) / m
            g = np.empty_like(p)
            g[:-1] = Xd.T @ dz + l2 * wv
            g[-1] = dz.sum()
            return f + 0.5 * l2 * float(wv @ wv), g

        res = optimize.minimize(value_grad, np.zeros(features + 1), jac=True,
                                method="L-BFGS-B")
        return int(res.nfev), int(res.nit)

    return WallCase(f"logistic, {features} features, {rows} rows", "train", "L-BFGS-B", spec,
                    bare, load)


# --------------------------------------------------------------------------- stiff ODEs

def _bare_ode(method: str, fun: Callable[..., np.ndarray], jac: Callable[..., np.ndarray],
              t1: float, y0: list[float], t_eval: int, opts: dict[str, Any]
              ) -> tuple[int, int]:
    res = integrate.solve_ivp(fun, (0.0, t1), np.array(y0), method=method, jac=jac,
                              t_eval=np.linspace(0.0, t1, t_eval), **opts)
    return int(res.nfev), int(res.njev)


def robertson(method: str, t1: float = 1e11) -> WallCase:
    spec = robertson_spec(method, t1=t1)
    k1, k2, k3 = 0.04, 3e7, 1e4

    def fun(t: float, y: np.ndarray) -> np.ndarray:
        a, b, c = y
        return np.array([-k1 * a + k3 * b * c, k1 * a - k3 * b * c - k2 * b * b, k2 * b * b])

    def jac(t: float, y: np.ndarray) -> np.ndarray:
        _, b, c = y
        return np.array([[-k1, k3 * c, k3 * b],
                         [k1, -k3 * c - 2 * k2 * b, -k3 * b],
                         [0.0, 2 * k2 * b, 0.0]])

    opts = dict(spec["solver"]["options"])

    def bare(_: Any) -> tuple[int, int]:
        return _bare_ode(method, fun, jac, t1, [1.0, 0.0, 0.0], spec["t_eval"], opts)

    return WallCase(f"Robertson to t={t1:g}", "ode", method, spec, bare)


HIRES_T1 = 321.8122
HIRES_Y0 = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057]
HIRES_RHS = {
    "y1": "-1.71*y1 + 0.43*y2 + 8.32*y3 + 0.0007",
    "y2": "1.71*y1 - 8.75*y2",
    "y3": "-10.03*y3 + 0.43*y4 + 0.035*y5",
    "y4": "8.32*y2 + 1.71*y3 - 1.12*y4",
    "y5": "-1.745*y5 + 0.43*y6 + 0.43*y7",
    "y6": "-280*y6*y8 + 0.69*y4 + 1.71*y5 - 0.43*y6 + 0.69*y7",
    "y7": "280*y6*y8 - 1.81*y7",
    "y8": "-280*y6*y8 + 1.81*y7",
}
_HIRES_LINEAR = np.array([
    [-1.71, 0.43, 8.32, 0, 0, 0, 0, 0],
    [1.71, -8.75, 0, 0, 0, 0, 0, 0],
    [0, 0, -10.03, 0.43, 0.035, 0, 0, 0],
    [0, 8.32, 1.71, -1.12, 0, 0, 0, 0],
    [0, 0, 0, 0, -1.745, 0.43, 0.43, 0],
    [0, 0, 0, 0.69, 1.71, -0.43, 0.69, 0],
    [0, 0, 0, 0, 0, 0, -1.81, 0],
    [0, 0, 0, 0, 0, 0, 1.81, 0]])
_HIRES_CONST = np.array([0.0007, 0, 0, 0, 0, 0, 0, 0])


def hires(method: str) -> WallCase:
    opts = {"rtol": 1e-6, "atol": 1e-10}
    spec = {"format": FORMAT, "name": "hires", "kind": "ode",
            "state": {f"y{i + 1}": v for i, v in enumerate(HIRES_Y0)}, "rhs": dict(HIRES_RHS),
            "t_span": [0, HIRES_T1], "t_eval": 101, "checkpoints": 20,
            "solver": {"method": method, "options": dict(opts)}}

    def fun(t: float, y: np.ndarray) -> np.ndarray:
        dy = _HIRES_LINEAR @ y + _HIRES_CONST
        r = 280.0 * y[5] * y[7]
        dy[5] -= r
        dy[6] += r
        dy[7] -= r
        return dy

    def jac(t: float, y: np.ndarray) -> np.ndarray:
        j = _HIRES_LINEAR.copy()
        for row, sign in ((5, -1.0), (6, 1.0), (7, -1.0)):
            j[row, 5] += sign * 280.0 * y[7]
            j[row, 7] += sign * 280.0 * y[5]
        return j

    def bare(_: Any) -> tuple[int, int]:
        return _bare_ode(method, fun, jac, HIRES_T1, HIRES_Y0, 101, opts)

    return WallCase("HIRES", "ode", method, spec, bare)


def all_cases(folder: Path, quick: bool) -> list[WallCase]:
    cases = [rosenbrock(m, n) for n in (2, 50, 1000) for m in ("BFGS", "L-BFGS-B")]
    cases.append(decay_fit(folder, 10_000))
    cases.append(logistic(folder, 20_000 if quick else 100_000))
    cases += [robertson(m) for m in ("Radau", "BDF")]
    cases += [hires(m) for m in ("Radau", "BDF")]
    return cases
