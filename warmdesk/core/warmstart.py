"""Map a past run onto a new problem: what of its payload applies, and a
mapping report that says so (matched, resized, defaulted, dropped, clipped,
which payload, and why any state was refused).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import WarmStartError
from .method_capabilities import honours_bounds
from .mapping_report import format_report  # noqa: F401 - re-exported (CLI, GUI)
from .problems import Problem
from .runs import Run
from .solvers import minimize as minimize_solver
from .solvers.base import WarmStart
from .solvers.ode import LIVE_SOLVERS, resume_signature


def warm_start_from_run(problem: Problem, run: Run, use_state: bool = True) -> WarmStart:
    """Build the warm start that ``run`` offers ``problem``; raise if none applies."""
    if run.kind != problem.kind:
        raise WarmStartError(f"run {run.id} is a '{run.kind}' run; the problem is "
                             f"'{problem.kind}'")
    if not run.usable:
        raise WarmStartError(f"run {run.id} is {run.status}: it has no solution to start from")
    if problem.kind == "ode":
        return _ode_warm_start(problem, run)
    report: dict[str, Any] = {"source_run_id": run.id, "matched": [], "resized": [],
                              "defaulted": [], "dropped": [], "clipped": {}, "refused": {}}
    if problem.kind == "train":
        x0 = _map_train(problem, run, report)
    else:
        x0 = _map_by_name(problem, run.solution, report)
    x0 = _clip(problem, x0, report)
    if report["clipped"] and not honours_bounds(run.kind, run.method):
        report["source_note"] = (f"run {run.id[:8]} was made by {run.method}, which ignores "
                                 "bounds: its point lay outside the new bounds")
    payload = ["weights" if problem.kind == "train" else "x0"]
    state = _state_payload(problem, run, report)
    report["payload"] = payload + sorted(state)
    report["mode"] = "restart"
    warm = WarmStart(run.id, report["payload"], x0=x0, state=state, mode="restart", report=report)
    return warm if use_state else x_only(warm)


def start_point(warm: WarmStart) -> np.ndarray:
    """The start point of a warm start; every mapped ``minimize``, ``fit`` and
    ``train`` start has one (an ``ode`` start may carry only a state)."""
    if warm.x0 is None:
        raise WarmStartError(f"the warm start from run {warm.source_run_id} has no start point")
    return warm.x0


def x_only(warm: WarmStart) -> WarmStart:
    """The same warm start without its solver state (``--x-only``), its report saying so.

    An ode warm start (a checkpoint or an exact resume) is returned unchanged:
    its state is the start itself.
    """
    if warm.payload[:1] not in (["x0"], ["weights"]) or not warm.state:
        return warm
    report = dict(warm.report)
    report["refused"] = dict(report.get("refused", {}))
    for key in warm.state:
        report["refused"][key] = "left out on request (start point only)"
    report["payload"] = [warm.payload[0]]
    return WarmStart(warm.source_run_id, [warm.payload[0]], x0=warm.x0, state={},
                     mode=warm.mode, report=report, live_solver=warm.live_solver)


def _map_by_name(problem: Problem, solution: dict[str, np.ndarray],
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


def _map_train(problem: Problem, run: Run, report: dict[str, Any]) -> np.ndarray:
    """Weights matched by feature and class name; the rest start at zero."""
    from .solvers.train import classes_of

    old_features = list(run.info.get("features", []))
    old_classes = list(run.info.get("classes", [None]))
    new_classes = classes_of(problem) if problem.train_model == "multinomial" else [None]
    if problem.train_model == "logistic":
        new_classes = old_classes = [None]
    d_old = len(old_features)
    k_old = len(old_classes) if run.info.get("model") == "multinomial" else 1
    w_old = np.asarray(run.solution.get("w", np.zeros(0)), dtype=float)
    if w_old.size != d_old * k_old or run.info.get("model") != problem.train_model:
        raise WarmStartError(f"run {run.id} trained a '{run.info.get('model')}' model; "
                             f"the problem trains '{problem.train_model}'")
    w_old = w_old.reshape(d_old, k_old)
    k_new = len(new_classes) if problem.train_model == "multinomial" else 1
    w = np.zeros((len(problem.features), k_new))
    col = {c: i for i, c in enumerate(old_classes)}
    cmap = [(j, col[c]) for j, c in enumerate(new_classes) if c in col]
    for i, f in enumerate(problem.features):
        if f in old_features:
            report["matched"].append(f)
            for j, jo in cmap:
                w[i, j] = w_old[old_features.index(f), jo]
        else:
            report["defaulted"].append(f)
    report["dropped"] = [f for f in old_features if f not in problem.features]
    if len(cmap) != k_new:
        report["defaulted"] += [f"class {c}" for c in new_classes if c not in col]
    parts = [w.ravel()]
    if problem.fit_intercept:
        b = np.zeros(k_new)
        b_old = np.ravel(run.solution.get("b", np.zeros(0)))
        for j, jo in cmap:
            if jo < b_old.size:
                b[j] = b_old[jo]
        parts.append(b)
    return np.concatenate(parts)


def _clip(problem: Problem, x0: np.ndarray, report: dict[str, Any]) -> np.ndarray:
    lower, upper = problem.bounds_arrays()
    clipped = np.clip(x0, lower, upper)
    offset = 0
    for v in problem.variables:
        count = int(np.sum(clipped[offset:offset + v.size] != x0[offset:offset + v.size]))
        if count:
            report["clipped"][v.name] = count
        offset += v.size
    return clipped


def _state_payload(problem: Problem, run: Run, report: dict[str, Any]) -> dict[str, np.ndarray]:
    """Solver state only where the method and the layout agree exactly."""
    accepted = minimize_solver.PAYLOADS.get(problem.method, ("x0",)) if problem.kind in (
        "minimize", "train") else ("x0",)
    offered = [k for k in run.state if k != "x"]
    state: dict[str, np.ndarray] = {}
    same_layout = (_layout_of(run) == problem.layout
                   and (problem.kind != "train"
                        or (run.info.get("features") == problem.features
                            and run.info.get("classes") == _classes(problem))))
    for key in offered:
        if key in minimize_solver.NOT_REUSED and problem.method == run.method:
            report["refused"][key] = minimize_solver.NOT_REUSED[key]
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
    if not offered and problem.kind in ("minimize", "train") and len(accepted) == 1:
        report["refused"]["state"] = f"{problem.method} accepts nothing beyond x0"
    return state


def _classes(problem: Problem) -> list[Any] | None:
    if problem.train_model == "linear":
        return None
    from .solvers.train import classes_of
    return classes_of(problem)


def _layout_of(run: Run) -> list[tuple[str, int]]:
    """The source's variables in its problem's order (stored with the run)."""
    layout = run.info.get("layout")
    if layout:
        return [(str(name), int(size)) for name, size in layout]
    return [(k, int(np.size(v))) for k, v in run.solution.items()]


def _ode_warm_start(problem: Problem, run: Run) -> WarmStart:
    """Exact resume when this process still holds the integrator and nothing
    changed; else a restart from the latest checkpoint before the new end."""
    report: dict[str, Any] = {"source_run_id": run.id, "matched": [], "resized": [],
                              "defaulted": [], "dropped": [], "clipped": {}, "refused": {}}
    t0, t1 = problem.t_span
    live = LIVE_SOLVERS.get(run.id, resume_signature(problem))
    if live is not None and run.method == problem.method:
        report.update(payload=["live_solver"], mode="exact-resume",
                      matched=[v.name for v in problem.variables],
                      checkpoint_t=float(live[0].t))
        return WarmStart(run.id, ["live_solver"], state={}, mode="exact-resume",
                         report=report, live_solver=live)
    ts = np.ravel(run.state.get("checkpoint_t", np.zeros(0)))
    ys = np.asarray(run.state.get("checkpoint_y", np.zeros((0, 0))), dtype=float)
    hs = np.ravel(run.state.get("checkpoint_h", np.zeros(0)))
    usable = np.nonzero((ts >= t0) & (ts < t1 - 1e-12 * max(1.0, abs(t1))))[0]
    if usable.size == 0:
        raise WarmStartError(f"run {run.id} has no checkpoint inside [{t0:g}, {t1:g}) to "
                             "resume from")
    i = int(usable[-1])
    layout = _layout_of(run)
    offsets = np.cumsum([0] + [size for _, size in layout])
    if ys.ndim != 2 or ys.shape[1] != offsets[-1]:
        raise WarmStartError(f"run {run.id} has checkpoints that do not fit its state layout")
    old = {name: ys[i, offsets[j]:offsets[j + 1]] for j, (name, _) in enumerate(layout)}
    y0 = _map_by_name(problem, old, report)
    if report["defaulted"] or report["resized"]:
        report["refused"]["checkpoint_h"] = "the state differs: the step size is chosen anew"
        h = 0.0
    else:
        h = float(hs[i]) if i < hs.size else 0.0
    same = run.problem_hash == problem.content_hash()
    report["checkpoint_t"] = float(ts[i])
    report["note"] = ("same problem: a restart from the checkpoint" if same else
                      "the problem differs: the state at the checkpoint came from the source's "
                      "system, and the rest is integrated with the new one")
    report.update(payload=["checkpoint"], mode="restart")
    state = {"checkpoint": np.concatenate([[ts[i], h], y0])}
    return WarmStart(run.id, ["checkpoint"], state=state, mode="restart", report=report)
