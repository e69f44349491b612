"""Choose a warm-start source automatically (until the advisor lands, the
nearest usable earlier run of the same structure, by normalised parameter
distance, the newest on ties)."""

from __future__ import annotations

import numpy as np

from .library import Library
from .problems import Problem
from .runs import USABLE_STATUSES, Run

CANDIDATES_READ = 200


def parameter_distance(problem: Problem, spec: dict) -> float:
    """Relative distance between the problem's parameters and a stored spec's."""
    other = spec.get("parameters", {})
    total = 0.0
    for name, value in problem.parameters.items():
        if name not in other:
            return float("inf")
        a = np.ravel(value)
        b = np.ravel(np.asarray(other[name], dtype=float))
        if a.shape != b.shape:
            return float("inf")
        scale = np.maximum(np.abs(a), 1e-12)
        total += float(np.sum(((a - b) / scale) ** 2))
    return float(np.sqrt(total))


def nearest_run(library: Library, problem: Problem) -> Run | None:
    rows = library.list_runs(kind=problem.kind, structure_hash=problem.structure_hash(),
                             statuses=USABLE_STATUSES, limit=CANDIDATES_READ)
    best: tuple[float, float, str] | None = None
    for row in rows:
        d = parameter_distance(problem, library.get_meta(row["id"])["problem"])
        key = (d, -float(row["created_at"]), row["id"])
        if best is None or key < best:
            best = key
    return library.get_run(best[2]) if best is not None and np.isfinite(best[0]) else None
