"""A solve job and what its runner reports: the job, the events, the result.

A job's events come in this order, each exactly once unless marked ``*``::

    Queued -> (Started(run) -> (Progress(run_id, rows) | LiveOutputs)* -> RunFinished(run))*
           -> Finished(result) | Failed(message)

``Started`` comes once the run is saved ``running`` (so a crash leaves it
``interrupted``, never missing); a guarded job may start a second, cold run.
``Finished`` ends a job that ran to its end: its result may still hold a
failed run, a child's error or runs the library could not store (``unsaved``).
``Failed`` ends a job that broke (refused input, a run that could not be saved
``running``, a library error): its runs that were stored ``running`` are saved
``failed``. The stream is plain data so that sweeps (many jobs) and pausable
jobs can add events without changing the ones here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, Union

import numpy as np

from ..problems import Problem
from ..runs import Run
from ..solvers.base import WarmStart
from ..unsaved import Unsaved

#: Where a job's solve runs: in the runner's thread, or in a spawned child process.
Mode = Literal["here", "child"]


@dataclass
class Job:
    """One solve to run: a problem, its warm start, and how to run it."""

    problem: Problem
    warm: WarmStart | None = None
    guard: bool = True          # solve a warm start under the guard (ignored when cold)
    mode: Mode = "child"
    #: a child's CPU niceness (POSIX): the app lowers it so its window stays responsive
    nice: int = 0
    label: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def guarded(self) -> bool:
        return self.warm is not None and self.guard


@dataclass
class JobResult:
    job_id: str
    run: Run | None             # the run kept (the better one, under the guard)
    runs: list[Run] = field(default_factory=list)  # every run made (saved to the library)
    guard: dict[str, Any] | None = None            # GuardReport.to_dict() or None
    error: str | None = None                       # a failure message, or None
    #: the final save failed: the runs are kept in memory, not in the library
    unsaved: Unsaved | None = None


@dataclass(frozen=True)
class Queued:
    job_id: str


@dataclass(frozen=True)
class Started:
    """A run of the job started and is stored ``running`` (a copy, without history)."""

    job_id: str
    run: Run


@dataclass(frozen=True)
class Progress:
    """New history rows of a run (coalesced if the runner was asked to)."""

    job_id: str
    run_id: str
    rows: np.ndarray


@dataclass(frozen=True)
class LiveOutputs:
    """Outputs a running solver set or replaced (a network's per-epoch table,
    ``outputs["epochs"]``, as epochs end); not stored: the finished run has them.
    A table that only grew comes as its new rows: ``starts[name]`` is the index
    of the first (0: the whole value, replacing what was sent before)."""

    job_id: str
    run_id: str
    outputs: dict[str, Any]
    starts: dict[str, int]


@dataclass(frozen=True)
class RunFinished:
    """A run ended: a guarded job's warm run as soon as it ends, every other
    run after the job's final save."""

    job_id: str
    run: Run


@dataclass(frozen=True)
class Finished:
    job_id: str
    result: JobResult


@dataclass(frozen=True)
class Failed:
    """The job broke; ``error`` is the exception (a command re-raises it)."""

    job_id: str
    result: JobResult
    error: Exception

    @property
    def message(self) -> str:
        return self.result.error or str(self.error)


JobEvent = Union[Queued, Started, Progress, LiveOutputs, RunFinished, Finished, Failed]
