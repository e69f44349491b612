"""Exact derivatives (autograd gradients; our vectorised forward-mode Jacobians) vs scipy
finite differences.

minimize, n=100, BFGS and L-BFGS-B, on Rosenbrock and on a smooth convex sum of
exp/log terms, each from several random start points (fixed seeds):

- exact:  ``scipy.optimize.minimize(ScalarFunction.value_and_grad, jac=True)``
- FD:     ``scipy.optimize.minimize(ScalarFunction.value, jac=None)`` (scipy's
          '2-point'); every objective call is counted, those of the gradient
          estimates included
- engine: ``engine.solve`` (the exact path, with recording), for reference

fit, 8 parameters (two Gaussian peaks on a linear background, 400 rows),
methods trf and lm:

- engine: ``engine.solve`` (the default exact Jacobian, one vectorised forward pass,
  warmdesk.core.dual)
- exact:  ``least_squares(residuals, jac=exact Jacobian)`` without the engine
- FD:     ``least_squares(residuals, jac='2-point')``, every residual call counted

Figures are medians over the trials; "evals" are objective (residual) calls.

Run:  python benchmarks/bench_gradients.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (finish, FORMAT, banner, guarded, median, parse_args,  # noqa: E402 (first:
                     peak_values, print_table, rosenbrock_spec, write_csv)  # pins BLAS)

import numpy as np  # noqa: E402
from scipy import optimize  # noqa: E402

from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.problems import Problem, problem_from_dict  # noqa: E402
from warmdesk.core.solvers.compiled import ScalarFunction  # noqa: E402
from warmdesk.core.solvers.fit import residual_function  # noqa: E402

N = 100


def explog_spec(method: str, n: int, c: list[float], start: list[float],
                **options: Any) -> dict[str, Any]:
    """A smooth, convex, coercive sum of exp/log terms coupling neighbours."""
    return {"format": FORMAT, "name": f"explog-{n}", "kind": "minimize",
            "variables": {"x": {"size": n, "start": start}},
            "parameters": {"c": c},
            "objective": "sum(logaddexp(0, x[1:] - 2*x[:-1] + c[1:])) "
                         "+ sum(exp(0.3*x) + exp(-0.5*x - c)) + 0.05*sum((x - c)**2)",
            "solver": {"method": method, "options": options}}


def minimize_problems(seed: int, method: str) -> dict[str, Problem]:
    rng = np.random.default_rng(seed)
    start = rng.uniform(-1.0, 1.0, N).round(6).tolist()
    c = rng.normal(0.0, 1.0, N).round(6).tolist()
    opts: dict[str, Any] = {"maxiter": 20000}
    if method == "L-BFGS-B":
        opts["maxfun"] = 10_000_000
    ros = rosenbrock_spec(method, n=N, start=start, lower=-np.inf, upper=np.inf, **opts)
    ros["variables"]["x"].pop("lower", None)
    ros["variables"]["x"].pop("upper", None)
    return {"rosenbrock n=100": problem_from_dict(ros),
            "exp/log sum n=100": problem_from_dict(explog_spec(method, N, c, start, **opts))}


class Counted:
    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.calls = 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.fn(*args)


def bare_minimize(p: Problem, exact: bool) -> dict[str, Any]:
    sf = ScalarFunction(p, p.objective)
    x0 = p.start_vector()
    options = dict(p.options)
    if exact:
        fun = Counted(sf.value_and_grad)
        t = time.perf_counter()
        res = optimize.minimize(fun, x0, jac=True, method=p.method, options=options)
    else:
        fun = Counted(sf.value)
        t = time.perf_counter()
        res = optimize.minimize(fun, x0, jac=None, method=p.method, options=options)
    wall = time.perf_counter() - t
    return {"evals": fun.calls, "grads": fun.calls if exact else res.get("njev", 0),
            "nit": res.nit, "wall": wall, "f": float(res.fun), "ok": bool(res.success),
            "msg": str(res.message)}


def engine_run(p: Problem) -> dict[str, Any]:
    """The same problem through WarmDesk's engine (any kind)."""
    t = time.perf_counter()
    run = solve(p)
    wall = time.perf_counter() - t
    if run.status == "failed":
        raise RuntimeError(run.message)
    return {"evals": run.nfev, "grads": run.njev, "nit": run.nit, "wall": wall, "f": run.fun,
            "ok": run.status == "converged", "msg": run.message}


