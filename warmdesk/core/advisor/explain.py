"""One line a user can check, for each suggestion."""

from __future__ import annotations

import math
from typing import Any


def fmt(x: float) -> str:
    return "inf" if not math.isfinite(x) else f"{x:.2g}" if abs(x) >= 1e-2 and abs(x) < 1e4 \
        else f"{x:.1e}"


def explain(s: Any, f0: float, family_saving: float | None, family_count: int) -> str:
    parts = []
    if s.source == "predicted":
        pred = s.warm.report.get("predicted", {})
        ids = ", ".join(i[:8] for i in pred.get("from", []))
        parts.append(f"predicted along the parameter path from runs {ids} "
                     f"(secant, t={pred.get('t', 0):.2f})")
    parts.append("same structure" if s.same_structure else "another structure (mapped by name)")
    if s.same_structure and math.isfinite(s.param_distance):
        parts.append("same parameters" if s.param_distance == 0 else
                     f"parameters differ by {100 * s.param_distance:.3g}%")
    if s.same_structure and s.data_distance > 0 and math.isfinite(s.data_distance):
        parts.append(f"data moved by {s.data_distance:.2g} spread")
    parts.append(f"f at its {'prediction' if s.source == 'predicted' else 'solution'} "
                 f"{fmt(s.f)} vs {fmt(f0)} at the default start")
    if s.violation and math.isfinite(s.violation) and s.violation > 0:
        parts.append(f"constraint violation {fmt(s.violation)}")
    parts.append(f"payload {', '.join(s.payload)}")
    if s.saving is not None:
        parts.append(f"warm starts from this run saved {100 * s.saving:.0f}%")
    elif family_saving is not None:
        parts.append(f"warm starts in this family saved {100 * family_saving:.0f}% "
                     f"(median of {family_count})")
    return "; ".join(parts)
