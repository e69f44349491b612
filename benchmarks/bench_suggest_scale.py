"""``suggest`` over a library of 100,000 runs answers in < 200 ms.

The library is built quickly by synthesising runs without solving them:

1. ~20 real base runs of Rosenbrock (n=10, BFGS, gtol 1e-8) at various ``a``
   are solved, plus a few base runs of other structures and kinds (Rosenbrock
   n=8, the constrained portfolio with SLSQP, a Gaussian-peak fit, a logistic
   regression, a Lotka-Volterra integration).
2. Each base run is cloned into many ``Run`` objects: a new id
   (``new_run_id()``), a deep copy of the stored spec with perturbed parameters
   (``run.problem['parameters']``: the advisor reads parameters from the stored
   spec), a slightly perturbed solution (relative noise 1e-3), ``created_at``
   spread over the past year, and a ``problem_hash`` that differs per parameter
   set (the real ``content_hash()`` for every ``HASH_EVERY``-th clone, a random
   64-hex string for the others). About a third of the main-structure clones
   are marked as warm-started from an earlier clone, with a recorded saving in
   ``info['saving']`` (so the advisor's saving look-ups have rows to read), and
   ~2% are failed runs (not usable).
3. Histories are TRUNCATED to their first ``--history-rows`` rows (default 10;
   the base runs have 50-200) so the library builds fast: history size is not
   what ``suggest`` reads.
4. Runs are saved in batches with ``library.save_runs(batch)``.

Of the N runs, ``OTHER_FRACTION`` (5%) are of other structures/kinds (at
least 2,000), the rest share the structure of the new problem. Then the
library is closed and opened again, and ``suggest(lib, new)`` is timed: the
first call after opening, then ``--calls`` calls with different new ``a``
(median, p95, max), with the number of candidates and evaluations.
PASS when the first call, the median and the p95 are all < 200 ms. With
``--profile`` (or on a FAIL) one call is profiled with cProfile.

Run:  python benchmarks/bench_suggest_scale.py [--quick] [--runs N] [--calls 20]
      [--history-rows 10] [--keep DIR] [--profile]
"""
# ruff: noqa: I001  (the _common import comes first: it pins BLAS threads)

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # tests.core.factories

from _common import banner, fmt  # first: pins BLAS threads

import argparse
import copy
import cProfile
import io
import math
import os
import pstats
import shutil
import statistics
import tempfile
import time
from typing import Any

import numpy as np

from tests.core import factories as F
from warmdesk.core.advisor import suggest
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.problems import Problem, problem_from_dict, with_parameters
from warmdesk.core.runs import History, Run, WarmStart, new_run_id

LIMIT_MS = 200.0
BASE_RUNS = 20
OTHER_FRACTION = 0.05
MIN_OTHER = 2000
HASH_EVERY = 50
BATCH = 1000
DAY = 86400.0


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="10,000 runs")
    p.add_argument("--native-blas", action="store_true", help="see _common.NATIVE_BLAS")
    p.add_argument("--runs", type=int, default=None, help="runs in the library (100000)")
    p.add_argument("--calls", type=int, default=20, help="timed suggest calls")
    p.add_argument("--history-rows", type=int, default=10,
                   help="keep this many history rows per run (0: keep them whole)")
    p.add_argument("--keep", default=None, help="build the library in this folder and keep it")
    p.add_argument("--profile", action="store_true", help="always profile one call")
    return p.parse_args()


# --------------------------------------------------------------------------- base runs

