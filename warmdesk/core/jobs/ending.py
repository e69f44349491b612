"""How a job's runs end outside the solve: the outcome recorded for the
advisor after a save, and the runs a broken job leaves ``failed``."""

from __future__ import annotations

import time

from ..errors import WarmDeskError
from ..library import Library
from ..runs import Run
from ..status import Status

def error_text(exc: BaseException) -> str:
    """A job's failure in words: our errors say it all; others name their type."""
    if isinstance(exc, WarmDeskError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def record_outcomes(library: Library, runs: list[Run]) -> None:
    """Record each stored run's outcome (its saving) for the advisor, but for
    runs that did not end with work done."""
    from ..advisor import record_outcome

    for run in runs:
        if not run.status.has_no_outcome:
            record_outcome(library, run)


def end_failed(runs: list[Run], message: str, killed: bool) -> None:
    """The job broke: its runs not finished end ``failed`` with ``message``
    (after a kill, so do those the kill ended ``cancelled``)."""
    ended_by_us = ((Status.RUNNING, Status.QUEUED, Status.CANCELLED) if killed
                   else (Status.RUNNING, Status.QUEUED))
    for run in runs:
        if run.status in ended_by_us:
            run.status, run.message, run.finished_at = Status.FAILED, message, time.time()
