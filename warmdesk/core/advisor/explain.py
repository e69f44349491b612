"""One line a user can check, for each suggestion."""

from __future__ import annotations

import math
from typing import Any

from .merit import DIFFERENT_PROBLEM_FACTOR


def fmt(x: float) -> str:
    return "inf" if not math.isfinite(x) else f"{x:.2g}" if abs(x) >= 1e-2 and abs(x) < 1e4 \
        else f"{x:.1e}"


def explain(s: Any, f0: float, family_saving: float | None, family_count: int,
            bar: float = math.inf, factor: float = DIFFERENT_PROBLEM_FACTOR) -> str:
    """``bar``: the value a different problem's start must reach to be offered
    (:func:`merit.different_problem_bar`, ``factor`` times lower)."""
    parts = []
    if s.source == "predicted":
        pred = s.warm.report.get("predicted", {})
        ids = ", ".join(i[:8] for i in pred.get("from", []))
        parts.append(f"predicted along the parameter path from runs {ids} "
                     f"(secant, t={pred.get('t', 0):.2f})")
    parts.append("same structure" if s.same_structure else
                 "different problem (another structure: its expressions, variables or data "
                 "columns differ; mapped by variable name)")
    if s.same_structure and math.isfinite(s.param_distance):
        parts.append("same parameters" if s.param_distance == 0 else
                     f"parameters differ by {100 * s.param_distance:.3g}%")
    if s.same_structure and s.data_distance > 0 and math.isfinite(s.data_distance):
        parts.append(f"data moved by {s.data_distance:.2g} spread")
    parts.append(f"f at its {'prediction' if s.source == 'predicted' else 'solution'} "
                 f"{fmt(s.f)} vs {fmt(f0)} at the default start")
    if not s.same_structure:
        parts.append(_different_problem_verdict(s.score > 0, bar, factor))
    if s.violation and math.isfinite(s.violation) and s.violation > 0:
        parts.append(f"constraint violation {fmt(s.violation)}")
    parts.append(f"payload {', '.join(s.payload)}")
    if not s.same_structure:
        return "; ".join(parts)  # what warm starts of its own family saved says nothing here
    if s.saving is not None:
        parts.append(f"warm starts from this run saved {100 * s.saving:.0f}%")
    elif family_saving is not None:
        parts.append(f"warm starts in this family saved {100 * family_saving:.0f}% "
                     f"(median of {family_count})")
    return "; ".join(parts)


def _different_problem_verdict(offered: bool, bar: float, factor: float) -> str:
    times = (f"{factor:g} times lower than at the default start" if factor > 1 else
             "lower than at the default start")
    if offered:
        return (f"offered: the new objective at its solution is at least {times}" if factor > 1
                else f"offered: the new objective at its solution is {times} (a fine-tune)")
    return (f"ranked below start cold: a different problem's solution is offered only when "
            f"the new objective there is {times} (f <= {fmt(bar)})")
