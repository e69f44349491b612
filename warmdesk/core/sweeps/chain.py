"""Solve one chain of a sweep, point after point, where it runs (a Dask worker,
or this process): each point starts from its predecessor (secant-predicted),
is checked, and on trouble is retried from the plain previous solution, then
approached in halved steps; a point that still fails is marked with the reason
and the chain goes on from its last good point.

The input is a :class:`ChainTask` of plain data (problem specs as JSON-able
dicts; the first point's seed as an encoded warm start) and each finished
point is handed to ``on_point`` as plain data (:func:`codec.encode_run`).
Nothing here touches the library: the client stores what it receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..engine import solve
from ..errors import WarmStartError
from ..problem_types import Problem
from ..problems import problem_from_dict
from ..runs import Run
from ..solvers.base import Flag, SolveControl
from ..status import Status
from ..warm_start_type import WarmStart
from ..warmstart import warm_start_from_run, x_only
from . import codec
from .check import trouble
from .predictor import next_start
from .spec import Check, values_label


@dataclass
class ChainTask:
    """One chain, as plain data (what a worker receives)."""

    sweep_id: str
    chain: int
    points: list[dict[str, Any]]      # {"index", "values", "spec"}, in solving order
    parameters: list[str]
    base_dir: str | None = None
    seed: dict[str, Any] | None = None  # the first point's warm start (codec.encode_warm)
    cold: bool = False
    max_halvings: int = 3
    predictor: str = "secant"
    max_fun: float | None = None
    max_optimality: float | None = None
    name: str = ""                    # the sweep's name, its spec's identity (spec.sweep_key)
    spec_key: str = ""                # and its number of points: kept in each run's
    total: int = 0                    # info["sweep"], so the library can list sweeps

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChainTask:
        return cls(**data)


class Stopped(Exception):
    """The sweep was cancelled: the chain ends without its current point."""


#: Receives each finished point: {"chain", "index", "ok", "reason", "seed",
#: "evaluations", "final": the point's run id, "runs": [every run it took, encoded]}.
PointSink = Callable[[dict[str, Any]], None]


class ChainSolver:
    def __init__(self, task: ChainTask, cancel: Flag | None = None) -> None:
        self.task = task
        self.cancel = cancel
        self.check = Check(task.max_fun, task.max_optimality)
        self.base_dir = Path(task.base_dir) if task.base_dir else None
        self.trail: list[tuple[np.ndarray, Run]] = []

    def run(self, on_point: PointSink, resume: dict[str, Any] | None = None) -> int:
        """Solve the points not yet done (``resume``: {"done": [indexes], "trail":
        [encoded runs]} from a worker that was lost); returns how many it solved."""
        done = set((resume or {}).get("done", []))
        for encoded in (resume or {}).get("trail", []):
            run = codec.decode_run(encoded)
            self.trail.append((self._vector(run.info["sweep"]["values"]), run))
        solved = 0
        for point in self.task.points:
            if point["index"] in done:
                continue
            if self.cancel is not None and self.cancel.is_set():
                break
            try:
                message = self._point(point, resumed=bool(done) and solved == 0)
            except Stopped:
                break
            on_point(message)
            solved += 1
        return solved

    # -- one point
    def _point(self, point: dict[str, Any], resumed: bool) -> dict[str, Any]:
        problem = problem_from_dict(point["spec"], base_dir=self.base_dir)
        p = self._vector(point["values"])
        runs: list[Run] = []
        if self.task.cold:
            warm, seed = None, "cold"
        elif self.trail:
            warm, seed = next_start(problem, p, self.trail, self.task.predictor == "secant")
        elif self.task.seed is not None:
            warm, seed = codec.decode_warm(self.task.seed), "advisor"
        else:
            warm, seed = None, "cold"
        run = self._solve(problem, warm, point, "point", seed, resumed, runs)
        reason = trouble(run, self.check)
        if reason and seed == "advisor":         # the library's pick did not pay: cold
            run = self._solve(problem, None, point, "point", "cold", resumed, runs)
            reason = trouble(run, self.check)
        if reason and seed == "secant":          # the prediction overshot: from the last point
            previous = next_start(problem, p, self.trail, False)[0]
            if previous is not None:
                run = self._solve(problem, x_only(previous), point, "point", "previous",
                                  resumed, runs)
                reason = trouble(run, self.check)
        if reason and self.trail and self.task.max_halvings > 0:
            run, reason = self._halve(point, p, runs, resumed) or (run, reason)
        if reason is None:
            self.trail = (self.trail + [(p, run)])[-2:]
        run.info["sweep"]["check"] = reason      # (the same verdict: it is this run's)
        run.info["sweep"]["final"] = True
        return {"chain": self.task.chain, "index": point["index"], "final": run.id,
                "ok": reason is None,
                "reason": reason, "seed": seed, "evaluations": sum(r.nfev for r in runs),
                "runs": [codec.encode_run(r) for r in runs]}

    def _halve(self, point: dict[str, Any], p: np.ndarray, runs: list[Run], resumed: bool
               ) -> tuple[Run, str | None] | None:
        """Walk from the last good point to ``p`` in steps, halving the step at
        each failure (at most ``max_halvings`` times); intermediate points are
        runs of their own (role ``step``). None when no step could be made."""
        p0, start = self.trail[-1]
        fraction, step, halvings = 0.0, 0.5, 1
        last: tuple[Run, str | None] | None = None
        while halvings <= self.task.max_halvings:
            target = min(1.0, fraction + step)
            q = p0 + target * (p - p0)
            role = "point" if target >= 1.0 else "step"
            spec = _with_values(point["spec"], self.task.parameters, q, role == "step")
            problem = problem_from_dict(spec, base_dir=self.base_dir)
            warm = _from(problem, start)
            run = self._solve(problem, warm, {**point, "values": dict(zip(
                self.task.parameters, map(float, q)))}, role, "halved", resumed, runs)
            reason = trouble(run, self.check)
            if reason is None:
                if target >= 1.0:
                    return run, None
                fraction, start = target, run
                step = min(step * 2, 1.0 - fraction)
            else:
                if target >= 1.0:
                    last = (run, reason)
                step /= 2
                halvings += 1
        return last

    def _solve(self, problem: Problem, warm: WarmStart | None, point: dict[str, Any],
               role: str, seed: str, resumed: bool, runs: list[Run]) -> Run:
        control = SolveControl(cancel=self.cancel)
        run = solve(problem, warm, control=control)
        if run.status is Status.CANCELLED:
            raise Stopped
        run.info["sweep"] = {"id": self.task.sweep_id, "name": self.task.name,
                             "spec": self.task.spec_key, "total": self.task.total,
                             "cold": self.task.cold, "chain": self.task.chain,
                             "point": point["index"], "values": dict(point["values"]),
                             "role": role, "seed": seed,
                             "previous": self.trail[-1][1].id if self.trail else None,
                             "resumed": resumed,
                             # every run's own verdict: an attempt that failed is marked
                             # too; "final" is set on the point's final run
                             "check": trouble(run, self.check), "final": False}
        runs.append(run)
        return run

    def _vector(self, values: dict[str, float]) -> np.ndarray:
        return np.array([float(values[k]) for k in self.task.parameters], dtype=float)


def _from(problem: Problem, run: Run) -> WarmStart | None:
    try:
        return warm_start_from_run(problem, run)
    except WarmStartError:
        return None


def _with_values(spec: dict[str, Any], names: list[str], q: np.ndarray,
                 step: bool) -> dict[str, Any]:
    """The point's spec at ``q``; a step on the way to it is named so."""
    out = dict(spec)
    values = dict(zip(names, map(float, q)))
    out["parameters"] = {**spec.get("parameters", {}), **values}
    if step:
        out["name"] = f"{spec.get('name') or 'problem'}, step at {values_label(values)}"
    return out
