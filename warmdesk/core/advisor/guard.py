"""The guard: a warm run that does worse than a cold one would is stopped, a cold
run is made, and the better result is kept, visibly.

1. The warm run gets a budget of ``BUDGET_FRACTION`` of the evaluations a cold
   solve needs: those of the cold run of this very problem when there is one,
   else the FEWEST that any of the nearest cold runs of the same structure needed.
2. At the budget, if it has not converged, it is compared with the cold
   reference's own curve: if its best value is below what the cold run had
   reached after as many evaluations, it is ahead and goes on (not for
   constrained problems, whose lower values may be infeasible); else it is
   stopped and a cold solve runs (at most ``1 + BUDGET_FRACTION`` times the
   cold work in all).
3. If it converges above the new objective's value at the solutions of the
   nearest cold runs (points cold solves found: ending above them means a worse
   basin), a cold solve runs too.
The better of warm and cold is kept; every run records what the guard did.
A warm run that was ahead at its budget is not bounded afterwards: that is the
guard's remaining risk (benchmarks/bench_advisor.py measures it).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..engine import check_solvable
from ..errors import WarmDeskError
from ..kinds.registry import kind
from ..library import Library
from ..problems import Problem
from ..runs import HistoryCol, Run
from ..solvers.base import ProgressListener, Recorder, SolveControl, WarmStart
from ..status import Status
from . import outcomes, training_guard
from .announced import RunHook, solve_announced
from .expectation import value_at_solution
from .guard_decision import GuardAction, GuardDecision, GuardReason, GuardReport
from .merit import merit_function


BUDGET_FRACTION = 0.3
#: Cold runs whose solutions the warm result is compared with (the best counts).
REFERENCE_POINTS = 8
MIN_BUDGET = 1
#: Relative slack when comparing the warm optimum with the reference point.
WORSE_TOLERANCE = 1e-9


def guarded_solve(library: Library, problem: Problem, warm: WarmStart,
                  control: SolveControl | None = None,
                  on_progress: ProgressListener | None = None,
                  on_run_start: RunHook = None,
                  on_run_end: RunHook = None) -> tuple[Run, GuardReport]:
    """Solve warm under the guard. Returns the kept run and what the guard did;
    every run made (``report.runs``) should be saved by the caller (again: the
    guard adds its report to them after ``on_run_end``)."""
    check_solvable(problem, warm)  # refused input: no run started, none to save
    control = control or SolveControl()
    hooks = (on_run_start, on_run_end)
    if training_guard.is_training(problem):   # judged by validation loss, not by work
        return training_guard.guarded_training(library, problem, warm, control, on_progress,
                                               hooks)
    refs = [] if not kind(problem.kind).has_cold_references else outcomes.cold_references(
        library, problem.content_hash(), problem.structure_hash(), problem.spec,
        k=REFERENCE_POINTS)
    ref = refs[0] if refs else None
    if ref is None:
        run = solve_announced(problem, warm, control, on_progress, hooks)
        report = GuardReport(GuardAction.KEPT_WARM, GuardDecision(GuardReason.NO_REFERENCE),
                             total_nfev=run.nfev, warm_run=run.id, runs=[run])
        run.info["guard"] = report.to_dict()
        return run, report
    ref_id, ref_nfev, ref_fun, basis = ref
    if basis != "measured":
        ref_nfev = min((r[1] for r in refs if r[1] > 0), default=ref_nfev)
    budget = max(MIN_BUDGET, int(BUDGET_FRACTION * ref_nfev))
    merit = merit_function(problem)  # built once: it compiles (or, for train, copies the data)
    ref_value = min(value_at_solution(library, problem, merit, r[0]) for r in refs)
    if problem.constraints:
        # no going on past the budget here (a lower f can be infeasible): when warm
        # starts of this problem have needed more than the budget, a guarded warm
        # start can only cost more than cold
        saving, count = outcomes.family_saving(library, problem.structure_hash())
        if saving is not None and count >= 3 and 1.0 - saving > BUDGET_FRACTION:
            run = solve_announced(problem, None, control, on_progress, hooks)
            decision = GuardDecision(GuardReason.CONSTRAINED_COSTLY, saving=saving, count=count,
                                     budget_fraction=BUDGET_FRACTION)
            report = GuardReport(GuardAction.STARTED_COLD, decision, ref_id, ref_nfev, budget,
                                 cold_run=run.id, total_nfev=run.nfev, runs=[run])
            run.info["guard"] = report.to_dict()
            return run, report
    warm_control = SolveControl(control.cancel_flag, control.interrupt_flag, budget)
    verdict: dict[str, Any] = {}
    if not problem.constraints:  # with constraints a lower f can be an infeasible point
        f0, _ = merit(problem.start_vector())
        relative = not kind(problem.kind).compares_objective_values
        warm_control.budget_check = _ahead_of_cold_curve(library, ref_id, f0, ref_value,
                                                         verdict, relative)
    warm_run = solve_announced(problem, warm, warm_control, on_progress, hooks)
    user_stopped = control.cancel_flag.is_set() or control.interrupt_flag.is_set()
    decision = decide(warm_run, user_stopped, warm_control.budget_reached, ref_value, verdict,
                      budget, ref_nfev)
    report = GuardReport(GuardAction.KEPT_WARM, decision, ref_id, ref_nfev, budget,
                         warm_run.id, total_nfev=warm_run.nfev, runs=[warm_run])
    if not decision.reason.needs_cold_check:
        warm_run.info["guard"] = report.to_dict()
        return warm_run, report
    cold_run = solve_announced(problem, None, control, on_progress, hooks)
    report.runs.append(cold_run)
    report.cold_run = cold_run.id
    report.total_nfev += cold_run.nfev
    kept = _better(warm_run, cold_run)
    report.action = (GuardAction.FELL_BACK if kept is cold_run else
                     GuardAction.KEPT_WARM_CHECKED)
    for run in report.runs:
        run.info["guard"] = {**report.to_dict(), "kept": kept.id}
    if warm_run.status is Status.INTERRUPTED and decision.reason is GuardReason.OVER_BUDGET:
        warm_run.status = Status.STOPPED
        warm_run.message = f"stopped by the guard: {report.reason}"
    return kept, report


def decide(warm_run: Run, user_stopped: bool, over_budget: bool, ref_value: float,
           verdict: dict[str, Any], budget: int, ref_nfev: int) -> GuardDecision:
    """What the guard makes of a finished warm run (with a cold reference):
    ``over_budget`` says the evaluation budget stopped it, ``ref_value`` is the
    new objective at the cold references' solutions, ``verdict`` what the
    budget check saw (empty if it did not run)."""
    if warm_run.status is Status.CANCELLED or user_stopped:
        return GuardDecision(GuardReason.STOPPED_BY_USER)
    worst_kept = ref_value + WORSE_TOLERANCE * max(1.0, abs(ref_value))
    worse = (warm_run.status is Status.CONVERGED and warm_run.fun is not None
             and warm_run.fun > worst_kept)
    settled = warm_run.status is Status.CONVERGED or (
        warm_run.status is Status.STOPPED and warm_run.fun is not None and not over_budget
        and warm_run.fun <= worst_kept)
    if settled and not worse:
        if verdict:
            return GuardDecision(GuardReason.AHEAD_OF_COLD, warm_run.status, warm_run.nfev,
                                 at=verdict["at"], progress=_progress(verdict))
        return GuardDecision(GuardReason.WITHIN_BUDGET, warm_run.status, warm_run.nfev, budget,
                             ref_nfev)
    if over_budget:
        return GuardDecision(GuardReason.OVER_BUDGET, warm_run.status, warm_run.nfev, budget,
                             ref_nfev, BUDGET_FRACTION, progress=_progress(verdict))
    if worse:
        return GuardDecision(GuardReason.WORSE_BASIN, warm_run.status, warm_run.nfev,
                             fun=warm_run.fun, reference_value=ref_value)
    return GuardDecision(GuardReason.WARM_ENDED, warm_run.status, warm_run.nfev,
                         message=warm_run.message)


def _ahead_of_cold_curve(library: Library, ref_id: str, f0: float, target: float,
                         verdict: dict[str, Any], relative: bool) -> Callable[[Recorder], bool]:
    """At the budget: has the warm run come further than the cold reference had
    after as many evaluations?

    For ``minimize`` (the same objective, other parameters) the values compare
    directly. For ``fit`` and ``train`` the data differ, and so does the scale of
    the loss: progress is then a fraction, the warm run's from the new default
    start's value ``f0`` to ``target`` (the new objective at the reference's
    solution), the cold run's along its own history."""
    try:
        hist = library.get_run(ref_id).history.array
    except WarmDeskError:
        hist = np.empty((0, len(HistoryCol)))
    nfev, fun = hist[:, HistoryCol.NFEV], hist[:, HistoryCol.FUN]
    finite = fun[np.isfinite(fun)]

    def fraction(start: float, now: float, end: float) -> float:
        span = start - end
        return (start - now) / span if math.isfinite(span) and span > 0 else 0.0

    def check(rec: Recorder) -> bool:
        reached = fun[(nfev <= rec.nfev) & np.isfinite(fun)]
        if not relative:
            cold_best = float(reached.min()) if reached.size else math.inf
            verdict.update(warm_progress=rec.best_value, cold_progress=cold_best,
                           at=rec.nfev, raw=True)
            return rec.best_value <= cold_best
        cold = (fraction(float(finite[0]), float(reached.min()), float(finite.min()))
                if reached.size and finite.size else 0.0)
        warm = fraction(f0, rec.best_value, target)
        verdict.update(warm_progress=warm, cold_progress=cold, at=rec.nfev)
        return warm >= cold
    return check


def _progress(verdict: dict[str, Any]) -> str:
    if not verdict:
        return "no comparison"
    if verdict.get("raw"):
        return f"f={verdict['warm_progress']:.6g} vs {verdict['cold_progress']:.6g}"
    return (f"{100 * verdict['warm_progress']:.0f}% of the way vs "
            f"{100 * verdict['cold_progress']:.0f}%")


def _better(warm: Run, cold: Run) -> Run:
    """The run with the lower objective (a warm iterate stopped by the budget
    counts too); on a tie, the converged one."""
    candidates = [(r.fun, r) for r in (warm, cold) if r.fun is not None and r.solution]
    if not candidates:
        return cold
    # a failed run keeps an iterate
    ended = [(f, r) for f, r in candidates if r.status is not Status.FAILED]
    candidates = ended or candidates
    best_f, best = min(candidates, key=lambda fr: (fr[0], fr[1].status is not Status.CONVERGED))
    tie = [r for f, r in candidates if f <= best_f + 1e-12 * max(1.0, abs(best_f))]
    return next((r for r in tie if r.status is Status.CONVERGED), best)
