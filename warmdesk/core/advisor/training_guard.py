"""The guard for training: a fine-tuned network can fit its training data as well
as a fresh one and still *generalize* worse (Ash & Adams, "On Warm-Starting
Neural Network Training", NeurIPS 2020). Its training loss says nothing of it;
only the validation loss, against what cold training reaches, does.

1. An exact resume is not judged: it continues one training bit for bit.
2. The fine-tuned run trains as asked (its whole epoch budget, early stopping
   included).
3. Cold references: cold runs of the same problem (the same data, split and
   architecture) with ``COLD_SEEDS`` seeds: the problem's own and the next ones.
   A cold run of such a problem already in the library is used as it is (the
   cold curve of a past run); the others are trained now (raced) and kept in
   the library, so the next fine-tune of the same data finds them.
4. At equal epochs (the same budget of epochs, early stopping as configured),
   the warm run's best validation loss is compared with the cold seeds': the
   gap to their median counts as a *generalization gap* when it exceeds the
   seed-to-seed spread (their range; at least ``MIN_SPREAD`` of the median).
   Flagged, the cold run of the problem's own seed is kept and the guard offers
   shrink-and-perturb (a smaller shrink factor when the warm run used it
   already); not flagged, the warm run is kept. Either way every run records
   the figures (``info.guard.generalization``), and the advisor learns from them
   which fine-tune mode pays for the family (:mod:`.fine_tune_modes`).
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from typing import Any

from ..kinds.registry import kind
from ..library import Library
from ..problems import Problem, problem_from_dict
from ..runs import Run
from ..solvers.base import ProgressListener, SolveControl, WarmStart
from ..solvers.network import EPOCH_COLUMNS
from ..status import Status
from ..warm_start_type import EXACT_RESUME
from .announced import RunHook, solve_announced
from .guard_decision import GuardAction, GuardDecision, GuardReason, GuardReport

#: Cold seeds compared with (the problem's own seed first): the spread between
#: them is what a gap must exceed. 3 is the fewest whose range means something.
COLD_SEEDS = 3
#: The spread is taken as at least this fraction of the cold median, so that
#: identical cold losses (a tiny data set) do not turn any difference into a gap.
MIN_SPREAD = 0.01
#: The shrink factor offered when a shrink-and-perturb fine-tune still shows a
#: gap is the one used times this.
SHRINK_AGAIN = 0.5



@dataclass(frozen=True)
class GapVerdict:
    """The comparison at equal epochs (validation losses)."""

    warm: float
    cold: tuple[float, ...]
    epochs: int
    mode: str

    @property
    def median(self) -> float:
        return statistics.median(self.cold)

    @property
    def spread(self) -> float:
        return max(max(self.cold) - min(self.cold), MIN_SPREAD * abs(self.median))

    @property
    def gap(self) -> float:
        return self.warm - self.median

    @property
    def flagged(self) -> bool:
        return self.gap > self.spread

    def suggestion(self, shrink: float) -> dict[str, Any]:
        """The fine-tune the guard offers in place of this one."""
        if self.mode == "shrink_perturb":
            return {"mode": "shrink_perturb", "shrink": round(shrink * SHRINK_AGAIN, 4)}
        return {"mode": "shrink_perturb"}

    def to_dict(self, shrink: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "warm_val_loss": self.warm, "cold_val_losses": list(self.cold),
            "cold_median": self.median, "spread": self.spread, "gap": self.gap,
            "flagged": self.flagged, "mode": self.mode, "epochs": self.epochs}
        if self.flagged:
            out["suggestion"] = {"fine_tune": self.suggestion(shrink)}
        return out


def is_training(problem: Problem) -> bool:
    """Whether the training guard judges this problem's warm starts."""
    return kind(problem.kind).guards_generalization


def cold_variant(problem: Problem, seed: int) -> Problem:
    """The problem trained cold with ``seed`` (its ``fine_tune`` dropped: a cold
    run does not use it, and the same cold problem then has one content hash)."""
    spec = json.loads(json.dumps(problem.spec))
    spec.pop("fine_tune", None)
    spec["seed"] = seed
    return problem_from_dict(spec, base_dir=problem.base_dir)


