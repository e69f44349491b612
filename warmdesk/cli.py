"""The ``warmdesk`` command: the desktop app by default, headless subcommands.

Exit codes: 0 converged (or success), 1 failed or not converged, 2 bad input.
Qt is imported only when the GUI starts, so headless commands (and solver
child processes) stay light.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import __version__
from .core.errors import LibraryError, SpecError, WarmDeskError, WarmStartError

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_BAD_INPUT = 0, 1, 2
SUBCOMMANDS = ("solve", "runs", "show")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warmdesk", description="Keep every solve; warm-start the next one from it. "
        "Without a subcommand, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"warmdesk {__version__}")
    sub = parser.add_subparsers(dest="command")

    def library_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--library", metavar="DIR",
                       help="the run library folder (default: $WARMDESK_LIBRARY, else the "
                            "user's data directory)")

    solve = sub.add_parser("solve", help="solve a problem spec and save the run")
    solve.add_argument("problem", help="problem JSON file")
    solve.add_argument("--warm", default="none", metavar="none|auto|RUN_ID",
                       help="warm-start source: none (cold), auto, or a run id (or prefix)")
    solve.add_argument("--x-only", action="store_true",
                       help="use only the source's solution, not its solver state")
    solve.add_argument("--process", action="store_true",
                       help="solve in a child process (as the desktop app does)")
    solve.add_argument("--json", action="store_true", help="print one JSON object at the end")
    library_arg(solve)

    runs = sub.add_parser("runs", help="list the runs in the library")
    runs.add_argument("--kind")
    runs.add_argument("--limit", type=int, default=50)
    runs.add_argument("--json", action="store_true")
    library_arg(runs)

    show = sub.add_parser("show", help="show one run")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true")
    library_arg(show)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        return _gui(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_BAD_INPUT if exc.code not in (0, None) else EXIT_OK
    handler = {"solve": cmd_solve, "runs": cmd_runs, "show": cmd_show}[args.command]
    try:
        return handler(args)
    except (SpecError, WarmStartError, LibraryError, WarmDeskError) as exc:
        print(f"warmdesk: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("warmdesk: interrupted", file=sys.stderr)
        return EXIT_NOT_CONVERGED


def _gui(argv: list[str]) -> int:
    from .gui.app import run_app  # Qt only from here
    return run_app(argv)


def _library(args: argparse.Namespace) -> Any:
    from .core.library import Library
    return Library(args.library) if args.library else Library()


def cmd_solve(args: argparse.Namespace) -> int:
    from .core.auto_source import nearest_run
    from .core.engine import solve
    from .core.problems import load_problem
    from .core.solvers.base import SolveControl
    from .core.warmstart import format_report, warm_start_from_run

    problem = load_problem(args.problem)
    library = _library(args)
    warm = None
    if args.warm == "auto":
        source = nearest_run(library, problem)
        if source is None:
            _say(args, "warm: no earlier run of this problem's structure; starting cold")
        else:
            warm = warm_start_from_run(problem, source, use_state=not args.x_only)
    elif args.warm != "none":
        warm = warm_start_from_run(problem, library.get_run(args.warm),
                                   use_state=not args.x_only)
    if warm is not None:
        _say(args, format_report(warm.report))
    progress = _TerminalProgress() if not args.json and sys.stderr.isatty() else None
    if args.process:
        from .core.process import ProcessSolve
        handle = ProcessSolve(problem, warm)
        try:
            run = handle.wait(on_progress=progress)
        except KeyboardInterrupt:
            handle.interrupt()
            run = handle.wait(timeout=30)
    else:
        control = SolveControl()
        run = solve(problem, warm, control, on_progress=progress)
    if progress:
        progress.done()
    library.save_run(run)
    if args.json:
        out = run.summary()
        out["warm_report"] = warm.report if warm else None
        print(json.dumps(_json_safe(out)))
    else:
        _print_run(run)
    return EXIT_OK if run.status == "converged" else EXIT_NOT_CONVERGED


def cmd_runs(args: argparse.Namespace) -> int:
    rows = _library(args).list_runs(kind=args.kind, limit=args.limit)
    if args.json:
        print(json.dumps(_json_safe(rows)))
        return EXIT_OK
    for r in rows:
        fun = "-" if r["fun"] is None else f"{r['fun']:.6g}"
        print(f"{r['id'][:12]}  {r['kind']:8} {r['method']:12} {r['status']:11} "
              f"f={fun:>12}  nfev={r['nfev']:<6} {r['name']}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    run = _library(args).get_run(args.run_id)
    if args.json:
        out = run.summary()
        out.update(problem=run.problem, info=run.info, versions=run.versions,
                   warm=run.warm.to_dict() if run.warm else None,
                   history_rows=len(run.history))
        print(json.dumps(_json_safe(out)))
    else:
        _print_run(run)
    return EXIT_OK


def _print_run(run: Any) -> None:
    fun = "-" if run.fun is None else f"{run.fun:.10g}"
    print(f"run {run.id}  {run.name} ({run.kind}, {run.method})")
    print(f"  status {run.status}: {run.message}")
    print(f"  f={fun}  iterations={run.nit}  evaluations={run.nfev}  gradients={run.njev}  "
          f"wall={run.wall_s:.3f}s")
    if run.warm:
        print(f"  warm from {run.warm.source_run_id} with {', '.join(run.warm.payload)} "
              f"({run.warm.mode})")


def _say(args: argparse.Namespace, text: str) -> None:
    print(text, file=sys.stderr)


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _json_safe(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        value = float(obj)
        return value if math.isfinite(value) else str(value)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


class _TerminalProgress:
    """One self-rewriting line on stderr: iterations, evaluations, objective."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __call__(self, run_id: str, rows: np.ndarray) -> None:
        last = rows[-1]
        fun = last[4] if math.isfinite(last[4]) else last[8]
        label = "f" if math.isfinite(last[4]) else "t"
        sys.stderr.write(f"\r  iter {int(last[0]):>7}  evals {int(last[1]):>8}  "
                         f"{label}={fun:.6g}  {time.perf_counter() - self.t0:6.1f}s ")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\n")


if __name__ == "__main__":
    sys.exit(main())
