"""Validating problem specs at and beyond the limits of core/spec_limits.py.

For each spec: its JSON size, whether it is accepted, the median wall time of
``problem_from_json`` (JSON text to a validated Problem, as ``warmdesk solve``
and the editor do) over a few repetitions, and the peak Python memory of one
validation (tracemalloc, measured in a separate run so it does not slow the
timing). Also the time of one evaluation of the heaviest accepted objective.

The specs: the issue's (500 constraints of ~9,300-character sums over a
9,999-element variable; 5 MB), the expression budgets exactly at their limits
(20,000 terms; 200,000 characters of mostly blanks), 1,000 constraints, one
5,000-term expression, a 100,000-element variable given as explicit lists, and
the evaluation bound (20 million numbers) just inside and just outside.

    python benchmarks/bench_validation.py [--repeat 3]

Target: every validation well under 1 s and under 100 MB (refusals included).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc
from typing import Any, Callable, Sequence

import numpy as np

from warmdesk.core.errors import SpecError
from warmdesk.core.problems import problem_from_json
from warmdesk.core.spec_limits import (MAX_EVALUATION_ELEMENTS, MAX_SPEC_EXPRESSION_CHARS,
                                       MAX_SPEC_NODES)

FORMAT = "warmdesk.problem/1"
SIZE = 9_999


def minimize(variables: dict[str, Any], objective: str, constraints: Sequence[str] = (),
             method: str = "SLSQP") -> dict[str, Any]:
    return {"format": FORMAT, "name": "bench", "kind": "minimize", "variables": variables,
            "objective": objective,
            "constraints": [{"type": "ineq", "expr": c} for c in constraints],
            "solver": {"method": method}}


def vector(size: int = SIZE) -> dict[str, Any]:
    return {"x": {"size": size, "start": 0.5, "lower": 0, "upper": 1}}


def long_sum(i: int, terms: int) -> str:
    return "+".join(f"x[{(i * 7 + j) % SIZE}]" for j in range(terms))


def cases() -> list[tuple[str, dict[str, Any]]]:
    per_constraint = MAX_SPEC_NODES // 1_000 // 4          # x[i] terms of ~4 nodes each
    blanks = MAX_SPEC_EXPRESSION_CHARS // 20
    heavy_ok = MAX_EVALUATION_ELEMENTS // (2 * SIZE) - 1     # x*2 terms: 2 vector ops each
    return [
        ("issue: 500 x 9.3k-char sums (5 MB)",
         minimize(vector(), "sum(x**2)", [long_sum(i, 1_300) for i in range(500)])),
        ("1,000 scalar constraints",
         minimize(vector(), "sum(x**2)", [f"x[{i}] - 0.1" for i in range(1_000)])),
        (f"{MAX_SPEC_NODES:,} terms in 1,000 constraints (at the limit)",
         minimize(vector(), "sum(x**2)",
                  [long_sum(i, per_constraint) for i in range(999)])),
        (f"{MAX_SPEC_EXPRESSION_CHARS:,} chars, mostly blanks (at the limit)",
         minimize(vector(), "sum(x**2)",
                  ["x[0]" + " " * (blanks - 5) for _ in range(19)])),
        ("one 5,000-term expression",
         minimize({"a": 1.0}, "+".join(["a"] * 2_500), method="BFGS")),
        ("100,000-element variable as lists",
         minimize({"x": {"start": [0.5] * 100_000, "lower": [0.0] * 100_000,
                         "upper": [1.0] * 100_000}}, "sum(x**2)", method="L-BFGS-B")),
        ("evaluation bound, just inside",
         minimize(vector(), "sum(" + "+".join(["x*2"] * heavy_ok) + ")", method="L-BFGS-B")),
        ("evaluation bound, just outside",
         minimize(vector(), "sum(" + "+".join(["x*2"] * (heavy_ok + 2)) + ")",
                  method="L-BFGS-B")),
    ]


def validate(text: str) -> str:
    try:
        problem_from_json(text)
        return "accepted"
    except SpecError as exc:
        field, message = exc.problems[0]
        return f"refused ({len(exc.problems)}): {field}: {message[:60]}"


def timed(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'spec':<48} {'JSON':>8} {'time':>8} {'peak':>8}  result")
    for label, spec in cases():
        text = json.dumps(spec)
        seconds = timed(lambda: validate(text), args.repeat)
        peak = peak_mb(lambda: validate(text))
        print(f"{label:<48} {len(text) / 1e3:>6.0f}kB {seconds * 1e3:>6.0f}ms "
              f"{peak:>6.1f}MB  {validate(text)}")
    heavy = json.dumps(cases()[6][1])
    objective = problem_from_json(heavy).objective
    env = {"x": np.full(SIZE, 0.5)}
    per_call = timed(lambda: objective.evaluate(env), 10)
    print(f"\none evaluation of the heaviest accepted objective: {per_call * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
