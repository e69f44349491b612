"""What a sweep reports as it runs, and its result: plain data, delivered by
:class:`warmdesk.core.sweeps.runner.SweepRunner` to its ``on_event`` in the
thread that called ``run()``, in this order::

    SweepStarted -> PointFinished* -> SweepFinished | SweepFailed

A GUI runs the runner in a worker thread and forwards each event as a Qt
signal (as ``gui/runs/solve_manager.py`` does for solve jobs); ``cancel()``
may be called from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from ..runs import Run


@dataclass
class PointResult:
    """One point of a sweep: its final run (stored), every run it took (the
    retries and the halved steps included), and whether it passed the check."""

    index: int
    chain: int
    values: dict[str, float]
    run: Run
    runs: list[Run]
    ok: bool
    reason: str | None
    seed: str            # "advisor", "previous", "secant", "cold" ... (how it started)
    evaluations: int     # over all its runs

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "chain": self.chain, "values": self.values,
                "run_id": self.run.id, "status": self.run.status.value, "fun": self.run.fun,
                "ok": self.ok, "reason": self.reason, "seed": self.seed,
                "evaluations": self.evaluations, "runs": [r.id for r in self.runs]}


@dataclass
class SweepResult:
    sweep_id: str
    name: str
    total: int
    points: dict[int, PointResult] = field(default_factory=dict)
    cancelled: bool = False
    errors: list[str] = field(default_factory=list)   # chains that broke

    @property
    def failed(self) -> list[int]:
        return sorted(i for i, p in self.points.items() if not p.ok)

    @property
    def missing(self) -> list[int]:
        return [i for i in range(self.total) if i not in self.points]

    def to_dict(self) -> dict[str, Any]:
        return {"sweep_id": self.sweep_id, "name": self.name, "total": self.total,
                "done": len(self.points), "failed": self.failed, "missing": self.missing,
                "cancelled": self.cancelled, "errors": self.errors,
                "evaluations": sum(p.evaluations for p in self.points.values()),
                "points": [self.points[i].to_dict() for i in sorted(self.points)]}


@dataclass(frozen=True)
class SweepStarted:
    sweep_id: str
    total: int
    chains: list[list[int]]    # point indexes, in solving order, per chain
    where: str                 # "this process", "a local Dask cluster of 2 ...", an address
    note: str = ""             # why the sweep is not chained (a kind swept cold), if it is not


@dataclass(frozen=True)
class PointFinished:
    sweep_id: str
    point: PointResult
    done: int
    total: int


@dataclass(frozen=True)
class SweepFinished:
    result: SweepResult


@dataclass(frozen=True)
class SweepFailed:
    result: SweepResult
    error: BaseException


SweepEvent = Union[SweepStarted, PointFinished, SweepFinished, SweepFailed]
