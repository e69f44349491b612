"""What closing the main window does, in order: unsaved problem edits are asked
about (Save / Discard / Cancel); running solves are asked about (stop them and
quit?); then every solve is stopped, the settings are saved and the window closes.

Each question is a window-modal box opened (not run in a nested event loop), so
the close event is ignored and the window closes again once it is answered."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from ..core.display import plural
from .editor.problem_editor import ProblemEditor
from .runs.solve_manager import SolveManager
from .unsaved_changes import UnsavedChanges


class CloseSequence(QObject):
    def __init__(self, window: QWidget, editor: ProblemEditor, manager: SolveManager,
                 unsaved: UnsavedChanges, save_settings: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._editor = editor
        self._manager = manager
        self._unsaved = unsaved
        self._save_settings = save_settings
        self._close_confirmed = False
        self._edits_discarded_at: int | None = None   # the editor's edit count when discarded
        #: The "Solves are running" question, kept so a test can answer it.
        self.confirm_box: QMessageBox | None = None

    def close_event(self, event: QCloseEvent) -> None:
        """The window's closeEvent: accepted, or ignored while a question is open."""
        editor = self._editor
        if editor.is_modified() and self._edits_discarded_at != editor.edit_count:
            event.ignore()
            self._unsaved.then(self._close_after_unsaved, "closing WarmDesk")
            return
        active = self._manager.active_jobs()
        if active and not self._close_confirmed:
            event.ignore()
            self._ask_to_stop(len(active))
            return
        self._manager.stop_all()
        self._save_settings()
        event.accept()

    def _ask_to_stop(self, n: int) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Solves are running",
                          f"{plural(n, 'solve')} {'is' if n == 1 else 'are'} still running. "
                          f"Stop {'it' if n == 1 else 'them'} and quit? "
                          "Each keeps what it has reached (saved as interrupted).",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self._window)
        box.setObjectName("confirm_close_box")
        box.buttonClicked.connect(lambda button: self._close_answered(box, button))
        box.open()
        self.confirm_box = box

    def _close_after_unsaved(self) -> None:
        """Saved or discarded: close (edits made from now on are asked about again)."""
        self._edits_discarded_at = self._editor.edit_count
        QTimer.singleShot(0, self._window.close)

    def _close_answered(self, box: QMessageBox, button: QAbstractButton) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Yes:
            self._close_confirmed = True
            QTimer.singleShot(0, self._window.close)
        else:
            self._edits_discarded_at = None   # staying: the edits are kept, asked again
