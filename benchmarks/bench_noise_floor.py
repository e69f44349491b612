"""BFGS and CG at the rounding noise of f: WarmDesk's noise-floor rule vs scipy as is.

``warmdesk/core/solvers/noise_floor.py`` ends a BFGS/CG solve at a line-search
trial that meets ``gtol`` while f changed by rounding noise only, and (BFGS)
takes a step refused for noise alone and goes on. This measures what that
changes, side by side in one run, on the same problems:

- ``warm``: Rosenbrock n=10, BFGS ``gtol 1e-8``; a run solved from a random
  start in [-2, 2] (kept when it reached the best basin), then the problem with
  ``a`` changed by 1% warm-started from it (x0 + inverse Hessian): the
  advisor's ``multibasin-BFGS`` situation.
- ``warm large``: the same with ``a`` and ``b`` changed by 50% (random signs).
- ``cold``: the new problems solved from the default start (x = 0).
- ``cold random``: BFGS and CG from random starts in [-2, 2], ``a`` ~ U(0.9, 1.1).

Each problem is solved twice: ``rule`` (the engine as shipped) and ``scipy``
(the engine with the rule switched off: ``minimize.NOISE_FLOOR_METHODS = ()``).
Printed per set: evaluations (median, mean, p90, share over 30), share ending
``converged``, and the largest relative difference in the final f between the
two (the rule must not change the optimum).

Run:  python benchmarks/bench_noise_floor.py [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import banner, finish, parse_args, print_table, rosenbrock_spec  # noqa: I001 (first: pins BLAS)

import time
from typing import Any

import numpy as np

from warmdesk.core.engine import solve
from warmdesk.core.problems import Problem, problem_from_dict
from warmdesk.core.runs import Run
from warmdesk.core.solvers import minimize as minimize_solver
from warmdesk.core.warmstart import warm_start_from_run

SHIPPED = minimize_solver.NOISE_FLOOR_METHODS


def both(problem: Problem, source: Run | None = None) -> tuple[Run, Run]:
    """(rule, scipy as is) on the same problem and warm start."""
    runs = []
    for methods in (SHIPPED, ()):
        minimize_solver.NOISE_FLOOR_METHODS = methods
        warm = warm_start_from_run(problem, source) if source is not None else None
        runs.append(solve(problem, warm))
    minimize_solver.NOISE_FLOOR_METHODS = SHIPPED
    return runs[0], runs[1]


def spec(method: str, a: float, b: float = 100.0, start: Any = 0.0) -> Problem:
    return problem_from_dict(rosenbrock_spec(method, n=10, a=a, b=b, start=start, gtol=1e-8))


def build_sets(trials: int, rng: np.random.Generator) -> dict[str, list[tuple[Run, Run]]]:
    sets: dict[str, list[tuple[Run, Run]]] = {"warm": [], "warm large": [], "cold": [],
                                              "cold random BFGS": [], "cold random CG": []}
    while len(sets["warm"]) < trials:
        a = float(rng.uniform(0.9, 1.1))
        source = solve(spec("BFGS", a, start=rng.uniform(-2, 2, 10).round(6).tolist()))
        if source.fun is None or source.fun > 1.0:  # the local minimum's basin
            continue
        small = spec("BFGS", a * (1 + 0.01 * rng.choice([-1, 1])))
        sets["warm"].append(both(small, source))
        sets["cold"].append(both(small))
        signs = rng.choice([-1, 1], 2)
        large = spec("BFGS", a * (1 + 0.5 * signs[0]), 100.0 * (1 + 0.5 * signs[1]))
        sets["warm large"].append(both(large, source))
    for method in ("BFGS", "CG"):
        for _ in range(trials):
            start = rng.uniform(-2, 2, 10).round(6).tolist()
            sets[f"cold random {method}"].append(both(spec(method, float(rng.uniform(0.9, 1.1)),
                                                           start=start)))
    return sets


def summary(label: str, variant: str, runs: list[Run]) -> dict[str, Any]:
    n = np.array([r.nfev for r in runs], dtype=float)
    return {"set": label, "variant": variant, "runs": len(runs), "median": float(np.median(n)),
            "mean": float(n.mean()), "p90": float(np.percentile(n, 90)),
            "over30": f"{100 * float(np.mean(n > 30)):.1f}%",
            "converged": f"{100 * float(np.mean([r.status == 'converged' for r in runs])):.1f}%"}


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    t0 = time.perf_counter()
    banner("bench_noise_floor: BFGS/CG with the noise-floor rule vs scipy as is", args.quick)
    trials = 12 if args.quick else 120
    sets = build_sets(trials, np.random.default_rng(20261127))
    rows, failures = [], []
    for label, pairs in sets.items():
        ruled, plain = [p[0] for p in pairs], [p[1] for p in pairs]
        gap = max(abs(a.fun - b.fun) / max(abs(b.fun), 1e-300) for a, b in pairs)
        taken = sum("accepted_at_noise" in r.info for r in ruled)
        steps = sum(r.info.get("steps_at_noise", 0) for r in ruled)
        rows.append(summary(label, "scipy", plain) | {"gap": None, "note": ""})
        rows.append(summary(label, "rule", ruled) | {
            "gap": gap, "note": f"ended at a noise-level trial {taken}; steps taken {steps}"})
        if gap > 1e-10:
            failures.append(f"{label}: final f differs by {gap:.2e} relative")
    print_table(rows, [("set", "set"), ("variant", "variant"), ("runs", "runs"),
                       ("median", "nfev median"), ("mean", "mean"), ("p90", "p90"),
                       ("over30", "> 30 evals"), ("converged", "converged"),
                       ("gap", "max rel f gap"), ("note", "notes")])
    return finish(failures, t0)


if __name__ == "__main__":
    sys.exit(main())
