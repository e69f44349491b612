"""The guard decides on a typed reason (and figures), the words come from it."""

from __future__ import annotations

import pytest

from warmdesk.core.advisor.guard import GuardReport, decide
from warmdesk.core.advisor.guard_decision import GuardAction, GuardDecision, GuardReason
from warmdesk.core.runs import Run
from warmdesk.core.status import Status


def warm_run(status: Status, fun: float | None, nfev: int = 12, message: str = "") -> Run:
    run = Run("b" * 32, "w", "minimize", "BFGS", {}, "h", "s", status=status, fun=fun,
              nfev=nfev, message=message)
    return run


REF = 1.0  # the new objective at the cold references' solutions


@pytest.mark.parametrize("run, user, over, verdict, reason", [
    (warm_run(Status.CANCELLED, None), False, False, {}, GuardReason.STOPPED_BY_USER),
    (warm_run(Status.CONVERGED, 0.5), True, False, {}, GuardReason.STOPPED_BY_USER),
    (warm_run(Status.CONVERGED, 0.5), False, False, {}, GuardReason.WITHIN_BUDGET),
    (warm_run(Status.STOPPED, 0.9), False, False, {}, GuardReason.WITHIN_BUDGET),
    (warm_run(Status.CONVERGED, 0.5), False, False,
     {"at": 3, "warm_progress": 0.5, "cold_progress": 0.7, "raw": True},
     GuardReason.AHEAD_OF_COLD),
    (warm_run(Status.INTERRUPTED, 2.0), False, True, {}, GuardReason.OVER_BUDGET),
    (warm_run(Status.STOPPED, 0.9), False, True, {}, GuardReason.OVER_BUDGET),
    (warm_run(Status.CONVERGED, 1.5), False, False, {}, GuardReason.WORSE_BASIN),
    (warm_run(Status.FAILED, None, message="boom"), False, False, {}, GuardReason.WARM_ENDED),
    (warm_run(Status.STOPPED, 3.0), False, False, {}, GuardReason.WARM_ENDED),
])
def test_decide_by_reason(run: Run, user: bool, over: bool, verdict: dict[str, object],
                          reason: GuardReason) -> None:
    assert decide(run, user, over, REF, verdict, budget=30, ref_nfev=100).reason is reason


def test_budget_decided_on_the_flag_not_on_stored_words() -> None:
    run = warm_run(Status.STOPPED, 0.9)
    run.info["stopped_by"] = "the evaluation budget (30)"  # words alone decide nothing
    assert decide(run, False, False, REF, {}, 30, 100).reason is GuardReason.WITHIN_BUDGET


def test_cold_check_follows_the_reason() -> None:
    assert {r for r in GuardReason if r.needs_cold_check} == {
        GuardReason.OVER_BUDGET, GuardReason.WORSE_BASIN, GuardReason.WARM_ENDED}


def test_words_derived_from_the_decision() -> None:
    d = decide(warm_run(Status.CONVERGED, 0.5, nfev=12), False, False, REF, {}, 30, 100)
    assert d.text == ("converged within its budget (12 of 30 evaluations; a cold solve takes "
                      "about 100)")
    d = decide(warm_run(Status.INTERRUPTED, 2.0, nfev=31), False, True, REF, {}, 30, 100)
    assert d.text == ("not converged after its budget of 30 evaluations (30% of the 100 a cold "
                      "solve takes) and behind the cold reference there (no comparison)")
    d = decide(warm_run(Status.CONVERGED, 1.5), False, False, REF, {}, 30, 100)
    assert d.text.startswith("converged at f=1.5, above the new objective at the cold "
                             "reference's solution (1): a worse basin?")
    d = decide(warm_run(Status.FAILED, None, message="boom"), False, False, REF, {}, 30, 100)
    assert d.text == "the warm run ended failed: boom"
    assert GuardDecision(GuardReason.NO_REFERENCE).text.startswith("no cold reference")
    d = GuardDecision(GuardReason.CONSTRAINED_COSTLY, saving=0.4, count=5, budget_fraction=0.3)
    assert d.text == ("warm starts of this constrained problem needed a median 60% of the cold "
                      "work (5 runs), more than the guard's budget of 30%")


def test_report_keeps_its_stored_keys() -> None:
    report = GuardReport(GuardAction.FELL_BACK, GuardDecision(GuardReason.STOPPED_BY_USER),
                         "r" * 32, 100, 30, "w" * 32, "c" * 32, 140)
    assert report.to_dict() == {
        "action": "fell back to cold", "reason": "stopped by the user", "reference_run": "r" * 32,
        "reference_nfev": 100, "budget": 30, "warm_run": "w" * 32, "cold_run": "c" * 32,
        "total_nfev": 140}
    assert report.action == "fell back to cold" and f"{report.action}" == "fell back to cold"
