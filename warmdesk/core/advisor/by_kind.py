"""Which way the advisor ranks warm-start sources, by what the problem's kind
offers: by the new problem's merit (:mod:`.advice`), or by checkpoints for a
kind without one (:mod:`.ode_advice`). One dispatch, so neither module needs
the other (they did, in a circle)."""

from __future__ import annotations

import time

from ..kinds.registry import kind
from ..library import Library
from ..problem_types import Problem
from . import advice
from .advice import Advice
from .ode_advice import suggest_ode


def suggest(library: Library, problem: Problem, top: int = 5) -> Advice:
    """Ranked warm-start sources for ``problem`` from ``library``."""
    if kind(problem.kind).has_merit:
        return advice.suggest(library, problem, top)
    t0 = time.perf_counter()
    found = suggest_ode(library, problem, top)
    found.elapsed_s = time.perf_counter() - t0
    return found
