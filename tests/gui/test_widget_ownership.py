"""Every widget the app makes is owned by a Qt parent, so Qt deletes it on the
GUI thread with its window. A top-level widget owned only by its Python wrapper
dies whenever Python's garbage collector reaches it, on whatever thread runs
that collection; a worker thread destroying a QMenu while the GUI thread held
a Qt lock hung a test run (pyqtgraph's context menus sit in reference cycles,
so a collection is what frees them)."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from warmdesk.gui.plot.export import PlotView


def _python_owned_top_levels(before: list[QWidget], *mine: QWidget) -> list[str]:
    return [f"{type(w).__name__} {w.objectName()!r} {w.windowTitle()!r}"
            for w in QApplication.topLevelWidgets()
            if w not in before and not any(w is m for m in mine) and shiboken6.ownedByPython(w)]


def test_a_plot_view_owns_its_context_menus(qtbot) -> None:
    before = QApplication.topLevelWidgets()
    view = PlotView()
    qtbot.addWidget(view)
    assert _python_owned_top_levels(before, view) == []
    for menu in (view.plot_item.vb.menu, view.plot_item.ctrlMenu):
        assert menu.parent() is view                 # still a popup window, not a child
        assert menu.isWindow() and menu.windowType() == Qt.WindowType.Popup


def test_the_main_window_leaves_nothing_to_the_garbage_collector(qtbot, window) -> None:
    assert _python_owned_top_levels([], window) == []


def test_menus_die_with_their_view_on_the_gui_thread(qtbot) -> None:
    view = PlotView()
    menus = [view.plot_item.vb.menu, view.plot_item.ctrlMenu]
    view.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(view))
    assert not any(shiboken6.isValid(m) for m in menus)
