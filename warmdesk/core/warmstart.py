"""Map a past run onto a new problem: what of its payload applies, and a
mapping report that says so (matched, resized, defaulted, dropped, clipped,
which payload, and why any state was refused).

Each kind maps its own runs (``Kind.warm_start`` in :mod:`warmdesk.core.kinds`;
the restart kinds share :mod:`warmdesk.core.kinds.mapping`); this module checks
what every warm start needs and leaves the solver state out on request.
"""

from __future__ import annotations

import numpy as np

from .errors import WarmStartError
from .kinds.registry import find_kind, kind
from .mapping_report import format_report  # noqa: F401 - re-exported (CLI, GUI)
from .problem_types import Problem
from .runs import Run
from .solvers.base import WarmStart


def warm_start_from_run(problem: Problem, run: Run, use_state: bool = True) -> WarmStart:
    """Build the warm start that ``run`` offers ``problem``; raise if none applies."""
    plugin = kind(problem.kind)
    if find_kind(run.kind) is not plugin:  # a run of another kind (or of none known)
        raise WarmStartError(f"run {run.id} is a '{run.kind}' run; the problem is "
                             f"'{problem.kind}'")
    if not run.usable:
        raise WarmStartError(f"run {run.id} is {run.status}: it has no solution to start from")
    warm = plugin.warm_start(problem, run)  # each kind maps its own
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
