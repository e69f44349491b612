"""What every solver adapter shares: cooperative control, the history
recorder with throttled progress, the warm-start input, and derivatives.

An adapter receives a :class:`SolveContext` and fills in the run. It checks
the control at every function evaluation, so a cancel or an interrupt is
honoured within one evaluation (well within one iteration).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from ..errors import SolveFailed
from ..problem_types import Problem
from ..runs import HISTORY_COLUMNS, HistoryCol, Run
from ..status import Status
# re-exported: its old home, imported from many places
from ..warm_start_type import WarmStart as WarmStart

#: At most this many progress batches a second reach a listener (~20 updates/s).
PROGRESS_INTERVAL_S = 0.05
NAN = math.nan
_clock = time.perf_counter


class Flag(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...


class _LocalFlag:
    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True


class SolveControl:
    """Cancel and interrupt requests, from another thread or process.

    Pass ``multiprocessing`` events for a solve in a child process.
    """

    def __init__(self, cancel: Flag | None = None, interrupt: Flag | None = None,
                 max_evaluations: int | None = None) -> None:
        self.cancel_flag = cancel or _LocalFlag()
        self.interrupt_flag = interrupt or _LocalFlag()
        #: A budget of function evaluations (the guard's); past it the solve is
        #: interrupted and keeps its iterate, unless ``budget_check(recorder)``
        #: says it may go on (then the budget is lifted).
        self.max_evaluations = max_evaluations
        self.budget_check: Callable[[Recorder], bool] | None = None
        #: Set when the budget stopped the solve (what the guard decides on).
        self.budget_reached = False

    def cancel(self) -> None:
        self.cancel_flag.set()

    def interrupt(self) -> None:
        self.interrupt_flag.set()

    def check(self) -> None:
        if self.cancel_flag.is_set():
            raise Stopped(Status.CANCELLED)
        if self.interrupt_flag.is_set():
            raise Stopped(Status.INTERRUPTED)


class Stopped(Exception):
    """Raised inside an objective to stop the solver at once (cancel or interrupt)."""

    def __init__(self, status: Status) -> None:
        super().__init__(status.value)
        self.status = status


ProgressListener = Callable[[str, np.ndarray], None]

#: Flags of another process (``multiprocessing`` events take a lock and a
#: semaphore to read, ~0.4 us each) are read at most this often; a stop is
#: then seen within this time (bench_stop_latency: tens of ms end to end).
CROSS_PROCESS_POLL_S = 0.002
_IN_PROCESS_FLAGS = (_LocalFlag, threading.Event)


def stop_poll(control: SolveControl) -> Callable[[], bool]:
    """A function telling whether a cancel or an interrupt is requested. In-process
    flags are read at every call (an attribute each); another process's at most every
    ``CROSS_PROCESS_POLL_S``, with a clock read in between (issue 16)."""
    cancel, interrupt = control.cancel_flag.is_set, control.interrupt_flag.is_set
    c_flag, i_flag = control.cancel_flag, control.interrupt_flag
    if type(c_flag) is _LocalFlag and type(i_flag) is _LocalFlag:
        return lambda: c_flag._set or i_flag._set   # two attribute reads, no calls
    if isinstance(c_flag, _IN_PROCESS_FLAGS) and isinstance(i_flag, _IN_PROCESS_FLAGS):
        return lambda: cancel() or interrupt()
    due = [-math.inf]

    def timed() -> bool:
        now = _clock()
        if now < due[0]:
            return False
        due[0] = now + CROSS_PROCESS_POLL_S
        return cancel() or interrupt()
    return timed


#: Rows are turned into history at least this often (and at every progress batch).
MATERIALIZE_ROWS = 256
#: Numbers in one history row, and in the raw buffer when it is due for history.
ROW_WIDTH = len(HISTORY_COLUMNS)
MATERIALIZE_LEN = MATERIALIZE_ROWS * ROW_WIDTH
#: Iterates of at most this many values are kept per row to compute step
#: lengths in bulk; larger ones get their step computed at once. Measured per
#: row: bulk 0.5 us at n <= 50, 1.4 at 200, 7.8 at 1000; at once 0.9, 1.1, 2.2.
BULK_STEP_MAX_N = 128


class Recorder:
    """Counts evaluations, appends history rows, and sends throttled progress.

    It runs on every evaluation and iteration, so it is kept lean: a row's nine
    numbers are added to one flat list (no per-row object kept), turned into
    history by one ``np.fromiter`` a batch at a time (measured per row: 0.32 us,
    against 0.58 for a list of tuples and ``np.asarray``, 0.68 for a preallocated
    array filled row by row, 0.87 for an ``array('d')``), and step lengths ``|x_k - x_(k-1)|`` are
    computed in bulk, a batch of rows at a time, from the iterates kept meanwhile.
    """

    def __init__(self, run: Run, control: SolveControl,
                 on_progress: ProgressListener | None = None,
                 interval: float = PROGRESS_INTERVAL_S) -> None:
        self.run = run
        self.control = control
        self.on_progress = on_progress
        self.interval = interval
        self.nfev = 0
        self.njev = 0
        self.nit = 0
        self.best_value = math.inf
        self.t0 = time.perf_counter()
        self._last_sent = self.t0
        #: When the next progress batch is due (never without a listener): one
        #: comparison per row instead of a subtraction and two tests.
        self._due = math.inf if on_progress is None else self.t0 + interval
        #: The rows not yet history, flat: ``ROW_WIDTH`` numbers a row.
        self._raw: list[float] = []
        self._xs: list[np.ndarray] = []
        self._x_at: list[int] = []
        self._prev_x: np.ndarray | None = None
        #: Iterates kept for step lengths in bulk (see ``start_at``).
        self._bulk = False
        self._pending: list[np.ndarray] = []
        #: ``stop_requested()``: is a cancel or an interrupt asked for? (``control.check()``
        #: then raises it); see :func:`stop_poll`.
        self.stop_requested = stop_poll(control)
        #: The last iterate recorded (with ``row(x=...)``) and its objective:
        #: what a run that fails later keeps as its warm-start point.
        self.last_x: np.ndarray | None = None
        self.last_fun = NAN

    def start_at(self, x: np.ndarray) -> None:
        """The start point, for the first step length."""
        self._prev_x = np.array(x, dtype=float)
        self._bulk = self._prev_x.size <= BULK_STEP_MAX_N

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def evaluation(self, value: float, what: str = "objective", trial: bool = False) -> None:
        """Count one function evaluation; stop or fail at once if asked to.

        A non-finite ``value`` ends the solve, unless it is at a ``trial`` point
        the solver itself rejects when it is not finite (least squares shrinks
        its trust region, as MINPACK does); then it is only counted."""
        self.nfev = nfev = self.nfev + 1
        if self.stop_requested():
            self.control.check()
        if value < self.best_value:
            self.best_value = value
        budget = self.control.max_evaluations
        if budget is not None and nfev > budget:
            self._over_budget(budget)
        if not math.isfinite(value) and not trial:
            raise SolveFailed(f"the {what} is {value} at evaluation {nfev} "
                              f"(iteration {self.nit})")

    def _over_budget(self, budget: int) -> None:
        control = self.control
        if control.budget_check is not None and control.budget_check(self):
            control.max_evaluations = None
        else:
            self.run.info["stopped_by"] = f"the evaluation budget ({budget})"
            control.budget_reached = True
            raise Stopped(Status.INTERRUPTED)

    def iterate(self, x: np.ndarray, fun: float, grad_norm: float = NAN,
                constr_viol: float = NAN) -> np.ndarray:
        """``row(fun, grad_norm, constr_viol, x=x)``, the optimisers' per-iteration
        path: a copy of ``x``, nine numbers added to a list, one comparison (issue 16:
        recording < 5%). Returns the copy of ``x`` (``last_x``), which is not changed."""
        self.nit = nit = self.nit + 1
        now = _clock()
        kept = x.copy()
        self.last_x = kept
        self.last_fun = fun
        raw = self._raw
        if self._bulk:
            self._xs.append(kept)
            self._x_at.append(len(raw))   # where its row starts (rows of other kinds may
            step = NAN                    # come between: a step_row, a row without x)
        else:
            step = self._step_now(kept)
        raw += (nit, self.nfev, self.njev, now - self.t0, fun, grad_norm, constr_viol,
                step, NAN)
        if now >= self._due or len(raw) >= MATERIALIZE_LEN:
            self.flush(send=now >= self._due)
        return kept

    def row(self, fun: float = NAN, grad_norm: float = NAN, constr_viol: float = NAN,
            step: float = NAN, t: float = NAN, x: np.ndarray | None = None) -> None:
        """Record one iteration. Pass the iterate ``x`` to have its step length
        computed (in bulk), or ``step`` directly."""
        if x is not None:
            self.iterate(x, fun, grad_norm, constr_viol)
            return
        self.nit = nit = self.nit + 1
        now = _clock()
        raw = self._raw
        raw += (nit, self.nfev, self.njev, now - self.t0, fun, grad_norm, constr_viol,
                step, t)
        if now >= self._due or len(raw) >= MATERIALIZE_LEN:
            self.flush(send=now >= self._due)

    def step_row(self, step: float, t: float, grad_norm: float) -> None:
        """``row(grad_norm=..., step=..., t=...)``, the ODE's per-step path."""
        self.nit = nit = self.nit + 1
        now = _clock()
        raw = self._raw
        raw += (nit, self.nfev, self.njev, now - self.t0, NAN, grad_norm, NAN, step, t)
        if now >= self._due or len(raw) >= MATERIALIZE_LEN:
            self.flush(send=now >= self._due)

    def _step_now(self, kept: np.ndarray) -> float:
        """|x - previous x| at once (a large iterate, or the first without a start)."""
        prev, step = self._prev_x, NAN
        if prev is not None and prev.shape == kept.shape:
            d = kept - prev
            step = math.sqrt(d.dot(d))
        self._prev_x = kept
        self._bulk = kept.size <= BULK_STEP_MAX_N
        return step

    def _materialize(self) -> np.ndarray:
        """Turn the raw rows into history (with their step lengths); return them."""
        raw = self._raw
        rows = np.fromiter(raw, dtype=float, count=len(raw)).reshape(-1, ROW_WIDTH)
        if self._xs and self._prev_x is not None:
            xs = np.stack(self._xs)
            prev = np.vstack([self._prev_x[None, :], xs[:-1]])
            steps = np.sqrt(np.sum((xs - prev) ** 2, axis=1))
            rows[np.asarray(self._x_at) // ROW_WIDTH, HistoryCol.STEP] = steps
            self._prev_x = xs[-1]
        self._raw, self._xs, self._x_at = [], [], []
        self.run.history.extend(rows)
        return rows

    def flush(self, send: bool = True) -> None:
        """Materialize pending rows; send them to the listener (when ``send``)."""
        if self._raw:
            rows = self._materialize()
            if self.on_progress is not None:
                self._pending.append(rows)
        if send and self.on_progress is not None and self._pending:
            batch = np.vstack(self._pending) if len(self._pending) > 1 else self._pending[0]
            self._pending = []
            self._last_sent = time.perf_counter()
            self._due = self._last_sent + self.interval
            self.on_progress(self.run.id, batch)


@dataclass
class SolveContext:
    problem: Problem
    run: Run
    recorder: Recorder
    warm: WarmStart | None

    def start_point(self) -> np.ndarray:
        if self.warm is not None and self.warm.x0 is not None:
            return np.array(self.warm.x0, dtype=float)
        return self.problem.start_vector()
