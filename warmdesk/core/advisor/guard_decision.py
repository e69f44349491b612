"""What the guard decided about a warm run, and why, as a typed value; and its
report (:class:`GuardReport`: the decision, the runs it made, the figures), shared
by the guard of work (:mod:`.guard`) and of training (:mod:`.training_guard`).

The guard decides on :class:`GuardReason` (and the figures it saw); the words a
run stores under ``info.guard.reason`` (and ``--json`` prints) are derived from
that value by :attr:`GuardDecision.text`, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..runs import Run
from ..status import Status


class GuardAction(str, Enum):
    """What the guard did (stored as the text under ``info.guard.action``)."""

    KEPT_WARM = "kept warm"
    STARTED_COLD = "started cold"
    FELL_BACK = "fell back to cold"
    KEPT_WARM_CHECKED = "kept warm (cold checked)"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class GuardReason(Enum):
    NO_REFERENCE = "no cold reference"
    CONSTRAINED_COSTLY = "warm starts of this constrained family cost more than the budget"
    STOPPED_BY_USER = "stopped by the user"
    AHEAD_OF_COLD = "ahead of the cold reference at the budget"
    WITHIN_BUDGET = "converged or settled within the budget"
    OVER_BUDGET = "not converged at the budget and behind the cold reference"
    WORSE_BASIN = "converged above the cold reference's solution"
    WARM_ENDED = "the warm run ended without a result"
    # the training guard's (:mod:`.training_guard`)
    RESUMED = "an exact resume"
    GENERALIZATION_GAP = "validation loss worse than cold beyond the seed spread"
    NO_GENERALIZATION_GAP = "validation loss within the seed spread of cold or better"

    @property
    def needs_cold_check(self) -> bool:
        """Whether a cold solve must run after the warm one to decide."""
        return self in (GuardReason.OVER_BUDGET, GuardReason.WORSE_BASIN,
                        GuardReason.WARM_ENDED)


@dataclass(frozen=True)
class GuardDecision:
    """One decision with the figures its words need (unused ones stay None)."""

    reason: GuardReason
    status: Status | None = None        # the warm run's, where the words name it
    nfev: int | None = None             # the warm run's evaluations
    budget: int | None = None
    reference_nfev: int | None = None
    budget_fraction: float | None = None
    progress: str = ""                  # "f=… vs …" or "…% of the way vs …%"
    at: int | None = None               # evaluations at which progress was compared
    fun: float | None = None
    reference_value: float | None = None
    saving: float | None = None         # a constrained family's median saving
    count: int | None = None
    message: str = ""                   # the warm run's own message
    spread: float | None = None         # training: the cold seeds' spread
    cold_run: str | None = None         # training: the cold run of the problem's seed
    kept_cold: bool = False             # training: that cold run is the one kept
    suggestion: str = ""                # training: the fine_tune offered (JSON)

    @property
    def text(self) -> str:
        """The sentence stored as the guard's ``reason``."""
        r = self.reason
        if r is GuardReason.NO_REFERENCE:
            return "no cold reference in the library: the guard could not judge this warm start"
        if r is GuardReason.CONSTRAINED_COSTLY:
            assert self.saving is not None and self.budget_fraction is not None
            return (f"warm starts of this constrained problem needed a median "
                    f"{100 * (1 - self.saving):.0f}% of the cold work ({self.count} runs), "
                    f"more than the guard's budget of {100 * self.budget_fraction:.0f}%")
        if r is GuardReason.STOPPED_BY_USER:
            return "stopped by the user"
        if r is GuardReason.AHEAD_OF_COLD:
            return (f"ahead of the cold reference at its budget ({self.at} evaluations: "
                    f"{self.progress}), so it went on and {self.status} after {self.nfev}")
        if r is GuardReason.WITHIN_BUDGET:
            how = "converged" if self.status is Status.CONVERGED else "settled"
            return (f"{how} within its budget ({self.nfev} of {self.budget} evaluations; "
                    f"a cold solve takes about {self.reference_nfev})")
        if r is GuardReason.OVER_BUDGET:
            assert self.budget_fraction is not None
            return (f"not converged after its budget of {self.budget} evaluations "
                    f"({100 * self.budget_fraction:.0f}% of the {self.reference_nfev} a cold "
                    f"solve takes) and behind the cold reference there ({self.progress})")
        if r is GuardReason.WORSE_BASIN:
            return (f"converged at f={self.fun:.6g}, above the new objective at the cold "
                    f"reference's solution ({self.reference_value:.6g}): a worse basin? "
                    "a cold solve checks it")
        if r is GuardReason.RESUMED:
            return "an exact resume continues one training bit for bit: nothing to judge"
        if r in (GuardReason.GENERALIZATION_GAP, GuardReason.NO_GENERALIZATION_GAP):
            return self._training_text()
        return f"the warm run ended {self.status}: {self.message}"

    def _training_text(self) -> str:
        assert self.fun is not None and self.reference_value is not None
        figures = (f"validation loss {self.fun:.4g} after fine-tuning vs "
                   f"{self.reference_value:.4g} trained cold (median of {self.count} seeds, "
                   f"spread {self.spread:.2g})")
        if self.reason is GuardReason.NO_GENERALIZATION_GAP:
            return f"{figures}: no generalization gap, the fine-tuned model is kept"
        assert self.cold_run is not None
        kept = (f"the cold run {self.cold_run[:12]} is kept" if self.kept_cold else
                f"the library's cold run {self.cold_run[:12]} generalizes better")
        return (f"{figures}: a generalization gap of {self.fun - self.reference_value:.2g}, "
                f"more than the seeds' spread; {kept}. Fine-tune with {self.suggestion} "
                "(shrink and perturb) or train cold")


@dataclass
class GuardReport:
    action: GuardAction
    decision: GuardDecision
    reference_run: str | None = None
    reference_nfev: int | None = None
    budget: int | None = None
    warm_run: str | None = None
    cold_run: str | None = None
    total_nfev: int = 0
    runs: list[Run] = field(default_factory=list, repr=False)

    @property
    def reason(self) -> str:
        """The words of the decision (what runs store and ``--json`` prints)."""
        return self.decision.text

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action.value, "reason": self.reason,
                "reference_run": self.reference_run, "reference_nfev": self.reference_nfev,
                "budget": self.budget, "warm_run": self.warm_run, "cold_run": self.cold_run,
                "total_nfev": self.total_nfev}
