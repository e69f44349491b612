"""Suggestions for ``ode`` problems: resume or extend an earlier integration of
the same system. With other parameters a checkpoint's state belongs to another
trajectory, so the advice is to start cold."""

from __future__ import annotations

import math

import numpy as np

from ..errors import WarmStartError
from ..library import Library
from ..problems import Problem
from ..similarity import parameter_vector
from ..warmstart import warm_start_from_run
from .advice import Advice, Suggestion

CANDIDATES = 64


def suggest_ode(library: Library, problem: Problem, top: int) -> Advice:
    _, p = parameter_vector(problem.spec)
    # runs whose parameters have another length are read (counted) but not kept
    rows = library.features.of_structure(problem.structure_hash(), CANDIDATES, width=p.size)
    t0, t1 = problem.t_span
    suggestions = []
    for run_id, params in zip(rows.run_ids, rows.params):
        if not np.array_equal(params, p):
            continue
        run = library.get_run(run_id, history=False)
        if run.method != problem.method or run.problem.get("solver") != problem.spec.get("solver"):
            continue
        try:
            warm = warm_start_from_run(problem, run)
        except WarmStartError:
            continue
        tc = float(warm.report.get("checkpoint_t", t0))
        remaining = (t1 - tc) / (t1 - t0)
        what = "resumes exactly" if warm.mode == "exact-resume" else "restarts from its checkpoint"
        s = Suggestion(run_id, "run", warm, 1.0 - remaining, math.nan, 0.0, 0.0, 0.0, True)
        s.explanation = (f"same system and parameters; {what} at t={tc:.6g}; "
                         f"{100 * remaining:.0f}% of the span remains; payload "
                         f"{', '.join(warm.payload)}")
        suggestions.append(s)
    suggestions.sort(key=lambda s: -s.score)
    if not suggestions:
        reason = ("start cold: no earlier integration of this system with the same parameters "
                  "and solver has a checkpoint inside the new time span (with other parameters "
                  "a checkpoint's state belongs to another trajectory)")
        return Advice([], True, reason, math.nan, rows.read)
    return Advice(suggestions[:top], False, f"run {suggestions[0].short_id} "
                  "is the latest checkpoint of this system", math.nan, rows.read)
