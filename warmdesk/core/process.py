"""Run a solve in a child process that streams progress back in batches.

The child is started with the ``spawn`` context (never ``fork`` from a Qt app
with threads) and imports only the Qt-free core. It rebuilds the problem from
its spec, so nothing but plain data crosses the pipe. A cancel or interrupt is
cooperative (honoured within one evaluation); :meth:`ProcessSolve.kill` ends a
stuck solver at once.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .engine import new_run
from .problems import Problem
from .runs import Run
from .solvers.base import SolveControl, WarmStart

ProgressCallback = Callable[[str, np.ndarray], None]


class SharedFlag:
    """A flag in shared memory: the child reads it at every evaluation, so it
    must cost nanoseconds (a multiprocessing Event takes a lock each time)."""

    def __init__(self, ctx: Any) -> None:
        self._value = ctx.RawValue("b", 0)

    def is_set(self) -> bool:
        return bool(self._value.value)

    def set(self) -> None:
        self._value.value = 1


def _child_main(conn: Any, spec: dict[str, Any], base_dir: str | None,
                warm: dict[str, Any] | None, run_meta: dict[str, Any],
                cancel: Any, interrupt: Any) -> None:
    from .engine import solve
    from .problems import problem_from_dict

    try:
        problem = problem_from_dict(spec, base_dir=Path(base_dir) if base_dir else None)
        run = Run.from_parts(run_meta, {})
        warm_start = WarmStart(**warm) if warm else None
        control = SolveControl(cancel=cancel, interrupt=interrupt)
        run = solve(problem, warm_start, control,
                    on_progress=lambda rid, rows: conn.send(("progress", rows)), run=run)
        conn.send(("done", run.to_dict(), run.arrays()))
    except BaseException as exc:  # noqa: BLE001 - report every failure to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class ProcessSolve:
    """A solve running in a child process. Poll it with :meth:`poll`."""

    def __init__(self, problem: Problem, warm: WarmStart | None = None,
                 run_id: str | None = None) -> None:
        ctx = mp.get_context("spawn")
        self.run = new_run(problem, warm, run_id)
        self.run.status = "running"
        self._cancel, self._interrupt = SharedFlag(ctx), SharedFlag(ctx)
        self._conn, child_conn = ctx.Pipe(duplex=False)
        warm_data = None
        if warm is not None:
            warm_data = {"source_run_id": warm.source_run_id, "payload": list(warm.payload),
                         "x0": warm.x0, "state": dict(warm.state), "mode": warm.mode,
                         "report": dict(warm.report)}
            if warm.live_solver is not None:  # an in-process integrator cannot cross over
                warm_data["mode"] = "restart"
        self._process = ctx.Process(
            target=_child_main, name=f"warmdesk-solve-{self.run.id[:8]}", daemon=True,
            args=(child_conn, problem.spec, str(problem.base_dir) if problem.base_dir else None,
                  warm_data, self.run.to_dict(), self._cancel, self._interrupt))
        self._process.start()
        child_conn.close()
        self.done = False
        self.error: str | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def cancel(self) -> None:
        self._cancel.set()

    def interrupt(self) -> None:
        self._interrupt.set()

    def kill(self) -> None:
        """End the child at once (a stuck solver); the run ends ``cancelled``."""
        if self._process.is_alive():
            self._process.kill()

    def poll(self, timeout: float = 0.0, on_progress: ProgressCallback | None = None) -> bool:
        """Handle what the child sent; True once the run is finished."""
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
            if message[0] == "progress":
                self.run.history.extend(message[1])
                if on_progress is not None:
                    on_progress(self.run.id, message[1])
            elif message[0] == "done":
                self.run = Run.from_parts(message[1], message[2])
                self._finish()
                return True
            else:
                self.error = str(message[1])
                self.run.status, self.run.message = "failed", self.error
                self._finish()
                return True
            if remaining <= 0 and not self._safe_poll():
                return False

    def _safe_poll(self) -> bool:
        try:
            return bool(self._conn.poll(0))
        except (EOFError, OSError):
            return False

    def _died(self) -> None:
        self._process.join(timeout=5)
        code = self._process.exitcode
        if self._cancel.is_set() or code is not None and code < 0:
            self.run.status = "cancelled"
            self.run.message = f"the solver process was stopped (exit code {code})"
        else:
            self.run.status = "failed"
            self.run.message = f"the solver process ended without a result (exit code {code})"
        self.run.finished_at = time.time()
        self._finish()

    def _finish(self) -> None:
        self.done = True
        self._process.join(timeout=5)
        self._conn.close()

    def wait(self, timeout: float | None = None,
             on_progress: ProgressCallback | None = None) -> Run:
        """Block until the run ends (or ``timeout``); returns the run as it stands."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.poll(0.1, on_progress):
            if deadline is not None and time.monotonic() > deadline:
                break
        return self.run
