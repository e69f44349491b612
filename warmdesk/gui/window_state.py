"""The main window's state across starts, read and written through
:class:`~warmdesk.gui.settings.AppSettings`: geometry (fitted onto the screen
it opens on), docks and splitter, the library table's columns, the plot's axes
and the guard toggle. Choices the user makes are stored as they are made. Also
File > Use another library folder (the library the next start opens)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRect, QTimer
from PySide6.QtWidgets import QFileDialog

from .window_docks import default_dock_sizes
from .window_geometry import fit_window, place_first_launch

if TYPE_CHECKING:
    from .main_window import MainWindow


class WindowState(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._w = window
        self._placed = QRect()
        self._layout_done = False
        s = window.settings
        window.plot.axes_changed.connect(self._save_plot_axes)
        window.warm_panel.choice_changed.connect(
            lambda: setattr(s, "guard", window.warm_panel.guard_enabled()))
        window.browser.columns_chosen.connect(lambda choice: setattr(s, "column_choice", choice))
        window.examples_offer.dismissed.connect(lambda: setattr(s, "examples_offered", True))

    def restore(self) -> None:
        w, s = self._w, self._w.settings
        if s.geometry is not None and w.restoreGeometry(s.geometry):
            fit_window(w)        # saved on a bigger (or another) screen: onto this one
        else:
            place_first_launch(w)
        self._placed = w.geometry()
        w.browser.set_column_choice(s.column_choice)
        if s.window_state is not None:
            w.restoreState(s.window_state)
        if s.splitter_state is not None:
            w.docks.splitter.restoreState(s.splitter_state)
        w.plot.set_axes(*s.plot_axes)
        w.warm_panel.set_guard_enabled(s.guard)

    def first_show(self) -> None:
        """Once, when the window is first shown: its frame is known now."""
        if self._layout_done:
            return
        self._layout_done = True
        w = self._w
        if w.size() == self._placed.size():   # (a size asked for since is kept)
            fit_window(w)                    # again, now that the frame is known
        if w.settings.window_state is None:
            default_dock_sizes(w, w.docks)

    def save(self) -> None:
        w, s = self._w, self._w.settings
        s.geometry = w.saveGeometry()
        s.window_state = w.saveState()
        s.splitter_state = w.docks.splitter.saveState()
        self._save_plot_axes()
        s.sync()

    def _save_plot_axes(self) -> None:
        self._w.settings.plot_axes = self._w.plot.axes()

    def choose_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self._w, "Library folder",
                                                  str(self._w.library.folder))
        if folder:
            self._w.set_library_folder(folder)

    def set_library_folder(self, folder: str) -> None:
        """Use the library in ``folder``: at once when the app's session can switch
        (a new window over it; see ``session.py``), else from the next start."""
        w = self._w
        switch = w.switch_library
        if switch is not None:
            QTimer.singleShot(0, lambda: switch(folder))   # after the action that asked
            return
        w.settings.library_dir = folder
        w.settings.sync()
        w.show_message(f"WarmDesk will use the library in {folder} from the next start "
                       f"(now: {w.library.folder}).")
