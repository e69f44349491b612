"""What the window shows follows the library (issue #14, item 3): the details
follow the selection (also after a drop), running solves are listed in the
table as they start, the count matches the table, a deleted run leaves the
warm-start suggestions, an undo re-selects the runs it brought back, and
"Clear finished" leaves the Active runs strip showing its title."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel, QScrollArea

from warmdesk.core.engine import solve
from warmdesk.core.library import RunQuery
from warmdesk.core.runfile import write_runfile
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.library.model import COLUMN_OF
from warmdesk.gui.settings import AppSettings

from ..core.factories import build, rosenbrock
from .conftest import stock_library
from .test_window_files import _drop
from .test_window_lifecycle import TIMEOUT, _start_long


@pytest.fixture
def stocked_window(qtbot, tmp_path: Path, settings: AppSettings) -> Iterator:
    from warmdesk.gui.main_window import MainWindow

    stocked = stock_library(tmp_path / "lib")
    win = MainWindow(stocked.library, settings)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitUntil(win.is_ready, timeout=20000)
    qtbot.waitUntil(lambda: win.browser.model.rowCount() == 3)
    yield win, stocked
    win.manager.stop_all()
    wait_for_background()
    stocked.library.close()


def _shown(win) -> str | None:
    run = win.details.run()
    return run.id if run is not None else None


def _row_status(win, run_id: str) -> str | None:
    model = win.browser.model
    row = model.row_of(run_id)
    return None if row is None else model.index(row, COLUMN_OF["status"]).data()


def test_details_follow_the_runs_a_drop_selects(qtbot, stocked_window, tmp_path: Path) -> None:
    win, stocked = stocked_window
    win.show_details(stocked.cold.id)
    qtbot.waitUntil(lambda: _shown(win) == stocked.cold.id, timeout=20000)
    dropped = solve(build(rosenbrock(n=3, a=1.7)))
    path = write_runfile(tmp_path / "dropped.wdrun", [dropped])
    assert _drop(win, [path])
    qtbot.waitUntil(lambda: win.browser.selected_run_ids() == [dropped.id], timeout=20000)
    qtbot.waitUntil(lambda: _shown(win) == dropped.id, timeout=20000)


def test_details_follow_a_click_in_the_table(qtbot, stocked_window) -> None:
    win, stocked = stocked_window
    win.show_details(stocked.cold.id)
    qtbot.waitUntil(lambda: _shown(win) == stocked.cold.id, timeout=20000)
    win.browser.select_runs([stocked.fit.id])
    qtbot.waitUntil(lambda: _shown(win) == stocked.fit.id, timeout=20000)


def test_a_running_solve_is_listed_in_the_table(qtbot, window) -> None:
    _job, run_id = _start_long(qtbot, window, "listed while running")
    qtbot.waitUntil(lambda: _row_status(window, run_id) == "running", timeout=20000)
    assert window.browser.count_label.text() == "1 run"
    with qtbot.waitSignal(window.manager.job_finished, timeout=TIMEOUT):
        window.interrupt_all()
    qtbot.waitUntil(lambda: _row_status(window, run_id) == "interrupted", timeout=20000)


def test_table_and_count_agree_while_the_examples_solve(qtbot, tmp_path: Path,
                                                         settings: AppSettings) -> None:
    from warmdesk.core.library import Library
    from warmdesk.gui.main_window import MainWindow

    library = Library(tmp_path / "examples")
    win = MainWindow(library, settings)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitUntil(win.is_ready, timeout=20000)
    assert win.browser.count_label.text() == "No runs yet"
    finished: list[str] = []
    win.manager.job_finished.connect(lambda job, _result: finished.append(job))
    with qtbot.waitSignal(win.examples_started, timeout=TIMEOUT):
        win.load_examples()
    model, label = win.browser.model, win.browser.count_label

    def listed() -> bool:
        rows = model.rowCount()
        return rows > 0 and label.text() == f"{rows} run{'s' if rows != 1 else ''}" \
            and model.run_id(0) is not None

    # the examples' runs are listed (as running) as they start, not once one has finished
    qtbot.waitUntil(lambda: listed() and not finished, timeout=TIMEOUT)
    win.manager.stop_all()
    qtbot.waitUntil(lambda: listed() and model.rowCount() == library.count(RunQuery(limit=0)),
                    timeout=20000)
    win.close()
    wait_for_background()
    library.close()


def _suggested(win) -> list[str]:
    advice = win.warm_panel.advice()
    return [s.run_id for s in advice.suggestions] if advice is not None else []


def test_a_deleted_run_leaves_the_suggestions(qtbot, stocked_window, tmp_path: Path) -> None:
    win, stocked = stocked_window
    spec = rosenbrock(a=1.02)
    spec["name"] = "rosenbrock again"
    path = tmp_path / "again.json"
    path.write_text(json.dumps(spec))
    win.open_paths([path])
    qtbot.waitUntil(lambda: stocked.cold.id in _suggested(win), timeout=20000)
    win.browser.select_runs([stocked.cold.id])
    qtbot.waitUntil(lambda: win.browser.selected_run_ids() == [stocked.cold.id], timeout=20000)
    win.browser.delete_selected()
    qtbot.waitUntil(lambda: win.browser.model.rowCount() == 2, timeout=20000)
    qtbot.waitUntil(lambda: win.warm_panel.advice() is not None
                    and not win.warm_panel.is_busy()
                    and stocked.cold.id not in _suggested(win), timeout=20000)


def test_undo_of_a_delete_selects_the_restored_run(qtbot, stocked_window) -> None:
    win, stocked = stocked_window
    win.browser.select_runs([stocked.fit.id])
    qtbot.waitUntil(lambda: win.browser.selected_run_ids() == [stocked.fit.id], timeout=20000)
    win.browser.delete_selected()
    qtbot.waitUntil(lambda: win.browser.model.rowCount() == 2, timeout=20000)
    assert stocked.fit.id not in win.browser.selected_run_ids()
    win.actions["undo"].trigger()
    qtbot.waitUntil(lambda: win.browser.model.rowCount() == 3, timeout=20000)
    qtbot.waitUntil(lambda: win.browser.selected_run_ids() == [stocked.fit.id], timeout=20000)


def _fully_visible(widget, within) -> bool:
    """``widget`` is wholly painted and lies inside ``within``'s rectangle."""
    top_left = widget.mapTo(within, widget.rect().topLeft())
    seen = widget.visibleRegion().boundingRect()
    return (seen.size() == widget.size()
            and QRect(0, 0, within.width(), within.height()).contains(
                QRect(top_left, widget.size())))


