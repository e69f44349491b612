"""Sweeps (issue 18): evaluations per point chained vs cold, points worse than
cold, and wall time on a Dask LocalCluster of 1, 2 and 4 worker processes.

Families (each a real ``warmdesk.sweep/1`` spec run by ``SweepRunner``):

- ``rosenbrock grid``  minimize, BFGS: the bundled example (resources/examples/
                       sweeps/rosenbrock_sweep.json), a 5 x 3 grid of a, b.
- ``decay series``     fit, dogbox, soft_l1: 20 days of detector counts whose decay
                       time drifts (a CSV per day, written here with a fixed seed);
                       a path over the day, each day's data set by an override.
- ``bratu fold``       minimize (least squares of the discretised Bratu equations),
                       the bundled example: 33 points of lam, 5 past the fold,
                       where the solver says converged and the residual check fails.

"chained" is the sweep as specified (one chain, in this process: evaluations
do not depend on the executor); "cold" the same sweep with ``cold=True``.
Evaluations of a point count every run it took (secant retries, halved steps).
A chained point is *worse* than cold when it failed the check and cold passed,
or its objective is above cold's by more than 1e-8 relative (+1e-12).

The wall-time table runs one sweep of independent chains (8 chains of 6 points
of a 150-dimensional Rosenbrock grid; the same chains for every worker count) on
a fresh LocalCluster (processes, one thread each); cluster start-up is printed
apart. ODE parameters are not a family here: an ode warm start is a checkpoint
of the same system (docs/warm-starts.md), so a neighbour's trajectory gives no
start for another parameter's integration.
"""

from __future__ import annotations

import _common  # noqa: F401 - pins BLAS threads before numpy loads

import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from _common import banner, parse_args, print_table
from warmdesk.core.library import Library
from warmdesk.core.sweeps import SweepResult, SweepRunner, load_sweep, sweep_from_dict

SIZE = 150
EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def decay_series(folder: Path, days: int) -> dict[str, Any]:
    """A fit per day: the counts of a decay whose time constant drifts."""
    rng = np.random.default_rng(18)
    time_s = np.arange(0.0, 60.0, 1.0)
    tau, n0, bg = 12.0, 1000.0, 20.0
    for day in range(days):
        tau *= float(np.exp(rng.normal(0.01, 0.01)))
        n0 *= float(np.exp(rng.normal(0.0, 0.01)))
        counts = rng.poisson(n0 * np.exp(-time_s / tau) + bg).astype(float)
        sigma = np.sqrt(np.maximum(counts, 1.0))
        lines = ["time,counts,sigma"] + [f"{t:.1f},{c:.0f},{s:.4f}"
                                         for t, c, s in zip(time_s, counts, sigma)]
        (folder / f"day{day:02d}.csv").write_text("\n".join(lines) + "\n")
    problem = json.loads((EXAMPLES / "decay_base.json").read_text())
    problem["parameters"] = {"day": 0}
    problem["data"] = {"file": "day00.csv"}
    problem["solver"] = {"method": "dogbox", "options": {"xtol": 1e-10, "ftol": 1e-10}}
    return {"format": "warmdesk.sweep/1", "name": "decay-series", "problem": problem,
            "path": [{"day": d} for d in range(days)],
            "overrides": [{"points": [d], "set": {"data": {"file": f"day{d:02d}.csv"}}}
                          for d in range(days)]}


def families(folder: Path, quick: bool) -> dict[str, Any]:
    return {"rosenbrock grid": load_sweep(EXAMPLES / "sweeps" / "rosenbrock_sweep.json"),
            "decay series": sweep_from_dict(decay_series(folder, 10 if quick else 20), folder),
            "bratu fold": load_sweep(EXAMPLES / "sweeps" / "bratu_sweep.json")}


def run(sweep: Any, cold: bool, folder: Path) -> SweepResult:
    with Library(Path(tempfile.mkdtemp(dir=folder))) as library:
        return SweepRunner(library, sweep, cold=cold).run()


