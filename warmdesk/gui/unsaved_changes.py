"""Unsaved problem edits are never lost without a word.

Before the edited problem is replaced (File > New, Open, a drop, "new problem
from this run") or the window closes, :meth:`UnsavedChanges.then` asks
Save / Discard / Cancel when the editor holds edits that are in no file:

- Save writes the problem the usual way (atomically, to its file, or asks for
  one first) and goes on only once it is written; a failed or cancelled save
  goes nowhere, the edits stay.
- Discard goes on, dropping the edits.
- Cancel does nothing.

The question is a window-modal box opened (not run in a nested event loop);
it is kept as :attr:`UnsavedChanges.box` so a test can answer it."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from .editor.problem_editor import ProblemEditor

Button = QMessageBox.StandardButton


class UnsavedChanges(QObject):
    def __init__(self, editor: ProblemEditor, save: Callable[[], bool],
                 parent: QWidget) -> None:
        """``save`` starts saving the edited problem; False when it did not start
        (the user cancelled the file dialog)."""
        super().__init__(parent)
        self._editor = editor
        self._save = save
        self._parent = parent
        self._after_save: Callable[[], None] | None = None
        self.box: QMessageBox | None = None
        editor.saved.connect(self._saved)
        editor.save_failed.connect(self._save_failed)

    def then(self, proceed: Callable[[], None], doing: str) -> None:
        """Run ``proceed`` now when nothing is unsaved, else once the user has
        saved or discarded the edits (``doing`` says what waits, e.g. "closing")."""
        if not self._editor.is_modified():
            proceed()
            return
        if self.box is not None and self.box.isVisible():
            self.box.raise_()    # one question at a time
            return
        name = self._editor.display_name()
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved problem",
                          f"The problem “{name}” has changes that are not saved.",
                          Button.Save | Button.Discard | Button.Cancel, self._parent)
        box.setInformativeText(f"Save them before {doing}? Discard drops the changes; "
                               "Cancel goes back to editing.")
        box.setDefaultButton(Button.Save)
        box.setObjectName("unsaved_changes_box")
        box.buttonClicked.connect(lambda button: self._answered(box, button, proceed))
        self.box = box
        box.open()

    def _answered(self, box: QMessageBox, button: QAbstractButton,
                  proceed: Callable[[], None]) -> None:
        answer = box.standardButton(button)
        if answer == Button.Discard:
            proceed()
        elif answer == Button.Save:
            self._after_save = proceed
            if not self._save():
                self._after_save = None

    def _saved(self, _path: str) -> None:
        proceed, self._after_save = self._after_save, None
        if proceed is not None and not self._editor.is_modified():
            proceed()

    def _save_failed(self, _message: str) -> None:
        self._after_save = None     # the error is shown; the edits stay
