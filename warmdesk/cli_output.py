"""Printing helpers shared by the command-line subcommands."""

from __future__ import annotations

import datetime as dt
import math
import sys
import time
from typing import Any

import numpy as np

from .core.kinds.registry import kind as kind_of
from .core.display import (format_count, format_number, format_when, plural,  # noqa: F401
                           printable, row_flag)
from .core.runs import HistoryCol


def json_safe(obj: Any) -> Any:
    """Plain JSON values: arrays to lists, non-finite floats to strings."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        value = float(obj)
        return value if math.isfinite(value) else str(value)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def when(ts: float | None) -> str:
    return format_when(ts)


def parse_when(text: str) -> float:
    """A date or date-time (ISO 8601, local time) as unix seconds."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date like 2026-11-27 or 2026-11-27T08:30") from exc
    return value.timestamp()


def print_run(run: Any) -> None:
    """A run's summary; every user-provided text escaped (:func:`printable`), every
    number formatted so that no stored value can crash it."""
    fun = format_number(run.fun, 10)
    wall = format_number(run.wall_s, 4)
    print(f"run {printable(run.id)}  {printable(run.name)} ({printable(run.kind)}, "
          f"{printable(run.method)})")
    flag = row_flag(run.to_dict())
    if flag:
        print(f"  WARNING: this run holds values out of range ({flag}); they are shown as "
              "(invalid). Delete it or import it again from a sound run file.")
    print(f"  status {printable(run.status)}: {printable(run.message, multiline=True)}")
    print(f"  f={fun}  iterations={format_count(run.nit)}  evaluations={format_count(run.nfev)}"
          f"  gradients={format_count(run.njev)}  wall={wall}s  created {when(run.created_at)}")
    print_solution(run)
    if run.tags:
        print(f"  tags: {printable(' '.join(run.tags))}")
    if run.warm:
        print(f"  warm from {printable(run.warm.source_run_id)} with "
              f"{printable(', '.join(run.warm.payload))} ({printable(run.warm.mode)})")
    print_fit_report(run)
    print_network(run)


def print_network(run: Any) -> None:
    """A network's validation figures, what its losses are (a regression's: the
    mean squared error in the target's units) and what its weights predict."""
    from .core.solvers.network_data import loss_words

    net = run.info.get("network")
    if not isinstance(net, dict):
        return
    output, target = net.get("output"), printable(str(run.info.get("target", "the target")))
    figures = f"validation loss {format_number(net.get('val_loss'))}"
    if output != "regression" and net.get("val_acc") is not None:
        figures += f", accuracy {format_number(net.get('val_acc'), 4)}"
    print(f"  network: {figures}; f and the losses are the {loss_words(output, target)}")
    if output != "regression":
        return
    if "target_mean" in net:
        print(f"  {target} standardised on the training rows (mean "
              f"{format_number(net.get('target_mean'))}, scale "
              f"{format_number(net.get('target_scale'))}): the weights predict "
              f"({target} - mean) / scale")
    else:
        print(f"  the weights predict {target} as it is (a run stored before targets were "
              "standardised)")


def print_fit_report(run: Any) -> None:
    """A fit's parameter uncertainties (core/fit_report.py), when the run has them."""
    from .core.fit_report import FitReport

    if "fit_report" not in run.info:
        return
    report = FitReport.read(run.info["fit_report"])
    if report is None:
        print("  fit report: stored in a form this version cannot read")
        return
    print("  fit report (standard errors scaled by the residual variance):")
    for line in report.lines():
        print(f"    {printable(line)}")


#: Vectors longer than this print their first and last few values.
SHOWN_VALUES = 8
#: Runs with more variables than this print the first ones and a count.
SHOWN_VARIABLES = 20


def print_solution(run: Any) -> None:
    """The solution (ode: the final state), one variable a line, long vectors abbreviated."""
    if not run.solution:
        return
    words = kind_of(run.kind).words
    title = words.solution if run.status.is_success else words.unfinished
    print(f"  {title}:")
    items = list(run.solution.items())
    for name, value in items[:SHOWN_VARIABLES]:
        print(f"    {printable(name)} = {format_values(value)}")
    if len(items) > SHOWN_VARIABLES:
        more = len(items) - SHOWN_VARIABLES
        print(f"    ... and {plural(more, 'more variable')} (show --json lists all)")


def format_values(value: Any) -> str:
    """``1.5``, ``[1, 2, 3]``, or ``[1, 2, 3, ..., 9, 10] (400 values)``."""
    flat = np.ravel(np.asarray(value, dtype=float))
    if np.ndim(value) == 0:
        return f"{float(flat[0]):.10g}"
    if flat.size <= SHOWN_VALUES:
        return "[" + ", ".join(f"{v:.8g}" for v in flat) + "]"
    head, tail = SHOWN_VALUES // 2 + 1, SHOWN_VALUES // 2 - 1
    return ("[" + ", ".join(f"{v:.6g}" for v in flat[:head]) + ", ..., "
            + ", ".join(f"{v:.6g}" for v in flat[-tail:]) + f"] ({flat.size} values)")


def print_row(r: dict[str, Any]) -> None:
    """One line of ``warmdesk runs``; a row with values out of range ends with a
    ``[invalid ...]`` flag instead of breaking the listing."""
    tags = f"  [{printable(' '.join(r['tags']))}]" if r.get("tags") else ""
    flag = row_flag(r)
    flag = f"  [{flag}]" if flag else ""
    print(f"{printable(r['id'][:12])}  {when(r['created_at']):16}  {printable(r['kind']):8} "
          f"{printable(r['method']):12} {printable(r['status']):11} "
          f"f={format_number(r['fun']):>12}  nfev={format_count(r['nfev']):<6} "
          f"{printable(r['name'])}{tags}{flag}")


class TerminalProgress:
    """One self-rewriting line on stderr: iterations, evaluations, objective."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __call__(self, run_id: str, rows: np.ndarray) -> None:
        last = rows[-1]
        finite = math.isfinite(last[HistoryCol.FUN])
        fun = last[HistoryCol.FUN] if finite else last[HistoryCol.T]
        label = "f" if finite else "t"
        sys.stderr.write(f"\r  iter {int(last[HistoryCol.ITER]):>7}  "
                         f"evals {int(last[HistoryCol.NFEV]):>8}  "
                         f"{label}={fun:.6g}  {time.perf_counter() - self.t0:6.1f}s ")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\n")
