"""How long Interrupt and Cancel take to be stored, at any history length
(issue 16 item 4), and what durable progress costs the solve (item 3).

A job runs an ode of many cheap steps (one history row per step, ~10,000 a
second here) until its history holds L rows (L = 1e3 .. 1e6), then the
benchmark asks the runner to interrupt (or cancel) it and measures the time
from that request to the run's end (``RunFinished``: its final record is
committed and its outcome recorded), in this thread (``here``) and in a solver
child process (``child``). With durable progress the history is written about
once a second while the run goes on, so the final save adds only the last
rows and a child sends back only what it had not streamed yet; the row
``durable off`` (progress saves switched off, the whole history written at
the end, as before) shows what that saves at the longest history.

Then the cost of the progress saves to the solve: the same 50,000-step solve
with and without them, alternated, as the ratio of wall times.

Run:  python benchmarks/bench_stop_latency.py [--lengths 1e3,1e4,1e5,1e6] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warmdesk.core.jobs import Job, JobEvent, JobRunner, Progress, RunFinished  # noqa: E402
from warmdesk.core.library import Library  # noqa: E402
from warmdesk.core.problems import problem_from_dict  # noqa: E402

OFF = 1e12   # a durable interval that never comes: progress saves off


def steps_problem(max_steps: int) -> Any:
    return problem_from_dict({
        "format": "warmdesk.problem/1", "name": "steps", "kind": "ode",
        "state": {"y": {"start": 1.0}}, "parameters": {"k": 0.0}, "rhs": {"y": "-k*y"},
        "t_span": [0.0, 1e12], "t_eval": 2, "checkpoints": 1,
        "solver": {"method": "RK45", "options": {"max_step": 1.0, "max_steps": max_steps}}})


def stop_at(folder: Path, rows: int, mode: str, action: str,
            durable_s: float | None = None) -> dict[str, float]:
    """Solve until ``rows`` history rows, ``action`` it; the figures."""
    marks: dict[str, float] = {}
    received = [0]

    def on_event(event: JobEvent) -> None:
        if isinstance(event, Progress):
            received[0] += len(event.rows)
            if received[0] >= rows and "request" not in marks:
                marks["request"] = time.perf_counter()
                getattr(runner, action)()
        elif isinstance(event, RunFinished):   # after the final save committed
            marks["stored"] = time.perf_counter()

    with Library(folder) as lib:
        kwargs = {} if durable_s is None else {"durable_interval_s": durable_s}
        problem = steps_problem(min(3 * rows + 1000, 10_000_000))
        runner = JobRunner(lib, Job(problem, mode=mode), on_event, **kwargs)
        t0 = time.perf_counter()
        result = runner.run()
        assert result.run is not None and "request" in marks, result.error
        stored = lib.get_run(result.run.id, history=False)
        assert stored.status == ("interrupted" if action == "interrupt" else "cancelled")
        return {"rows": float(len(result.run.history)),
                "latency_s": marks["stored"] - marks["request"],
                "solve_s": marks["request"] - t0, "writes": float(runner.durable.writes),
                "write_ms": 1e3 * runner.durable.write_s / max(1, runner.durable.writes)}


def overhead(folder: Path, steps: int, repeats: int) -> tuple[list[float], list[float], float]:
    """Wall times of one solve with and without progress saves, alternated."""
    on, off, write_ms = [], [], []
    for _ in range(repeats):
        for durable_s, out in ((None, on), (OFF, off)):
            with Library(folder) as lib:
                kwargs = {} if durable_s is None else {"durable_interval_s": durable_s}
                runner = JobRunner(lib, Job(steps_problem(steps), mode="here"), **kwargs)
                t0 = time.perf_counter()
                runner.run()
                out.append(time.perf_counter() - t0)
                if durable_s is None:
                    write_ms.append(1e3 * runner.durable.write_s / max(1, runner.durable.writes))
    return on, off, statistics.median(write_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", default="1e3,1e4,1e5,1e6")
    parser.add_argument("--quick", action="store_true", help="lengths 1e3,1e4 only")
    parser.add_argument("--overhead-steps", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    lengths = [1000, 10_000] if args.quick else [int(float(x)) for x in args.lengths.split(",")]
    print(f"stop latency: request -> final record stored (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start)")
    print(f"{'rows':>9} {'mode':>6} {'action':>10} {'durable':>8} {'latency s':>10} "
          f"{'rows stored':>12} {'solve s':>8} {'saves':>6} {'ms/save':>8}")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="warmdesk-stop-") as tmp:
        cases = [(n, mode, "interrupt", None) for n in lengths for mode in ("here", "child")]
        # cancel ends the same way (here: the same final save); the longest in a child
        cases += [(lengths[0], mode, "cancel", None) for mode in ("here", "child")]
        cases += [(lengths[-1], "child", "cancel", None), (lengths[-1], "here", "interrupt", OFF)]
        for i, (n, mode, action, durable_s) in enumerate(cases):
            f = stop_at(Path(tmp) / f"lib{i}", n, mode, action, durable_s)
            if durable_s is None:
                worst = max(worst, f["latency_s"])
            print(f"{n:>9} {mode:>6} {action:>10} {'off' if durable_s else 'on':>8} "
                  f"{f['latency_s']:>10.3f} {int(f['rows']):>12} {f['solve_s']:>8.1f} "
                  f"{int(f['writes']):>6} {f['write_ms']:>8.2f}", flush=True)
        on, off, write_ms = overhead(Path(tmp) / "overhead", args.overhead_steps, args.repeats)
    ratio = statistics.median(on) / statistics.median(off)
    print(f"\nprogress saves' cost to the solve ({args.overhead_steps} steps, here, median of "
          f"{args.repeats}): {statistics.median(on):.2f} s with, {statistics.median(off):.2f} s "
          f"without: ratio {ratio:.3f} ({write_ms:.2f} ms per save, about one a second)")
    print(f"worst latency with durable progress: {worst:.3f} s (target 1 s); "
          f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
