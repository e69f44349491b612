"""Which fine-tune mode pays for a family of training problems, learnt from what
the training guard recorded (:mod:`.training_guard`: ``info.guard.generalization``
of earlier fine-tunes: the mode, whether a generalization gap was flagged, and
how soon the cold validation loss was reached).

A spec that names its ``fine_tune`` is obeyed. Otherwise the advisor picks, for
a problem of the same structure (else of the same kind and architecture), the
mode flagged least often among those tried at least ``MIN_OUTCOMES`` times,
the faster one (the median share of cold's epochs it needed) on a tie; with no
such evidence the spec's default stands (shrink-and-perturb). Only ``plain``
and ``shrink_perturb`` compete: ``freeze`` trains another model (the last
layer only), a choice the user makes.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from typing import Any

from ..kinds.registry import kind
from ..library import Library, RunQuery
from ..problems import Problem, problem_from_dict

MIN_OUTCOMES = 2
MODES = ("plain", "shrink_perturb")
#: Earlier runs read per look-up (newest first).
MAX_RUNS = 200


@dataclass(frozen=True)
class ModeRecord:
    mode: str
    tried: int
    flagged: int
    epochs_share: float | None   # median of epochs-to-cold's-best / cold's epochs-to-best

    @property
    def flag_rate(self) -> float:
        return self.flagged / self.tried


def records(library: Library, problem: Problem) -> list[ModeRecord]:
    """What fine-tunes of ``problem``'s family recorded, per mode (most specific
    family with any outcome: same structure, else same architecture)."""
    own = _outcomes(library, RunQuery(kind=problem.kind,
                                      structure_hash=problem.structure_hash(),
                                      limit=MAX_RUNS), None)
    if not own:
        arch = problem.structure_extra.get("network")
        own = _outcomes(library, RunQuery(kind=problem.kind, limit=MAX_RUNS), arch)
    out = []
    for mode in MODES:
        rows = [r for r in own if r["mode"] == mode]
        if not rows:
            continue
        shares = [r["epochs_to_cold_best"] / max(1.0, r["cold_epochs_to_best"])
                  for r in rows if r.get("epochs_to_cold_best") is not None]
        out.append(ModeRecord(mode, len(rows), sum(bool(r["flagged"]) for r in rows),
                              statistics.median(shares) if shares else None))
    return out


def choose(library: Library, problem: Problem) -> tuple[str, str] | None:
    """``(mode, why)`` when the evidence picks a mode for a spec that names none."""
    if not kind(problem.kind).guards_generalization or "fine_tune" in problem.spec:
        return None
    tried = [r for r in records(library, problem) if r.tried >= MIN_OUTCOMES]
    if not tried:
        return None
    best = min(tried, key=lambda r: (r.flag_rate, 1.0 if r.epochs_share is None
                                     else r.epochs_share))
    why = "; ".join(f"{r.mode}: a generalization gap in {r.flagged} of {r.tried}"
                    + ("" if r.epochs_share is None else
                       f", cold's validation loss in {100 * r.epochs_share:.0f}% of its epochs")
                    for r in tried)
    return best.mode, f"the advisor chose {best.mode} from earlier fine-tunes ({why})"


def with_learnt_mode(library: Library, problem: Problem) -> tuple[Problem, str]:
    """``problem`` with the fine-tune mode the evidence picks (and why), or as it is."""
    chosen = choose(library, problem)
    if chosen is None:
        return problem, ""
    spec = json.loads(json.dumps(problem.spec))
    spec["fine_tune"] = chosen[0]
    return problem_from_dict(spec, base_dir=problem.base_dir), chosen[1]


def _outcomes(library: Library, query: RunQuery, arch: Any) -> list[dict[str, Any]]:
    found = []
    for row in library.query(query):
        if row["warm_source"] is None:
            continue   # a cold seed carries the warm run's figures: count those once
        meta = library.get_meta(row["id"])
        info = meta.get("info") or {}
        gap = (info.get("guard") or {}).get("generalization")
        if not gap or gap.get("mode") not in MODES:
            continue
        if arch is not None and _arch(info) != arch:
            continue
        found.append(gap)
    return found


def _arch(info: dict[str, Any]) -> list[Any]:
    net = info.get("network") or {}
    return [net.get("output"), list(net.get("layers") or []), net.get("activation")]
