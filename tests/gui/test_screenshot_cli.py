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
    # a real process: the app starts Qt, draws, and exits (never in the test process)
    proc = subprocess.run(
        [sys.executable, "-m", "warmdesk", "--library", str(tmp_path / "lib"),
         "--screenshot", str(out), "--size", "1200x800", str(runfile)],
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert image.width() == 1200 and image.height() >= 800
    with Library(tmp_path / "lib") as lib:
        assert lib.has_run(run.id)


def test_a_library_from_a_newer_warmdesk_is_refused_with_its_reason(tmp_path: Path) -> None:
    """Exit 2 with the reason on stderr, the library untouched (and no dialog left
    waiting for a click in a headless run)."""
    import sqlite3

    Library(tmp_path / "lib").close()
    db_file = next((tmp_path / "lib").glob("*.sqlite"))
    def contents() -> tuple[int, list[str]]:
        db = sqlite3.connect(db_file)
        try:
            return db.execute("PRAGMA user_version").fetchone()[0], list(db.iterdump())
        finally:
            db.close()

    db = sqlite3.connect(db_file)
    db.execute("PRAGMA user_version=99")
    db.commit()
    db.close()
    before = contents()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "WARMDESK_SETTINGS": str(tmp_path / "settings.ini")}
    # a real process: the app starts Qt, draws, and exits (never in the test process)
    proc = subprocess.run(
        [sys.executable, "-m", "warmdesk", "--library", str(tmp_path / "lib"),
         "--screenshot", str(tmp_path / "shot.png")],
        env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "made by a newer WarmDesk" in proc.stderr and "--library DIR" in proc.stderr
    assert not (tmp_path / "shot.png").exists()
    assert contents() == before and before[0] == 99
