"""Parse + build the evaluators of a problem parsed again: the generated-program cache
(warmdesk.core.codegen.cache, keyed by content) empty vs holding the program.

Each repetition parses the spec afresh (new Expression objects, new arrays: what
each solve from the editor, each CLI run or sweep point does) and builds the
evaluators a solve builds, up to their first evaluation:

- Rosenbrock n=2 and n=50: value and gradient (ScalarFunction.value_and_grad);
- the exponential-decay fit, 10,000 rows: residual and Jacobian;
- Robertson: right-hand side and Jacobian.

Columns: parse alone; parse + build with the cache cleared first ("first", the cost
before the cache was keyed by content, when every parse built again); parse +
build with the program cached ("again"). Medians of interleaved repetitions, so
machine load hits them alike; the load average is printed.

Second table, a warm start whose only change is a fixed value (Rosenbrock n=10
with a=1.01, b=99 after a=1, b=100; the fit with another data column of the same
length; Robertson with k1=0.05): the evaluators' build alone (each from a fresh
parse, not timed) with the cache empty ("build"), with the program for the other
values cached, so its template is rebound (the cache's second level), and with
the same values cached ("exact hit").

Run:  python benchmarks/bench_codegen_cache.py [--quick]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (FORMAT, banner, finish, parse_args, print_table,  # noqa: E402
                     robertson_spec, rosenbrock_spec)

import numpy as np  # noqa: E402

from warmdesk.core.codegen import cache  # noqa: E402
from warmdesk.core.problems import problem_from_dict  # noqa: E402
from warmdesk.core.solvers.compiled import ScalarFunction  # noqa: E402
from warmdesk.core.solvers.fit import residual_function  # noqa: E402
from warmdesk.core.solvers.ode import RightHandSide  # noqa: E402

Build = Callable[[Any], Any]


def scalar(problem: Any) -> Any:
    fn = ScalarFunction(problem, problem.objective)
    fn.value_and_grad(np.full(problem.size, 0.5))
    assert fn._generated, "codegen did not cover the objective"
    return fn


def fit(problem: Any) -> Any:
    fn = residual_function(problem)
    x = np.array([2.0, 0.6, 0.2])
    fn.value(x), fn.jacobian(x)
    assert fn._generated, "codegen did not cover the fit"
    return fn


def ode(problem: Any) -> Any:
    rhs = RightHandSide(problem)
    y = np.array([0.9, 3e-5, 0.1])
    program = rhs._program(1.0, y)
    assert program is not None, "codegen did not cover the ODE"
    program.value(1.0, y), program.jacobian(1.0, y)
    return rhs


def decay_spec(rows: int, folder: Path, scale: float = 10.0) -> tuple[dict[str, Any], Path]:
    t = np.linspace(0.0, scale, rows)
    y = 2.5 * np.exp(-0.7 * t) + 0.3 + np.random.default_rng(1).normal(0, 0.01, rows)
    path = folder / f"decay-{rows}-{scale}.csv"
    np.savetxt(path, np.column_stack([t, y]), delimiter=",", header="t,y", comments="")
    return {"format": FORMAT, "name": "decay", "kind": "fit",
            "variables": {"A": {"start": 1.0}, "k": {"start": 0.5}, "c": {"start": 0.0}},
            "data": {"file": str(path)}, "target": "y", "model": "A*exp(-k*t) + c",
            "solver": {"method": "trf", "options": {}}}, folder


def measure(spec: dict[str, Any], folder: Path | None, build: Build, repeats: int
            ) -> dict[str, float]:
    """Median ms of parse, parse + build (cache cleared), parse + build (cached)."""
    def parse() -> Any:
        return problem_from_dict(spec, base_dir=folder)
    times: dict[str, list[float]] = {"parse": [], "first": [], "again": []}
    build(parse())   # imports, first-call costs
    for _ in range(repeats):
        t0 = time.perf_counter()
        parse()
        times["parse"].append(time.perf_counter() - t0)
        cache.clear()
        t0 = time.perf_counter()
        build(parse())
        times["first"].append(time.perf_counter() - t0)
        before = cache.info()
        t0 = time.perf_counter()
        build(parse())
        times["again"].append(time.perf_counter() - t0)
        after = cache.info()
        assert after.builds == before.builds and after.hits > before.hits, "not found again"
    return {k: statistics.median(v) * 1e3 for k, v in times.items()}


def measure_rebind(before: dict[str, Any], after: dict[str, Any], folder: Path | None,
                   build: Build, repeats: int) -> dict[str, float]:
    """Median ms of the build of ``after`` (parsed afresh, not timed): cache empty;
    the program of ``before`` cached (a rebind); ``after``'s own cached (a hit)."""
    def timed(spec: dict[str, Any]) -> float:
        problem = problem_from_dict(spec, base_dir=folder)
        t0 = time.perf_counter()
        build(problem)
        return time.perf_counter() - t0
    times: dict[str, list[float]] = {"build": [], "rebind": [], "hit": []}
    build(problem_from_dict(after, base_dir=folder))
    for _ in range(repeats):
        cache.clear()
        times["build"].append(timed(after))
        cache.clear()
        timed(before)
        rebinds = cache.info().rebinds
        times["rebind"].append(timed(after))
        assert cache.info().rebinds == rebinds + 1, "not rebound"
        hits = cache.info().hits
        times["hit"].append(timed(after))
        assert cache.info().hits > hits, "not found again"
    return {k: statistics.median(v) * 1e3 for k, v in times.items()}


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    banner("bench_codegen_cache: parse + build of a problem parsed again, cache empty vs "
           "cached", args.quick)
    start = time.perf_counter()
    repeats = 15 if args.quick else 60
    print(f"load average before: {os.getloadavg()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, dict[str, Any], Path | None, Build]] = [
            ("rosenbrock n=2 value+grad", rosenbrock_spec("L-BFGS-B", n=2), None, scalar),
            ("rosenbrock n=50 value+grad", rosenbrock_spec("L-BFGS-B", n=50), None, scalar),
            ("exp-decay fit 10k rows residual+Jacobian", *decay_spec(10_000, Path(tmp)), fit),
            ("robertson rhs+Jacobian", robertson_spec("Radau"), None, ode)]
        for label, spec, folder, build in cases:
            ms = measure(spec, folder, build, repeats)
            rows.append({"case": label, **ms, "saved": ms["first"] - ms["again"],
                         "again/first": ms["again"] / ms["first"]})
        print_table(rows, [("case", "case"), ("parse", "parse ms"),
                           ("first", "parse+build, empty ms"),
                           ("again", "parse+build, cached ms"),
                           ("saved", "saved ms"), ("again/first", "cached/empty")],
                    title=f"median of {repeats} repetitions, each a fresh parse of the same spec")
        rows = []
        changed: list[tuple[str, dict[str, Any], dict[str, Any], Path | None, Build]] = [
            ("rosenbrock n=10 value+grad, a=1.01 b=99", rosenbrock_spec("L-BFGS-B", n=10),
             rosenbrock_spec("L-BFGS-B", n=10, a=1.01, b=99.0), None, scalar),
            ("exp-decay fit 1k rows, another column", decay_spec(1000, Path(tmp))[0],
             decay_spec(1000, Path(tmp), scale=12.0)[0], Path(tmp), fit),
            ("robertson rhs+Jacobian, k1=0.05", robertson_spec("Radau"),
             robertson_spec("Radau", k1=0.05), None, ode)]
        for label, before, after, folder, build in changed:
            ms = measure_rebind(before, after, folder, build, repeats)
            rows.append({"case": label, **ms, "build/rebind": ms["build"] / ms["rebind"]})
        print_table(rows, [("case", "case"), ("build", "build ms"), ("rebind", "rebind ms"),
                           ("hit", "exact hit ms"), ("build/rebind", "build/rebind")],
                    title=f"evaluators of a warm start with other fixed values: median of "
                          f"{repeats}")
    print(f"\nload average after: {os.getloadavg()}")
    return finish([], start)


if __name__ == "__main__":
    sys.exit(main())
