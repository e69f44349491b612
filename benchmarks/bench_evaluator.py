"""Per-call cost of evaluating a problem's expressions, side by side in one run:

- hand:       hand-written numpy (value and gradient / residual and Jacobian / ODE
              right-hand side and Jacobian)
- closures:   the interpreted closures with autograd (gradients, Hessian-vector
              products) or core.dual (Jacobians), WarmDesk's path before issue 16
- generated:  numpy code generated from the checked tree (warmdesk.core.codegen),
              what the solvers use now

Cases: Rosenbrock n=2, 50, 1000 (value + gradient); Hessian-vector products of
Rosenbrock n=50 and of a logistic loss (1,000 rows; hand: scipy's rosen_hess_prod
and X^T D X v); an exponential-decay fit with
10,000 rows (residual + Jacobian); Robertson and HIRES (right-hand side, Jacobian).
Logistic regression is left out: it is the train kind, whose models are written in
numpy (warmdesk.core.solvers.train) and do not go through expressions.

Each figure is the best of several batches, the variants of a case interleaved
batch by batch, so machine load hits them alike; the load average is printed.
Target: generated <= 1.5x hand.

``--build`` instead times building the generated code (cache emptied, best of N):
Rosenbrock n=2 and 50 (value+grad; value then value+grad; Hessian-vector
product), the decay fit (10k rows), a two-peak fit, Robertson and HIRES (right-hand
side and Jacobian); see _evaluator_build.py. To compare two trees, run it with
each on PYTHONPATH, alternately.

Run:  python benchmarks/bench_evaluator.py [--quick] [--build [--repeats N]]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FORMAT, banner, finish, parse_args, print_table, robertson_spec  # noqa: E402

import numpy as np  # noqa: E402

from warmdesk.core.codegen import cache  # noqa: E402
from warmdesk.core.problems import problem_from_dict  # noqa: E402
from warmdesk.core.solvers.compiled import ScalarFunction  # noqa: E402
from warmdesk.core.solvers.fit import residual_function  # noqa: E402
from warmdesk.core.solvers.ode import RightHandSide  # noqa: E402

Call = Callable[[], Any]


def best_us(variants: dict[str, Call], repeats: int) -> dict[str, float]:
    """Best per-call time (µs) of each variant, batches interleaved."""
    loops = {}
    for name, fn in variants.items():
        fn()
        n, t = 1, 0.0
        while t < 0.01:
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            t = time.perf_counter() - t0
            n *= 2
        loops[name] = max(1, n // 2)
    best = {name: float("inf") for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            k = loops[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / k * 1e6)
    return best


def rosenbrock(n: int) -> tuple[dict[str, Call], float]:
    spec = {"format": FORMAT, "name": f"rosenbrock-{n}", "kind": "minimize",
            "variables": {"x": {"size": n, "start": 0.0}}, "parameters": {"a": 1.0, "b": 100.0},
            "objective": "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)",
            "solver": {"method": "BFGS", "options": {}}}
    p = problem_from_dict(spec)
    x = np.random.default_rng(n).uniform(-1, 1, n)
    a, b = 1.0, 100.0

    def hand() -> tuple[float, np.ndarray]:
        head = x[:-1]
        d = x[1:] - head * head
        e = a - head
        g = np.zeros_like(x)
        g[:-1] = -4.0 * b * d * head - 2.0 * e
        g[1:] += 2.0 * b * d
        return float(np.sum(b * d * d + e * e)), g

    old = ScalarFunction(p, p.objective)
    old._generated = None
    new = ScalarFunction(p, p.objective)
    t0 = time.perf_counter()
    new.value_and_grad(x)
    build = time.perf_counter() - t0
    assert new._generated, "codegen did not cover Rosenbrock"
    check(hand()[1], new.value_and_grad(x)[1], old.value_and_grad(x)[1])
    return {"hand": hand, "closures": lambda: old.value_and_grad(x),
            "generated": lambda: new.value_and_grad(x)}, build


def exp_fit(rows: int, folder: Path) -> tuple[dict[str, Call], float]:
    t = np.linspace(0.0, 10.0, rows)
    y = 2.5 * np.exp(-0.7 * t) + 0.3 + np.random.default_rng(1).normal(0, 0.01, rows)
    path = folder / "decay.csv"
    np.savetxt(path, np.column_stack([t, y]), delimiter=",", header="t,y", comments="")
    spec = {"format": FORMAT, "name": "decay", "kind": "fit",
            "variables": {"A": {"start": 1.0}, "k": {"start": 0.5}, "c": {"start": 0.0}},
            "data": {"file": str(path)}, "target": "y", "model": "A*exp(-k*t) + c",
            "solver": {"method": "trf", "options": {}}}
    p = problem_from_dict(spec, base_dir=folder)
    x = np.array([2.0, 0.6, 0.2])

    def hand() -> tuple[np.ndarray, np.ndarray]:
        e = np.exp(-x[1] * t)
        return x[0] * e + x[2] - y, np.column_stack([e, -x[0] * t * e, np.ones_like(t)])

    old, new = residual_function(p), residual_function(p)
    old._generated = None
    t0 = time.perf_counter()
    new.jacobian(x)
    build = time.perf_counter() - t0
    assert new._generated, "codegen did not cover the fit"
    check(hand()[1], new.jacobian(x), old.jacobian(x))
    return {"hand": hand, "closures": lambda: (old.value(x), old.jacobian(x)),
            "generated": lambda: (new.value(x), new.jacobian(x))}, build


def hvp(name: str) -> tuple[dict[str, Call], float]:
    """Hessian-vector products: Rosenbrock n=50, and a logistic loss (1,000 rows, 5
    features as vector parameters, an intercept) written as a minimize objective."""
    rng = np.random.default_rng(7)
    if name == "rosenbrock":
        n, a, b = 50, 1.0, 100.0
        spec = {"format": FORMAT, "name": "rosenbrock-50", "kind": "minimize",
                "variables": {"x": {"size": n, "start": 0.0}},
                "parameters": {"a": a, "b": b},
                "objective": "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)",
                "solver": {"method": "Newton-CG", "options": {}}}
        x, v = rng.uniform(-1, 1, n), rng.normal(size=n)

        def hand() -> np.ndarray:   # scipy.optimize.rosen_hess_prod, with a and b
            head, tail = x[:-1], x[1:]
            out = np.zeros_like(x)
            out[0] = (12 * b * x[0] ** 2 - 4 * b * x[1] + 2) * v[0] - 4 * b * x[0] * v[1]
            out[1:-1] = (-4 * b * head[:-1] * v[:-2]
                         + (2 + 2 * b - 4 * b * (tail[1:] - 3 * head[1:] ** 2)) * v[1:-1]
                         - 4 * b * head[1:] * v[2:])
            out[-1] = -4 * b * x[-2] * v[-2] + 2 * b * v[-1]
            return out
    else:
        rows, k = 1000, 5
        X = rng.normal(size=(rows, k))
        y = np.where(X @ rng.normal(size=k) + rng.logistic(size=rows) > 0, 1.0, -1.0)
        terms = " + ".join(f"w[{j}]*f{j}" for j in range(k))
        spec = {"format": FORMAT, "name": "logistic", "kind": "minimize",
                "variables": {"w": {"size": k, "start": 0.0}, "c": {"start": 0.0}},
                "parameters": {"s": y.tolist(), **{f"f{j}": X[:, j].tolist() for j in range(k)}},
                "objective": f"mean(logaddexp(0, -s*({terms} + c))) + 0.005*sum(w*w)",
                "solver": {"method": "Newton-CG", "options": {}}}
        x, v = rng.normal(size=k + 1), rng.normal(size=k + 1)
        Xc = np.column_stack([X, np.ones(rows)])
        ridge = np.array([0.01] * k + [0.0])

        def hand() -> np.ndarray:
            sig = 1.0 / (1.0 + np.exp(-(y * (Xc @ x))))
            return Xc.T @ (sig * (1.0 - sig) * (Xc @ v)) / rows + ridge * v
    p = problem_from_dict(spec)
    old, new = ScalarFunction(p, p.objective), ScalarFunction(p, p.objective)
    old._hvp_generated = None   # autograd over the closures, the path before
    t0 = time.perf_counter()
    new.hessp(x, v)
    build = time.perf_counter() - t0
    assert new._hvp_generated, f"codegen did not cover the {name} Hessian"
    check(hand(), new.hessp(x, v), old.hessp(x, v))
    return {"hand": hand, "closures": lambda: old.hessp(x, v),
            "generated": lambda: new.hessp(x, v)}, build


HIRES_RHS = {
    "y1": "-1.71*y1 + 0.43*y2 + 8.32*y3 + 0.0007", "y2": "1.71*y1 - 8.75*y2",
    "y3": "-10.03*y3 + 0.43*y4 + 0.035*y5", "y4": "8.32*y2 + 1.71*y3 - 1.12*y4",
    "y5": "-1.745*y5 + 0.43*y6 + 0.43*y7",
    "y6": "-280*y6*y8 + 0.69*y4 + 1.71*y5 - 0.43*y6 + 0.69*y7",
    "y7": "280*y6*y8 - 1.81*y7", "y8": "-280*y6*y8 + 1.81*y7"}
HIRES_Y0 = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057]


def hires_hand(t: float, y: np.ndarray) -> np.ndarray:
    y1, y2, y3, y4, y5, y6, y7, y8 = y
    return np.array([-1.71 * y1 + 0.43 * y2 + 8.32 * y3 + 0.0007, 1.71 * y1 - 8.75 * y2,
                     -10.03 * y3 + 0.43 * y4 + 0.035 * y5, 8.32 * y2 + 1.71 * y3 - 1.12 * y4,
                     -1.745 * y5 + 0.43 * y6 + 0.43 * y7,
                     -280 * y6 * y8 + 0.69 * y4 + 1.71 * y5 - 0.43 * y6 + 0.69 * y7,
                     280 * y6 * y8 - 1.81 * y7, -280 * y6 * y8 + 1.81 * y7])


def hires_jac(t: float, y: np.ndarray) -> np.ndarray:
    j = np.zeros((8, 8))
    j[0, :3] = -1.71, 0.43, 8.32
    j[1, :2] = 1.71, -8.75
    j[2, 2:5] = -10.03, 0.43, 0.035
    j[3, 1:4] = 8.32, 1.71, -1.12
    j[4, 4:7] = -1.745, 0.43, 0.43
    j[5, 3:8] = 0.69, 1.71, -0.43 - 280 * y[7], 0.69, -280 * y[5]
    j[6, 5:8] = 280 * y[7], -1.81, 280 * y[5]
    j[7, 5:8] = -280 * y[7], 1.81, -280 * y[5]
    return j


def robertson_hand(t: float, y: np.ndarray) -> np.ndarray:
    y1, y2, y3 = y
    return np.array([-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2,
                     3e7 * y2 * y2])


def robertson_jac(t: float, y: np.ndarray) -> np.ndarray:
    _, y2, y3 = y
    return np.array([[-0.04, 1e4 * y3, 1e4 * y2],
                     [0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2],
                     [0.0, 6e7 * y2, 0.0]])


def ode(name: str, which: str) -> tuple[dict[str, Call], float]:
    if name == "robertson":
        spec = robertson_spec("Radau")
        y = np.array([0.9, 3e-5, 0.1])
        f, jac = robertson_hand, robertson_jac
    else:
        spec = {"format": FORMAT, "name": "hires", "kind": "ode",
                "state": {f"y{i + 1}": v for i, v in enumerate(HIRES_Y0)}, "rhs": HIRES_RHS,
                "t_span": [0, 321.8122], "solver": {"method": "Radau", "options": {}}}
        y = np.array(HIRES_Y0) + 0.01
        f, jac = hires_hand, hires_jac
    p = problem_from_dict(spec)
    old, new = RightHandSide(p), RightHandSide(p)
    old._generated = None
    t0 = time.perf_counter()
    program = new._program(1.0, y)
    build = time.perf_counter() - t0
    assert program is not None, f"codegen did not cover {name}"
    check(jac(1.0, y), program.jacobian(1.0, y), old.jacobian(1.0, y))
    check(f(1.0, y), program.value(1.0, y), old._values(1.0, y))
    if which == "rhs":
        return {"hand": lambda: f(1.0, y), "closures": lambda: old._values(1.0, y),
                "generated": lambda: program.value(1.0, y)}, build
    return {"hand": lambda: jac(1.0, y), "closures": lambda: old.jacobian(1.0, y),
            "generated": lambda: program.jacobian(1.0, y)}, build


def check(hand: np.ndarray, generated: np.ndarray, closures: np.ndarray) -> None:
    np.testing.assert_allclose(generated, hand, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(generated, closures, rtol=1e-12, atol=1e-12)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--build", action="store_true",
                        help="time building the generated code instead of calls")
    parser.add_argument("--repeats", type=int, default=0,
                        help="builds per case for --build (best is shown)")


def main_build(args: argparse.Namespace) -> int:
    from _evaluator_build import best_builds_ms
    banner("bench_evaluator --build: building generated code (cache emptied)", args.quick)
    start = time.perf_counter()
    repeats = args.repeats or (10 if args.quick else 30)
    print(f"load average before: {os.getloadavg()}")
    ms = best_builds_ms(repeats)
    print_table([{"case": k, "ms": v} for k, v in ms.items()],
                [("case", "case"), ("ms", "build ms")],
                title=f"build time, best of {repeats} (ms)")
    print(f"\nload average after: {os.getloadavg()}")
    return finish([], start)


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], add_options)
    if args.build:
        return main_build(args)
    banner("bench_evaluator: per-call cost, hand numpy vs closures vs generated code", args.quick)
    start = time.perf_counter()
    repeats = 5 if args.quick else 15
    print(f"load average before: {os.getloadavg()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, Callable[[], tuple[dict[str, Call], float]]]] = [
            *((f"rosenbrock n={n} value+grad", lambda n=n: rosenbrock(n)) for n in (2, 50, 1000)),
            ("rosenbrock n=50 Hessian-vector product", lambda: hvp("rosenbrock")),
            ("logistic loss 1000x5 Hessian-vector product", lambda: hvp("logistic")),
            ("exp-decay fit 10k rows residual+Jacobian", lambda: exp_fit(10_000, Path(tmp))),
            ("robertson rhs", lambda: ode("robertson", "rhs")),
            ("robertson Jacobian", lambda: ode("robertson", "jac")),
            ("hires rhs", lambda: ode("hires", "rhs")),
            ("hires Jacobian", lambda: ode("hires", "jac"))]
        for label, make in cases:
            cache.clear()   # "build ms": a first build (the Robertson cases share a program)
            variants, build = make()
            us = best_us(variants, repeats)
            rows.append({"case": label, "hand": us["hand"], "closures": us["closures"],
                         "generated": us["generated"],
                         "closures/hand": us["closures"] / us["hand"],
                         "generated/hand": us["generated"] / us["hand"],
                         "build ms": build * 1e3})
    print_table(rows, [("case", "case"), ("hand", "hand µs"), ("closures", "closures µs"),
                       ("generated", "generated µs"), ("closures/hand", "closures/hand"),
                       ("generated/hand", "generated/hand"), ("build ms", "build ms")],
                title="µs per call (best batch); ratio to hand-written numpy")
    print(f"\nload average after: {os.getloadavg()}")
    worst = max(r["generated/hand"] for r in rows)
    print(f"worst generated/hand: {worst:.2f} (target <= 1.5)")
    return finish([], start)


if __name__ == "__main__":
    sys.exit(main())