# --------------------------------------------------------------------------- fit

FIT_MODEL = ("A[0]*exp(-(x-mu[0])**2/(2*sig[0]**2)) + A[1]*exp(-(x-mu[1])**2/(2*sig[1]**2))"
             " + c0 + c1*x")
FIT_TRUE = {"A": [2.0, 1.0], "mu": [3.0, 6.5], "sig": [0.5, 0.8], "c": 0.1}
FIT_X = np.linspace(0.0, 10.0, 400)


def fit_problem(seed: int, method: str, tmp: Path) -> Problem:
    rng = np.random.default_rng(100 + seed)
    y = peak_values(FIT_X, FIT_TRUE) + 0.02 * FIT_X + rng.normal(0.0, 0.01, FIT_X.size)
    name = f"fit-{seed}.csv"
    write_csv(tmp / name, ["x", "y", "s"], np.column_stack([FIT_X, y, np.full(FIT_X.size, 0.01)]))
    variables: dict[str, Any] = {
        "A": {"start": (np.array(FIT_TRUE["A"]) * rng.uniform(0.7, 1.3, 2)).round(4).tolist()},
        "mu": {"start": (np.array(FIT_TRUE["mu"]) + rng.uniform(-0.3, 0.3, 2)).round(4).tolist()},
        "sig": {"start": (np.array(FIT_TRUE["sig"]) * rng.uniform(0.8, 1.2, 2)).round(4).tolist()},
        "c0": 0.0, "c1": 0.0}
    if method != "lm":
        variables["A"].update(lower=0.0, upper=20.0)
        variables["sig"].update(lower=0.01, upper=10.0)
    spec = {"format": FORMAT, "name": "peaks+background", "kind": "fit", "variables": variables,
            "data": {"file": name}, "target": "y", "sigma": "s", "model": FIT_MODEL,
            "solver": {"method": method, "options": {}}}
    return problem_from_dict(spec, base_dir=tmp)


def bare_fit(p: Problem, exact: bool) -> dict[str, Any]:
    rf = residual_function(p)
    res_fun = Counted(rf.value)
    jac_fun = Counted(rf.jacobian)
    x0 = p.start_vector()
    kwargs: dict[str, Any] = {"method": p.method}
    if p.method != "lm":
        kwargs["bounds"] = p.bounds_arrays()
    t = time.perf_counter()
    res = optimize.least_squares(res_fun, x0, jac=jac_fun if exact else "2-point", **kwargs)
    wall = time.perf_counter() - t
    return {"evals": res_fun.calls, "grads": jac_fun.calls if exact else res.njev,  # None: lm
            "nit": res.njev, "wall": wall, "f": float(res.cost), "ok": res.status > 0,
            "msg": str(res.message)}


# --------------------------------------------------------------------------- main

def timed(fn: Callable[[Problem], dict[str, Any]], p: Problem, reps: int) -> dict[str, Any]:
    """Run ``reps`` times (the work is deterministic); keep the fastest wall time."""
    results = [fn(p) for _ in range(reps)]
    out = dict(results[0])
    out["wall"] = min(r["wall"] for r in results)
    return out


def summarise(kind: str, problem: str, method: str, variant: str,
              samples: list[dict[str, Any]]) -> dict[str, Any]:
    fs = [s["f"] for s in samples]
    return {"kind": kind, "problem": problem, "method": method, "variant": variant,
            "n": len(samples), "evals": median(s["evals"] for s in samples),
            "grads": (median(s["grads"] for s in samples)
                      if any(s["grads"] is not None for s in samples) else None),
            "wall": median(s["wall"] for s in samples),
            "f": median(fs), "fmax": max(fs),
            "ok": f"{sum(s['ok'] for s in samples)}/{len(samples)}"}


