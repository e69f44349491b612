"""Is a point's result a solution? The solver's word is not enough: past a
fold, ``least_squares`` returned ``|F| = 0.15`` as converged (issue 18), so a
sweep checks each point against what its kind reports (status, objective,
first-order optimality) and the sweep's own bars (``check`` in the spec). A
kind without an objective (an ode) passes on ending converged with a finite
state; the objective's bar does not apply to it."""

from __future__ import annotations

import math

import numpy as np

from ..kinds.registry import kind
from ..runs import Run
from ..status import Status
from .spec import Check


def trouble(run: Run, check: Check) -> str | None:
    """Why ``run`` is not an acceptable point, or None when it is."""
    if run.status is not Status.CONVERGED:
        why = f": {run.message}" if run.message else ""
        return f"the solver ended {run.status}{why}"
    if not kind(run.kind).has_objective:
        if not all(np.all(np.isfinite(v)) for v in run.solution.values()):
            return f"the {kind(run.kind).words.solution} is not finite"
        return None
    if run.fun is None or not math.isfinite(run.fun):
        return "no finite objective at the end"
    if check.max_fun is not None and run.fun > check.max_fun:
        return (f"the objective {run.fun:.3g} is above the sweep's max_fun {check.max_fun:g} "
                "although the solver reported converged")
    optimality = run.info.get("optimality")
    if (check.max_optimality is not None and optimality is not None
            and float(optimality) > check.max_optimality):
        return (f"the first-order optimality {float(optimality):.3g} is above the sweep's "
                f"max_optimality {check.max_optimality:g}")
    return None


def verdict_words(status: str, reason: str) -> str:
    """A run's status with the sweep's verdict on it, where the solver's word
    alone would mislead: ``converged — failed the sweep's check: the
    objective 4.7e-06 is above the sweep's max_fun 1e-14 ...`` (the stored
    status stays the solver's: it did converge on its own problem)."""
    return f"{status} — failed the sweep's check: {reason}"
