"""Fixtures for driving the real main window offscreen over a real library."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from warmdesk.core.library import Library
from warmdesk.core.library_query import RunQuery
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.settings import AppSettings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppSettings:
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("WARMDESK_SETTINGS", str(path))
    s = AppSettings(str(path))
    s.examples_offered = True   # the offer has its own test
    return s


@pytest.fixture
def window(qtbot, tmp_path: Path, settings: AppSettings) -> Iterator:
    from warmdesk.gui.main_window import MainWindow

    library = Library(tmp_path / "library")
    win = MainWindow(library, settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitUntil(win.is_ready, timeout=20000)
    yield win
    win.manager.stop_all()
    wait_for_background()
    assert library.count(RunQuery(status="running", limit=0)) == 0
    library.close()