def test_clear_finished_leaves_the_active_runs_title_in_view(qtbot, window) -> None:
    panel = window.active_runs
    for k in range(4):
        problem = build(rosenbrock(n=2, a=1.0 + k / 10))
        with qtbot.waitSignal(window.manager.job_finished, timeout=TIMEOUT):
            window.launcher.launch_cold(problem, label=f"quick {k}")
    assert len(panel.job_ids()) == 4
    for area in window.runs_dock.findChildren(QScrollArea):   # the user scrolls down
        area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
    dock_widget = window.runs_dock.widget()
    if isinstance(dock_widget, QScrollArea):
        dock_widget.verticalScrollBar().setValue(dock_widget.verticalScrollBar().maximum())
    panel.clear_button.click()
    assert panel.job_ids() == []
    qtbot.waitUntil(lambda: _fully_visible(panel.title_label, window.runs_dock))
    assert _fully_visible(panel.clear_button, window.runs_dock)


def test_a_deleted_hand_picked_run_is_dropped_from_the_warm_start(qtbot, stocked_window,
                                                                   tmp_path: Path) -> None:
    win, stocked = stocked_window
    spec = rosenbrock(a=1.02)
    path = tmp_path / "again.json"
    path.write_text(json.dumps(spec))
    win.open_paths([path])
    qtbot.waitUntil(lambda: win.warm_panel.advice() is not None, timeout=20000)
    win.use_as_warm_start(stocked.warm.id)              # (a drop on the panel does the same)
    qtbot.waitUntil(lambda: win.warm_panel.selected_source() == stocked.warm.id, timeout=20000)
    win.browser.select_runs([stocked.warm.id])
    qtbot.waitUntil(lambda: win.browser.selected_run_ids() == [stocked.warm.id], timeout=20000)
    win.browser.delete_selected()
    qtbot.waitUntil(lambda: win.warm_panel.selected_source() != stocked.warm.id
                    and stocked.warm.id not in _suggested(win), timeout=20000)
    assert "no longer in the library" in win.warm_panel.findChild(QLabel, "warmMessage").text()
