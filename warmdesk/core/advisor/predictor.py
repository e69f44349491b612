"""Secant prediction along a parameter path (as continuation methods do): from
the two nearest earlier solutions x1 (at p1) and x2 (at p2), predict
x(p) = x1 + t (x2 - x1) where t projects p onto the line through p1 and p2."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: How far along (or beyond) the segment p1 -> p2 a prediction may reach.
MAX_T = 3.0
#: How far off the line p may lie, relative to its distance from p1.
MAX_OFF_LINE = 0.25


@dataclass
class Prediction:
    x0: np.ndarray
    t: float
    base_index: int     # the nearer run (x1)
    other_index: int    # the second run (x2)


def secant(p: np.ndarray, params: list[np.ndarray], xs: list[np.ndarray],
           order: list[int]) -> Prediction | None:
    """Predict from the nearest pair (in ``order``) whose parameters differ and
    whose line passes close to ``p``. None when no pair fits."""
    for a_pos, i in enumerate(order[:6]):
        for j in order[a_pos + 1:8]:
            p1, p2 = params[i], params[j]
            d = p2 - p1
            dd = float(np.dot(d, d))
            if dd <= 1e-24 or xs[i].shape != xs[j].shape:
                continue
            t = float(np.dot(p - p1, d) / dd)
            off = float(np.linalg.norm(p - (p1 + t * d)))
            near = float(np.linalg.norm(p - p1))
            if near == 0.0 or abs(t) > MAX_T or off > MAX_OFF_LINE * near:
                continue
            # x2 is the other point of the line: x(p) = x1 + t (x2 - x1)
            return Prediction(xs[i] + t * (xs[j] - xs[i]), t, i, j)
    return None