def base_runs(folder: Path, rng: np.random.Generator
              ) -> tuple[list[Run], list[tuple[str, Run]], Problem]:
    """Real solved runs: the main structure, and others (label, run)."""
    main: list[Run] = []
    for a in np.sort(rng.uniform(0.5, 2.0, BASE_RUNS)):
        main.append(solve(problem_from_dict(F.rosenbrock("BFGS", n=10, a=float(a), gtol=1e-8))))
    others: list[tuple[str, Run]] = []
    others.append(("rosenbrock n=8 (minimize, other structure)",
                   solve(problem_from_dict(F.rosenbrock("BFGS", n=8, gtol=1e-8)))))
    others.append(("portfolio SLSQP (minimize, other structure)",
                   solve(problem_from_dict(F.constrained("SLSQP")))))
    F.write_peaks(folder, "peaks.csv")
    others.append(("peaks trf (fit)", solve(problem_from_dict(F.fit_spec("trf"), folder))))
    F.write_classification(folder, "cls.csv")
    others.append(("logistic (train)", solve(problem_from_dict(F.train_spec(), folder))))
    others.append(("lotka-volterra RK45 (ode)",
                   solve(problem_from_dict(F.lotka_volterra("RK45")))))
    new = problem_from_dict(F.rosenbrock("BFGS", n=10, a=1.0, gtol=1e-8))
    return main, others, new


def clone(base: Run, rng: np.random.Generator, created_at: float, history_rows: int,
          real_hash: bool, warm_from: str | None = None, failed: bool = False) -> Run:
    """A synthetic run like ``base``: other parameters, a nearby solution."""
    spec = copy.deepcopy(base.problem)
    params = spec.get("parameters", {})
    for name, value in params.items():
        arr = np.asarray(value, dtype=float)
        moved = arr * (1.0 + 0.05 * rng.standard_normal(arr.shape))
        params[name] = moved.tolist() if arr.ndim else float(moved)
    run = copy.copy(base)
    run.id = new_run_id()
    run.problem = spec
    run.problem_hash = (problem_from_dict(spec).content_hash() if real_hash
                        else random_hash(rng))
    run.created_at = created_at
    run.started_at = created_at
    run.finished_at = created_at + base.wall_s
    run.solution = {k: np.asarray(v, dtype=float) * (1.0 + 1e-3 * rng.standard_normal(
        np.shape(v))) for k, v in base.solution.items()}
    run.info = copy.deepcopy(base.info)
    run.tags = list(base.tags)
    hist = base.history.array
    run.history = History(hist[:history_rows] if history_rows > 0 else hist)
    run.warm = None
    if warm_from is not None:
        run.warm = WarmStart(warm_from, ["x0", "hess_inv"], mode="restart",
                             report={"source_run_id": warm_from})
        saving = float(np.clip(rng.normal(0.7, 0.2), -0.5, 0.98))
        run.nfev = max(1, round(base.nfev * (1 - saving)))
        run.info["saving"] = {"value": saving, "basis": "estimated", "cold_run": warm_from,
                              "cold_nfev": base.nfev, "warm_nfev": run.nfev}
    if failed:
        run.status, run.message, run.fun = "failed", "synthetic failure", None
        run.solution, run.state = {}, {}
    return run


def random_hash(rng: np.random.Generator) -> str:
    return "".join(f"{int(v):016x}" for v in rng.integers(0, 2**63, 4))


