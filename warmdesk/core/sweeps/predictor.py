"""The start of a chain's next point: the previous point's warm start (its
solution, and its solver state where the kind reuses it), moved along the
secant through the last two points (as continuation codes predict; the secant
itself is the advisor's, :func:`warmdesk.core.advisor.predictor.secant`)."""

from __future__ import annotations

import numpy as np

from ..advisor.predictor import secant
from ..errors import WarmStartError
from ..problem_types import Problem
from ..runs import Run
from ..warm_start_type import WarmStart
from ..warmstart import warm_start_from_run


def next_start(problem: Problem, p: np.ndarray, trail: list[tuple[np.ndarray, Run]],
               use_secant: bool) -> tuple[WarmStart | None, str]:
    """The warm start for the point at parameters ``p`` from the ``trail`` of
    good points before it (newest last), and how it was made: ``secant``,
    ``previous`` or ``none`` (no usable neighbour: cold)."""
    if not trail:
        return None, "none"
    try:
        warm = warm_start_from_run(problem, trail[-1][1])
    except WarmStartError:
        return None, "none"
    if not use_secant or len(trail) < 2 or warm.x0 is None:
        return warm, "previous"
    (p1, r1), (p2, r2) = trail[-1], trail[-2]
    try:
        x1, x2 = warm.x0, warm_start_from_run(problem, r2).x0
    except WarmStartError:
        return warm, "previous"
    if x2 is None:
        return warm, "previous"
    pred = secant(p, [p1, p2], [x1, x2], [0, 1])
    if pred is None:
        return warm, "previous"
    lower, upper = problem.bounds_arrays()
    report = dict(warm.report)
    report["predicted"] = {"from": [r1.id, r2.id], "t": pred.t}
    payload = ["x0 (predicted)"] + [k for k in warm.payload if k != "x0"]
    return WarmStart(r1.id, payload, x0=np.clip(pred.x0, lower, upper), state=dict(warm.state),
                     mode=warm.mode, report=report), "secant"
