"""Rank earlier runs as warm-start sources for a new problem.

1. Read the features of the runs of the same structure (at most
   ``MAX_FEATURE_ROWS``, newest first) and measure how far their parameters
   and data lie from the new problem's.
2. Shortlist the nearest, the newest, and those whose warm starts (within the
   structure) saved most, plus a few runs of the same kind but another
   structure; add a secant prediction when runs lie along a parameter path.
3. Map each onto the new problem (the mapping report) and evaluate the NEW
   objective at its start point (a bounded number of evaluations): nearness in
   parameters alone inherits the stored run's basin; the new objective does not.
4. Candidates whose start lies within ``NEAR_BEST_BAND`` (of the default
   start's gap) of the best merit are in the best basin and rank first, by
   merit, nearness breaking ties; the rest follow by merit. A run of another
   structure (a *different problem*: it shares at most variable names) competes
   only when its start proves useful for the new objective
   (:func:`merit.proves_useful`: ``DIFFERENT_PROBLEM_FACTOR`` = 10 times lower
   than the default start, or the kind's ``different_problem_factor``: 1 for
   a network, fine-tuned from a model of other data); else it ranks below
   "start cold". Advise "start cold" when nothing (eligible) beats the default
   start, or when warm starts of this problem have not paid
   (median saving below ``MIN_FAMILY_SAVING`` over at least ``MIN_FAMILY_COUNT``
   runs). A small but real saving (say 10%) is still worth taking, and the
   explanation says so. Savings are counted within one structure only
   (:mod:`outcomes`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import WarmStartError
from ..library import FeatureTable, Library
from ..problems import Problem
from ..runs import Run
from ..similarity import data_distances, data_vector, parameter_vector, relative_distances
from ..solvers.base import WarmStart
from ..warmstart import start_point, warm_start_from_run
from .explain import explain, fmt
from .merit import (combined, different_problem_bar, different_problem_factor, merit_function,
                    proves_useful)
from . import fine_tune_modes, outcomes
from .predictor import secant

MAX_FEATURE_ROWS = 20_000
SHORTLIST_NEAR = 24
SHORTLIST_RECENT = 4
SHORTLIST_SAVING = 4
OTHER_STRUCTURE = 8
NEAR_BEST_BAND = 0.05
MIN_FAMILY_SAVING = 0.03
MIN_FAMILY_COUNT = 3


@dataclass
class Suggestion:
    run_id: str | None              # the source run (the nearer one, for a prediction)
    source: str                     # "run" or "predicted"
    warm: WarmStart
    score: float                    # 0..1, higher is better
    f: float                        # new objective at the candidate's start point
    violation: float
    param_distance: float
    data_distance: float
    same_structure: bool
    saving: float | None = None     # what warm starts from this run saved (mean)
    explanation: str = ""
    run_name: str | None = None     # the source run's name (for people; ids are for machines)

    @property
    def payload(self) -> list[str]:
        return list(self.warm.payload)

    @property
    def short_id(self) -> str:
        """The source run's id as messages show it (12 characters)."""
        return (self.run_id or "")[:12]

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "source": self.source, "score": round(self.score, 4),
                "payload": self.payload, "f_at_start": _finite(self.f),
                "violation": _finite(self.violation),
                "param_distance": _finite(self.param_distance),
                "data_distance": _finite(self.data_distance),
                "same_structure": self.same_structure, "saving": self.saving,
                "explanation": self.explanation, "run_name": self.run_name,
                "mapping": self.warm.report}


