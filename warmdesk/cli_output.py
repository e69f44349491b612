"""Printing helpers shared by the command-line subcommands."""

from __future__ import annotations

import datetime as dt
import math
import sys
import time
from typing import Any

import numpy as np


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


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 run``, ``2 runs``, ``0 runs`` (``words``: an irregular plural)."""
    return f"{n} {word if n == 1 else words or word + 's'}"


def when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def parse_when(text: str) -> float:
    """A date or date-time (ISO 8601, local time) as unix seconds."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date like 2026-11-27 or 2026-11-27T08:30") from exc
    return value.timestamp()


def print_run(run: Any) -> None:
    fun = "-" if run.fun is None else f"{run.fun:.10g}"
    print(f"run {run.id}  {run.name} ({run.kind}, {run.method})")
    print(f"  status {run.status}: {run.message}")
    print(f"  f={fun}  iterations={run.nit}  evaluations={run.nfev}  gradients={run.njev}  "
          f"wall={run.wall_s:.3f}s  created {when(run.created_at)}")
    print_solution(run)
    if run.tags:
        print(f"  tags: {' '.join(run.tags)}")
    if run.warm:
        print(f"  warm from {run.warm.source_run_id} with {', '.join(run.warm.payload)} "
              f"({run.warm.mode})")
    print_fit_report(run)


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
        print(f"    {line}")


#: Vectors longer than this print their first and last few values.
SHOWN_VALUES = 8
#: Runs with more variables than this print the first ones and a count.
SHOWN_VARIABLES = 20


def print_solution(run: Any) -> None:
    """The solution (ode: the final state), one variable a line, long vectors abbreviated."""
    if not run.solution:
        return
    title = "final state" if run.kind == "ode" else (
        "solution" if run.status == "converged" else "last iterate")
    print(f"  {title}:")
    items = list(run.solution.items())
    for name, value in items[:SHOWN_VARIABLES]:
        print(f"    {name} = {format_values(value)}")
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
    fun = "-" if r["fun"] is None else f"{r['fun']:.6g}"
    tags = f"  [{' '.join(r['tags'])}]" if r.get("tags") else ""
    print(f"{r['id'][:12]}  {when(r['created_at'])}  {r['kind']:8} {r['method']:12} "
          f"{r['status']:11} f={fun:>12}  nfev={r['nfev'] if r['nfev'] is not None else '-':<6} "
          f"{r['name']}{tags}")


class TerminalProgress:
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