def build(folder: Path, n_runs: int, history_rows: int, rng: np.random.Generator
          ) -> tuple[Problem, dict[str, Any]]:
    t0 = time.perf_counter()
    main, others, new = base_runs(folder, rng)
    t_solve = time.perf_counter() - t0
    n_other = min(n_runs, max(MIN_OTHER, int(OTHER_FRACTION * n_runs)))
    n_main = n_runs - n_other
    now = time.time()
    stats = {"main": n_main, "other": n_other, "warm": 0, "failed": 0, "real_hash": 0,
             "solve_s": t_solve}
    lib = Library(folder / "lib")
    t1 = time.perf_counter()
    batch: list[Run] = []
    recent_main: list[str] = []
    # created_at in increasing order, so a warm clone's source is older
    ages = np.sort(rng.uniform(0, 365 * DAY, n_runs))[::-1]
    kinds = np.zeros(n_runs, dtype=int)
    kinds[rng.choice(n_runs, n_other, replace=False)] = 1
    for i in range(n_runs):
        created = now - float(ages[i])
        real = i % HASH_EVERY == 0
        if kinds[i] == 0:
            base = main[int(rng.integers(len(main)))]
            warm = recent_main[-int(rng.integers(1, 20))] if (
                len(recent_main) > 20 and rng.random() < 0.33) else None
            failed = rng.random() < 0.02
            run = clone(base, rng, created, history_rows, real, warm, failed)
            stats["warm"] += warm is not None
            stats["failed"] += failed
            if not failed:
                recent_main.append(run.id)
        else:
            base = others[int(rng.integers(len(others)))][1]
            run = clone(base, rng, created, history_rows, False)
        stats["real_hash"] += real and kinds[i] == 0
        batch.append(run)
        if len(batch) >= BATCH:
            lib.save_runs(batch)
            batch = []
            done = i + 1
            if done % (10 * BATCH) == 0:
                el = time.perf_counter() - t1
                print(f"  saved {done:>7,} runs  ({el:.0f} s, {1000 * el / done:.2f} ms a run)")
                sys.stdout.flush()
    if batch:
        lib.save_runs(batch)
    lib.close()
    stats["save_s"] = time.perf_counter() - t1
    stats["base"] = [(f"rosenbrock n=10 a={r.problem['parameters']['a']:.3f}", r.nfev,
                      len(r.history)) for r in main[:3]]
    stats["others"] = [(label, r.nfev, len(r.history)) for label, r in others]
    stats["base_history_rows"] = [len(r.history) for r in main]
    return new, stats


# --------------------------------------------------------------------------- timing

CPU_MS: list[float] = []


def timed(lib: Library, problem: Problem) -> tuple[float, Any]:
    """Wall ms of one call (its CPU ms of this process go to ``CPU_MS``)."""
    c = time.process_time()
    t = time.perf_counter()
    advice = suggest(lib, problem)
    wall = 1000 * (time.perf_counter() - t)
    CPU_MS.append(1000 * (time.process_time() - c))
    return wall, advice


def load() -> str:
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def p95(values: list[float]) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, math.ceil(0.95 * len(v)) - 1)]


def profile_call(lib: Library, problem: Problem) -> str:
    prof = cProfile.Profile()
    prof.enable()
    suggest(lib, problem)
    prof.disable()
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out).sort_stats("cumulative")
    st.print_stats(25)
    text = out.getvalue()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
    return text + "\n--- by own time ---\n" + out.getvalue()


