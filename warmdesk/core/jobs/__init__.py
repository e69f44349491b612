"""Solve jobs: one runner owns a job's life (save, solve, record, save) for the
command line, the app's worker threads and the self-test; see ``docs/jobs.md``."""

from .ending import error_text, record_outcomes
from .events import (Failed, Finished, Job, JobEvent, JobResult, LiveOutputs, Mode, Progress,
                     Queued, RunFinished, Started)
from .runner import POLL_S, JobRunner

__all__ = ["Failed", "Finished", "Job", "JobEvent", "JobResult", "JobRunner", "LiveOutputs",
           "Mode",
           "POLL_S", "Progress", "Queued", "RunFinished", "Started",
           "error_text", "record_outcomes"]
