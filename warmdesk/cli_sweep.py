"""``warmdesk sweep SWEEP.json [--workers N] [--scheduler ADDR] [--cold] [--json]``.

Runs a ``warmdesk.sweep/1`` file: its chains on a local Dask cluster of
``--workers`` processes (default: one per core), on a running scheduler
(``--scheduler tcp://host:8786``), or in this process (``--workers 0``); a
progress bar on stderr; every point stored in the library. Ctrl+C or SIGTERM
cancels every chain and keeps what finished (exit 130 / 143). Exit 0 when every
point passed its check, 1 when some failed (or were not reached), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any, Callable

from .cli_output import json_safe, plural
from .cli_signals import InterruptOnSignals
from .core.display import printable

if TYPE_CHECKING:
    from .core.sweeps import SweepEvent, SweepResult

EXIT_OK, EXIT_FAILED_POINTS, EXIT_BAD_INPUT = 0, 1, 2
BAR_WIDTH = 30


def add_command(sub: argparse._SubParsersAction, library_arg: Callable[..., None]  # type: ignore[type-arg]
                ) -> None:
    sweep = sub.add_parser("sweep", help="solve a family of problems, each point warm-started "
                                         "from its neighbour (a warmdesk.sweep/1 file)")
    sweep.add_argument("sweep", help="sweep JSON file (format warmdesk.sweep/1)")
    sweep.add_argument("--workers", type=int, default=None, metavar="N",
                       help="worker processes of a local Dask cluster (default: one per "
                            "core); 0 solves every chain in this process")
    sweep.add_argument("--scheduler", metavar="ADDR",
                       help="a running Dask scheduler (tcp://host:8786) instead of a local "
                            "cluster; its workers need WarmDesk installed")
    sweep.add_argument("--cold", action="store_true",
                       help="start every point cold (no chaining, no advisor): the reference")
    sweep.add_argument("--json", action="store_true", help="print one JSON object at the end")
    library_arg(sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from .cli_library import open_library
    from .core.sweeps import SweepRunner, load_sweep
    from .core.sweeps.executors import InlineExecutor

    if args.workers is not None and args.workers < 0:
        print("warmdesk: --workers must be 0 or more", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.scheduler and args.workers is not None:
        print("warmdesk: give --workers or --scheduler, not both (a running cluster has "
              "its own workers)", file=sys.stderr)
        return EXIT_BAD_INPUT
    sweep = load_sweep(args.sweep)   # a SpecError names every bad field (exit 2)
    if args.workers == 0:
        executor: Any = InlineExecutor()
    else:
        from .core.sweeps.dask_runner import ClusterError, DaskExecutor
        try:
            executor = DaskExecutor(scheduler=args.scheduler, workers=args.workers)
        except ClusterError as exc:
            if not exc.no_dask or args.scheduler or args.workers is not None:
                raise
            # the default, where Dask is not installed (the frozen app): here, and say so
            print("warmdesk: note: Dask is not installed; the sweep runs in this process",
                  file=sys.stderr)
            executor = InlineExecutor()
    bar = ProgressBar(quiet=args.json)
    try:
        with open_library(args) as library:
            runner = SweepRunner(library, sweep, on_event=bar, cold=args.cold,
                                 executor=executor)
            with InterruptOnSignals(runner.cancel, quiet=True) as signals:
                result = runner.run()
    finally:
        executor.close()
    if args.json:
        print(json.dumps(json_safe(result.to_dict())))
    else:
        print_summary(result)
    if bar.error is not None:
        raise bar.error     # the library or the cluster broke: exit 2 with the message
    if signals.exit_code is not None:
        print(f"warmdesk: sweep cancelled; {plural(len(result.points), 'finished point')} "
              "stored", file=sys.stderr)
        return signals.exit_code
    return EXIT_OK if not (result.failed or result.missing or result.errors) else \
        EXIT_FAILED_POINTS


class ProgressBar:
    """The sweep's events as one self-rewriting line on stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.failed = 0
        self.error: BaseException | None = None

    def __call__(self, event: SweepEvent) -> None:
        from .core.sweeps import PointFinished, SweepFailed, SweepFinished, SweepStarted

        if isinstance(event, SweepFailed):
            self.error = event.error
        if self.quiet:
            return
        if isinstance(event, SweepStarted):
            print(f"sweep {event.sweep_id[:12]}: {plural(event.total, 'point')} in "
                  f"{plural(len(event.chains), 'chain')} on {printable(event.where)}",
                  file=sys.stderr)
            if event.note:
                print(f"warmdesk: note: {printable(event.note)}", file=sys.stderr)
        elif isinstance(event, PointFinished):
            self.failed += not event.point.ok
            filled = BAR_WIDTH * event.done // max(1, event.total)
            sys.stderr.write(f"\r  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                             f"{event.done}/{event.total} points, {self.failed} failed  "
                             f"{time.perf_counter() - self.t0:6.1f}s ")
            sys.stderr.flush()
        elif isinstance(event, (SweepFinished, SweepFailed)):
            sys.stderr.write("\n")


def print_summary(result: SweepResult) -> None:
    print(f"sweep {result.sweep_id}  {printable(result.name)}: "
          f"{len(result.points)}/{result.total} points, {len(result.failed)} failed, "
          f"{sum(p.evaluations for p in result.points.values())} evaluations")
    for i in sorted(result.points):
        p = result.points[i]
        values = ", ".join(f"{printable(k)}={v:.6g}" for k, v in p.values.items())
        fun = f"{p.run.fun:.6g}" if p.run.fun is not None else "-"
        verdict = "ok" if p.ok else f"FAILED: {printable(p.reason or '')}"
        print(f"  {i:>4}  {values:<28} {p.run.id[:12]}  f={fun:<12} evals={p.evaluations:<5} "
              f"{p.seed:<9} {verdict}")
    for i in result.missing:
        print(f"  {i:>4}  not solved ({'cancelled' if result.cancelled else 'no result'})")
    for error in result.errors:
        print(f"  error: {printable(error)}")
