"""Run a solve in a child process that streams progress back in batches.

The child is started with the ``spawn`` context (never ``fork`` from a Qt app
with threads) and imports only the Qt-free core. It rebuilds the problem from
its spec, so nothing but plain data crosses the pipe (kinds a plug-in or a
test registered go as their classes' import names: the child registers them).
A cancel or interrupt is cooperative (honoured within one evaluation); ``kill``
ends a stuck solver at once.

Two kinds of child share the plumbing here:

- :class:`ProcessSolve`: one run, created by the parent before the child starts.
- :class:`GuardedProcessSolve`: :func:`~warmdesk.core.advisor.guarded_solve` in
  the child, which opens the library itself (read only) and may make a warm run
  and then a cold one; each run announces itself as it starts.

What the child sends: ``("run", meta)`` when a run starts and ``("ended", meta,
arrays, tail)`` when it ends (guard mode), ``("progress", run_id, rows)``,
``("iterate", run_id, x, fun)`` (the last iterate, at most every
:data:`ITERATE_INTERVAL_S`, for the parent's durable progress),
``("outputs", run_id, {name: array}, {name: start})`` (live outputs, see
``engine.solve``), then
``("done", [(meta, arrays, tail)], kept_id, guard_report_or_None)`` or
``("error", text)``. A finished run's history is never sent whole at the end:
the parent has its rows from the progress messages, and ``tail`` is
``(rows sent before, rows after them)``, so a stop costs the same at any
history length. The parent saves the runs: the child never writes to the
library.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .engine import check_solvable, new_run
from .kinds.registry import KindRef, added_kinds, register_added
from .library import Library
from .problems import Problem
from .runs import HistoryCol, Run
from .solvers.base import SolveControl, WarmStart
from .status import Status

ProgressCallback = Callable[[str, np.ndarray], None]
RunCallback = Callable[[Run], None]
#: A child sends its last iterate at most this often (it may be large).
ITERATE_INTERVAL_S = 0.25
#: How a finished run travels back: (metadata, arrays but its history, history tail).
Tail = tuple[int, np.ndarray]


class _ChildProgress:
    """The child's progress listener: rows and (throttled) iterates to the
    parent, counting the rows sent per run."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.sent: dict[str, int] = {}
        self._iterate_at = 0.0

    def __call__(self, run_id: str, rows: np.ndarray) -> None:
        self._conn.send(("progress", run_id, rows))
        self.sent[run_id] = self.sent.get(run_id, 0) + len(rows)

    def outputs(self, run_id: str, outputs: dict[str, Any], starts: dict[str, int]) -> None:
        self._conn.send(("outputs", run_id, outputs, starts))

    def iterate(self, run_id: str, x: np.ndarray, fun: float) -> None:
        now = time.monotonic()
        if now - self._iterate_at >= ITERATE_INTERVAL_S:
            self._iterate_at = now
            self._conn.send(("iterate", run_id, x, fun))

    def parts(self, run: Run) -> tuple[dict[str, Any], dict[str, np.ndarray], Tail]:
        """``run`` to send back: its history only after the rows already sent."""
        arrays = {f"{group}/{k}": np.asarray(v, dtype=float)
                  for group in ("solution", "state", "outputs")
                  for k, v in getattr(run, group).items()}
        sent = self.sent.get(run.id, 0)
        return run.to_dict(), arrays, (sent, run.history.tail(sent))


class SharedFlag:
    """A flag in shared memory: the child reads it at every evaluation, so it
    must cost nanoseconds (a multiprocessing Event takes a lock each time)."""

    def __init__(self, ctx: Any) -> None:
        self._value = ctx.RawValue("b", 0)

    def is_set(self) -> bool:
        return bool(self._value.value)

    def set(self) -> None:
        self._value.value = 1


def _warm_data(warm: WarmStart | None) -> dict[str, Any] | None:
    """A warm start as plain data for the child."""
    return None if warm is None else warm.to_dict(arrays=True)


