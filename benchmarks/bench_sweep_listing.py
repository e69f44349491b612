"""Past sweeps in a large library: how long listing the sweeps, the runs of
one, a listing page's check verdicts, reading one sweep back (with its cold
twin) and the schema-6 migration's backfill take.

Builds a library of ``--sweeps S`` sweeps of ``--points P`` points (half of
them chained, half cold of the same spec, every tenth point failing its
check) plus as many runs of no sweep, from copies of one real solved
Bratu run (the runs are realistic, not solved each time). Then it measures
(medians over repetitions):

- ``list_sweeps`` (every sweep) and ``list_sweeps(spec_key=...)``   (< 50 ms)
- ``sweep_runs`` of one sweep, ``sweep_verdicts`` of a 200-run page  (< 10 ms)
- ``load_with_twin``: one sweep and its twin read back (2 x P runs, no histories)
- the migration to schema 6 over the whole library (its backfill of ``sweep_runs``)

Run:  python benchmarks/bench_sweep_listing.py [--quick] [--sweeps S] [--points P]
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from _common import banner, median, parse_args, print_table  # noqa: E402  (first: pins BLAS)

import copy  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402  (only to make the library a schema-5 one again)
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

from warmdesk.core.library import (DB_NAME, Library, RunQuery, list_sweeps,  # noqa: E402
                                   sweep_runs, sweep_verdicts)
from warmdesk.core.runs import Run, new_run_id  # noqa: E402
from warmdesk.core.sweeps import SweepRunner, load_with_twin, sweep_from_dict  # noqa: E402

EXAMPLES = HERE.parent / "resources" / "examples" / "sweeps"
BATCH = 500


def timed(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    out, times = None, []
    for _ in range(reps + 1):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return median(times[1:]), out


def template(folder: Path) -> Run:
    """One real point of a real sweep (solved once)."""
    sweep = sweep_from_dict({"format": "warmdesk.sweep/1", "name": "t", "problem": "bratu.json",
                             "path": [{"lam": 1.0}]}, EXAMPLES)
    with Library(folder) as library:
        result = SweepRunner(library, sweep, advise=False).run()
    return result.points[0].run


def build(folder: Path, base: Run, sweeps: int, points: int) -> None:
    t0 = base.created_at
    batch: list[Run] = []
    with Library(folder) as library:
        def add(run: Run) -> None:
            batch.append(run)
            if len(batch) >= BATCH:
                library.save_runs(batch)
                batch.clear()
        for s in range(sweeps):
            sweep_id, spec, cold = new_run_id(), f"spec{s // 2}", s % 2 == 1
            for p in range(points):
                run = copy.deepcopy(base)
                run.id, run.name = new_run_id(), f"bratu s{s} p{p}"
                run.created_at = t0 + s * points + p
                run.warm = None
                check = "the objective 1e-3 is above the sweep's max_fun 1e-14" \
                    if p % 10 == 9 else None
                run.info["sweep"] = {"id": sweep_id, "name": f"sweep {s // 2}", "spec": spec,
                                     "total": points, "cold": cold, "chain": p // 12,
                                     "point": p, "values": {"lam": 0.1 * p}, "role": "point",
                                     "seed": "cold" if cold else "secant", "previous": None,
                                     "resumed": False, "check": check}
                add(run)
                plain = copy.deepcopy(base)         # and a run of no sweep
                plain.id, plain.created_at = new_run_id(), run.created_at
                del plain.info["sweep"]
                plain.warm = None
                add(plain)
        if batch:
            library.save_runs(batch)


def _row(what: str, count: int, shown: str) -> dict[str, Any]:
    return {"what": what, "rows": count, "median": shown}


def main() -> None:
    def options(parser: Any) -> None:
        parser.add_argument("--sweeps", type=int, default=None, help="sweeps (default 400)")
        parser.add_argument("--points", type=int, default=50, help="points per sweep")
    args = parse_args(__doc__.splitlines()[0], options)
    sweeps = args.sweeps or (40 if args.quick else 400)
    banner(f"Past sweeps: {sweeps} sweeps of {args.points} points, as many other runs",
           args.quick)
    tmp = Path(tempfile.mkdtemp(prefix="wd-bench-sweeps-"))
    try:
        base = template(tmp / "template")
        start = time.perf_counter()
        build(tmp / "lib", base, sweeps, args.points)
        print(f"built in {time.perf_counter() - start:.1f} s")
        rows: list[dict[str, Any]] = []
        with Library(tmp / "lib") as library:
            n = library.count(RunQuery(limit=0))
            s, listed = timed(lambda: list_sweeps(library), 5)
            rows.append(_row("list_sweeps (all)", len(listed), f"{s * 1000:.1f} ms"))
            key = listed[0].spec_key
            s, twins = timed(lambda: list_sweeps(library, spec_key=key), 5)
            rows.append(_row("list_sweeps (one spec)", len(twins), f"{s * 1000:.2f} ms"))
            sid = listed[len(listed) // 2].sweep_id
            s, runs = timed(lambda: sweep_runs(library, sid), 5)
            rows.append(_row("sweep_runs (one sweep)", len(runs), f"{s * 1000:.2f} ms"))
            page = [r["id"] for r in library.query(RunQuery(limit=200))]
            s, verdicts = timed(lambda: sweep_verdicts(library, page), 5)
            rows.append(_row("sweep_verdicts (200-run page)", len(verdicts), f"{s * 1000:.2f} ms"))
            s, both = timed(lambda: load_with_twin(library, sid), 3)
            rows.append(_row("load_with_twin (2 sweeps)",
                         sum(len(b.result.points) for b in both.values()), f"{s * 1000:.0f} ms"))
        db = sqlite3.connect(tmp / "lib" / DB_NAME)
        db.execute("DROP TABLE sweep_runs")
        db.execute("PRAGMA user_version=5")
        db.commit()
        db.close()
        start = time.perf_counter()
        with Library(tmp / "lib", recover=False) as library:
            elapsed = time.perf_counter() - start
            assert len(list_sweeps(library)) == len(listed)
        rows.append(_row("open + migrate 5 -> 6 (backfill)", n, f"{elapsed:.2f} s"))
        print(f"library: {n} runs, {len(listed)} sweeps")
        print_table(rows, [("what", "what"), ("rows", "rows"), ("median", "median")])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
