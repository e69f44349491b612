"""The scaled start of a warm L-BFGS-B or CG solve (warmdesk/core/solvers/curvature.py)
against the plain warm start from the same point, over random sources.

Each trial: Rosenbrock with n drawn from 3..19, a cold source solved from a random
start in [-2, 0.99]^n (so some sources end in the second minimum, near x0 = -1), then
the problem with a and b changed by +-delta, warm-started from the source twice: as
WarmDesk maps it (the scaled start, when ``worth_scaling`` says so) and from the
same point with nothing else (the plain warm start). Reported per setting: how often
the phase ran, the final f against the plain start's (worse / better / same, relative
1e-9), how many ended not converged each way, the evaluations (median, total), and
the solves' own wall time (``run.wall_s``, the engine's clock; summed; the two solved
one after the other, in a random order, so load and the first solve's code build hit
both alike). Only trials where the
mapping chose the scaled start are counted.

What it guards: the phase must never make a warm start end at a worse optimum or
with a worse status than the plain one, and should cost fewer evaluations.

Run:  python benchmarks/bench_scaled_start.py [--quick]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import banner, finish, median, parse_args, print_table, rosenbrock_spec  # noqa: E402

import numpy as np  # noqa: E402

from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.problems import problem_from_dict  # noqa: E402
from warmdesk.core.solvers.base import WarmStart  # noqa: E402
from warmdesk.core.warmstart import warm_start_from_run  # noqa: E402

#: (method, options, upper bound or None): L-BFGS-B with scipy's default ftol and a
#: tight one, with bounds far away and 0.3% above the old optimum; CG at two gtols
#: (1e-9 is below what the rounding allows on many of these problems).
SETTINGS: list[tuple[str, dict[str, float], float | None]] = [
    ("L-BFGS-B", {"gtol": 1e-8}, 5.0),
    ("L-BFGS-B", {"gtol": 1e-8, "ftol": 1e-13}, 5.0),
    ("L-BFGS-B", {"gtol": 1e-8}, 1.003),
    ("CG", {"gtol": 1e-6}, None),
    ("CG", {"gtol": 1e-9}, None),
]
DELTAS = (0.01, 0.1)


def _spec(method: str, options: dict[str, float], upper: float | None, n: int, a: float,
          b: float, start: list[float] | float) -> dict[str, Any]:
    spec = rosenbrock_spec(method, n=n, a=a, b=b, start=start, **options)
    if upper is not None:
        spec["variables"]["x"]["upper"] = upper
    return spec


def trial(rng: np.random.Generator, method: str, options: dict[str, float],
          upper: float | None, delta: float) -> dict[str, Any] | None:
    n = int(rng.integers(3, 20))
    start = rng.uniform(-2.0, 0.99, n).tolist()
    source = solve(problem_from_dict(_spec(method, options, upper, n, 1.0, 100.0, start)))
    a = 1.0 + delta * float(rng.choice([-1.0, 1.0]))
    b = 100.0 * (1.0 + delta * float(rng.choice([-1.0, 1.0])))
    problem = problem_from_dict(_spec(method, options, upper, n, a, b, 0.0))
    warm = warm_start_from_run(problem, source)
    if not warm.report.get("scaled"):
        return None
    plain_start = WarmStart(source.id, ["x0"], x0=warm.x0, report={})
    if rng.random() < 0.5:   # the first solve of a problem builds its code: either may
        scaled, plain = solve(problem, warm), solve(problem, plain_start)
    else:
        plain, scaled = solve(problem, plain_start), solve(problem, warm)
    phase = scaled.info.get("scaled_start") or {}
    gap = scaled.fun - plain.fun
    tol = 1e-9 * max(1.0, abs(plain.fun))
    return {"used": phase.get("used") is True, "worse": gap > tol, "better": gap < -tol,
            "scaled_nc": scaled.status != "converged", "plain_nc": plain.status != "converged",
            "scaled_nfev": scaled.nfev, "plain_nfev": plain.nfev,
            "scaled_s": scaled.wall_s or 0.0, "plain_s": plain.wall_s or 0.0}


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    banner("bench_scaled_start: the scaled start vs the plain warm start", args.quick)
    t0 = time.perf_counter()
    trials = 6 if args.quick else 40
    rows, failures = [], []
    for k, (method, options, upper) in enumerate(SETTINGS):
        for j, delta in enumerate(DELTAS):
            rng = np.random.default_rng([k, j, 16])
            found = [t for t in (trial(rng, method, options, upper, delta)
                                 for _ in range(trials)) if t is not None]
            if not found:
                continue
            worse = sum(t["worse"] for t in found)
            extra_nc = sum(t["scaled_nc"] and not t["plain_nc"] for t in found)
            rows.append({
                "method": method, "options": " ".join(f"{k}={v:g}" for k, v in options.items()),
                "upper": "-" if upper is None else f"{upper:g}", "delta": delta,
                "trials": len(found), "used": sum(t["used"] for t in found),
                "worse": worse, "better": sum(t["better"] for t in found),
                "nc": f"{sum(t['scaled_nc'] for t in found)} / {sum(t['plain_nc'] for t in found)}",
                "med": f"{median(t['scaled_nfev'] for t in found):.0f} / "
                       f"{median(t['plain_nfev'] for t in found):.0f}",
                "total": f"{sum(t['scaled_nfev'] for t in found)} / "
                         f"{sum(t['plain_nfev'] for t in found)}",
                "wall": f"{1e3 * sum(t['scaled_s'] for t in found):.0f} / "
                        f"{1e3 * sum(t['plain_s'] for t in found):.0f}"})
            if worse:
                failures.append(f"{method} {options} upper={upper} delta={delta}: the scaled "
                                f"start ended at a worse optimum in {worse} trial(s)")
            if extra_nc > max(1, len(found) // 10):
                failures.append(f"{method} {options} upper={upper} delta={delta}: {extra_nc} "
                                "scaled starts not converged where the plain one converged")
    print_table(rows, [("method", "method"), ("options", "options"), ("upper", "upper bound"),
                       ("delta", "change"), ("trials", "scaled trials"), ("used", "phase ran"),
                       ("worse", "worse f"), ("better", "better f"),
                       ("nc", "not converged scaled / plain"),
                       ("med", "evaluations median scaled / plain"),
                       ("total", "evaluations total scaled / plain"),
                       ("wall", "solve wall ms total scaled / plain")],
                title="The scaled start against the plain warm start, same sources")
    return finish(failures, t0)


if __name__ == "__main__":
    sys.exit(main())
