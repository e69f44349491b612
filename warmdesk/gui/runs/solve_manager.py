"""Solves launched from the GUI: each job in its own worker thread, driving its
solve in a child process (the engine's process mode), several at once.

A job's thread runs the Qt-free job runner (``core.jobs``, the same as the
command line's): it starts the child (``spawn`` takes a second: never on the
GUI thread), saves each run as ``running`` as soon as it starts (a crash
leaves it ``interrupted`` on the next open), forwards progress coalesced to at
most ~20 batches a second per run, and at the end saves every run the child
made and records its outcome (saving), all off the GUI thread. The thread
forwards the runner's events as signals; they reach the manager queued, and
the manager re-emits them on the GUI thread.

Any error in a job (the child's, the library's, a failed run) becomes
``job_failed`` and a ``job_finished`` whose result carries the message: never
an exception on the GUI thread. A job whose final save fails (a full disk)
keeps its runs in memory (``JobResult.unsaved``, ``save_failed``) until
:meth:`SolveManager.retry_save` or :meth:`SolveManager.save_unsaved_as`
succeeds or :meth:`SolveManager.discard_unsaved` drops them.
:meth:`SolveManager.stop_all` is the close path: it interrupts every job,
waits, kills what did not stop, and returns with no run of this session left
``running`` in the library.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ...core.errors import LibraryError
from ...core.jobs import (Job, JobEvent, JobResult, JobRunner, LiveOutputs, Progress, Started,
                         error_text, record_outcomes)
from ...core.library import Library
from ...core.problems import Problem
from ...core.runfile import write_runfile
from ...core.runs import Run
from ...core.status import Status

if TYPE_CHECKING:  # the engine imports scipy: loaded by the worker threads, not at start-up
    from ...core.solvers.base import WarmStart

__all__ = ["JobResult", "SolveManager", "SolveRequest"]

#: How long a worker waits for the child per turn (also the latency of a stop request).
POLL_S = 0.05
#: At most one progress batch per run this often (~20 per second).
EMIT_INTERVAL_S = 0.05
#: After the kill, how long stop_all waits for a worker to save and end.
KILL_WAIT_MS = 10_000

#: Solver children run at this lower CPU priority so the window stays responsive
#: while several CPU-bound solves share the cores (see core.process.lower_priority).
SOLVER_NICENESS = 10


@dataclass
class SolveRequest:
    problem: Problem
    warm: WarmStart | None = None
    guard: bool = True          # ignored when warm is None
    label: str = ""             # shown in the panel


class _JobThread(QThread):
    """One job in its own thread: a thin adapter that runs the Qt-free
    :class:`~warmdesk.core.jobs.JobRunner` here and forwards its events as
    signals. Stop requests from the GUI thread go to the runner, which applies
    them in this thread, so only this thread touches the child."""

    run_started = Signal(str, object)   # job_id, Run (a copy without history)
    progress = Signal(str, object)      # run_id, rows
    outputs = Signal(str, object, object)   # run_id, {name: array}, {name: start}
    job_done = Signal(str)              # job_id; the result is in .result

    def __init__(self, job_id: str, library: Library, request: SolveRequest) -> None:
        super().__init__()
        self.setObjectName(f"warmdesk-job-{job_id[:8]}")
        self.job_id = job_id
        self.result: JobResult | None = None
        job = Job(request.problem, request.warm, request.guard, mode="child",
                  nice=SOLVER_NICENESS, label=request.label, id=job_id)
        self._runner = JobRunner(library, job, self._forward,
                                 progress_interval_s=EMIT_INTERVAL_S, poll_s=POLL_S)

    def request(self, action: str) -> None:
        """Ask for ``cancel``, ``interrupt`` or ``kill`` (any thread)."""
        {"cancel": self._runner.cancel, "interrupt": self._runner.interrupt,
         "kill": self._runner.kill}[action]()

    def run(self) -> None:  # the worker thread: no widgets here
        try:
            self.result = self._runner.run()
        except Exception as exc:  # noqa: BLE001 - a broken runner ends the job, never the app
            self.result = JobResult(self.job_id, None, [], None, error_text(exc))
        self.job_done.emit(self.job_id)

    def _forward(self, event: JobEvent) -> None:
        if isinstance(event, Started):
            self.run_started.emit(self.job_id, event.run)
        elif isinstance(event, Progress):
            self.progress.emit(event.run_id, event.rows)
        elif isinstance(event, LiveOutputs):
            self.outputs.emit(event.run_id, event.outputs, event.starts)


class SolveManager(QObject):
    """Launches and tracks solve jobs; every signal is emitted on the GUI thread."""

    job_launched = Signal(str, str)       # job_id, label (at once, before the child starts)
    job_started = Signal(str, object)     # job_id, Run (the first run's meta)
    run_started = Signal(str, object)     # job_id, Run (every run, incl. a guard's cold one)
    progress = Signal(str, object)        # run_id, np.ndarray rows (coalesced)
    outputs = Signal(str, object, object)  # run_id, {name: array}, {name: first row}: live
    job_finished = Signal(str, object)    # job_id, JobResult (also failed/cancelled)
    job_failed = Signal(str, str)         # job_id, message
    save_failed = Signal(str, str)        # job_id, message: its runs are kept in memory
    active_count_changed = Signal(int)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._threads: dict[str, _JobThread] = {}
        self._runs: dict[str, list[str]] = {}
        self._labels: dict[str, str] = {}
        self._run_jobs: dict[str, str] = {}
        self._stuck: list[_JobThread] = []  # did not end even after a kill: kept alive
        self._unsaved: dict[str, JobResult] = {}

    def launch(self, request: SolveRequest) -> str:
        """Start a job; returns its id at once (the child starts in the job's thread)."""
        job_id = uuid.uuid4().hex
        thread = _JobThread(job_id, self._library, request)
        queued = Qt.ConnectionType.QueuedConnection
        thread.run_started.connect(self._on_run_started, queued)
        thread.progress.connect(self._on_progress, queued)
        thread.outputs.connect(self._on_outputs, queued)
        thread.job_done.connect(self._on_job_done, queued)
        self._threads[job_id] = thread
        self._runs[job_id] = []
        self._labels[job_id] = request.label or request.problem.name
        self.job_launched.emit(job_id, self._labels[job_id])
        thread.start()
        self.active_count_changed.emit(len(self._threads))
        return job_id

    def cancel(self, job_id: str) -> None:
        self._request(job_id, "cancel")

    def interrupt(self, job_id: str) -> None:
        """Stop, keeping the result so far (``interrupted``; an ode keeps its checkpoint)."""
        self._request(job_id, "interrupt")

    def kill(self, job_id: str) -> None:
        """End a stuck solver's process at once."""
        self._request(job_id, "kill")

    def _request(self, job_id: str, action: str) -> None:
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.request(action)

    def active_jobs(self) -> list[str]:
        return list(self._threads)

    def job_runs(self, job_id: str) -> list[str]:
        """The ids of the job's runs seen so far."""
        return list(self._runs.get(job_id, []))

    def job_label(self, job_id: str) -> str:
        return self._labels.get(job_id, "")

    def running_threads(self) -> int:
        """Worker threads not ended yet (jobs active, or stuck after stop_all)."""
        return sum(t.isRunning() for t in [*self._threads.values(), *self._stuck])

    @Slot(str, object)
    def _on_run_started(self, job_id: str, run: Run) -> None:
        if job_id not in self._threads:
            return  # finished already (by stop_all): nothing more to show
        first = not self._runs[job_id]
        self._runs[job_id].append(run.id)
        self._run_jobs[run.id] = job_id
        if first:
            self.job_started.emit(job_id, run)
        self.run_started.emit(job_id, run)

    @Slot(str, object)
    def _on_progress(self, run_id: str, rows: np.ndarray) -> None:
        if self._run_jobs.get(run_id) in self._threads:
            self.progress.emit(run_id, rows)

    @Slot(str, object, object)
    def _on_outputs(self, run_id: str, outputs: dict, starts: dict) -> None:
        if self._run_jobs.get(run_id) in self._threads:
            self.outputs.emit(run_id, outputs, starts)

    @Slot(str)
    def _on_job_done(self, job_id: str) -> None:
        self._finalize(job_id)

    def _finalize(self, job_id: str) -> None:
        thread = self._threads.pop(job_id, None)
        if thread is None:
            return
        thread.wait()  # run() has returned: this ends at once
        result = thread.result or JobResult(job_id, None, [], None,
                                            "the job ended without a result")
        self._runs[job_id] = list(dict.fromkeys([*self._runs[job_id],
                                                 *(r.id for r in result.runs)]))
        if result.unsaved is not None:
            self._unsaved[job_id] = result
        if result.error is not None:
            self.job_failed.emit(job_id, result.error)
        self.job_finished.emit(job_id, result)
        if result.unsaved is not None:
            self.save_failed.emit(job_id, result.error or result.unsaved.error)
        self.active_count_changed.emit(len(self._threads))

    # ------------------------------------------------------------ unsaved results
    def unsaved_jobs(self) -> list[str]:
        """Jobs whose runs the library could not take, still held in memory."""
        return list(self._unsaved)

    def unsaved_runs(self, job_id: str) -> list[Run]:
        result = self._unsaved.get(job_id)
        return list(result.runs) if result is not None else []

    def retry_save(self, job_id: str) -> None:
        """Save the job's kept runs into the library again (all or none), and
        record their outcomes; then they are no longer held. Raises
        WarmDeskError (the runs stay held) when the library still cannot."""
        runs = self.unsaved_runs(job_id)
        self._library.save_runs(runs)
        del self._unsaved[job_id]
        record_outcomes(self._library, runs)

    def save_unsaved_as(self, job_id: str, path: str | Path) -> Path:
        """Write the job's kept runs into one run file (to import later); then
        they are no longer held. Raises WarmDeskError (still held) on failure."""
        written = write_runfile(path, self.unsaved_runs(job_id))
        del self._unsaved[job_id]
        return written

    def discard_unsaved(self, job_id: str) -> None:
        """Drop the job's kept runs (the user chose to)."""
        self._unsaved.pop(job_id, None)

    def stop_all(self, timeout_s: float = 10.0) -> None:
        """The close path (blocks, processes no events): interrupt every job, wait up
        to ``timeout_s``, kill the children that did not stop, and wait for every
        worker to save its runs. Afterwards no run of these jobs is ``running``."""
        threads = list(self._threads.values())
        for thread in threads:
            thread.request("interrupt")
        deadline = time.monotonic() + timeout_s
        for thread in threads:
            thread.wait(max(0, int(1000 * (deadline - time.monotonic()))))
        stragglers = [t for t in threads if not t.isFinished()]
        for thread in stragglers:
            thread.request("kill")
        for thread in stragglers:
            thread.wait(KILL_WAIT_MS)
        for thread in threads:
            if thread.isFinished():
                self._finalize(thread.job_id)
            else:
                self._abandon(thread)

    def _abandon(self, thread: _JobThread) -> None:
        """A worker that did not end (stuck saving?): mark its runs interrupted
        in the library ourselves, and keep the thread object alive."""
        job_id = thread.job_id
        self._threads.pop(job_id, None)
        self._stuck.append(thread)
        message = "the app closed while this run's worker did not stop"
        try:
            for run_id in self._runs.get(job_id, []):
                run = self._library.get_run(run_id)
                if run.status is Status.RUNNING:
                    run.status, run.message = Status.INTERRUPTED, message
                    run.finished_at = time.time()
                    self._library.save_run(run)
        except LibraryError as exc:
            message += f"; its runs could not be marked: {exc}"
        self.job_failed.emit(job_id, message)
        self.job_finished.emit(job_id, JobResult(job_id, None, [], None, message))
        self.active_count_changed.emit(len(self._threads))
