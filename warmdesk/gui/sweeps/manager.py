"""Sweeps launched from the GUI: the core's Qt-free
:class:`~warmdesk.core.sweeps.SweepRunner` runs in a worker thread (as the solve
jobs do, ``gui/runs/solve_manager.py``) and its events reach the GUI thread as
queued signals.

``workers == 0`` solves the chains one after another in that thread
(:class:`~warmdesk.core.sweeps.InlineExecutor`); ``workers > 0`` starts a
local Dask cluster of that many worker processes, in the worker thread (it
takes a second or two), importing Dask only then: the app's start-up never
loads it. One sweep runs at a time. Cancel (any time, also before the
cluster is up) stops the chains; the points that finished stay stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QThread, Signal

from ...core.errors import WarmDeskError
from ...core.library import Library
from ...core.sweeps import (InlineExecutor, PointFinished, SweepEvent, SweepFailed,
                            SweepFinished, SweepResult, SweepRunner, SweepSpec, SweepStarted,
                            sweep_key)

#: At the window's close, how long a cancelled sweep may take to stop.
STOP_WAIT_MS = 15_000


@dataclass(frozen=True)
class SweepRequest:
    sweep: SweepSpec
    cold: bool = False
    workers: int = 0          # 0: this process; N: a local Dask cluster of N workers
    #: the spec's identity, the core's (chained and cold of one spec share it, as in
    #: the library): computed once here, not per point on the GUI thread
    key: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", sweep_key(self.sweep))


class _SweepThread(QThread):
    """Runs one sweep here; only forwards events (no widgets)."""

    reported = Signal(object)       # SweepStarted | PointFinished (not "event": QObject.event)
    ended = Signal(object, str)     # SweepResult, error text ("" when none)

    def __init__(self, library: Library, request: SweepRequest) -> None:
        super().__init__()
        self.setObjectName("warmdesk-sweep")
        self.request = request
        self.runner = SweepRunner(library, request.sweep, self._forward, cold=request.cold,
                                  executor=InlineExecutor())

    def cancel(self) -> None:
        self.runner.cancel()

    def run(self) -> None:  # the worker thread: no widgets here
        executor = self.runner.executor
        try:
            if self.request.workers > 0:
                from ...core.sweeps.dask_runner import DaskExecutor   # Dask: only now
                executor = DaskExecutor(workers=self.request.workers)
                self.runner.executor = executor
            self.runner.run()
        except WarmDeskError as exc:
            self.ended.emit(self.runner.result, str(exc))
        except Exception as exc:  # noqa: BLE001 - a broken sweep ends, never the app
            self.ended.emit(self.runner.result, f"{type(exc).__name__}: {exc}")
        finally:
            try:
                executor.close()
            except Exception:  # noqa: BLE001, S110 - closing a lost cluster may fail too
                pass

    def _forward(self, event: SweepEvent) -> None:
        if isinstance(event, (SweepStarted, PointFinished)):
            self.reported.emit(event)
        elif isinstance(event, SweepFinished):
            self.ended.emit(event.result, "")
        elif isinstance(event, SweepFailed):
            self.ended.emit(event.result, str(event.error) or type(event.error).__name__)


class SweepManager(QObject):
    """Starts and tracks the sweep; every signal is emitted on the GUI thread."""

    launched = Signal(object)         # SweepRequest (at once; the cluster starts later)
    started = Signal(object)          # SweepStarted
    point_finished = Signal(object)   # PointFinished (the point's runs are stored)
    finished = Signal(object, object, str)   # SweepRequest, SweepResult, error text
    running_changed = Signal(bool)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._thread: _SweepThread | None = None
        self._ended = False

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, request: SweepRequest) -> None:
        if self._thread is not None:
            raise RuntimeError("a sweep is already running")
        thread = _SweepThread(self._library, request)
        queued = Qt.ConnectionType.QueuedConnection
        thread.reported.connect(self._on_event, queued)
        thread.ended.connect(self._on_ended, queued)
        thread.finished.connect(self._on_thread_finished, queued)
        self._thread, self._ended = thread, False
        self.launched.emit(request)
        self.running_changed.emit(True)
        thread.start()

    def cancel(self) -> None:
        """Stop the running sweep (its finished points stay stored)."""
        if self._thread is not None:
            self._thread.cancel()

    def stop(self, wait_ms: int = STOP_WAIT_MS) -> None:
        """The close path: cancel and wait for the thread to end."""
        thread = self._thread
        if thread is not None:
            thread.cancel()
            thread.wait(wait_ms)

    def sweep_id(self) -> str | None:
        return self._thread.runner.sweep_id if self._thread is not None else None

    def _on_event(self, event: object) -> None:
        if isinstance(event, SweepStarted):
            self.started.emit(event)
        elif isinstance(event, PointFinished):
            self.point_finished.emit(event)

    def _on_ended(self, result: SweepResult, error: str) -> None:
        if self._thread is not None and not self._ended:
            self._ended = True
            self.finished.emit(self._thread.request, result, error)

    def _on_thread_finished(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            if not self._ended:   # ended without a word (cannot happen; never silent)
                self.finished.emit(thread.request, thread.runner.result, "the sweep stopped")
            thread.deleteLater()
        self.running_changed.emit(False)
