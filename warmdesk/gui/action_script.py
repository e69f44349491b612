"""A scripted user for end-to-end tests of the real app process.

``WARMDESK_TEST_SCRIPT=FILE.json`` names a JSON list of steps that the app
performs in order, through the same actions a user triggers from the menus
and shortcuts. Without the variable nothing of this runs. A script is data,
never code: each step is one of the fixed names below with plain arguments; a
script with anything else is refused as a whole (the app says why and exits
with code 3). Files reach the app the usual way, e.g. handed over by a second
launch (``warmdesk --library DIR problem.json``, ``single_instance.py``).

Steps::

    {"do": "wait_problem", "name": "N"}     the editor holds a valid problem named N
    {"do": "action", "id": "solve_cold"}    trigger a window action (ids in actions.py)
    {"do": "wait_finished", "count": 2}     2 solves have finished since the start
    {"do": "wait_progress"}                 a solve reported progress after this step began
    {"do": "answer", "box": "confirm_close_box", "button": "Yes"}
                                            click a button of a visible message box

A waiting step fails after ``timeout_s`` (default 120) seconds. The app prints
``script: <n> <do> begin`` and ``script: <n> <do> ok`` (or ``FAILED: why``)
on stdout, so a test can follow it."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

ENV_VAR = "WARMDESK_TEST_SCRIPT"
MAX_SCRIPT_BYTES = 64 * 1024
POLL_MS = 20
EXIT_SCRIPT_FAILED = 3
#: Each step's arguments and their types (``timeout_s`` is allowed on every step).
STEPS: dict[str, dict[str, type]] = {
    "wait_problem": {"name": str}, "action": {"id": str}, "wait_finished": {"count": int},
    "wait_progress": {}, "answer": {"box": str, "button": str}}


class ScriptError(ValueError):
    """A script that cannot be run, with the reason for the user."""


def read_script(path: Path) -> list[dict[str, Any]]:
    """The steps in ``path``, checked against :data:`STEPS` (ScriptError if not)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SCRIPT_BYTES + 1)
        if len(data) > MAX_SCRIPT_BYTES:
            raise ScriptError(f"longer than {MAX_SCRIPT_BYTES} bytes")
        steps = json.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScriptError(str(exc)) from exc
    if not isinstance(steps, list):
        raise ScriptError("the script must be a JSON list of steps")
    for n, step in enumerate(steps, 1):
        kind = step.get("do") if isinstance(step, dict) else None
        if kind not in STEPS:
            raise ScriptError(f"step {n}: 'do' must be one of {', '.join(STEPS)}")
        allowed = {"do": str, "timeout_s": (int, float), **STEPS[kind]}
        for key, value in step.items():
            if key not in allowed or not isinstance(value, allowed[key]):
                raise ScriptError(f"step {n} ({kind}): unknown or mistyped field {key!r}")
        missing = set(STEPS[kind]) - set(step)
        if missing:
            raise ScriptError(f"step {n} ({kind}): missing {', '.join(sorted(missing))}")
    return steps


class ActionScript(QObject):
    """Runs the steps against the session's current window, polling each condition."""

    def __init__(self, session: Any, steps: list[dict[str, Any]]) -> None:
        super().__init__(session)
        self._session = session
        self._steps = steps
        self._index = -1
        self._finished = 0
        self._progress_seen = False
        self._started_at = 0.0
        self._connected: Any = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        self._window()              # count the solves from the start
        self._next()
        self._timer.start(POLL_MS)

    # ------------------------------------------------------------------ stepping
    def _window(self) -> Any:
        window = self._session.window
        if window is not self._connected:   # a library switch makes a new window
            window.manager.job_finished.connect(self._job_finished)
            window.manager.progress.connect(self._progressed)
            self._connected = window
        return window

    def _job_finished(self, *_args: Any) -> None:
        self._finished += 1

    def _progressed(self, *_args: Any) -> None:
        self._progress_seen = True

    def _say(self, text: str) -> None:
        print(f"script: {self._index + 1} {self._steps[self._index]['do']} {text}", flush=True)

    def _next(self) -> None:
        self._index += 1
        if self._index >= len(self._steps):
            self._timer.stop()
            print("script: done", flush=True)
            return
        self._started_at = time.monotonic()
        self._progress_seen = False
        self._say("begin")

    def _poll(self) -> None:
        if self._index >= len(self._steps):
            return
        step = self._steps[self._index]
        try:
            done = self._CHECKS[step["do"]](self, step)
        except ScriptError as exc:
            self._fail(str(exc))
            return
        if done:
            self._say("ok")
            self._next()
        elif time.monotonic() - self._started_at > float(step.get("timeout_s", 120)):
            self._fail(f"not done after {step.get('timeout_s', 120)} s")

    def _fail(self, why: str) -> None:
        self._timer.stop()
        self._say(f"FAILED: {why}")
        print(f"WarmDesk test script failed at step {self._index + 1}: {why}", file=sys.stderr)
        QApplication.exit(EXIT_SCRIPT_FAILED)

    # ------------------------------------------------------------------ the steps
    def _wait_problem(self, step: dict[str, Any]) -> bool:
        editor = self._window().editor
        problem = editor.problem()
        return problem is not None and problem.name == step["name"]

    def _action(self, step: dict[str, Any]) -> bool:
        action = self._window().actions.get(step["id"])
        if action is None:
            raise ScriptError(f"the window has no action {step['id']!r}")
        if not action.isEnabled():
            return False            # e.g. Solve while the problem is being checked: wait
        action.trigger()
        return True

    def _wait_finished(self, step: dict[str, Any]) -> bool:
        self._window()
        return self._finished >= step["count"]

    def _wait_progress(self, _step: dict[str, Any]) -> bool:
        self._window()
        return self._progress_seen

    def _answer(self, step: dict[str, Any]) -> bool:
        box = self._window().findChild(QMessageBox, step["box"])
        if box is None or not box.isVisible():
            return False
        button = getattr(QMessageBox.StandardButton, step["button"], None)
        if button is None or box.button(button) is None:
            raise ScriptError(f"the box {step['box']!r} has no button {step['button']!r}")
        box.button(button).click()
        return True

    _CHECKS: dict[str, Callable[[ActionScript, dict[str, Any]], bool]] = {
        "wait_problem": _wait_problem, "action": _action, "wait_finished": _wait_finished,
        "wait_progress": _wait_progress, "answer": _answer}


def start_script_if_asked(session: Any) -> bool:
    """Start the script ``$WARMDESK_TEST_SCRIPT`` names, if any; False (and the
    reason on stderr) when it cannot be run."""
    name = os.environ.get(ENV_VAR)
    if not name:
        return True
    try:
        steps = read_script(Path(name))
    except ScriptError as exc:
        print(f"WarmDesk cannot run the test script {name} ({ENV_VAR}): {exc}", file=sys.stderr)
        return False
    ActionScript(session, steps).start()
    return True