def _child_main(conn: Any, spec: dict[str, Any], base_dir: str | None,
                warm: dict[str, Any] | None, run_meta: dict[str, Any] | None,
                library_folder: str | None, cancel: Any, interrupt: Any,
                added: list[KindRef]) -> None:
    """The child: one run (``run_meta`` given) or a guarded solve (``library_folder``)."""
    from .engine import solve
    from .problems import problem_from_dict

    _interrupt_on_signals(interrupt)
    try:
        register_added(added)
        problem = problem_from_dict(spec, base_dir=Path(base_dir) if base_dir else None)
        warm_start = WarmStart.from_dict(warm) if warm else None
        control = SolveControl(cancel=cancel, interrupt=interrupt)
        send_progress = _ChildProgress(conn)
        if library_folder is None:
            run = solve(problem, warm_start, control, on_progress=send_progress,
                        run=Run.from_parts(run_meta or {}, {}))
            runs, kept, report = [run], run.id, None
        else:
            if warm_start is None:
                raise ValueError("a guarded solve needs a warm start")
            runs, kept, report = _guarded_in_child(conn, Path(library_folder), problem,
                                                   warm_start, control, send_progress)
        conn.send(("done", [send_progress.parts(r) for r in runs], kept, report))
    except BaseException as exc:  # noqa: BLE001 - report every failure to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _interrupt_on_signals(interrupt: Any) -> None:
    """In the child, SIGINT and SIGTERM set the interrupt flag: the solve stops
    within one evaluation and its state still goes back to the parent. A
    terminal's Ctrl+C reaches the child too (same process group); dying of it
    would lose the run."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: interrupt.set())


def _guarded_in_child(conn: Any, folder: Path, problem: Problem, warm: WarmStart,
                      control: SolveControl, on_progress: _ChildProgress
                      ) -> tuple[list[Run], str, dict[str, Any]]:
    """``guarded_solve`` with every run it starts announced to the parent."""
    from .advisor.guard import guarded_solve

    library = Library(folder, recover=False)   # the app's live runs are not a crash's
    try:
        kept, report = guarded_solve(
            library, problem, warm, control, on_progress,
            on_run_start=lambda run: conn.send(("run", run.to_dict())),
            on_run_end=lambda run: conn.send(("ended", *on_progress.parts(run))))
    finally:
        library.close()
    return report.runs, kept.id, report.to_dict()


def lower_priority(pid: int | None, nice: int) -> None:
    """Run a solver child at a lower CPU priority (POSIX), so that a desktop app
    with several CPU-bound solves stays responsive: at normal priority 8 children
    on 2 cores left the GUI ~6 frames/s (benchmarks/bench_gui_live.py)."""
    if pid and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
        except OSError:  # not permitted: the solve still runs, at normal priority
            return


class _ChildSolve:
    """The plumbing: the child process, its flags and pipe, and the runs it reports."""

    def __init__(self, problem: Problem, warm: WarmStart | None, runs: list[Run],
                 library_folder: Path | None, name: str, nice: int = 0) -> None:
        ctx = mp.get_context("spawn")
        #: Every run made so far (as announced, with the history streamed in);
        #: once done, the finished runs the child sent back.
        self.runs = runs
        self.kept_id: str | None = None
        self.guard: dict[str, Any] | None = None
        self.done = False
        self.error: str | None = None
        self._cancel, self._interrupt = SharedFlag(ctx), SharedFlag(ctx)
        self._conn, child_conn = ctx.Pipe(duplex=False)
        run_meta = runs[0].to_dict() if runs else None
        self._process = ctx.Process(
            target=_child_main, name=name, daemon=True,
            args=(child_conn, problem.spec, str(problem.base_dir) if problem.base_dir else None,
                  _warm_data(warm), run_meta, str(library_folder) if library_folder else None,
                  self._cancel, self._interrupt, added_kinds()))
        self._process.start()
        self._pid: int | None = self._process.pid
        self._released = False   # the ended child's handles closed (see reap)
        child_conn.close()
        if nice:
            lower_priority(self._pid, nice)

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def run(self) -> Run | None:
        """The kept run once done; before, the latest run started (None before any)."""
        if self.kept_id is not None:
            found = self._find(self.kept_id)
            if found is not None:
                return found
        return self.runs[-1] if self.runs else None

    def cancel(self) -> None:
        self._cancel.set()

    def interrupt(self) -> None:
        self._interrupt.set()

    def kill(self) -> None:
        """End the child at once (a stuck solver); its runs end ``cancelled``."""
        if not self._released and self._process.is_alive():
            self._process.kill()

    def poll(self, timeout: float = 0.0, on_progress: ProgressCallback | None = None,
             on_run: RunCallback | None = None, on_run_end: RunCallback | None = None) -> bool:
        """Handle what the child sent; True once the solve is finished.

        ``on_run(run)`` is called for each run the child starts, ``on_run_end(run)``
        with each finished run of a guarded solve as soon as it ends (the guard may
        then start a cold run; all of them come again, final, with the end)."""
        if self.done:
            return True
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                ready = self._conn.poll(remaining)
            except (EOFError, OSError):
                ready = False
            if not ready:
                if not self._process.is_alive() and not self._safe_poll():
                    self._died()
                    return True
                return False
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                self._died()
                return True
            if self._handle(message, on_progress, on_run, on_run_end):
                return True
            if remaining <= 0 and not self._safe_poll():
                return False

    def _handle(self, message: tuple[Any, ...], on_progress: ProgressCallback | None,
                on_run: RunCallback | None, on_run_end: RunCallback | None) -> bool:
        """Apply one message; True when it ends the solve."""
        tag = message[0]
        if tag == "progress":
            _, run_id, rows = message
            run = self._find(run_id)
            if run is not None:
                run.history.extend(rows)
            if on_progress is not None:
                on_progress(run_id, rows)
            return False
        if tag == "outputs":   # live outputs (see engine.solve)
            outputs_sink = getattr(on_progress, "outputs", None)
            if outputs_sink is not None:
                outputs_sink(message[1], message[2], message[3])
            return False
        if tag == "iterate":
            sink = getattr(on_progress, "iterate", None)
            if sink is not None:
                sink(message[1], message[2], message[3])
            return False
        if tag == "run":
            run = Run.from_parts(message[1], {})
            self.runs.append(run)
            if on_run is not None:
                on_run(run)
            return False
        if tag == "ended":  # a run of a guarded solve finished; more may follow
            run = self._received(message[1], message[2], message[3])
            self.runs = [run if r.id == run.id else r for r in self.runs]
            if on_run_end is not None:
                on_run_end(run)
            return False
        if tag == "done":
            self.runs = [self._received(*parts) for parts in message[1]]
            self.kept_id, self.guard = message[2], message[3]
        else:
            self.error = str(message[1])
            self._end_unfinished(Status.FAILED, self.error)
        self._finish()
        return True

    def _received(self, meta: dict[str, Any], arrays: dict[str, np.ndarray], tail: Tail) -> Run:
        """A finished run the child sent back: its history is the rows streamed
        in (the same object, not a copy) and the tail sent with it."""
        run = Run.from_parts(meta, arrays)
        sent, rows = tail
        streamed = self._find(run.id)
        have = len(streamed.history) if streamed is not None else 0
        if streamed is not None and have == sent + len(rows) and have:
            run.history = streamed.history    # sent again with the end (guard mode)
            return run
        if streamed is not None and have == sent:
            run.history = streamed.history
        elif sent:   # cannot happen (the pipe keeps the order): say so, never guess
            raise RuntimeError(f"run {run.id[:12]}: {sent} history rows were sent, "
                               f"{have} arrived")
        run.history.extend(rows)
        return run

    def _find(self, run_id: str) -> Run | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def _safe_poll(self) -> bool:
        try:
            return bool(self._conn.poll(0))
        except (EOFError, OSError):
            return False

    def _died(self) -> None:
        self._process.join(timeout=5)
        code = self._process.exitcode
        if self._interrupt.is_set() and not self._cancel.is_set():
            self._end_unfinished(Status.INTERRUPTED, "interrupted; the solver process ended "
                                 f"before it returned its state (exit code {code})")
        elif self._cancel.is_set() or code is not None and code < 0:
            self._end_unfinished(Status.CANCELLED,
                                 f"the solver process was stopped (exit code {code})")
        else:
            self.error = f"the solver process ended without a result (exit code {code})"
            self._end_unfinished(Status.FAILED, self.error)
        self._finish()

    def _end_unfinished(self, status: Status, message: str) -> None:
        """Runs the child did not finish end ``status``, with the figures streamed so far."""
        for run in self.runs:
            if run.status.is_final:
                continue
            run.status, run.message, run.finished_at = status, message, time.time()
            rows = run.history.array
            if len(rows):
                last = rows[-1]
                run.nit, run.nfev = int(last[HistoryCol.ITER]), int(last[HistoryCol.NFEV])
                run.njev, run.wall_s = int(last[HistoryCol.NJEV]), float(last[HistoryCol.WALL_S])

    def _finish(self) -> None:
        """The solve ended. The child exits by itself once it has sent its end;
        its runs are not kept waiting for its interpreter to shut down (0.3-0.7 s
        under load, the largest part of a stop's latency): :meth:`reap` it later."""
        self.done = True
        self._process.join(timeout=0)
        self._conn.close()

    def reap(self, timeout: float = 5.0) -> None:
        """Wait for the ended child to exit, then release its sentinel and pipes at
        once (left to the garbage collector, they closed at some later command: a
        process running many solves saw its open files vary)."""
        if self.done and not self._released:
            self._process.join(timeout=timeout)
            if self._process.exitcode is not None:
                self._process.close()
                self._released = True

    def _wait(self, timeout: float | None, on_progress: ProgressCallback | None,
              on_run: RunCallback | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.poll(0.1, on_progress, on_run):
            if deadline is not None and time.monotonic() > deadline:
                break
        self.reap()


class ProcessSolve(_ChildSolve):
    """One solve running in a child process. Poll it with :meth:`poll`."""

    def __init__(self, problem: Problem, warm: WarmStart | None = None,
                 run_id: str | None = None, nice: int = 0) -> None:
        check_solvable(problem, warm)  # refused input: no run, no child
        run = new_run(problem, warm, run_id)
        run.status = Status.RUNNING
        super().__init__(problem, warm, [run], None, f"warmdesk-solve-{run.id[:8]}", nice)

    @property
    def run(self) -> Run:
        return self.runs[0]

    def wait(self, timeout: float | None = None,
             on_progress: ProgressCallback | None = None) -> Run:
        """Block until the run ends (or ``timeout``); returns the run as it stands."""
        self._wait(timeout, on_progress, None)
        return self.run


class GuardedProcessSolve(_ChildSolve):
    """A warm solve under the guard in a child process, which reads the library
    in ``library_folder`` for its cold references.

    ``runs`` grows as the child starts runs (a warm one, maybe a cold one);
    when done, ``run`` is the kept run and ``guard`` the guard's report
    (``GuardReport.to_dict()``). Save every run in ``runs``."""

    def __init__(self, library_folder: str | Path, problem: Problem, warm: WarmStart,
                 nice: int = 0) -> None:
        check_solvable(problem, warm)
        super().__init__(problem, warm, [], Path(library_folder),
                         f"warmdesk-guarded-{problem.content_hash()[:8]}", nice)

    def wait(self, timeout: float | None = None, on_progress: ProgressCallback | None = None,
             on_run: RunCallback | None = None) -> Run | None:
        """Block until the solve ends (or ``timeout``); returns the kept run (or
        the latest run as it stands; None if none started)."""
        self._wait(timeout, on_progress, on_run)
        return self.run
