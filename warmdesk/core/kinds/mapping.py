"""The warm-start mapping the restart kinds share (``minimize``, ``fit``,
``train``): a start point mapped by name, clipped into the new bounds, and the
solver state passed only where method and layout agree exactly. Each kind
decides what to map (:meth:`Kind.warm_start`); the mapping report says what
happened (matched, resized, defaulted, dropped, clipped, refused)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..problem_types import Problem
from ..runs import Run
from ..solvers.base import WarmStart
from ..solvers.facts import NOT_REUSED


def new_report(run: Run) -> dict[str, Any]:
    """An empty mapping report for a warm start from ``run``."""
    return {"source_run_id": run.id, "matched": [], "resized": [], "defaulted": [],
            "dropped": [], "clipped": {}, "refused": {}}


def restart(problem: Problem, run: Run, report: dict[str, Any], x0: np.ndarray, *,
            source_honours_bounds: bool, start_payload: str, accepted: tuple[str, ...],
            same_layout: bool, say_no_state: bool) -> WarmStart:
    """A restart from ``x0`` (clipped into the bounds) plus the state ``accepted``.

    ``say_no_state``: report that the method takes nothing beyond the start point
    when the source offered no state (the kinds whose methods may take some)."""
    x0 = clip(problem, x0, report)
    if report["clipped"] and not source_honours_bounds:
        report["source_note"] = (f"run {run.id[:8]} was made by {run.method}, which ignores "
                                 "bounds: its point lay outside the new bounds")
    state = state_payload(problem, run, report, accepted, same_layout, say_no_state)
    report["payload"] = [start_payload] + sorted(state)
    report["mode"] = "restart"
    return WarmStart(run.id, report["payload"], x0=x0, state=state, mode="restart",
                     report=report)


def restart_by_name(problem: Problem, run: Run, *, source_honours_bounds: bool,
                    accepted: tuple[str, ...], say_no_state: bool) -> WarmStart:
    """The usual warm start of a kind whose unknowns are named variables
    (minimize, fit): the run's solution mapped by name onto ``problem`` and
    clipped, plus the solver state ``accepted`` where method and layout agree."""
    report = new_report(run)
    x0 = map_by_name(problem, run.solution, report)
    return restart(problem, run, report, x0, source_honours_bounds=source_honours_bounds,
                   start_payload="x0", accepted=accepted,
                   same_layout=layout_of(run) == problem.layout, say_no_state=say_no_state)


def map_by_name(problem: Problem, solution: dict[str, np.ndarray],
                report: dict[str, Any]) -> np.ndarray:
    parts = []
    for v in problem.variables:
        if v.name not in solution:
            report["defaulted"].append(v.name)
            parts.append(v.start.copy())
            continue
        old = np.ravel(np.asarray(solution[v.name], dtype=float))
        if old.size == v.size:
            report["matched"].append(v.name)
            parts.append(old.copy())
        else:
            n = min(old.size, v.size)
            merged = v.start.copy()
            merged[:n] = old[:n]
            report["resized"].append({"name": v.name, "from": int(old.size), "to": v.size,
                                      "taken": n})
            parts.append(merged)
    report["dropped"] = sorted(set(solution) - {v.name for v in problem.variables})
    return np.concatenate(parts) if parts else np.zeros(0)


def clip(problem: Problem, x0: np.ndarray, report: dict[str, Any]) -> np.ndarray:
    lower, upper = problem.bounds_arrays()
    clipped = np.clip(x0, lower, upper)
    offset = 0
    for v in problem.variables:
        count = int(np.sum(clipped[offset:offset + v.size] != x0[offset:offset + v.size]))
        if count:
            report["clipped"][v.name] = count
        offset += v.size
    return clipped


def state_payload(problem: Problem, run: Run, report: dict[str, Any],
                  accepted: tuple[str, ...], same_layout: bool,
                  say_no_state: bool) -> dict[str, np.ndarray]:
    """Solver state only where the method and the layout agree exactly."""
    offered = [k for k in run.state if k != "x"]
    state: dict[str, np.ndarray] = {}
    for key in offered:
        if key in NOT_REUSED and problem.method == run.method:
            report["refused"][key] = NOT_REUSED[key]
        elif key not in accepted:
            report["refused"][key] = (f"{problem.method} accepts no '{key}'"
                                      if run.method != problem.method else
                                      f"{problem.method} takes nothing beyond x0")
        elif run.method != problem.method:
            report["refused"][key] = f"made by {run.method}, the problem uses {problem.method}"
        elif not same_layout:
            report["refused"][key] = "the variables differ in name or size"
        else:
            state[key] = np.asarray(run.state[key], dtype=float)
    if not offered and say_no_state and len(accepted) == 1:
        report["refused"]["state"] = f"{problem.method} accepts nothing beyond x0"
    return state


def layout_of(run: Run) -> list[tuple[str, int]]:
    """The source's variables in its problem's order (stored with the run)."""
    layout = run.info.get("layout")
    if layout:
        return [(str(name), int(size)) for name, size in layout]
    return [(k, int(np.size(v))) for k, v in run.solution.items()]
