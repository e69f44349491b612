"""End to end: the real app process (``python -m warmdesk --library DIR``,
offscreen, its own HOME) is driven as a user would: problems are handed to it
by second launches (the single-instance socket), and its actions are
triggered by a script of steps ($WARMDESK_TEST_SCRIPT, ``action_script.py``).
It solves a problem, interrupts a long solve, and quits (the close event,
answered Yes) with another solve running. Then another process reads the
library (``warmdesk runs --json``): the finished run converged, the two long
ones are interrupted with the point they reached, none is left running."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.library import Library
from warmdesk.gui.editor.files import spec_json

from ..core.factories import rosenbrock

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120


def _problems(folder: Path) -> tuple[Path, Path]:
    quick = rosenbrock("BFGS", n=4)
    quick["name"] = "quick"
    long = rosenbrock("Nelder-Mead", n=60, maxiter=10**7, maxfev=10**7, xatol=1e-14,
                      fatol=1e-14)
    long["name"] = "long"
    paths = folder / "quick.json", folder / "long.json"
    for path, spec in zip(paths, (quick, long)):
        path.write_text(spec_json(spec))
    return paths


SCRIPT = [
    {"do": "wait_problem", "name": "quick"},
    {"do": "action", "id": "solve_cold"},
    {"do": "wait_finished", "count": 1},
    {"do": "wait_problem", "name": "long"},
    {"do": "action", "id": "solve_cold"},
    {"do": "wait_progress"},
    {"do": "action", "id": "interrupt_all"},
    {"do": "wait_finished", "count": 2},
    {"do": "action", "id": "solve_cold"},
    {"do": "wait_progress"},
    {"do": "action", "id": "quit"},
    {"do": "answer", "box": "confirm_close_box", "button": "Yes"},
]


class AppProcess:
    """The app's process, with its stdout lines read in a thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.env = env
        # a real process: the whole app, quit through its close event
        self.proc = subprocess.Popen([sys.executable, "-m", "warmdesk", *args], cwd=REPO,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, text: str) -> None:
        """Wait (on the app's output, not a clock) for a line containing ``text``."""
        while True:
            try:
                line = self.lines.get(timeout=TIMEOUT_S)
            except queue.Empty:
                raise AssertionError(f"no {text!r} from the app; it said {self.seen}") from None
            self.seen.append(line)
            assert "FAILED" not in line, self.seen
            if text in line:
                return


def _warmdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # a real process: a second launch hands its files to the running app
    return subprocess.run([sys.executable, "-m", "warmdesk", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)


@pytest.mark.slow
def test_solve_interrupt_and_quit_with_a_solve_running(tmp_path: Path) -> None:
    home, library = tmp_path / "home", tmp_path / "library"
    home.mkdir()
    quick, long = _problems(tmp_path)
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "WARMDESK_"))}
    env.update(HOME=str(home), PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen",
               WARMDESK_SETTINGS=str(tmp_path / "settings.ini"))
    app = AppProcess(["--library", str(library)], dict(env, WARMDESK_TEST_SCRIPT=str(script)))
    try:
        app.expect("script: 1 wait_problem begin")            # it serves the library now
        handed = _warmdesk(env, "--library", str(library), str(quick))
        assert handed.returncode == 0, handed.stderr          # handed over, not a 2nd window
        app.expect("script: 3 wait_finished ok")
        handed = _warmdesk(env, "--library", str(library), str(long))
        assert handed.returncode == 0, handed.stderr
        app.expect("script: 12 answer ok")
        assert app.proc.wait(timeout=TIMEOUT_S) == 0, app.proc.stderr.read()
    finally:
        if app.proc.poll() is None:
            app.proc.kill()
            app.proc.wait()

    listed = _warmdesk(env, "runs", "--json", "--library", str(library))
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    statuses = sorted((r["name"], r["status"]) for r in runs)
    assert statuses == [("long", "interrupted"), ("long", "interrupted"), ("quick", "converged")]
    with Library(library) as lib:
        for row in runs:
            if row["name"] == "long":
                run = lib.get_run(row["id"])
                x = np.asarray(run.solution["x"], dtype=float)
                assert x.shape == (60,) and np.all(np.isfinite(x)) and run.nfev > 0
                assert len(run.history) > 0 and run.fun is not None


@pytest.mark.parametrize("steps, why", [
    ({"do": "action"}, "JSON list"),
    ([{"do": "exec", "code": "print(1)"}], "'do' must be one of"),
    ([{"do": "action", "id": "quit", "code": "x"}], "unknown or mistyped field 'code'"),
    ([{"do": "wait_finished", "count": "2"}], "mistyped field 'count'"),
    ([{"do": "answer", "box": "b"}], "missing button"),
])
def test_a_script_is_data_and_anything_else_is_refused(tmp_path: Path, steps, why) -> None:
    from warmdesk.gui.action_script import ScriptError, read_script

    path = tmp_path / "script.json"
    path.write_text(json.dumps(steps))
    with pytest.raises(ScriptError, match=why):
        read_script(path)
