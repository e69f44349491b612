"""Build cost of generated code (``bench_evaluator.py --build``): the time from a
fresh evaluator with the program cache emptied to its first results, i.e. what
code generation adds to the first solve of a problem and to every warm start
whose fixed values changed (a cache miss). Not a benchmark script itself.

Each case is built ``repeats`` times (cache cleared each time, the problem parsed
once beforehand: parsing is not code generation); the best build is reported.
The cases run batch by batch, interleaved, so machine load hits them alike. The
cyclic garbage collector is paused while a build is timed: its collections come
at allocation counts, so with interleaved cases one would land on the same case
in every batch and the best of N would not remove it.
Works on any checkout with the same public entry points (run it with another
PYTHONPATH to compare two trees side by side).
"""

from __future__ import annotations

import gc
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from _common import FORMAT, PEAK_MODEL, PEAK_TRUE, peak_values, robertson_spec, write_csv

from warmdesk.core.codegen import cache
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.solvers.compiled import ScalarFunction
from warmdesk.core.solvers.fit import residual_function
from warmdesk.core.solvers.ode import RightHandSide

Build = Callable[[], Any]


def _rosenbrock(n: int) -> dict[str, Build]:
    spec = {"format": FORMAT, "name": f"rosenbrock-{n}", "kind": "minimize",
            "variables": {"x": {"size": n, "start": 0.0}}, "parameters": {"a": 1.0, "b": 100.0},
            "objective": "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)",
            "solver": {"method": "BFGS", "options": {}}}
    p = problem_from_dict(spec)
    rng = np.random.default_rng(n)
    x, v = rng.uniform(-1, 1, n), rng.normal(size=n)

    def grad() -> Any:
        return ScalarFunction(p, p.objective).value_and_grad(x)

    def both() -> Any:
        f = ScalarFunction(p, p.objective)
        return f.value(x), f.value_and_grad(x)

    def hvp() -> Any:
        return ScalarFunction(p, p.objective).hessp(x, v)
    return {f"rosenbrock n={n} value+grad": grad,
            f"rosenbrock n={n} value, value+grad": both,
            f"rosenbrock n={n} Hessian-vector product": hvp}


def _fit(problem: Any, x: np.ndarray) -> Build:
    def build() -> Any:
        r = residual_function(problem)
        return r.value(x), r.jacobian(x)
    return build


def _decay(folder: Path, rows: int = 10_000) -> Build:
    t = np.linspace(0.0, 10.0, rows)
    y = 2.5 * np.exp(-0.7 * t) + 0.3 + np.random.default_rng(1).normal(0, 0.01, rows)
    path = write_csv(folder / "decay.csv", ["t", "y"], np.column_stack([t, y]))
    p = problem_from_dict({"format": FORMAT, "name": "decay", "kind": "fit",
                           "variables": {"A": {"start": 1.0}, "k": {"start": 0.5},
                                         "c": {"start": 0.0}},
                           "data": {"file": str(path)}, "target": "y", "model": "A*exp(-k*t) + c",
                           "solver": {"method": "trf", "options": {}}}, base_dir=folder)
    return _fit(p, np.array([2.0, 0.6, 0.2]))


def _peaks(folder: Path, rows: int = 2000) -> Build:
    xs = np.linspace(0.0, 10.0, rows)
    y = peak_values(xs, PEAK_TRUE) + np.random.default_rng(rows).normal(0.0, 0.01, rows)
    path = write_csv(folder / "peaks.csv", ["x", "y", "s"],
                     np.column_stack([xs, y, np.full(rows, 0.01)]))
    variables = {"A": {"start": [1.5, 1.2]}, "mu": {"start": [2.8, 6.8]},
                 "sig": {"start": [0.6, 0.6]}, "c": {"start": 0.0}}
    p = problem_from_dict({"format": FORMAT, "name": "peaks", "kind": "fit",
                           "variables": variables, "data": {"file": str(path)}, "target": "y",
                           "sigma": "s", "model": PEAK_MODEL,
                           "solver": {"method": "trf", "options": {}}}, base_dir=folder)
    return _fit(p, np.array([1.5, 1.2, 2.8, 6.8, 0.6, 0.6, 0.0]))


def _ode(spec: dict[str, Any], y: np.ndarray) -> Build:
    p = problem_from_dict(spec)

    def build() -> Any:
        rhs = RightHandSide(p)
        return rhs(1.0, y), rhs.jacobian(1.0, y)
    return build


def cases(folder: Path) -> dict[str, Build]:
    from bench_evaluator import HIRES_RHS, HIRES_Y0
    hires = {"format": FORMAT, "name": "hires", "kind": "ode",
             "state": {f"y{i + 1}": v for i, v in enumerate(HIRES_Y0)}, "rhs": HIRES_RHS,
             "t_span": [0, 321.8122], "solver": {"method": "Radau", "options": {}}}
    return {**_rosenbrock(2), **_rosenbrock(50),
            "exp-decay fit 10k rows residual+Jacobian": _decay(folder),
            "two-peak fit 2000 rows residual+Jacobian": _peaks(folder),
            "robertson rhs+Jacobian": _ode(robertson_spec("Radau"), np.array([0.9, 3e-5, 0.1])),
            "hires rhs+Jacobian": _ode(hires, np.array(HIRES_Y0) + 0.01)}


def best_builds_ms(repeats: int) -> dict[str, float]:
    """Best build time (ms) of each case, cache emptied before each build."""
    with tempfile.TemporaryDirectory() as tmp:
        builds = cases(Path(tmp))
        for build in builds.values():   # warm up: imports, numpy's first calls
            cache.clear()
            build()
        best = {name: float("inf") for name in builds}
        for _ in range(repeats):
            for name, build in builds.items():
                cache.clear()
                gc.disable()
                try:
                    t0 = time.perf_counter()
                    build()
                    best[name] = min(best[name], time.perf_counter() - t0)
                finally:
                    gc.enable()
        cache.clear()
    return {name: t * 1e3 for name, t in best.items()}