@dataclass
class Advice:
    suggestions: list[Suggestion]
    start_cold: bool
    reason: str
    f_default: float
    candidates: int = 0
    evaluations: int = 0
    elapsed_s: float = 0.0
    family_saving: float | None = None
    family_count: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def top(self) -> Suggestion | None:
        """The suggestion to use, or None when the advice is to start cold."""
        return None if self.start_cold or not self.suggestions else self.suggestions[0]

    def to_dict(self) -> dict[str, Any]:
        return {"start_cold": self.start_cold, "reason": self.reason,
                "f_default": _finite(self.f_default), "candidates": self.candidates,
                "evaluations": self.evaluations, "elapsed_s": round(self.elapsed_s, 4),
                "family_saving": self.family_saving, "family_count": self.family_count,
                "notes": self.notes, "suggestions": [s.to_dict() for s in self.suggestions]}


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def suggest(library: Library, problem: Problem, top: int = 5) -> Advice:
    """Ranked warm-start sources for ``problem`` (of a kind with a merit) from
    ``library``; :func:`warmdesk.core.advisor.suggest` picks the way for any kind."""
    t0 = time.perf_counter()
    merit = merit_function(problem)
    f0, v0 = merit(problem.start_vector())
    scale = abs(f0) if math.isfinite(f0) else 1.0
    m0 = combined(f0, v0, scale)
    structure = problem.structure_hash()
    family_saving, family_count = outcomes.family_saving(library, structure)
    candidates, notes = _shortlist(library, problem, structure, measured=family_count > 0)
    suggestions: list[Suggestion] = []
    evaluations = 1
    loaded: list[tuple[Run, WarmStart, float, float, float]] = []
    names: dict[str, str] = {}
    sources_problem, chosen_mode = fine_tune_modes.with_learnt_mode(library, problem)
    for run_id, dp, dd, saving, same in candidates:
        run = library.get_run(run_id, history=False)
        names[run_id] = run.name
        try:
            warm = warm_start_from_run(sources_problem, run)
        except WarmStartError as exc:
            notes.append(f"{run_id[:12]}: {exc}")
            continue
        if chosen_mode:
            warm.report["note"] = f"{warm.report.get('note', '')}; {chosen_mode}".lstrip("; ")
        f, v = merit(start_point(warm))
        evaluations += 1
        suggestions.append(Suggestion(run_id, "run", warm, 0.0, f, v, dp, dd, same, saving))
        if same and not warm.report.get("resized") and not warm.report.get("defaulted"):
            loaded.append((run, warm, dp, dd, combined(f, v, scale)))
    predicted = _prediction(problem, _best_basin(loaded, m0))
    if predicted is not None:
        predicted.f, predicted.violation = merit(start_point(predicted.warm))
        evaluations += 1
        suggestions.append(predicted)
    factor = different_problem_factor(problem)
    ranked, reason = _rank(suggestions, m0, scale, factor)
    start_cold, why_cold = _cold_advice(ranked, m0, scale, family_saving, family_count, f0,
                                        bool(candidates), factor)
    bar = different_problem_bar(m0, factor)
    for s in ranked:
        s.explanation = explain(s, f0, family_saving, family_count, bar, factor)
    shown = ranked[:max(0, top)]
    _name_sources(library, shown, names)
    return Advice(shown, start_cold, why_cold or reason, f0, len(candidates),
                  evaluations, time.perf_counter() - t0, family_saving, family_count, notes)


def _name_sources(library: Library, suggestions: list[Suggestion],
                  known: dict[str, str]) -> None:
    """Each suggestion's source name: from the runs read already (``known``), the
    library asked only for the others (a prediction names the run it extrapolates
    from, which may not have been read)."""
    ids = sorted({s.run_id for s in suggestions if s.run_id and s.run_id not in known})
    names = {**known, **library.names(ids)} if ids else known
    for s in suggestions:
        s.run_name = names.get(s.run_id) if s.run_id else None


def _shortlist(library: Library, problem: Problem, structure: str, measured: bool = True
               ) -> tuple[list[tuple[str, float, float, float | None, bool]], list[str]]:
    """``(run_id, param_distance, data_distance, saving, same_structure)`` to evaluate
    (``structure``: the problem's structure hash). ``measured``: the structure has a
    warm start with a measured saving; without one there are no best sources or
    savings to look up (two statements fewer, each prepared at a connection's first
    question: issue 16)."""
    notes: list[str] = []
    _, p = parameter_vector(problem.spec)
    rows = library.features.of_structure(structure, MAX_FEATURE_ROWS, width=p.size)
    picked: dict[str, tuple[str, float, float, float | None, bool]] = {}
    if len(rows):
        dp = relative_distances(p, rows.params)
        dd = _data_distances(problem, rows)
        order = list(np.argsort(dp + dd, kind="stable")[:SHORTLIST_NEAR])
        order += list(range(min(SHORTLIST_RECENT, len(rows))))
        index = {run_id: k for k, run_id in enumerate(rows.run_ids)}
        best = outcomes.best_sources(library, structure, SHORTLIST_SAVING) if measured else []
        order += [index[src] for src in best if src in index]
        ids = list(dict.fromkeys(rows.run_ids[k] for k in order))
        savings = outcomes.source_savings(library, structure, ids) if measured else {}
        for k in order:
            run_id = rows.run_ids[k]
            picked.setdefault(run_id, (run_id, float(dp[k]), float(dd[k]), savings.get(run_id),
                                       True))
        if len(rows) == MAX_FEATURE_ROWS:
            notes.append(f"only the newest {MAX_FEATURE_ROWS} runs of this structure were "
                         "considered")
    others = library.features.other_structures(problem.kind, structure, OTHER_STRUCTURE)
    for run_id in others:
        picked.setdefault(run_id, (run_id, math.inf, math.inf, None, False))
    return list(picked.values()), notes


def _data_distances(problem: Problem, rows: FeatureTable) -> np.ndarray:
    if problem.dataset is None:
        return np.zeros(len(rows))
    target = data_vector({**problem.dataset.fingerprint, **problem.dataset.summary()})
    vecs = rows.data_vectors()
    ok = np.array([v.shape == target.shape for v in vecs])
    others = np.stack([v if v.shape == target.shape else np.zeros_like(target) for v in vecs])
    same = np.array([sha == problem.dataset.sha256 for sha in rows.data_sha])
    return np.where(ok, data_distances(target, others, same), math.inf)


