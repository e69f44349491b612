"""The guard: a warm run that does worse than a cold one would is stopped, a cold
run is made, and the better result is kept, visibly.

The warm run gets a budget of ``BUDGET_FRACTION`` of the evaluations the cold
reference (the cold run of this problem, or of the nearest problem of the same
structure) needed. If it has not converged within it, it is stopped and a cold
solve runs. If it converges above the new objective's value at the solutions of
the nearest cold runs (points that cold solves found; ending above them means
the warm run settled in a worse basin), a cold solve runs too.
Either way the better of the two is kept, so the total costs at most
``1 + BUDGET_FRACTION`` times the reference's cold work and never ends worse
than cold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..engine import solve
from ..errors import WarmDeskError
from ..warmstart import warm_start_from_run
from ..library import Library
from ..problems import Problem
from ..runs import Run
from ..solvers.base import ProgressListener, SolveControl, WarmStart
from .merit import merit_function
from .outcomes import cold_references

BUDGET_FRACTION = 0.3
#: Cold runs whose solutions the warm result is compared with (the best counts).
REFERENCE_POINTS = 8
MIN_BUDGET = 10
#: Relative slack when comparing the warm optimum with the reference point.
WORSE_TOLERANCE = 1e-9


@dataclass
class GuardReport:
    action: str                 # "kept warm", "fell back to cold", "kept warm (cold checked)", ...
    reason: str
    reference_run: str | None = None
    reference_nfev: int | None = None
    budget: int | None = None
    warm_run: str | None = None
    cold_run: str | None = None
    total_nfev: int = 0
    runs: list[Run] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason,
                "reference_run": self.reference_run, "reference_nfev": self.reference_nfev,
                "budget": self.budget, "warm_run": self.warm_run, "cold_run": self.cold_run,
                "total_nfev": self.total_nfev}


def guarded_solve(library: Library, problem: Problem, warm: WarmStart,
                  control: SolveControl | None = None,
                  on_progress: ProgressListener | None = None) -> tuple[Run, GuardReport]:
    """Solve warm under the guard. Returns the kept run and what the guard did;
    every run made (``report.runs``) should be saved by the caller."""
    control = control or SolveControl()
    refs = [] if problem.kind == "ode" else cold_references(
        library, problem.content_hash(), problem.structure_hash(), problem.spec,
        k=REFERENCE_POINTS)
    ref = refs[0] if refs else None
    if ref is None:
        run = solve(problem, warm, control, on_progress)
        report = GuardReport("kept warm", "no cold reference in the library: the guard could "
                             "not judge this warm start", total_nfev=run.nfev,
                             warm_run=run.id, runs=[run])
        run.info["guard"] = report.to_dict()
        return run, report
    ref_id, ref_nfev, ref_fun, _ = ref
    budget = max(MIN_BUDGET, int(BUDGET_FRACTION * ref_nfev))
    warm_control = SolveControl(control.cancel_flag, control.interrupt_flag, budget)
    warm_run = solve(problem, warm, warm_control, on_progress)
    report = GuardReport("kept warm", "", ref_id, ref_nfev, budget, warm_run.id,
                         total_nfev=warm_run.nfev, runs=[warm_run])
    if warm_run.status in ("cancelled",) or control.cancel_flag.is_set() \
            or control.interrupt_flag.is_set():
        report.reason = "stopped by the user"
        warm_run.info["guard"] = report.to_dict()
        return warm_run, report
    over_budget = warm_run.info.get("stopped_by", "").startswith("the evaluation budget")
    ref_value = min(_value_at_reference(library, problem, r[0]) for r in refs)
    worse = (warm_run.status == "converged" and warm_run.fun is not None
             and warm_run.fun > ref_value + WORSE_TOLERANCE * max(1.0, abs(ref_value)))
    if warm_run.status == "converged" and not worse:
        report.reason = (f"converged within its budget ({warm_run.nfev} of {budget} "
                         f"evaluations; the cold reference took {ref_nfev})")
        warm_run.info["guard"] = report.to_dict()
        return warm_run, report
    if over_budget:
        report.reason = (f"not converged after {budget} evaluations "
                         f"({100 * BUDGET_FRACTION:.0f}% of the cold reference's {ref_nfev})")
    elif worse:
        report.reason = (f"converged at f={warm_run.fun:.6g}, above the new objective at "
                         f"the cold reference's solution ({ref_value:.6g}): a worse basin? "
                         "a cold solve checks it")
    else:
        report.reason = f"the warm run ended {warm_run.status}: {warm_run.message}"
    cold_run = solve(problem, None, control, on_progress)
    report.runs.append(cold_run)
    report.cold_run = cold_run.id
    report.total_nfev += cold_run.nfev
    kept = _better(warm_run, cold_run)
    report.action = ("fell back to cold" if kept is cold_run else
                     "kept warm (cold checked)")
    for run in report.runs:
        run.info["guard"] = {**report.to_dict(), "kept": kept.id}
    if warm_run.status == "interrupted" and over_budget:
        warm_run.status = "stopped"
        warm_run.message = f"stopped by the guard: {report.reason}"
    return kept, report


def _value_at_reference(library: Library, problem: Problem, ref_id: str) -> float:
    """The new objective at the cold reference's solution (inf if it does not map)."""
    try:
        ref = library.get_run(ref_id, history=False)
        x = warm_start_from_run(problem, ref, use_state=False).x0
    except (WarmDeskError, ValueError):
        return math.inf
    f, viol = merit_function(problem)(x)
    return f if viol <= 1e-8 else math.inf


def _better(warm: Run, cold: Run) -> Run:
    usable = [r for r in (warm, cold) if r.usable and r.fun is not None]
    if not usable:
        return cold
    if len(usable) == 1:
        return usable[0]
    if warm.fun <= cold.fun + 1e-12 * max(1.0, abs(cold.fun)) and warm.status == "converged":
        return warm
    return cold
