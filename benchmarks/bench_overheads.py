"""The engine's own cost per iteration, with the evaluator taken out.

``engine.solve`` is run with a hand-written numpy objective and gradient put in
place of the compiled one (so what is left is the engine: counting, control
checks, the history, the noise-floor rule, step lengths, result bookkeeping),
side by side with bare scipy on the same hand-written function, alternating,
best of N. Printed per case: bare ms, engine ms, (engine - bare) per iteration
in microseconds, the same with the BFGS/CG noise-floor rule switched off, and
whether both took the same evaluations. Also the command line's import time
(``python -X importtime -m warmdesk solve``'s largest imports).

Run:  python benchmarks/bench_overheads.py [--quick]
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import banner, finish, guarded, parse_args, print_table  # noqa: E402 (first)

import numpy as np  # noqa: E402
from scipy import optimize  # noqa: E402

from _wall_cases import rosen_value_grad  # noqa: E402
from _common import FORMAT, rosenbrock_spec  # noqa: E402
from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.problems import Problem, problem_from_dict  # noqa: E402
from warmdesk.core.solvers import minimize as minimize_solver  # noqa: E402


class HandObjective:
    """A hand-written objective in the engine's evaluator interface."""

    def __init__(self, fn: Callable[[np.ndarray], tuple[float, np.ndarray]]) -> None:
        self.fn = fn

    def value(self, x: np.ndarray) -> float:
        return self.fn(x)[0]

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        return self.fn(x)

    def hessp(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def check_scalar(self, x: np.ndarray) -> None:
        """Always one number."""


@contextlib.contextmanager
def hand_written(fn: Callable[[np.ndarray], tuple[float, np.ndarray]],
                 rule: bool = True) -> Iterator[None]:
    saved = minimize_solver.ScalarFunction, minimize_solver._noise_floor_rule
    minimize_solver.ScalarFunction = lambda *a, **k: HandObjective(fn)  # type: ignore
    if not rule:
        minimize_solver._noise_floor_rule = lambda *a, **k: None  # type: ignore
    try:
        yield
    finally:
        minimize_solver.ScalarFunction, minimize_solver._noise_floor_rule = saved


def quadratic(n: int, cond: float) -> tuple[dict[str, Any], Callable[..., Any]]:
    d = np.logspace(0.0, np.log10(cond), n)

    def fn(x: np.ndarray) -> tuple[float, np.ndarray]:
        g = d * x
        return 0.5 * float(x @ g), g
    spec = {"format": FORMAT, "name": f"quadratic-{n}", "kind": "minimize",
            "variables": {"x": {"size": n, "start": 1.0}}, "parameters": {"d": d.tolist()},
            "objective": "0.5*sum(d*x**2)", "solver": {"method": "CG", "options": {}}}
    return spec, fn


def cases() -> list[tuple[str, dict[str, Any], Callable[..., Any]]]:
    out = []
    for method, n in (("BFGS", 50), ("CG", 50), ("L-BFGS-B", 50), ("L-BFGS-B", 1000),
                      ("BFGS", 2), ("L-BFGS-B", 2)):
        spec = rosenbrock_spec(method, n=n, start=0.0)
        out.append((f"Rosenbrock n={n}", spec, rosen_value_grad))
    spec, fn = quadratic(200, 1e6)
    spec["solver"] = {"method": "L-BFGS-B", "options": {"maxiter": 1000, "maxcor": 3,
                                                         "gtol": 1e-300, "ftol": 1e-300}}
    out.append(("quadratic n=200 (1000 it.)", spec, fn))
    spec, fn = quadratic(50, 1e6)
    spec["solver"] = {"method": "CG", "options": {"maxiter": 1000, "gtol": 1e-300}}
    out.append(("quadratic n=50 (1000 it.)", spec, fn))
    return out


def bare(p: Problem, fn: Callable[..., Any]) -> Any:
    bounds = None
    if any(v.bounded for v in p.variables):
        bounds = optimize.Bounds(*p.bounds_arrays())
    return optimize.minimize(fn, p.start_vector(), jac=True, method=p.method, bounds=bounds,
                             options=dict(p.options))


def measure(label: str, spec: dict[str, Any], fn: Callable[..., Any],
            reps: int) -> dict[str, Any]:
    p = problem_from_dict(spec)
    variants: dict[str, Callable[[], Any]] = {"bare": lambda: bare(p, fn)}

    def engine(rule: bool) -> Callable[[], Any]:
        def go() -> Any:
            with hand_written(fn, rule):
                return solve(p)
        return go
    variants["engine"] = engine(True)
    if p.method in ("BFGS", "CG"):
        variants["no_rule"] = engine(False)
    best = {k: float("inf") for k in variants}
    out: dict[str, Any] = {}
    for i in range(reps + 1):
        names = list(variants) if i % 2 == 0 else list(reversed(variants))
        for name in names:
            gc.collect()
            t = time.perf_counter()
            out[name] = variants[name]()
            if i:  # the first round warms up
                best[name] = min(best[name], time.perf_counter() - t)
    res, run = out["bare"], out["engine"]
    nit = max(run.nit, 1)
    row = {"case": label, "method": p.method, "bare": best["bare"] * 1e3,
           "engine": best["engine"] * 1e3, "nit": run.nit,
           "per_it": 1e6 * (best["engine"] - best["bare"]) / nit,
           "same": "yes" if (run.nfev, run.nit) == (res.nfev, res.nit) else
           f"NO {run.nfev}/{run.nit} vs {res.nfev}/{res.nit}"}
    if "no_rule" in best:
        row["rule_per_it"] = 1e6 * (best["engine"] - best["no_rule"]) / nit
    return row


def import_time() -> list[dict[str, Any]]:
    import subprocess
    import tempfile
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "p.json"
        import json
        spec.write_text(json.dumps(rosenbrock_spec("BFGS", n=2)))
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "warmdesk", "solve",
                               str(spec), "--library", str(Path(tmp) / "lib")],
                              env=env, capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [s.strip() for s in line[len("import time:"):].split("|")]
        if parts[0].isdigit():
            rows.append({"module": parts[2], "cum": int(parts[1]) / 1e3})
    top = [r for r in rows if not r["module"].startswith(" " * 4)]
    return sorted(top, key=lambda r: -r["cum"])[:12]


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    banner("bench_overheads: the engine's cost per iteration, evaluator taken out", args.quick)
    reps = 3 if args.quick else 9
    print(f"best of {reps}, alternating; load average {os.getloadavg()}")
    failures: list[str] = []
    t0 = time.perf_counter()
    rows = [r for r in (guarded(label, lambda: measure(label, spec, fn, reps), failures)
                        for label, spec, fn in cases()) if r is not None]
    print_table(rows, [("case", "case"), ("method", "method"), ("bare", "bare ms"),
                       ("engine", "engine ms"), ("nit", "nit"), ("per_it", "engine-bare us/it"),
                       ("rule_per_it", "noise rule us/it"), ("same", "same nfev/nit")],
                title="engine.solve with a hand-written objective vs bare scipy")
    imports = guarded("import time", import_time, failures)
    if imports:
        print_table(imports, [("module", "top-level import"), ("cum", "cumulative ms")],
                    title="python -X importtime -m warmdesk solve (n=2 Rosenbrock)")
    print(f"load average {os.getloadavg()}")
    return finish(failures, t0)


if __name__ == "__main__":
    sys.exit(main())