def _best_basin(loaded: list[tuple[Run, WarmStart, float, float, float]], m0: float
                ) -> list[tuple[Run, WarmStart, float, float]]:
    """The candidates whose start lies in the best basin (the band of the ranking):
    a secant through runs of two different basins predicts nonsense."""
    merits = [item[4] for item in loaded if item[4] < m0]
    if not merits:
        return []
    best = min(merits)
    limit = best + NEAR_BEST_BAND * (m0 - best)
    return [item[:4] for item in loaded if item[4] <= limit]


def _prediction(problem: Problem, loaded: list[tuple[Run, WarmStart, float, float]]
                ) -> Suggestion | None:
    """A secant prediction from two runs along a parameter path."""
    if len(loaded) < 2:
        return None
    _, p = parameter_vector(problem.spec)
    params = [parameter_vector(run.problem)[1] for run, _, _, _ in loaded]
    xs = [start_point(w) for _, w, _, _ in loaded]
    order = sorted(range(len(loaded)), key=lambda k: loaded[k][2] + loaded[k][3])
    if any(loaded[k][3] > 0 for k in order[:2]):  # data differ: the path is in parameters only
        return None
    pred = secant(p, params, xs, order)
    if pred is None:
        return None
    base_run, base_warm, dp, dd = loaded[pred.base_index]
    other = loaded[pred.other_index][0]
    lower, upper = problem.bounds_arrays()
    report = dict(base_warm.report)
    report.update(predicted={"from": [base_run.id, other.id], "t": pred.t})
    payload = ["x0 (predicted)"] + [k for k in base_warm.payload if k not in ("x0", "weights")]
    warm = WarmStart(base_run.id, payload, x0=np.clip(pred.x0, lower, upper),
                     state=dict(base_warm.state), mode="restart", report=report)
    return Suggestion(base_run.id, "predicted", warm, 0.0, math.inf, math.inf, dp, dd, True)


def _rank(suggestions: list[Suggestion], m0: float, scale: float, factor: float
          ) -> tuple[list[Suggestion], str]:
    """Score 0 (below "start cold") for what does not beat the default start, and
    for a different problem's start that has not proved useful; the rest by merit."""
    merits = [combined(s.f, s.violation, scale) for s in suggestions]
    eligible = [s.same_structure or proves_useful(m, m0, factor)
                for s, m in zip(suggestions, merits)]
    better = [m for m, ok in zip(merits, eligible) if ok and m < m0]
    if not better:
        for s in suggestions:
            s.score = 0.0
        return sorted(suggestions, key=lambda s: (not s.same_structure,
                                                  combined(s.f, s.violation, scale))), ""
    best = min(better)
    span = max(m0 - best, 1e-300)
    for s, m, ok in zip(suggestions, merits, eligible):
        if not ok or not math.isfinite(m) or m >= m0:
            s.score = 0.0
            continue
        gap = (m - best) / span
        if gap <= NEAR_BEST_BAND:
            # in the best basin: the new objective orders them; nearness breaks ties
            s.score = 0.55 + 0.45 * (1.0 - min(gap, NEAR_BEST_BAND) / NEAR_BEST_BAND)
        else:
            s.score = 0.5 * (1.0 - gap)
    ranked = sorted(suggestions, key=lambda s: (-s.score, s.param_distance + s.data_distance))
    return ranked, f"{_label(ranked[0])} is the best start for the new objective"


def _label(s: Suggestion) -> str:
    if s.source == "predicted":
        return "the prediction"
    return f"run {s.short_id}" + ("" if s.same_structure else " (a different problem)")


def _cold_advice(ranked: list[Suggestion], m0: float, scale: float,
                 family_saving: float | None, family_count: int, f0: float,
                 had_candidates: bool, factor: float) -> tuple[bool, str]:
    if not had_candidates:
        return True, "start cold: no earlier run of this kind is in the library"
    if not ranked or ranked[0].score <= 0.0:
        lower = [s for s in ranked
                 if not s.same_structure and combined(s.f, s.violation, scale) < m0]
        if lower:
            b = min(lower, key=lambda s: combined(s.f, s.violation, scale))
            own = ("no stored solution of this structure beats the default start"
                   if any(s.same_structure for s in ranked) else
                   "no earlier run of this problem's structure is in the library")
            return True, (
                f"start cold: {own}, and runs of a different problem (mapped by variable name) "
                f"lower the new objective too little: at best f={fmt(b.f)} (run "
                f"{b.short_id}) vs {fmt(f0)} at the default start; a different problem's "
                f"solution must reach f <= {fmt(different_problem_bar(m0, factor))} "
                f"({factor:g} times lower)")
        best = min((s.f for s in ranked), default=math.inf)
        return True, (f"start cold: no stored solution beats the default start for the new "
                      f"objective (best f={fmt(best)} vs {fmt(f0)} at the default start)")
    if (family_saving is not None and family_count >= MIN_FAMILY_COUNT
            and family_saving < MIN_FAMILY_SAVING):
        return True, (f"start cold is as good: warm starts of this problem saved a median "
                      f"{100 * family_saving:.0f}% over {family_count} runs")
    return False, ""