COLUMNS = [("kind", "kind"), ("problem", "problem"), ("method", "method"),
           ("variant", "derivatives"), ("n", "trials"), ("evals", "evals"),
           ("grads", "grad/jac evals"), ("wall", "wall s"), ("speed", "wall vs exact"),
           ("evr", "evals vs exact"), ("f", "final f (median)"), ("fmax", "final f (max)"),
           ("ok", "converged")]


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    banner("bench_gradients: exact (autograd gradients, dual-number Jacobians) vs "
           "finite-difference derivatives", args.quick)
    trials = 2 if args.quick else 5
    reps = 1 if args.quick else 3
    print(f"{trials} random start points (seeds 0..{trials - 1}); wall time: the fastest of "
          f"{reps} repetition(s) of each solve, then the median over start points")
    failures: list[str] = []
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    t_start = time.perf_counter()

    variants: list[tuple[str, Callable[[Problem], dict[str, Any]]]] = [
        ("exact (autograd)", lambda p: bare_minimize(p, True)),
        ("FD 2-point", lambda p: bare_minimize(p, False)),
        ("engine.solve (exact)", engine_run),
    ]
    for method in ("BFGS", "L-BFGS-B"):
        samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for seed in range(trials):
            problems = guarded(f"minimize {method} seed {seed} (problems)",
                               lambda: minimize_problems(seed, method), failures)
            if problems is None:
                continue
            for pname, p in problems.items():
                for vname, fn in variants:
                    r = guarded(f"minimize {method} {pname} {vname} seed {seed}",
                                lambda: timed(fn, p, reps), failures)
                    if r is not None:
                        samples.setdefault((pname, vname), []).append(r)
                        if not r["ok"]:
                            notes.append(f"minimize {method} {pname} {vname} seed {seed}: "
                                         f"not converged: {r['msg']}")
        for pname in ("rosenbrock n=100", "exp/log sum n=100"):
            group = []
            for vname, _ in variants:
                if (pname, vname) in samples:
                    group.append(summarise("minimize", pname, method, vname,
                                           samples[(pname, vname)]))
            _relative(group)
            rows.extend(group)
        print(f"  minimize {method} done ({time.perf_counter() - t_start:.1f} s)")
        sys.stdout.flush()

    fit_variants: list[tuple[str, Callable[[Problem], dict[str, Any]]]] = [
        ("exact (dual, 1 pass)", lambda p: bare_fit(p, True)),
        ("FD 2-point", lambda p: bare_fit(p, False)),
        ("engine.solve (exact)", engine_run),
    ]
    with tempfile.TemporaryDirectory(prefix="warmdesk-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for method in ("trf", "lm"):
            fsamples: dict[str, list[dict[str, Any]]] = {}
            for seed in range(trials):
                p = guarded(f"fit {method} seed {seed} (problem)",
                            lambda: fit_problem(seed, method, tmp), failures)
                if p is None:
                    continue
                for vname, fn in fit_variants:
                    r = guarded(f"fit {method} {vname} seed {seed}",
                                lambda: timed(fn, p, reps), failures)
                    if r is not None:
                        fsamples.setdefault(vname, []).append(r)
                        if not r["ok"]:
                            notes.append(f"fit {method} {vname} seed {seed}: not converged: "
                                         f"{r['msg']}")
            group = [summarise("fit", "2 peaks + line, 8 params, 400 rows", method, v,
                               fsamples[v]) for v, _ in fit_variants if v in fsamples]
            _relative(group)
            rows.extend(group)
        print(f"  fit done ({time.perf_counter() - t_start:.1f} s)")

    print_table(rows, COLUMNS, title="Exact vs finite-difference derivatives (medians over "
                                     "random starts)")
    print()
    print("evals: objective (residual) calls, FD gradient/Jacobian estimates included; "
          "for 'exact' each call returns value and gradient together (minimize) or the "
          "Jacobian is a separate call (fit: 'grad/jac evals').")
    print("wall/evals vs exact: ratio to the bare exact variant on the same problem and method.")
    if notes:
        print()
        print("Notes:")
        for n in notes:
            print("  - " + n)
    return finish(failures, t_start)


def _relative(group: list[dict[str, Any]]) -> None:
    ref = next((g for g in group if g["variant"].startswith("exact")), None)
    for g in group:
        if ref is not None:
            g["speed"] = g["wall"] / ref["wall"] if ref["wall"] else None
            g["evr"] = g["evals"] / ref["evals"] if ref["evals"] else None


if __name__ == "__main__":
    sys.exit(main())
