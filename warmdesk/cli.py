"""The ``warmdesk`` command: the desktop app by default, headless subcommands.

Exit codes: 0 success (a solve converged; a library is sound), 1 a solve failed
or did not converge (or the check found problems; restore found nothing in the
trash), 2 bad input, with the error on stderr, 130 / 143 a solve interrupted by
SIGINT (Ctrl+C) / SIGTERM, its run stored ``interrupted``, 3 a solve finished but its
result could not be stored in the library (a full disk): the run was written to a
``.wdrun`` file elsewhere (its path and the ``warmdesk import`` command on stderr)
or, if no folder took it, only printed. Qt is imported only when the GUI starts,
so headless commands (and solver child processes) stay light.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from . import __version__
from .app_args import APP_FILE_SUFFIXES, app_parser
from .cli_library import COMMANDS as LIBRARY_COMMANDS
from .cli_library import add_commands as add_library_commands
from .cli_library import open_library
from .cli_output import TerminalProgress, json_safe, plural, print_run
from .cli_signals import EXIT_CODES, InterruptOnSignals
from .cli_sweep import add_command as add_sweep_command
from .cli_sweep import cmd_sweep
from .core.display import printable
from .core.errors import WarmDeskError
from .core.saving_text import evaluation_unit, recorded_saving_sentence
from .core.status import Status

if TYPE_CHECKING:  # the core's solve stack loads only when a solve runs
    from .core.jobs import JobResult

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_BAD_INPUT, EXIT_NOT_STORED = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warmdesk", description="Keep every solve; warm-start the next one from it. "
        "Without a subcommand, opens the desktop app.", epilog=_app_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
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
    solve.add_argument("--guard", action=argparse.BooleanOptionalAction, default=True,
                       help="guard a warm start (the default, as in the app): stop a warm run "
                            "that does worse than cold would, and keep the better of warm and "
                            "cold; --no-guard solves the warm start as given")
    solve.add_argument("--x-only", action="store_true",
                       help="use only the source's solution, not its solver state")
    solve.add_argument("--process", action="store_true",
                       help="solve in a child process (as the desktop app does)")
    solve.add_argument("--json", action="store_true", help="print one JSON object at the end")
    library_arg(solve)

    sug = sub.add_parser("suggest", help="rank earlier runs as warm-start sources")
    sug.add_argument("problem", help="problem JSON file")
    sug.add_argument("--top", type=int, default=5)
    sug.add_argument("--json", action="store_true")
    library_arg(sug)
    add_sweep_command(sub, library_arg)
    add_library_commands(sub, library_arg)
    return parser


SUBCOMMANDS = ("solve", "suggest", "sweep", *LIBRARY_COMMANDS)


def _app_help() -> str:
    """The desktop app's own arguments, for ``warmdesk --help``."""
    lines = ["desktop app (no subcommand):",
             "  warmdesk [--library DIR] [--screenshot PATH [--size WxH]] [FILE ...]"]
    for action in app_parser()._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        name = (f"{action.option_strings[0]} {action.metavar}" if action.option_strings
                else "FILE ...")
        lines.append(f"  {name:<19}{action.help}")
    return "\n".join(lines)


def _opens_the_app(argv: list[str]) -> bool:
    """No subcommand: no arguments, app options, or files to open."""
    if not argv or argv[0].startswith("-"):
        return True
    first = Path(argv[0])
    return first.suffix.lower() in APP_FILE_SUFFIXES or first.exists() or os.sep in argv[0]


