"""The engine's recording overhead on ~1,000-iteration solves with cheap objectives.

Each case runs the *same* compiled functions (``ScalarFunction.value`` or
``.value_and_grad``, built from the same problem) three or four ways,
alternating, many times:

- bare:      ``scipy.optimize.minimize`` directly, no callback
- bare + no-op callback: what scipy itself spends on a per-iteration callback
- engine:    ``engine.solve(problem)`` (counting, control checks, a history row
             per iteration, result bookkeeping)
- +listener: ``engine.solve(problem, on_progress=listener)`` (default throttle)
- +listener every row: the same with ``progress_interval=0`` (when the engine
             has that parameter), a batch after every iteration

The wall time is measured around the whole call (so it includes the engine's
run setup); the median over the repetitions is reported, with the overhead vs
bare in percent (target < 5%) and per iteration in microseconds.

Run:  python benchmarks/bench_recording.py [--quick]
"""

from __future__ import annotations

import gc
import inspect
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (finish, FORMAT, banner, guarded, median, parse_args,  # noqa: E402 (first:
                     print_table, rosenbrock_spec)  # pins BLAS threads)

import numpy as np  # noqa: E402
from scipy import optimize  # noqa: E402

from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.problems import Problem, problem_from_dict  # noqa: E402
from warmdesk.core.solvers.compiled import ScalarFunction  # noqa: E402

TARGET_PCT = 5.0
HAS_INTERVAL = "progress_interval" in inspect.signature(solve).parameters


def nelder_mead_rosenbrock() -> Problem:
    spec = rosenbrock_spec("Nelder-Mead", n=10, start=-1.0, maxiter=1000, xatol=1e-300,
                           fatol=1e-300)
    for k in ("lower", "upper"):  # unbounded: bare scipy and the engine get the same call
        spec["variables"]["x"].pop(k)
    return problem_from_dict(spec)


def quadratic(method: str, n: int, cond: float, **options: Any) -> Problem:
    d = np.logspace(0.0, np.log10(cond), n).round(10).tolist()
    return problem_from_dict({
        "format": FORMAT, "name": f"quadratic-{n}", "kind": "minimize",
        "variables": {"x": {"size": n, "start": 1.0}}, "parameters": {"d": d},
        "objective": "0.5*sum(d*x**2)", "solver": {"method": method, "options": options}})


CASES: list[tuple[str, Callable[[], Problem]]] = [
    ("Nelder-Mead, Rosenbrock n=10, maxiter 1000 (value only)", nelder_mead_rosenbrock),
    ("L-BFGS-B, quadratic n=200 cond 1e6, maxcor 3, maxiter 1000 (value+grad)",
     lambda: quadratic("L-BFGS-B", 200, 1e6, maxiter=1000, maxcor=3, gtol=1e-300,
                       ftol=1e-300)),
    ("CG, quadratic n=50 cond 1e6, maxiter 1000 (value+grad)",
     lambda: quadratic("CG", 50, 1e6, maxiter=1000, gtol=1e-300)),
]


def bare_runner(p: Problem, callback: Callable[..., Any] | None = None) -> Callable[[], Any]:
    sf = ScalarFunction(p, p.objective)
    x0 = p.start_vector()
    extra = {} if callback is None else {"callback": callback}
    if p.method == "Nelder-Mead":
        return lambda: optimize.minimize(sf.value, x0, method=p.method,
                                         options=dict(p.options), **extra)
    return lambda: optimize.minimize(sf.value_and_grad, x0, jac=True, method=p.method,
                                     options=dict(p.options), **extra)


def _noop_callback(intermediate_result: optimize.OptimizeResult) -> None:
    """What any per-iteration callback costs inside scipy (it builds an OptimizeResult)."""


