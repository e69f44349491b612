"""Fixtures for driving the real main window offscreen over a real library."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from warmdesk.core.advisor import record_outcome
from warmdesk.core.engine import solve
from warmdesk.core.library import Library, RunQuery
from warmdesk.gui.background import wait_for_background
from warmdesk.core.runs import Run
from warmdesk.core.warmstart import warm_start_from_run
from warmdesk.gui.settings import AppSettings

from ..core.factories import build, fit_spec, rosenbrock, write_peaks


@pytest.fixture(scope="session", autouse=True)
def named_app(qapp, private_home: Path):
    """The tests' QApplication carries the app's names, as the real one does
    (its settings are WarmDesk's, in the session's private home), and collects
    reference cycles on the GUI thread only, as the real one does."""
    from warmdesk.gui.app import name_application
    from warmdesk.gui.gui_thread_gc import collect_on_gui_thread

    name_application(qapp)
    collect_on_gui_thread(qapp)
    return qapp


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


@dataclass
class Stocked:
    library: Library
    cold: Run
    warm: Run
    fit: Run


def stock_library(folder: Path) -> Stocked:
    """A cold Rosenbrock run, a warm run from it for a=1.05 (with its saving), a fit run."""
    library = Library(folder)
    cold = solve(build(rosenbrock()))
    library.save_run(cold)
    record_outcome(library, cold)
    changed = build(rosenbrock(a=1.05))
    warm = solve(changed, warm_start_from_run(changed, cold))
    library.save_run(warm)
    record_outcome(library, warm)
    write_peaks(folder)
    fit = solve(build(fit_spec(), folder))
    library.save_run(fit)
    return Stocked(library, cold, warm, fit)


@pytest.fixture
def stocked(tmp_path: Path):
    s = stock_library(tmp_path)
    yield s
    wait_for_background()
    s.library.close()