def sql_breakdown(lib: Library, problem: Problem) -> str:
    """Time each statement ``suggest`` has the library read (the advisor's
    feature and outcome questions), by wrapping the read method of the
    library's one SQL wrapper (``library.sql.Database``, private to the
    package: a benchmark may look inside); the rest of the call (get_run for
    the shortlisted runs, numpy) is the remainder."""
    spent: dict[str, list[float]] = {}
    database = lib._sql
    original = database.read

    def timed_read(sql: str, args: Any = ()) -> Any:
        t = time.perf_counter()
        rows = original(sql, args)
        key = " ".join(sql.split())
        key = (key[:150] + "...") if len(key) > 150 else key
        spent.setdefault(key, []).append(1000 * (time.perf_counter() - t))
        spent[key].append(-float(len(rows)))  # row counts ride along, negated
        return rows

    database.read = timed_read  # type: ignore[method-assign]
    try:
        t = time.perf_counter()
        suggest(lib, problem)
        total = 1000 * (time.perf_counter() - t)
    finally:
        del database.read  # back to the class's method
    lines = [f"one suggest() call: {total:.0f} ms, of which library reads:"]
    items = []
    for key, vals in spent.items():
        ms = sum(v for v in vals if v >= 0)
        rows = -sum(v for v in vals if v < 0)
        items.append((ms, len(vals) // 2, int(rows), key))
    for ms, calls, rows, key in sorted(items, reverse=True):
        lines.append(f"  {ms:7.1f} ms  {calls:3d} call(s)  {rows:6d} rows  {key}")
    rest = total - sum(i[0] for i in items)
    lines.append(f"  {rest:7.1f} ms  the rest (numpy, get_run of the shortlist, merit "
                 "evaluations, ranking)")
    return "\n".join(lines)


def main() -> int:
    args = parse()
    n_runs = args.runs or (10_000 if args.quick else 100_000)
    banner(f"suggest() over a library of {n_runs:,} runs (< {LIMIT_MS:.0f} ms)", args.quick)
    rng = np.random.default_rng(2024)
    if args.keep:
        folder = Path(args.keep)
        if (folder / "lib").exists():
            shutil.rmtree(folder / "lib")
        folder.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="bench-suggest-scale-")
        folder = Path(cleanup.name)
    try:
        print(f"library folder: {folder / 'lib'}; {load()}")
        print(f"history: truncated to the first {args.history_rows} rows per run"
              if args.history_rows > 0 else "history: kept whole")
        new, stats = build(folder, n_runs, args.history_rows, rng)
        size = sum(f.stat().st_size for f in (folder / "lib").glob("*")) / 1e6
        print(f"solved {BASE_RUNS} base runs of the main structure + {len(stats['others'])} "
              f"others in {stats['solve_s']:.1f} s (base histories "
              f"{min(stats['base_history_rows'])}-{max(stats['base_history_rows'])} rows)")
        for label, nfev, rows in stats["others"]:
            print(f"  other: {label}: nfev {nfev}, {rows} history rows")
        print(f"built {n_runs:,} runs in {stats['save_s']:.1f} s: {stats['main']:,} of the "
              f"new problem's structure ({stats['warm']:,} marked warm with a saving, "
              f"{stats['failed']:,} failed, {stats['real_hash']:,} with a real content hash), "
              f"{stats['other']:,} of other structures/kinds; library {size:.0f} MB")

        params = rng.uniform(0.5, 2.0, args.calls)
        with Library(folder / "lib") as lib:
            first_ms, first = timed(lib, new)
            times, cands, evals, colds = [], [], [], 0
            for a in params:
                ms, advice = timed(lib, with_parameters(new, a=float(a)))
                times.append(ms)
                cands.append(advice.candidates)
                evals.append(advice.evaluations)
                colds += advice.start_cold
            prof_text = None
            med, q95 = statistics.median(times), p95(times)
            verdicts = {"first call after opening": first_ms, f"median of {args.calls}": med,
                        f"p95 of {args.calls}": q95}
            failed = any(v >= LIMIT_MS for v in verdicts.values())
            if failed or args.profile:
                prof_text = (sql_breakdown(lib, with_parameters(new, a=1.234)) + "\n\n"
                             + profile_call(lib, with_parameters(new, a=1.234)))
        print()
        print(f"first call after opening: {first_ms:.1f} ms; candidates {first.candidates}, "
              f"evaluations {first.evaluations}, top "
              f"{'cold' if first.top is None else first.top.source}; notes: "
              f"{'; '.join(first.notes[:2]) or '-'}")
        print(f"{args.calls} calls (a ~ U(0.5, 2)): median {med:.1f} ms, p95 {q95:.1f} ms, "
              f"min {min(times):.1f} ms, max {max(times):.1f} ms; candidates median "
              f"{fmt(statistics.median(cands))} (max {max(cands)}), evaluations median "
              f"{fmt(statistics.median(evals))} (max {max(evals)}); advised cold {colds}")
        print("wall times (ms): " + " ".join(f"{t:.0f}" for t in times))
        cpu = CPU_MS[1:]
        print(f"CPU time of this process per call (ms; what other programs on the machine do "
              f"not inflate): first {CPU_MS[0]:.0f}, median {statistics.median(cpu):.0f}, "
              f"p95 {p95(cpu):.0f}; {load()} (2 cores)")
        print()
        for what, v in verdicts.items():
            print(f"  {'PASS' if v < LIMIT_MS else 'FAIL'}  {what}: {v:.1f} ms "
                  f"(limit {LIMIT_MS:.0f} ms)")
        print(f"\nOVERALL: {'FAIL' if failed else 'PASS'}")
        if prof_text:
            print("\nWhere the time goes (a=1.234):")
            print(prof_text)
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
