"""The main window's layout: the first-launch offer over the library table and
the plot (a splitter) in the middle; the problem editor, the run details and the
warm-start panel docked on the right; the active runs in a strip at the bottom."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDockWidget, QFrame, QMainWindow, QScrollArea, QSplitter,
                               QVBoxLayout, QWidget)

from .window_geometry import is_short

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


@dataclass(frozen=True)
class WindowDocks:
    splitter: QSplitter        # the library table over the plot
    editor: QDockWidget
    details: QDockWidget
    warm: QDockWidget
    runs: QDockWidget

    def all(self) -> tuple[QDockWidget, ...]:
        """The docks in the order the View > Panels menu lists them."""
        return (self.editor, self.details, self.warm, self.runs)


def add_dock(window: QMainWindow, title: str, name: str, widget: QWidget,
             area: Qt.DockWidgetArea, scrolled: bool = True) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    if scrolled:
        # in a scroll area: a dock can be made smaller than its content's minimum
        # (the window then fits small screens) and scrolls instead
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(widget)
        widget = scroll
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    return dock


def build_docks(window: QMainWindow, *, offer: QWidget, browser: QWidget, plot: QWidget,
                editor: QWidget, details: QWidget, warm_panel: QWidget,
                active_runs: QWidget) -> WindowDocks:
    """Lay the components out in ``window``: its central widget and its docks."""
    left = QWidget()
    layout = QVBoxLayout(left)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(offer)
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.setObjectName("library_plot_splitter")
    splitter.addWidget(browser)
    splitter.addWidget(plot)
    splitter.setSizes([380, 420])
    layout.addWidget(splitter)
    window.setCentralWidget(left)
    window.setCorner(Qt.Corner.BottomRightCorner, RIGHT)   # the right column runs to the bottom
    editor_dock = add_dock(window, "Problem", "dock_problem", editor, RIGHT)
    details_dock = add_dock(window, "Run details", "dock_details", details, RIGHT)
    window.tabifyDockWidget(editor_dock, details_dock)
    editor_dock.raise_()
    warm_dock = add_dock(window, "Warm start", "dock_warm", warm_panel, RIGHT)
    # (not scrolled as a whole: its list scrolls, its title and buttons stay in view)
    runs_dock = add_dock(window, "Active runs", "dock_runs", active_runs,
                         Qt.DockWidgetArea.BottomDockWidgetArea, scrolled=False)
    return WindowDocks(splitter, editor_dock, details_dock, warm_dock, runs_dock)


def default_dock_sizes(window: QMainWindow, docks: WindowDocks) -> None:
    """First start (no saved layout): the editor over the warm-start panel on
    the right, a slim active-runs strip at the bottom. In a low window the
    right-hand panels share one tab group instead, so each has the full height
    (the run details and the problem's data preview stay readable)."""
    width = max(400, min(640, int(window.width() * 0.36)))
    if is_short(window):
        window.tabifyDockWidget(docks.details, docks.warm)
        docks.editor.raise_()
    else:
        height = max(600, window.height())
        window.resizeDocks([docks.editor, docks.warm],
                           [int(height * 0.40), int(height * 0.60)], Qt.Orientation.Vertical)
    window.resizeDocks([docks.editor], [width], Qt.Orientation.Horizontal)
    window.resizeDocks([docks.runs], [110], Qt.Orientation.Vertical)
