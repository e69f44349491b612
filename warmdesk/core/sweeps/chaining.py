"""Order a sweep's points so that each follows a near neighbour, and cut the
order into chains (each chain runs on one worker, point after point).

A path or a CSV series keeps the order it was given (it *is* a path). A grid is
walked by nearest neighbour in parameters scaled by their ranges, starting at
its lowest corner. The order is cut where a step is much longer than the
typical one (a jump: the neighbour would be no better a start than the
advisor's) and into chains of at most ``chain_length`` points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .spec import SweepSpec

#: A step this many times the median step starts a new chain.
JUMP_FACTOR = 4.0


@dataclass
class Chain:
    number: int
    points: list[int]     # indexes into the sweep's points, in solving order


def scaled_values(sweep: SweepSpec) -> np.ndarray:
    """The points' varied values, one row per point, each column scaled to its range."""
    names = sweep.parameters
    values = np.array([[p.values[n] for n in names] for p in sweep.points], dtype=float)
    if values.size == 0:
        return values.reshape(len(sweep.points), 0)
    span = values.max(axis=0) - values.min(axis=0)
    return values / np.where(span > 0, span, 1.0)


def order_points(sweep: SweepSpec) -> list[int]:
    """The solving order: as given for a path or CSV, nearest neighbour for a grid."""
    n = len(sweep.points)
    if sweep.ordered or n < 3:
        return list(range(n))
    values = scaled_values(sweep)
    start = int(np.lexsort(values.T[::-1])[0])   # the lowest corner
    order = [start]
    left = np.ones(n, dtype=bool)
    left[start] = False
    for _ in range(n - 1):
        d = np.linalg.norm(values - values[order[-1]], axis=1)
        d[~left] = math.inf
        nxt = int(np.argmin(d))      # ties: the lowest index (the grid's own order)
        order.append(nxt)
        left[nxt] = False
    return order


def cut_chains(sweep: SweepSpec, order: list[int], chains: int = 1) -> list[Chain]:
    """Cut ``order`` at jumps and into at least ``chains`` pieces of near equal
    length (the workers' share), each at most ``sweep.chain_length`` points."""
    values = scaled_values(sweep)
    pieces: list[list[int]] = [[]]
    steps = [float(np.linalg.norm(values[b] - values[a])) for a, b in zip(order, order[1:])]
    typical = float(np.median([s for s in steps if s > 0])) if any(s > 0 for s in steps) else 0
    for k, index in enumerate(order):
        if k and typical > 0 and steps[k - 1] > JUMP_FACTOR * typical:
            pieces.append([])
        pieces[-1].append(index)
    limit = sweep.chain_length or math.ceil(len(order) / max(1, chains))
    out: list[list[int]] = []
    for piece in pieces:
        parts = math.ceil(len(piece) / limit)     # near equal lengths, none above the limit
        bounds = [round(k * len(piece) / parts) for k in range(parts + 1)]
        out += [piece[a:b] for a, b in zip(bounds, bounds[1:])]
    return [Chain(i, points) for i, points in enumerate(out)]
