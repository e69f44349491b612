"""The main window at first sight (issue #14, item 1): it fits the screen, the
library table shows the saving and the status first, the filter box stays
usable, the details get room on a small screen, and panels can be collapsed."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QRect

from warmdesk.core.library import Library
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.library.model import COLUMN_OF
from warmdesk.gui.settings import AppSettings

from .conftest import stock_library


def _window(library: Library, settings: AppSettings):
    from warmdesk.gui.main_window import MainWindow

    return MainWindow(library, settings)


@pytest.fixture
def stocked_window(qtbot, tmp_path: Path, settings: AppSettings) -> Iterator:
    """A window over a library with a warm run (so the Saving column has a value)."""
    stocked = stock_library(tmp_path / "lib")
    win = _window(stocked.library, settings)
    qtbot.addWidget(win)
    yield win, stocked
    win.manager.stop_all()
    wait_for_background()
    stocked.library.close()


def _show_at(qtbot, win, width: int, height: int) -> None:
    win.resize(width, height)
    win.show()
    qtbot.waitUntil(win.is_ready, timeout=20000)
    qtbot.waitUntil(lambda: win.browser.model.rowCount() == 3)


def _column_on_screen(win, key: str) -> bool:
    """The column is shown and lies wholly inside the table's viewport."""
    table = win.browser.table
    header, column = table.horizontalHeader(), COLUMN_OF[key]
    left = header.sectionViewportPosition(column)
    return (not header.isSectionHidden(column) and header.sectionSize(column) > 20
            and left >= 0 and left + header.sectionSize(column) <= table.viewport().width())


def _inside(outer: QRect, inner: QRect) -> bool:
    return outer.contains(inner)


def test_first_launch_window_fits_the_screen(qtbot, tmp_path: Path,
                                             settings: AppSettings) -> None:
    library = Library(tmp_path / "library")
    win = _window(library, settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(win.is_ready, timeout=20000)
    available = win.screen().availableGeometry()
    assert _inside(available, win.frameGeometry()), (win.frameGeometry(), available)
    win.close()
    wait_for_background()
    library.close()


def test_restored_geometry_larger_than_the_screen_is_clamped(qtbot, tmp_path: Path,
                                                             settings: AppSettings) -> None:
    library = Library(tmp_path / "library")
    first = _window(library, settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitUntil(first.is_ready, timeout=20000)
    available = first.screen().availableGeometry()
    first.setGeometry(available.x() + 300, available.y() + 200,
                      available.width() + 900, available.height() + 500)   # from a bigger screen
    first.close()
    assert settings.geometry is not None
    second = _window(library, settings)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(second.is_ready, timeout=20000)
    assert _inside(available, second.frameGeometry()), (second.frameGeometry(), available)
    second.close()
    wait_for_background()
    library.close()


@pytest.mark.parametrize("size", [(1024, 700), (1440, 900), (1920, 1080)])
def test_status_and_saving_columns_are_visible(qtbot, stocked_window, size) -> None:
    win, _stocked = stocked_window
    _show_at(qtbot, win, *size)
    qtbot.waitUntil(lambda: _column_on_screen(win, "saving") and _column_on_screen(win, "status"))
    assert _column_on_screen(win, "name")
    if size[0] >= 1440:
        for key in ("warm_source", "created_at", "fun", "nfev"):
            assert _column_on_screen(win, key), key


def test_filter_box_keeps_a_usable_width_at_1024(qtbot, stocked_window) -> None:
    win, _stocked = stocked_window
    _show_at(qtbot, win, 1024, 700)
    edit = win.browser.filter_edit
    wanted = edit.fontMetrics().horizontalAdvance("Filter by name or notes")
    qtbot.waitUntil(lambda: edit.width() >= wanted)


def test_details_show_many_lines_at_1024x700(qtbot, stocked_window) -> None:
    win, stocked = stocked_window
    _show_at(qtbot, win, 1024, 700)
    win.show_details(stocked.warm.id)
    qtbot.waitUntil(lambda: win.details.run() is not None)
    summary = win.details._summary
    # (the dock scrolls its content: count the lines the user can see)
    seen = summary.viewport().visibleRegion().boundingRect().height()
    lines = seen // summary.fontMetrics().lineSpacing()
    assert lines >= 12, lines


def test_hidden_columns_chosen_in_the_header_menu_persist(qtbot, stocked_window,
                                                          settings: AppSettings) -> None:
    win, _stocked = stocked_window
    _show_at(qtbot, win, 1920, 1080)
    qtbot.waitUntil(lambda: _column_on_screen(win, "method"))
    menu = win.browser.column_menu()
    action = next(a for a in menu.actions() if a.text() == "Method")
    assert action.isChecked()
    action.trigger()
    qtbot.waitUntil(lambda: not _column_on_screen(win, "method"))
    win.close()
    assert settings.column_choice == {"method": False}
    again = _window(win.library, settings)
    qtbot.addWidget(again)
    _show_at(qtbot, again, 1920, 1080)
    assert not _column_on_screen(again, "method") and _column_on_screen(again, "kind")
    again.close()


def test_panels_can_be_collapsed_and_brought_back(qtbot, stocked_window) -> None:
    win, _stocked = stocked_window
    _show_at(qtbot, win, 1024, 700)
    before = win.browser.table.viewport().width()
    toggle = win.panel_actions["dock_warm"]
    toggle.trigger()
    qtbot.waitUntil(lambda: not win.warm_dock.isVisible())
    toggle2 = win.panel_actions["dock_problem"]
    toggle2.trigger()
    win.panel_actions["dock_details"].trigger()
    qtbot.waitUntil(lambda: win.browser.table.viewport().width() > before)
    for name in ("dock_warm", "dock_problem", "dock_details"):
        win.panel_actions[name].trigger()
    qtbot.waitUntil(lambda: win.warm_dock.isVisible() and win.editor_dock.isVisible())
