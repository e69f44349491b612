"""Wall time: WarmDesk end to end against hand-written numpy handed to scipy.

Per case, side by side in one run (alternating, best of N):

- WarmDesk: ``problem_from_dict`` (parse the spec, read the data file),
  ``engine.solve`` (compile, solve, record) and ``Library.save_run`` into a real
  library in a temporary folder (opened once per case);
- bare: the data read with ``np.loadtxt`` (fit, train), and the same problem
  written by hand in numpy (objective + gradient, residuals + Jacobian,
  right-hand side + Jacobian) handed to scipy with the same start and options
  (see ``_wall_cases.py``).

A data file read before in the process (same SHA-256) is not parsed again, and a
problem parsed again finds its generated code (warmdesk.core.datasets, codegen's
cache): the best-of-N figures are those of a repeated solve, as in a session of
the app. So each case also prints its *first* solve (data-set and code caches
emptied, the case's first call of each side): what a fresh ``warmdesk solve``
pays, besides the interpreter's start-up (the command-line section).

It prints WarmDesk ms, bare ms, their ratio, whether both took the same
evaluations (nfev, and nit or njev: "same work"), and where WarmDesk spends its
time, from one extra instrumented solve: parse, compile (the kind's evaluator
built once, outside the solve), eval (time inside the evaluator's calls),
record (the Recorder), engine+scipy (the rest of the solve), save. Then the
median and worst ratio; the command line's start (``python -m warmdesk solve``
against the interpreter importing numpy and scipy alone); and "warm (auto) in
WarmDesk vs cold bare scipy" on the warm-start benchmark's small-change
families (a base run in the library, then a 1% change: ``suggest`` + solve +
save against a cold bare solve of the changed problem).

Run:  python benchmarks/bench_wall.py [--quick] [--only TEXT] [--skip TEXT] [--warm-only]

The full mode takes ~95 minutes on a 2-core machine, ~90 of them in Rosenbrock
n=1000 with BFGS (a bare solve takes ~400 s: 4,700 iterations of n x n updates);
``--quick`` leaves that case out and reads 20,000 rows instead of 100,000;
``--skip 'n=1000 BFGS'`` leaves it out of the full mode (~1 minute).
``--warm-only`` runs the last section alone (5 trials in full mode, 2 in quick).
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (banner, finish, guarded, median, parse_args, print_table,  # noqa: E402
                     worst)  # (first: pins BLAS threads)


from _wall_cases import WallCase, all_cases  # noqa: E402
from _wall_timing import Breakdown, instrumented_solve  # noqa: E402
from warmdesk.core.datasets import READ_BEFORE  # noqa: E402
from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.library import Library  # noqa: E402
from warmdesk.core.problems import problem_from_dict  # noqa: E402

TARGET_MEDIAN, TARGET_WORST = 1.0, 1.5


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def best_of(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(reps):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def warmdesk_e2e(case: WallCase, lib: Library, folder: Path) -> Any:
    problem = problem_from_dict(case.spec, base_dir=folder)
    run = solve(problem)
    lib.save_run(run)
    return run


def bare_e2e(case: WallCase) -> tuple[int, int]:
    data = case.load() if case.load is not None else None
    return case.bare(data)


def warm_up_process(folder: Path) -> None:
    """One small solve of each kind and method first (other problems than the cases),
    so that a case's first solve pays for its own problem, not for the lazy imports
    of the kinds' solver modules (the command-line section shows a process's start)."""
    from _wall_cases import decay_fit, logistic, robertson, rosenbrock
    small = [rosenbrock(m, 3) for m in ("BFGS", "L-BFGS-B")]
    small += [decay_fit(folder, 50), logistic(folder, 50, features=3),
              robertson("Radau", t1=1.0), robertson("BDF", t1=1.0)]
    for case in small:
        solve(problem_from_dict(case.spec, base_dir=folder))
        bare_e2e(case)


def measure(case: WallCase, reps: int, folder: Path) -> dict[str, Any]:
    lib = Library(folder / f"lib-{case.kind}-{case.method}-{abs(hash(case.label))}")
    try:
        READ_BEFORE.clear()
        first_wd, _ = best_of(lambda: warmdesk_e2e(case, lib, folder), 1)  # and warm-up
        first_bare, _ = best_of(lambda: bare_e2e(case), 1)
        wd_best, bare_best = float("inf"), float("inf")
        run, bare_counts = None, (0, 0)
        for i in range(reps):  # alternate, so drifting load hits both alike
            order = (0, 1) if i % 2 == 0 else (1, 0)
            for which in order:
                if which == 0:
                    t, run = best_of(lambda: warmdesk_e2e(case, lib, folder), 1)
                    wd_best = min(wd_best, t)
                else:
                    t, bare_counts = best_of(lambda: bare_e2e(case), 1)
                    bare_best = min(bare_best, t)
        parts = instrumented_solve(case.spec, folder, lib)
    finally:
        lib.close()
    second = run.nit if case.kind in ("minimize", "train") else run.njev
    same = (run.nfev, second) == bare_counts
    return {"case": case.label, "method": case.method, "wd": wd_best * 1e3,
            "bare": bare_best * 1e3, "ratio": wd_best / bare_best,
            "first_wd": first_wd * 1e3, "first_bare": first_bare * 1e3,
            "first_ratio": first_wd / first_bare,
            "work": "yes" if same else
            f"NO {run.nfev}/{second} vs {bare_counts[0]}/{bare_counts[1]}",
            "status": str(run.status.value), **parts.row()}


COLUMNS = [("case", "case"), ("method", "method"), ("wd", "WarmDesk ms"), ("bare", "bare ms"),
           ("ratio", "ratio"), ("work", "same work (nfev/nit|njev)"), ("status", "status"),
           ("first_wd", "first: WarmDesk ms"), ("first_bare", "bare ms"),
           ("first_ratio", "ratio")]


def cli_start(folder: Path, reps: int) -> list[dict[str, Any]]:
    spec = folder / "rosen2.json"
    import json
    from _wall_cases import rosenbrock
    spec.write_text(json.dumps(rosenbrock("BFGS", 2).spec))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                         env.get("PYTHONPATH", "")])
    commands = [
        ("python -c 'import numpy, scipy.optimize'",
         [sys.executable, "-c", "import numpy, scipy.optimize"]),
        ("python -c 'import warmdesk.cli'", [sys.executable, "-c", "import warmdesk.cli"]),
        ("warmdesk solve rosen2.json (n=2, BFGS)",
         [sys.executable, "-m", "warmdesk", "solve", str(spec), "--library",
          str(folder / "cli-lib")]),
    ]
    rows = []
    for label, cmd in commands:
        t, proc = best_of(lambda: subprocess.run(cmd, env=env, capture_output=True), reps)
        rows.append({"what": label, "ms": t * 1e3,
                     "rc": proc.returncode if proc is not None else None})
    return rows


def main() -> int:
    def options(p: Any) -> None:
        p.add_argument("--only", default="", help="run the end-to-end cases whose label holds "
                       "this text, and skip the start-up and warm sections (for profiling one "
                       "case)")
        p.add_argument("--skip", default="", help="leave out the end-to-end cases whose label "
                       "holds this text (say 'n=1000 BFGS': full mode in ~1 minute, not ~95)")
        p.add_argument("--warm-only", action="store_true", help="only the section warm (auto) "
                       "vs cold bare scipy, with the mode's trials")
    args = parse_args(__doc__.splitlines()[0], options)
    banner("bench_wall: WarmDesk end to end vs hand-written numpy + scipy", args.quick)
    reps = 2 if args.quick else 5
    print(f"best of {reps} per side, alternating; load average before: {load_average()}")
    failures: list[str] = []
    t_start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-wall-") as tmp:
        folder = Path(tmp)
        cases = all_cases(folder, args.quick)
        warm_up_process(folder)
        for case in cases:
            label = f"{case.label} {case.method}"
            if args.warm_only or (args.only and args.only not in label) or (
                    args.skip and args.skip in label):
                continue
            if args.quick and case.label.startswith("Rosenbrock n=1000") and case.method == "BFGS":
                continue  # dense n x n inverse Hessian: seconds a solve
            row = guarded(f"{case.label} {case.method}", lambda: measure(case, reps, folder),
                          failures)
            if row is not None:
                rows.append(row)
                print(f"  {case.label} {case.method}: {row['wd']:.1f} ms vs {row['bare']:.1f} ms "
                      f"(x{row['ratio']:.2f}), load {load_average()}", flush=True)
        if rows:
            print_table(rows, COLUMNS, title="WarmDesk end to end vs bare (best of N)")
            print_table(rows, [("case", "case"), ("method", "method"), *Breakdown.COLUMNS],
                        title="Where WarmDesk spends its time (ms, one instrumented solve)")
            ratios = [r["ratio"] for r in rows]
            print(f"\nmedian ratio {median(ratios):.2f} (target <= {TARGET_MEDIAN}), worst "
                  f"{worst(ratios):.2f} (target <= {TARGET_WORST}); load average "
                  f"{load_average()}")
            firsts = [r["first_ratio"] for r in rows]
            print(f"first solves (caches empty, one each): median ratio {median(firsts):.2f}, "
                  f"worst {worst(firsts):.2f}")
        if args.only:
            return finish(failures, t_start)
        cli = (None if args.warm_only else
               guarded("cli start", lambda: cli_start(folder, 3 if args.quick else 5), failures))
        if cli:
            print_table(cli, [("what", "command"), ("ms", "best ms"), ("rc", "exit")],
                        title="Command-line start (subprocess wall time, best of N)")
        from _wall_warm import warm_section
        guarded("warm vs cold", lambda: warm_section(folder, args.quick, reps), failures)
    print(f"load average after: {load_average()}")
    return finish(failures, t_start)


if __name__ == "__main__":
    sys.exit(main())
