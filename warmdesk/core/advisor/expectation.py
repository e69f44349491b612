"""Did a warm run end as well as a cold start of its family would have?

After a warm run, compared with the cold runs of the same problem (or, failing
those, of the same structure nearest in parameters), it did worse when

- it ended above the new objective's value at one of those cold runs'
  solutions (a point a cold solve reached: ending above it means a worse
  optimum), or
- it took more evaluations than the nearest converged cold run (a warm start
  that cost more than starting cold).

The verdict is a sentence for the user (CLI, run details), or None when the
run did as expected or there is nothing to compare it with. The guard uses
:func:`value_at_solution` for the same comparison during a guarded solve.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..errors import WarmDeskError
from ..kinds.registry import kind
from ..library import Library
from ..problems import Problem
from ..runs import Run
from ..warmstart import start_point, warm_start_from_run
from .merit import merit_function
from .outcomes import cold_references
from ..status import Status

#: Cold runs whose solutions the warm result is compared with (the best counts).
REFERENCE_POINTS = 8
#: Relative slack before a higher final objective counts as a worse optimum: a
#: converged run stops within its tolerance of the optimum, not on it.
WORSE_RELATIVE = 1e-6


def value_at_solution(library: Library, problem: Problem,
                      merit: Callable[[np.ndarray], tuple[float, float]], run_id: str) -> float:
    """The new objective (``merit``) at a stored run's solution (inf if it does
    not map onto the problem or is infeasible there)."""
    try:
        ref = library.get_run(run_id, history=False)
        x = start_point(warm_start_from_run(problem, ref, use_state=False))
    except (WarmDeskError, ValueError):
        return math.inf
    f, viol = merit(x)
    return f if viol <= 1e-8 else math.inf


def worse_than_cold(library: Library, problem: Problem, run: Run) -> str | None:
    """What a warm ``run`` of ``problem`` did worse than its family's cold runs
    predict, with what to do; None if nothing (or nothing to compare with)."""
    if (run.warm is None or not run.warm.source_run_id
            or not kind(problem.kind).has_cold_references
            or run.status not in (Status.CONVERGED, Status.STOPPED)):
        return None
    refs = cold_references(library, problem.content_hash(), problem.structure_hash(),
                           problem.spec, exclude=run.id, k=REFERENCE_POINTS)
    if not refs:
        return None
    found: list[str] = []
    if run.fun is not None and math.isfinite(run.fun):
        merit = merit_function(problem)
        value, ref_id = min((value_at_solution(library, problem, merit, r[0]), r[0])
                            for r in refs)
        if math.isfinite(value) and run.fun > value + WORSE_RELATIVE * max(1.0, abs(value)):
            found.append(f"it ended at f={run.fun:.6g}, above f={value:.6g}, the new "
                         f"objective at the solution of cold run {ref_id[:12]}: a worse "
                         "optimum than a cold start reaches")
    converged = [r for r in refs if r[1] > 0 and _status(library, r[0]) == Status.CONVERGED]
    if converged:
        ref_id, ref_nfev, _, basis = converged[0]
        if run.nfev > ref_nfev:
            which = "of this problem" if basis == "measured" else "of the nearest problem"
            found.append(f"it took {run.nfev} evaluations, more than the {ref_nfev} of cold "
                         f"run {ref_id[:12]} {which}")
    if not found:
        return None
    return (f"the warm start from {run.warm.source_run_id[:12]} did worse than a cold start: "
            + "; ".join(found) + ". Solve cold (--warm none) or with the guard to compare.")


def _status(library: Library, run_id: str) -> str | None:
    try:
        return str(library.get_meta(run_id).get("status"))
    except WarmDeskError:
        return None
