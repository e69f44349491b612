"""Problem specs for tests: small, fast, and each close to a real use."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from warmdesk.core.method_capabilities import honours_bounds
from warmdesk.core.problems import Problem, problem_from_dict

ROSENBROCK: dict[str, Any] = {
    "format": "warmdesk.problem/1", "name": "rosenbrock", "kind": "minimize",
    "variables": {"x": {"size": 10, "start": 0.0}},  # BFGS takes no bounds
    "parameters": {"a": 1.0, "b": 100.0},
    "objective": "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)",
    "solver": {"method": "BFGS", "options": {"gtol": 1e-8}}}


def rosenbrock(method: str = "BFGS", n: int = 10, a: float = 1.0, **options: Any) -> dict[str, Any]:
    """Bounded to [-5, 5] for the methods that honour bounds (the others refuse them)."""
    spec = copy.deepcopy(ROSENBROCK)
    spec["variables"]["x"]["size"] = n
    if honours_bounds("minimize", method):
        spec["variables"]["x"].update(lower=-5, upper=5)
    spec["parameters"]["a"] = a
    spec["solver"] = {"method": method, "options": options}
    return spec


def constrained(method: str = "SLSQP", shift: float = 0.0) -> dict[str, Any]:
    """Minimise a quadratic on the simplex-like set sum(w) == 1, w >= 0."""
    return {"format": "warmdesk.problem/1", "name": "portfolio", "kind": "minimize",
            "variables": {"w": {"size": 4, "start": 0.25, "lower": 0, "upper": 1}},
            "parameters": {"mu": [0.05 + shift, 0.07, 0.06, 0.04], "risk": 3.0},
            "objective": "risk*sum(w**2*mu) - sum(mu*w)",
            "constraints": [{"type": "eq", "expr": "sum(w) - 1", "name": "budget"},
                            {"type": "ineq", "expr": "0.6 - w", "name": "cap"}],
            "solver": {"method": method, "options": {}}}


def write_peaks(folder: Path, name: str = "peaks.csv", shift: float = 0.0, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 10.0, 200)
    y = (2.0 * np.exp(-(x - 3.0 - shift) ** 2 / (2 * 0.5 ** 2))
         + 1.0 * np.exp(-(x - 6.5 - shift) ** 2 / (2 * 0.8 ** 2)) + 0.1)
    y = y + rng.normal(0, 0.01, x.size)
    path = folder / name
    lines = ["x,y,s"] + [f"{float(a)!r},{float(b)!r},0.01" for a, b in zip(x, y)]
    path.write_text("\n".join(lines) + "\n")
    return path


def fit_spec(method: str = "trf", file: str = "peaks.csv", loss: str = "linear") -> dict[str, Any]:
    bounded = method != "lm"
    variables = {"A": {"start": [1.5, 1.2], "lower": [0, 0] if bounded else -np.inf,
                       "upper": [10, 10] if bounded else np.inf},
                 "mu": {"start": [2.8, 6.8]}, "sig": {"start": [0.6, 0.6]}, "c": 0.0}
    if not bounded:
        variables["A"] = {"start": [1.5, 1.2]}
    return {"format": "warmdesk.problem/1", "name": "peaks", "kind": "fit",
            "variables": variables, "data": {"file": file}, "target": "y", "sigma": "s",
            "model": "A[0]*exp(-(x-mu[0])**2/(2*sig[0]**2)) "
                     "+ A[1]*exp(-(x-mu[1])**2/(2*sig[1]**2)) + c",
            "loss": loss, "solver": {"method": method, "options": {}}}


def write_classification(folder: Path, name: str = "cls.csv", classes: int = 2, seed: int = 0,
                         shift: float = 0.0, rows: int = 300) -> Path:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3)) + shift
    W = np.array([[1.5, -1.0, 0.5], [-0.5, 1.0, 1.0], [0.8, 0.3, -1.2]])[:, :classes]
    scores = X @ W + rng.gumbel(size=(rows, classes))
    y = np.argmax(scores, axis=1)
    path = folder / name
    lines = ["f1,f2,f3,label"] + [f"{float(a)!r},{float(b)!r},{float(c)!r},{int(t)}"
                                  for (a, b, c), t in zip(X, y)]
    path.write_text("\n".join(lines) + "\n")
    return path


def train_spec(model: str = "logistic", method: str = "L-BFGS-B", file: str = "cls.csv",
               features: list[str] | None = None) -> dict[str, Any]:
    spec = {"format": "warmdesk.problem/1", "name": f"{model} model", "kind": "train",
            "data": {"file": file}, "target": "label", "model": model, "l2": 0.01,
            "solver": {"method": method, "options": {}}}
    if features is not None:
        spec["features"] = features
    return spec


def lotka_volterra(method: str = "RK45", alpha: float = 1.1, t1: float = 20.0) -> dict[str, Any]:
    return {"format": "warmdesk.problem/1", "name": "lotka-volterra", "kind": "ode",
            "state": {"prey": 10.0, "pred": 5.0},
            "parameters": {"alpha": alpha, "beta": 0.4, "delta": 0.1, "gamma": 0.4},
            "rhs": {"prey": "alpha*prey - beta*prey*pred", "pred": "delta*prey*pred - gamma*pred"},
            "t_span": [0, t1], "t_eval": 41, "checkpoints": 20,
            "solver": {"method": method, "options": {"rtol": 1e-8, "atol": 1e-10}}}


def robertson(method: str = "BDF") -> dict[str, Any]:
    return {"format": "warmdesk.problem/1", "name": "robertson", "kind": "ode",
            "state": {"y": {"size": 3, "start": [1.0, 0.0, 0.0]}},
            "parameters": {"k1": 0.04, "k2": 3e7, "k3": 1e4},
            "rhs": {"y": "where(arange3 == 0, 0, 0) + stack3"}, "t_span": [0, 100],
            "solver": {"method": method, "options": {"rtol": 1e-6, "atol": 1e-10}}}


def robertson_scalar(method: str = "BDF", t1: float = 1000.0) -> dict[str, Any]:
    return {"format": "warmdesk.problem/1", "name": "robertson", "kind": "ode",
            "state": {"y1": 1.0, "y2": 0.0, "y3": 0.0},
            "parameters": {"k1": 0.04, "k2": 3e7, "k3": 1e4},
            "rhs": {"y1": "-k1*y1 + k3*y2*y3", "y2": "k1*y1 - k3*y2*y3 - k2*y2**2",
                    "y3": "k2*y2**2"},
            "t_span": [0, t1], "checkpoints": 10,
            "solver": {"method": method, "options": {"rtol": 1e-6, "atol": 1e-10}}}


def build(spec: dict[str, Any], base_dir: Path | None = None) -> Problem:
    return problem_from_dict(spec, base_dir=base_dir)
