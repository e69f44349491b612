"""The one job runner: the life of a solve job, for the command line, the app's
worker threads and (next) sweeps. Qt-free; it runs in the calling thread.

The order it owns: check the input is solvable (refused input leaves no run)
-> save each run ``running`` as it starts (a crash leaves it ``interrupted``,
and the library records this process as its owner, see ``core.run_owner``)
-> solve, here or in a child process (``core.process``), guarded or not ->
save every run (all or none) -> record each finished run's outcome (the
saving) for the advisor. If that final save fails (a full disk) the runs are
kept in memory (``core.unsaved``) and the result says what the library holds.

:meth:`JobRunner.cancel`, :meth:`interrupt` and :meth:`kill` may be called from
any thread and from a signal handler: they only append to a deque (no lock to
deadlock on), applied by the running thread at its next turn (a child) or set
the solve's flags (here). Events go to ``on_event`` in the running thread.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import WarmDeskError
from ..library import Library
from ..runs import Run
from ..solvers.base import SolveControl
from ..status import Status
from ..unsaved import SavesWhileSolving, keep_unsaved
from .durable import DURABLE_INTERVAL_S, DurableProgress, ProgressSink
from .ending import end_failed, error_text, record_outcomes
from .events import (Failed, Finished, Job, JobEvent, JobResult, LiveOutputs, Progress,
                     Queued, RunFinished, Started)
from .progress import ProgressBatches

#: How long the runner waits for a child per turn (also the latency of a stop request).
POLL_S = 0.05
Handle = Any  # core.process.ProcessSolve | GuardedProcessSolve (imported lazily: spawn)


class JobRunner:
    """Runs one :class:`Job` to its end with :meth:`run`, reporting events."""

    def __init__(self, library: Library, job: Job,
                 on_event: Callable[[JobEvent], None] | None = None,
                 progress_interval_s: float = 0.0, poll_s: float = POLL_S,
                 durable_interval_s: float = DURABLE_INTERVAL_S) -> None:
        self.library = library
        self.job = job
        self._on_event = on_event
        self._poll_s = poll_s
        self._control = SolveControl()
        self._requests: deque[str] = deque()
        self._handle: Handle = None
        self._runs: list[Run] = []          # every run started, in order
        self._stored: set[str] = set()      # ids saved ``running`` by this runner
        self._reported: set[str] = set()    # ids whose RunFinished went out
        self._saves = SavesWhileSolving(library)
        self._batches = ProgressBatches(progress_interval_s, self._progress)
        #: the running runs' progress, written to the library about once a second
        self.durable = DurableProgress(library, job.problem, durable_interval_s)
        self._sink = ProgressSink(self.durable, self._batches.add, self._live_outputs)

    # ------------------------------------------------------------ any thread
    def cancel(self) -> None:
        self._request("cancel")

    def interrupt(self) -> None:
        """Stop, keeping the result so far (``interrupted``; an ode keeps its checkpoint)."""
        self._request("interrupt")

    def kill(self) -> None:
        """End a stuck solver's process at once (here: the same as cancel)."""
        self._request("kill")

    def _request(self, action: str) -> None:
        if self.job.mode == "here":  # plain flags, read by the solve at each evaluation
            (self._control.interrupt if action == "interrupt" else self._control.cancel)()
        else:
            self._requests.append(action)

    # ------------------------------------------------------------ the running thread
    def run(self) -> JobResult:
        """The whole job; never raises for a failure of the job (an ``Exception``):
        it ends with ``Failed`` and a result carrying the message."""
        self._emit(Queued(self.job.id))
        try:
            kept, runs, guard, error = (self._solve_here() if self.job.mode == "here"
                                        else self._solve_in_child())
            self._batches.flush(force=True)
            result = self._conclude(kept, runs, guard, error)
        except Exception as exc:  # noqa: BLE001 - every failure ends the job, never the caller
            result = self._failed(exc)
            self._reap()
            self._emit(Failed(self.job.id, result, exc))
            return result
        self._reap()
        self._emit(Finished(self.job.id, result))
        return result

    def _reap(self) -> None:
        """The runs are stored: now wait for an ended child to exit."""
        if self._handle is not None:
            self._handle.reap()

    def _emit(self, event: JobEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def _progress(self, run_id: str, rows: np.ndarray) -> None:
        self._emit(Progress(self.job.id, run_id, rows))

    def _live_outputs(self, run_id: str, outputs: dict[str, Any],
                      starts: dict[str, int]) -> None:
        self._emit(LiveOutputs(self.job.id, run_id, outputs, starts))

    def _started(self, run: Run) -> None:
        """A run starts: saved ``running`` first (raises if it cannot be: no work
        goes on), then announced."""
        self._batches.flush(force=True)
        if all(r.id != run.id for r in self._runs):
            self._runs.append(run)
        self._saves.start(run)
        self._stored.add(run.id)
        self._emit(Started(self.job.id, Run.from_parts(run.to_dict(), {})))

    def _ended(self, run: Run) -> None:
        """A guarded run ended (the guard may start a cold one next)."""
        self._batches.flush(force=True)
        self._saves.end(run)
        self.durable.forget(run.id)
        self._reported.add(run.id)
        self._emit(RunFinished(self.job.id, run))

    def _solve_here(self) -> tuple[Run, list[Run], dict[str, Any] | None, str | None]:
        from ..advisor import guarded_solve
        from ..engine import check_solvable, new_run, solve

        job = self.job
        check_solvable(job.problem, job.warm)
        if job.guarded:
            assert job.warm is not None
            kept, report = guarded_solve(self.library, job.problem, job.warm, self._control,
                                         on_progress=self._sink,
                                         on_run_start=self._started, on_run_end=self._ended)
            return kept, report.runs, report.to_dict(), None
        run = new_run(job.problem, job.warm)
        run.status = Status.RUNNING
        self._started(run)
        run = solve(job.problem, job.warm, self._control, on_progress=self._sink, run=run)
        return run, [run], None, None

    def _solve_in_child(self) -> tuple[Run | None, list[Run], dict[str, Any] | None,
                                       str | None]:
        from ..process import GuardedProcessSolve, ProcessSolve

        job = self.job
        if job.guarded:
            assert job.warm is not None
            handle: Handle = GuardedProcessSolve(self.library.folder, job.problem, job.warm,
                                                 nice=job.nice)
        else:
            handle = ProcessSolve(job.problem, job.warm, nice=job.nice)
        self._handle = handle
        for run in list(handle.runs):
            self._started(run)
        while True:
            self._apply_requests(handle)
            if handle.poll(self._poll_s, self._sink, self._started, self._ended):
                break
            self._batches.flush(force=False)
            self.durable.flush()
        return handle.run, list(handle.runs), handle.guard, handle.error

    def _apply_requests(self, handle: Handle) -> None:
        while self._requests:
            action = self._requests.popleft()
            {"cancel": handle.cancel, "interrupt": handle.interrupt, "kill": handle.kill}[action]()

    def _conclude(self, kept: Run | None, runs: list[Run], guard: dict[str, Any] | None,
                  error: str | None) -> JobResult:
        """Save every run and record each one's outcome; if the library cannot
        take them (a full disk), keep them in the result."""
        self._runs = runs
        try:
            self.library.save_runs(runs)
        except WarmDeskError as exc:
            unsaved = keep_unsaved(self.library, runs, exc)
            self._report_finished(runs)
            return JobResult(self.job.id, kept, runs, guard,
                             f"{unsaved.error} The {unsaved.library_sentence()}.", unsaved)
        record_outcomes(self.library, runs)
        if error is None and kept is not None and kept.status is Status.FAILED:
            error = kept.message or "the solve failed"
        self._report_finished(runs)
        return JobResult(self.job.id, kept, runs, guard, error)

    def _report_finished(self, runs: list[Run]) -> None:
        for run in runs:
            if run.id not in self._reported:
                self._reported.add(run.id)
                self._emit(RunFinished(self.job.id, run))

    def _failed(self, exc: Exception) -> JobResult:
        """The job broke (not the solve): stop the child, and end ``failed`` the
        runs this runner stored ``running`` (a run the library refused stays out)."""
        message = error_text(exc)
        handle = self._handle
        killed = False
        if handle is not None:
            killed = not handle.done
            if killed:
                handle.kill()
                handle.poll(5.0)
            self._runs = list(handle.runs)
        end_failed(self._runs, message, killed)
        stored = [run for run in self._runs if run.id in self._stored]
        if stored:
            try:
                self.library.save_runs(stored)
            except (WarmDeskError, OSError) as save_error:
                message += f" (the run could not be saved: {save_error})"
        kept = handle.run if handle is not None else (self._runs[-1] if self._runs else None)
        return JobResult(self.job.id, kept, list(self._runs), None, message)
