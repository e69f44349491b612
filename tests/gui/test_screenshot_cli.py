"""`warmdesk --screenshot PATH` starts the real app, waits until the window has
loaded and drawn, saves a PNG and exits 0; `warmdesk FILE.wdrun` imports it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.runfile import write_runfile

from ..core.factories import build, rosenbrock


def test_screenshot_of_a_library_with_an_imported_run(tmp_path: Path) -> None:
    run = solve(build(rosenbrock(n=4)))
    runfile = write_runfile(tmp_path / "sent.wdrun", [run])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "WARMDESK_SETTINGS": str(tmp_path / "settings.ini")}
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-m", "warmdesk", "--library", str(tmp_path / "lib"),
         "--screenshot", str(out), "--size", "1200x800", str(runfile)],
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert image.width() == 1200 and image.height() >= 800
    with Library(tmp_path / "lib") as lib:
        assert lib.has_run(run.id)