def guarded_training(library: Library, problem: Problem, warm: WarmStart,
                     control: SolveControl, on_progress: ProgressListener | None,
                     hooks: tuple[RunHook, RunHook]) -> tuple[Run, GuardReport]:
    """Train warm under the training guard; returns ``(kept run, GuardReport)``."""
    from ..solvers.network_data import settings_of
    warm_run = solve_announced(problem, warm, control, on_progress, hooks)
    report = GuardReport(GuardAction.KEPT_WARM, GuardDecision(GuardReason.RESUMED),
                         warm_run=warm_run.id, total_nfev=warm_run.nfev, runs=[warm_run])
    if warm.mode == EXACT_RESUME or _user_stopped(control, warm_run):
        if warm.mode != EXACT_RESUME:
            report.decision = GuardDecision(GuardReason.STOPPED_BY_USER)
        warm_run.info["guard"] = report.to_dict()
        return warm_run, report
    settings = settings_of(problem)
    colds, losses = [], []
    for i in range(COLD_SEEDS):
        variant = cold_variant(problem, (settings.seed + i) % 2**32)
        stored = _stored_cold(library, variant)
        if stored is None:
            stored = solve_announced(variant, None, control, on_progress, hooks)
            report.runs.append(stored)
            report.total_nfev += stored.nfev
            if _user_stopped(control, stored):
                report.decision = GuardDecision(GuardReason.STOPPED_BY_USER)
                break
        colds.append(stored)
        losses.append(_val_loss(stored))
    warm_loss = _val_loss(warm_run)
    if report.decision.reason is GuardReason.STOPPED_BY_USER or not _comparable(warm_loss,
                                                                             losses):
        if report.decision.reason is not GuardReason.STOPPED_BY_USER:
            report.decision = GuardDecision(GuardReason.WARM_ENDED, warm_run.status,
                                            message="no validation loss to compare")
        for run in report.runs:
            run.info["guard"] = report.to_dict()
        return warm_run, report
    mode = str(warm.report.get("mode", settings.fine_tune))   # the advisor may choose it
    verdict = GapVerdict(warm_loss, tuple(losses), settings.epochs, mode)
    own_cold = colds[0]
    report.cold_run = own_cold.id
    figures = {**verdict.to_dict(settings.shrink), **_epochs_to_reach(warm_run, colds,
                                                                      verdict.median)}
    if verdict.flagged:
        raced = own_cold in report.runs   # else a stored run: kept where it is
        report.action = GuardAction.FELL_BACK if raced else GuardAction.KEPT_WARM
        report.decision = GuardDecision(
            GuardReason.GENERALIZATION_GAP, fun=verdict.warm, reference_value=verdict.median,
            count=len(losses), spread=verdict.spread, cold_run=own_cold.id, kept_cold=raced,
            suggestion=json.dumps({"fine_tune": verdict.suggestion(settings.shrink)}))
        kept = own_cold if raced else warm_run
    else:
        report.action = GuardAction.KEPT_WARM_CHECKED
        report.decision = GuardDecision(
            GuardReason.NO_GENERALIZATION_GAP, fun=verdict.warm,
            reference_value=verdict.median, count=len(losses), spread=verdict.spread)
        kept = warm_run
    for run in report.runs:
        run.info["guard"] = {**report.to_dict(), "kept": kept.id, "generalization": figures}
    return kept, report


def _stored_cold(library: Library, problem: Problem) -> Run | None:
    """A finished cold run of exactly this problem in the library, or None."""
    for ref in library.outcomes.cold_runs_of_problem(problem.content_hash(), None, 3):
        run = library.get_run(ref.run_id, history=False)
        if run.status is Status.CONVERGED and math.isfinite(_val_loss(run)):
            return run
    return None


def _epochs_to_reach(warm: Run, colds: list[Run], target: float) -> dict[str, Any]:
    """How soon the warm run reached the cold seeds' median best validation loss
    (None: never), and the cold seeds' median epoch of their best: what a
    fine-tune saved, for the advisor (:mod:`.fine_tune_modes`) and the benchmark."""
    table = warm.outputs.get("epochs")
    reached = None
    if table is not None and len(table):
        epoch, val = EPOCH_COLUMNS.index("epoch"), EPOCH_COLUMNS.index("val_loss")
        hit = [int(row[epoch]) for row in table if math.isfinite(row[val]) and row[val] <= target]
        reached = hit[0] if hit else None
    best = [int((c.info.get("network") or {}).get("best_epoch") or 0) for c in colds]
    return {"epochs_to_cold_best": reached, "cold_epochs_to_best": statistics.median(best)}


def _val_loss(run: Run) -> float:
    """The validation loss of the weights a run kept (inf when it has none)."""
    value = (run.info.get("network") or {}).get("val_loss")
    return float(value) if isinstance(value, (int, float)) else math.inf


def _comparable(warm: float, cold: list[float]) -> bool:
    return math.isfinite(warm) and len(cold) >= 2 and all(math.isfinite(c) for c in cold)


def _user_stopped(control: SolveControl, run: Run) -> bool:
    return (control.cancel_flag.is_set() or control.interrupt_flag.is_set()
            or run.status in (Status.CANCELLED, Status.INTERRUPTED))
