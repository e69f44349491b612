"""Work off the GUI thread: run a plain function in a thread pool and deliver
its result (or its error) back on the GUI thread.

Slots must stay fast, so library scans, advisor calls, run loads and imports go
through :func:`run_in_background`. The function runs in a pool thread and must
not touch widgets; ``on_result``/``on_error`` run on the GUI thread. A task whose
``owner`` widget has been destroyed delivers nothing. Every task is kept alive
until it has delivered, so nothing is collected while a thread still uses it.
"""

from __future__ import annotations

from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

_POOL: QThreadPool | None = None
_LIVE: set["BackgroundTask"] = set()


def background_pool() -> QThreadPool:
    """The pool for short background jobs (not for solves: they have their own threads)."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(3)
    return _POOL


class BackgroundTask(QObject):
    """One job. ``done`` carries the result, ``failed`` the error's text."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], Any], owner: QObject | None = None) -> None:
        super().__init__()
        self._fn = fn
        self._owner = owner
        self.result: Any = None

    def owner_alive(self) -> bool:
        return self._owner is None or shiboken6.isValid(self._owner)


class _Runner(QRunnable):
    def __init__(self, task: BackgroundTask) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task = task

    def run(self) -> None:  # pool thread: no widgets here
        task = self._task
        try:
            result = task._fn()
        except Exception as exc:  # noqa: BLE001 - every error reaches the GUI as text
            message = str(exc) or type(exc).__name__
            if not getattr(exc, "user_facing", False) and type(exc).__module__ == "builtins":
                message = f"{type(exc).__name__}: {message}"
            task.failed.emit(message)
        else:
            task.result = result
            task.done.emit(result)


def run_in_background(fn: Callable[[], Any], on_result: Callable[[Any], None] | None = None,
                      on_error: Callable[[str], None] | None = None,
                      owner: QObject | None = None) -> BackgroundTask:
    """Run ``fn()`` in the background pool; call ``on_result(value)`` or
    ``on_error(message)`` on the GUI thread unless its owner was destroyed. Returns the
    task (its ``done``/``failed`` signals can be waited on in tests)."""
    task = BackgroundTask(fn, owner)
    _LIVE.add(task)

    def deliver(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
        def run(value: Any) -> None:
            _LIVE.discard(task)
            if callback is not None and task.owner_alive():
                callback(value)
        return run

    task.done.connect(deliver(on_result))
    task.failed.connect(deliver(on_error))
    background_pool().start(_Runner(task))
    return task


def wait_for_background(timeout_ms: int = 30000) -> bool:
    """Block until every background job has ended (at shutdown, in tests)."""
    return background_pool().waitForDone(timeout_ms) if _POOL is not None else True
