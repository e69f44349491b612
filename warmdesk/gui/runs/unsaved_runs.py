"""The message when a finished solve could not be stored (the library's disk
is full): what was and was not written, with "Retry", "Save as run file..."
and "Discard". The runs stay in memory (held by the solve manager) until one
of the first two succeeds or the user discards them; a failed attempt says
why and asks again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ...core.display import printable
from ...core.errors import WarmDeskError
from ...core.unsaved import rescue_name
from .solve_manager import SolveManager

RETRY, SAVE_AS, DISCARD = "Retry", "Save as run file...", "Discard"

#: Asks where to write the run file: (parent, suggested name) -> path, or "" if cancelled.
PathChooser = Callable[[QWidget, str], str]


def ask_for_path(parent: QWidget, suggested: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, "Save the unsaved runs as a run file",
                                          str(Path.home() / suggested),
                                          "WarmDesk run files (*.wdrun)")
    return path


class UnsavedRunsPrompt(QObject):
    """Shows one message per job whose runs the library could not take."""

    #: the runs went into the library (views should reload)
    stored = Signal(str)
    #: a sentence for the status bar (written to a file, discarded)
    message = Signal(str)

    def __init__(self, manager: SolveManager, parent: QWidget,
                 choose_path: PathChooser = ask_for_path) -> None:
        super().__init__(parent)
        self._manager = manager
        self._parent = parent
        self.choose_path = choose_path
        self.boxes: dict[str, QMessageBox] = {}
        manager.save_failed.connect(self.ask)

    def ask(self, job_id: str, text: str) -> QMessageBox:
        """Open (not modal: solves go on) the message for ``job_id``."""
        old = self.boxes.pop(job_id, None)
        if old is not None:
            old.deleteLater()
        box = QMessageBox(QMessageBox.Icon.Warning, "The run was not stored",
                          printable(text, multiline=True), QMessageBox.StandardButton.NoButton,
                          self._parent)
        box.setInformativeText(
            "The finished result is kept in memory until it is stored or you discard it. "
            "Free some space on the library's disk and choose Retry, or save it as a run "
            "file on another disk and import it later.")
        actions = {box.addButton(RETRY, QMessageBox.ButtonRole.AcceptRole): self._retry,
                   box.addButton(SAVE_AS, QMessageBox.ButtonRole.ActionRole): self._save_as,
                   box.addButton(DISCARD, QMessageBox.ButtonRole.DestructiveRole): self._discard}
        box.buttonClicked.connect(lambda button: actions[button](job_id))
        self.boxes[job_id] = box
        box.open()
        return box

    def _close(self, job_id: str) -> None:
        box = self.boxes.pop(job_id, None)
        if box is not None:
            box.deleteLater()

    def _retry(self, job_id: str) -> None:
        try:
            self._manager.retry_save(job_id)
        except WarmDeskError as exc:
            self.ask(job_id, f"Retry failed: {exc}\nThe run is still not in the library.")
            return
        self._close(job_id)
        self.stored.emit(job_id)
        self.message.emit("The run is now stored in the library")

    def _save_as(self, job_id: str) -> None:
        runs = self._manager.unsaved_runs(job_id)
        path = self.choose_path(self._parent, rescue_name(runs)) if runs else ""
        if not path:  # cancelled: ask again, nothing is lost
            self.ask(job_id, self.boxes[job_id].text())
            return
        try:
            written = self._manager.save_unsaved_as(job_id, path)
        except WarmDeskError as exc:
            self.ask(job_id, f"Saving the run file failed: {exc}\n"
                     "The run is still only in memory.")
            return
        self._close(job_id)
        self.message.emit(f"The run was written to {written} (not to the library); "
                          "open that file to import it once the library's disk has room")

    def _discard(self, job_id: str) -> None:
        self._manager.discard_unsaved(job_id)
        self._close(job_id)
        self.message.emit("The unsaved run was discarded")