def _unknown_command(word: str) -> int:
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    print(f"warmdesk: '{word}' is not a command, nor a file to open; {hint}"
          f"(commands: {', '.join(SUBCOMMANDS)}; warmdesk --help says more)", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen app's solver children start here
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--self-test"]:
        from .self_test import run_self_test  # offscreen, temporary library and settings
        return run_self_test()
    if not argv or argv[0] not in (*SUBCOMMANDS, "-h", "--help", "--version"):
        return _gui(argv) if _opens_the_app(argv) else _unknown_command(argv[0])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_BAD_INPUT if exc.code not in (0, None) else EXIT_OK
    handler = {"solve": cmd_solve, "suggest": cmd_suggest, "sweep": cmd_sweep,
               **LIBRARY_COMMANDS}[args.command]
    try:
        return handler(args)
    except WarmDeskError as exc:
        print(f"warmdesk: {printable(exc, multiline=True)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # a second Ctrl+C during a solve, or one outside it
        print("warmdesk: stopped at once", file=sys.stderr)
        return EXIT_CODES[signal.SIGINT]


def _gui(argv: list[str]) -> int:
    from .gui.app import run_app  # Qt only from here
    return run_app(argv)


def cmd_suggest(args: argparse.Namespace) -> int:
    from .core.advisor import suggest
    from .core.problems import load_problem
    from .core.warmstart import format_report

    problem = load_problem(args.problem)
    with open_library(args) as library:
        advice = suggest(library, problem, top=args.top)
    if args.json:
        print(json.dumps(json_safe(advice.to_dict())))
        return EXIT_OK
    reason = advice.reason  # a start-cold reason begins with "start cold": shout it, once
    if advice.start_cold:
        reason = ("START COLD" + reason[len("start cold"):] if reason.startswith("start cold")
                  else f"START COLD: {reason}")
    print(printable(reason))
    for i, s in enumerate(advice.suggestions, 1):
        label = (s.run_id[:12] if s.run_id else "-") + (f" ({s.run_name})" if s.run_name else "")
        print(f"{i}. {printable(label)} {'(predicted) ' if s.source == 'predicted' else ''}"
              f"score {s.score:.2f}: {printable(s.explanation)}")
        report = printable(format_report(s.warm.report), multiline=True)
        print("   " + report.replace("\n", "\n   "))
    print(f"({plural(advice.candidates, 'candidate')}, "
          f"{plural(advice.evaluations, 'evaluation')}, "
          f"{1000 * advice.elapsed_s:.0f} ms)", file=sys.stderr)
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    from .core.advisor.expectation import worse_than_cold
    from .core.problems import load_problem

    problem = load_problem(args.problem)
    with open_library(args) as library:
        warm = _chosen_warm_start(args, library, problem)
        solved, signal_exit = _solve_and_save(args, library, problem, warm)
        run = solved.run
        if solved.unsaved is not None:
            return _not_stored(args, solved)
        warning = worse_than_cold(library, problem, run)
        if warning:
            run.info["warning"] = warning
            library.set_info(run.id, warning=warning)
            print(f"warmdesk: warning: {printable(warning)}", file=sys.stderr)
    if args.json:
        out = run.summary()
        out["warm_report"] = warm.report if warm else None
        out["saving"] = run.info.get("saving")
        out["guard"] = solved.guard
        out["warning"] = warning
        print(json.dumps(json_safe(out)))
    else:
        print_run(run)
        saving = recorded_saving_sentence(run.info.get("saving"), evaluation_unit(run.kind))
        if saving:  # the words of the app's plot title and status bar (core/saving_text)
            print(f"  {saving}")
    if signal_exit is not None:
        if run.status is Status.INTERRUPTED and run.usable:
            print(f"warmdesk: run {run.id[:12]} is stored interrupted with its last iterate; "
                  f"resume with: {_resume_command(args, run)}", file=sys.stderr)
        return signal_exit
    return EXIT_OK if run.status.is_success else EXIT_NOT_CONVERGED


def _not_stored(args: argparse.Namespace, solved: JobResult) -> int:
    """The final save failed: print the result, write the runs to a run file
    where there is room, and say exactly what was and was not written."""
    from .core.unsaved import write_elsewhere

    unsaved, run = solved.unsaved, solved.run
    assert unsaved is not None
    path, failures = write_elsewhere(unsaved.runs)
    if args.json:
        out = run.summary()
        out.update(stored=False, runfile=str(path) if path else None, error=unsaved.error)
        print(json.dumps(json_safe(out)))
    else:
        print_run(run)
    print(f"warmdesk: {printable(unsaved.error)}", file=sys.stderr)
    print(f"warmdesk: {printable(unsaved.library_sentence())}.", file=sys.stderr)
    if path is not None:
        words = ["warmdesk", "import", str(path)] + (["--library", args.library]
                                                     if args.library else [])
        print(f"warmdesk: the whole run ({plural(len(unsaved.runs), 'run')}, with "
              f"{'its' if len(unsaved.runs) == 1 else 'their'} history) was written to "
              f"{printable(str(path))}; once the library's disk has room, add it with: "
              f"{shlex.join(words)}", file=sys.stderr)
    else:
        print("warmdesk: no run file could be written either ("
              f"{printable('; '.join(failures))}); the result above is all that is left "
              "of it", file=sys.stderr)
    return EXIT_NOT_STORED


def _resume_command(args: argparse.Namespace, run: Any) -> str:
    """The command line that continues ``run`` (a warm start from it)."""
    words = ["warmdesk", "solve", args.problem, "--warm", run.id[:12]]
    if args.library:
        words += ["--library", args.library]
    if args.process:
        words.append("--process")
    return shlex.join(words)


def _chosen_warm_start(args: argparse.Namespace, library: Any, problem: Any) -> Any:
    """``--warm auto|RUN_ID|none`` (and ``--x-only``), its mapping report printed."""
    from .core.advisor import suggest
    from .core.warmstart import format_report, warm_start_from_run, x_only

    warm = None
    if args.warm == "auto":
        advice = suggest(library, problem, top=1)
        print("warm: " + printable(advice.reason), file=sys.stderr)
        if advice.top is not None:
            warm = x_only(advice.top.warm) if args.x_only else advice.top.warm
            print(f"  {printable(advice.top.explanation)}", file=sys.stderr)
    elif args.warm != "none":
        warm = warm_start_from_run(problem, library.get_run(args.warm),
                                   use_state=not args.x_only)
    if warm is not None:
        print(printable(format_report(warm.report), multiline=True), file=sys.stderr)
    return warm


def _solve_and_save(args: argparse.Namespace, library: Any, problem: Any,
                    warm: Any) -> tuple[JobResult, int | None]:
    """The solve as one job (``core.jobs``: refused input leaves no run; each
    run saved ``running`` as it starts; every run saved and its outcome
    recorded at the end), guarded or not, here or in a child process.
    SIGINT/SIGTERM interrupt it the way the app's Interrupt does. Returns the
    result and the exit code of a signal that came (None if none)."""
    from .core.jobs import Failed, Job, JobEvent, JobRunner, Progress

    progress = TerminalProgress() if not args.json and sys.stderr.isatty() else None
    failure: list[Exception] = []

    def on_event(event: JobEvent) -> None:
        if isinstance(event, Progress) and progress is not None:
            progress(event.run_id, event.rows)
        elif isinstance(event, Failed):
            failure.append(event.error)

    job = Job(problem, warm, guard=args.guard, mode="child" if args.process else "here")
    runner = JobRunner(library, job, on_event)
    with InterruptOnSignals(runner.interrupt) as signals:
        solved = runner.run()
    if failure:
        raise failure[0]
    if solved.run is None:  # the child failed before any run started
        raise WarmDeskError(f"the solver process failed: {solved.error}")
    if progress:
        progress.done()
    if solved.guard is not None:
        print(f"guard: {solved.guard['action']}: {printable(solved.guard['reason'])}",
              file=sys.stderr)
    return solved, signals.exit_code


if __name__ == "__main__":
    sys.exit(main())