def measure(p: Problem, reps: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    calls = {"batches": 0, "rows": 0}

    def listener(run_id: str, batch: np.ndarray) -> None:
        calls["batches"] += 1
        calls["rows"] += batch.shape[0]

    bare = bare_runner(p)
    variants: list[tuple[str, Callable[[], Any]]] = [
        ("bare scipy (no callback)", bare),
        ("bare scipy + no-op callback (scipy's own callback cost)",
         bare_runner(p, _noop_callback)),
        ("engine.solve", lambda: solve(p)),
        ("engine.solve + on_progress (default throttle)",
         lambda: solve(p, on_progress=listener)),
    ]
    if HAS_INTERVAL:
        variants.append(("engine.solve + on_progress every row (progress_interval=0)",
                         lambda: solve(p, on_progress=listener, progress_interval=0.0)))
    # warm-up (imports, caches) and the work done by each variant
    info: dict[str, Any] = {}
    res = bare()
    info["bare_nit"], info["bare_nfev"] = int(res.nit), int(res.nfev)
    run = solve(p)
    info["engine_nit"], info["engine_nfev"], info["status"] = run.nit, run.nfev, run.status
    info["same_x"] = bool(np.allclose(np.concatenate([np.ravel(v) for v in run.solution.values()]),
                                      res.x, rtol=0, atol=0))
    times: dict[str, list[float]] = {name: [] for name, _ in variants}
    inner: dict[str, list[float]] = {name: [] for name, _ in variants}
    for i in range(reps):
        order = variants if i % 2 == 0 else list(reversed(variants))  # alternate the order
        for name, fn in order:
            gc.collect()
            t = time.perf_counter()
            out = fn()
            times[name].append(time.perf_counter() - t)
            if hasattr(out, "wall_s"):
                inner[name].append(out.wall_s)
    base = median(times[variants[0][0]])
    nit = max(info["engine_nit"], 1)
    rows = []
    for name, _ in variants:
        med = median(times[name])
        rows.append({"variant": name, "median": med * 1e3,
                     "min": min(times[name]) * 1e3,
                     "inner": median(inner[name]) * 1e3 if inner[name] else None,
                     "over": None if med is base else 100.0 * (med - base) / base,
                     "per_it": None if med is base else 1e6 * (med - base) / nit,
                     "ok": None if name.startswith("bare") else
                     ("yes" if 100.0 * (med - base) / base < TARGET_PCT else "NO")})
    return rows, info


COLUMNS = [("variant", "variant"), ("median", "median ms"), ("min", "min ms"),
           ("inner", "Run.wall_s ms"), ("over", "overhead %"), ("per_it", "us / iteration"),
           ("ok", f"< {TARGET_PCT:g}%")]


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    banner("bench_recording: engine recording overhead vs bare scipy", args.quick)
    reps = 7 if args.quick else 21
    print(f"{reps} alternating repetitions per variant; wall time around the whole call "
          f"(median; min shown too); gc.collect() before each call")
    if not HAS_INTERVAL:
        print("(engine.solve has no progress_interval parameter: the every-row variant is "
              "skipped)")
    failures: list[str] = []
    t_start = time.perf_counter()
    summary = []
    for title, make in CASES:
        def one() -> None:
            p = make()
            rows, info = measure(p, reps)
            print_table(rows, COLUMNS, title=title)
            print(f"  iterations: engine {info['engine_nit']} (status {info['status']}), "
                  f"bare {info['bare_nit']}; objective calls: engine {info['engine_nfev']}, "
                  f"bare {info['bare_nfev']}; same final x: {info['same_x']}")
            eng = next(r for r in rows if r["variant"] == "engine.solve")
            summary.append({"case": title, "over": eng["over"], "per_it": eng["per_it"],
                            "ok": eng["ok"]})
        guarded(title, one, failures)
    print_table(summary, [("case", "case"), ("over", "engine overhead %"),
                          ("per_it", "us / iteration"), ("ok", f"< {TARGET_PCT:g}%")],
                title="Summary (engine.solve without listener vs bare scipy)")
    return finish(failures, t_start)


if __name__ == "__main__":
    sys.exit(main())
