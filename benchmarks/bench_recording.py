"""The engine's recording overhead against bare scipy, one case per method the
engine offers (minimize, fit, ode), each ~1,000 iterations where bare scipy does
real work per iteration (fewer where the method is slow: see each case's title
and benchmarks/_recording_cases.py).

Each case runs the *same* compiled functions (``ScalarFunction``, the fit's
residual function, the ODE's right-hand side) three to five ways, alternating,
many times:

- bare:      scipy directly (``minimize``, ``least_squares``, ``solve_ivp``), no callback
- bare + no-op callback: what scipy itself spends on a per-iteration callback
- floor:     the least recording that does what the issue asks of one, in bare
             scipy: every evaluation counted (its value kept), and per iteration
             the iterate copied (durable progress and a resume need it) and a row
             (evaluations, time, f) appended to a list; none of the engine's checks
             (stop poll, NaN/Inf, gradient norm, step length, noise-floor rule,
             stationarity, fit report). Not for the ODEs (solve_ivp has no
             per-step hook: the engine's stepping loop is solve_ivp's own)
- engine:    ``engine.solve(problem)`` (counting, control checks, a history row
             per iteration, result bookkeeping)
- +listener: ``engine.solve(problem, on_progress=listener)`` (default throttle)
- +listener every row: the same with ``progress_interval=0``, a batch after
             every iteration

The wall time is measured around the whole call (so it includes the engine's
run setup); the median over the repetitions is reported, with the overhead vs
bare in percent (target < 5%) and per iteration in microseconds, and the same
overhead from the fastest repetition of each (``min overhead %``: on a shared,
loaded machine other work only ever adds time, so the minima compare the
undisturbed runs). The load average is printed with the figures.

Run:  python benchmarks/bench_recording.py [--quick] [--only SUBSTRING]
"""

from __future__ import annotations

import gc
import inspect
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (finish, banner, guarded, median, parse_args,  # noqa: E402 (first:
                     print_table)  # pins BLAS threads)

import numpy as np  # noqa: E402

from _recording_cases import CASES, Bare, FloorRecorder, nit_of  # noqa: E402
from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.problems import Problem  # noqa: E402

TARGET_PCT = 5.0
FLOOR = "floor: evaluations counted, the iterate copied and a row kept per iteration"
HAS_INTERVAL = "progress_interval" in inspect.signature(solve).parameters


def _noop_callback(intermediate_result: Any) -> None:
    """What any per-iteration callback costs inside scipy (it builds an OptimizeResult)."""


def _final_x(result: Any) -> np.ndarray:
    return np.asarray(result.y[:, -1] if hasattr(result, "y") else result.x, dtype=float)


def measure(p: Problem, make_bare: Bare, reps: int
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    calls = {"batches": 0, "rows": 0}

    def listener(run_id: str, batch: np.ndarray) -> None:
        calls["batches"] += 1
        calls["rows"] += batch.shape[0]

    bare = make_bare(p, None)
    variants: list[tuple[str, Callable[[], Any]]] = [("bare scipy (no callback)", bare)]
    if p.kind != "ode":
        variants.append(("bare scipy + no-op callback (scipy's own callback cost)",
                         make_bare(p, _noop_callback)))

        floor_recorder = FloorRecorder()
        floor_run = make_bare(p, floor_recorder.record, floor_recorder)

        def floor() -> Any:
            floor_recorder.start()   # a fresh count and rows a solve, as the engine's
            return floor_run()
        variants.append((FLOOR, floor))
    variants += [
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
    info["bare_nit"], info["bare_nfev"] = nit_of(res), int(res.nfev)
    run = solve(p)
    info["engine_nit"], info["engine_nfev"], info["status"] = run.nit, run.nfev, run.status
    x = np.concatenate([np.ravel(v) for v in run.solution.values()])
    info["same_x"] = bool(np.array_equal(x, _final_x(res)))
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
    base_min = min(times[variants[0][0]])
    nit = max(info["engine_nit"], 1)
    rows = []
    for name, _ in variants:
        med = median(times[name])
        least = min(times[name])
        rows.append({"variant": name, "median": med * 1e3,
                     "min": least * 1e3,
                     "inner": median(inner[name]) * 1e3 if inner[name] else None,
                     "over": None if med is base else 100.0 * (med - base) / base,
                     "over_min": (None if name == variants[0][0] else
                                  100.0 * (least - base_min) / base_min),
                     "per_it": None if med is base else 1e6 * (med - base) / nit,
                     "ok": None if name.startswith("bare") or name == FLOOR else
                     ("yes" if 100.0 * (med - base) / base < TARGET_PCT else "NO")})
    return rows, info


COLUMNS = [("variant", "variant"), ("median", "median ms"), ("min", "min ms"),
           ("inner", "Run.wall_s ms"), ("over", "overhead %"), ("over_min", "min overhead %"),
           ("per_it", "us / iteration"),
           ("ok", f"< {TARGET_PCT:g}%")]


def _only(parser: Any) -> None:
    parser.add_argument("--only", default="", help="cases whose title holds this text")


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], _only)
    banner("bench_recording: engine recording overhead vs bare scipy", args.quick)
    reps = 5 if args.quick else 15
    print(f"{reps} alternating repetitions per variant; wall time around the whole call "
          f"(median; min shown too); gc.collect() before each call")
    if not HAS_INTERVAL:
        print("(engine.solve has no progress_interval parameter: the every-row variant is "
              "skipped)")
    failures: list[str] = []
    t_start = time.perf_counter()
    summary = []
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    for title, make, make_bare in CASES:
        if args.only.lower() not in title.lower():
            continue

        def one() -> None:
            p = make()
            rows, info = measure(p, make_bare, reps)
            print_table(rows, COLUMNS, title=title)
            print(f"  iterations: engine {info['engine_nit']} (status {info['status']}), "
                  f"bare {info['bare_nit']}; function calls: engine {info['engine_nfev']}, "
                  f"bare {info['bare_nfev']}; same final x: {info['same_x']}")
            eng = next(r for r in rows if r["variant"] == "engine.solve")
            least = next((r for r in rows if r["variant"] == FLOOR), None)
            summary.append({"case": title, "floor": least["over"] if least else None,
                            "floor_min": least["over_min"] if least else None,
                            "over": eng["over"], "over_min": eng["over_min"],
                            "per_it": eng["per_it"], "ok": eng["ok"]})
        guarded(title, one, failures)
    print_table(summary, [("case", "case"), ("floor", "floor %"), ("floor_min", "floor min %"),
                          ("over", "engine overhead %"),
                          ("over_min", "min overhead %"),
                          ("per_it", "us / iteration"), ("ok", f"< {TARGET_PCT:g}%")],
                title="Summary (engine.solve without listener vs bare scipy)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return finish(failures, t_start)


if __name__ == "__main__":
    sys.exit(main())