def compare(name: str, chained: SweepResult, cold: SweepResult) -> dict[str, Any]:
    ratios, worse = [], 0
    for i, c in chained.points.items():
        k = cold.points[i]
        ratios.append(c.evaluations / max(1, k.evaluations))
        if (not c.ok and k.ok) or (c.ok and k.ok and c.run.fun is not None and
                                   k.run.fun is not None and
                                   c.run.fun > k.run.fun * (1 + 1e-8) + 1e-12):
            worse += 1
    ev_c = [p.evaluations for p in chained.points.values()]
    ev_k = [p.evaluations for p in cold.points.values()]
    return {"family": name, "points": chained.total,
            "chained": statistics.median(ev_c), "cold": statistics.median(ev_k),
            "saving": 1 - statistics.median(ratios),
            "total": 1 - sum(ev_c) / sum(ev_k),
            "failed": f"{len(chained.failed)}/{len(cold.failed)}", "worse": worse}


def wall_sweep(quick: bool) -> Any:
    problem = json.loads((EXAMPLES / "rosenbrock_base.json").read_text())
    problem["variables"] = {"x": {"size": SIZE, "start": 0.0}}
    return sweep_from_dict({"format": "warmdesk.sweep/1", "name": "rosenbrock-40",
                            "problem": problem,
                            "vary": {"a": {"from": 0.8, "to": 1.6, "num": 8 if quick else 16},
                                     "b": [90, 100, 110]},
                            "chaining": {"chain_length": 3 if quick else 6}}, None)


def wall_times(folder: Path, quick: bool) -> list[dict[str, Any]]:
    from distributed import Client, LocalCluster

    from warmdesk.core.sweeps.dask_runner import DaskExecutor

    sweep = wall_sweep(quick)
    rows: list[dict[str, Any]] = []
    base = None
    for n in (1, 2, 4):
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        Client(cluster).close()
        started = time.perf_counter() - t0
        executor = DaskExecutor(scheduler=cluster.scheduler_address)
        try:
            with Library(Path(tempfile.mkdtemp(dir=folder))) as library:
                runner = SweepRunner(library, sweep, executor=executor)
                runner.chains = lambda: _fixed_chains(sweep)  # type: ignore[method-assign]
                t1 = time.perf_counter()
                result = runner.run()
                wall = time.perf_counter() - t1
        finally:
            executor.close()
            cluster.close()
        base = base or wall
        rows.append({"workers": n, "chains": len(_fixed_chains(sweep)), "points": result.total,
                     "done": len(result.points), "start s": started, "wall s": wall,
                     "speed-up": base / wall})
    return rows


def _fixed_chains(sweep: Any) -> Any:
    from warmdesk.core.sweeps.chaining import cut_chains, order_points
    return cut_chains(sweep, order_points(sweep), 1)   # chain_length decides: the same chains


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    banner("bench_sweep: chained vs cold, and Dask workers", args.quick)
    folder = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    rows = []
    for name, sweep in families(folder, args.quick).items():
        rows.append(compare(name, run(sweep, False, folder), run(sweep, True, folder)))
    print("\nEvaluations per point (median), chained vs cold; saving = median over points "
          "of 1 - chained/cold; failed = points failing the check, chained/cold")
    print_table(rows, [("family", "family"), ("points", "points"), ("chained", "chained"),
                       ("cold", "cold"), ("saving", "saving"), ("total", "total saving"),
                       ("failed", "failed"), ("worse", "worse than cold")])
    print(f"median saving over the families: {statistics.median(r['saving'] for r in rows):.0%}"
          f" (target >= 40%); points worse than cold: {sum(r['worse'] for r in rows)} "
          "(target 0)")
    print("\nWall time of one sweep of independent chains on a LocalCluster "
          "(start-up apart)")
    print_table(wall_times(folder, args.quick),
                [("workers", "workers"), ("chains", "chains"), ("points", "points"),
                 ("done", "done"), ("start s", "start s"), ("wall s", "wall s"),
                 ("speed-up", "speed-up")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
