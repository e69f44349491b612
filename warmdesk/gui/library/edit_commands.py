"""The commands on runs: the browser's context actions (declared once), the
undoable edits of runs in the library (rename, tags, notes, delete, restore),
the small dialogs that ask for them, and export.

Every edit runs off the GUI thread through an :class:`EditQueue`, one at a
time and in order (an undo right after its redo cannot overtake it). An edit
is done first and pushed onto the undo stack only once it succeeded, so a
refused edit (an empty name, a tag with a space) never leaves a command that
undoes nothing; its first ``redo`` (which ``QUndoStack.push`` calls) is
therefore skipped.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QLabel, QLineEdit, QMenu,
                               QPlainTextEdit, QVBoxLayout, QWidget)

from ...core.library import Library
from ...core.runfile import SUFFIX, write_runfile
from ...core.text_rules import check_label, check_notes, check_tags
from ..actions import RUN_ACTION_SHORTCUTS, RUN_ACTIONS
from ..background import run_in_background

Edit = Callable[[Library], Any]


class EditQueue(QObject):
    """Library edits run in the background one after another."""

    succeeded = Signal(str)     # what was done (e.g. "Renamed the run")
    failed = Signal(str)        # the error's text
    revisited = Signal(list)    # run ids an undo or redo left in the listing (to select)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._waiting: deque[tuple[Edit, str, str, Callable[[], None] | None]] = deque()
        self._busy = False

    def submit(self, edit: Edit, doing: str, done: str,
               then: Callable[[], None] | None = None) -> None:
        """Run ``edit(library)``; on success call ``then()`` and emit ``done``, on
        failure emit "<doing> failed: <why>"."""
        self._waiting.append((edit, doing, done, then))
        self._next()

    def _next(self) -> None:
        if self._busy or not self._waiting:
            return
        edit, doing, done_text, then = self._waiting.popleft()
        self._busy = True
        library = self.library

        def done(_result: Any) -> None:
            self._busy = False
            if then is not None:
                then()
            self.succeeded.emit(done_text)
            self._next()

        def failed(message: str) -> None:
            self._busy = False
            self.failed.emit(f"{doing[:1].upper()}{doing[1:]} failed: {message}")
            self._next()

        run_in_background(lambda: edit(library), done, failed, owner=self)


class LibraryEditCommand(QUndoCommand):
    """An edit done already (its first redo is skipped) that can be undone and redone.
    Once an undo or redo reached the library, its ``run_ids`` are announced through
    ``queue.revisited`` (to be selected) unless it took them out of the listing
    (``listed_after``: after undo, after redo)."""

    def __init__(self, text: str, queue: EditQueue, forward: Edit, backward: Edit,
                 run_ids: Sequence[str] = (), listed_after: tuple[bool, bool] = (True, True)
                 ) -> None:
        super().__init__(text)
        self.queue = queue
        self.forward, self.backward = forward, backward
        self.run_ids, self.listed_after = list(run_ids), listed_after
        self._skip_redo = True

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self.queue.submit(self.forward, f"redoing: {self.text()}", f"Redone: {self.text()}",
                          lambda: self._revisited(1))

    def undo(self) -> None:
        self.queue.submit(self.backward, f"undoing: {self.text()}", f"Undone: {self.text()}",
                          lambda: self._revisited(0))

    def _revisited(self, after: int) -> None:
        if self.run_ids and self.listed_after[after]:
            self.queue.revisited.emit(self.run_ids)


class RenameCommand(LibraryEditCommand):
    def __init__(self, queue: EditQueue, run_id: str, old: str, new: str) -> None:
        super().__init__(f"rename run {run_id[:8]} to {new!r}", queue,
                         lambda lib: lib.rename(run_id, new), lambda lib: lib.rename(run_id, old),
                         [run_id])


class NotesCommand(LibraryEditCommand):
    def __init__(self, queue: EditQueue, run_id: str, old: str, new: str) -> None:
        super().__init__(f"edit the notes of run {run_id[:8]}", queue,
                         lambda lib: lib.set_notes(run_id, new),
                         lambda lib: lib.set_notes(run_id, old), [run_id])


class TagCommand(LibraryEditCommand):
    """``changes``: run id -> (tags before, tags after)."""

    def __init__(self, queue: EditQueue, changes: dict[str, tuple[list[str], list[str]]]) -> None:
        def apply(which: int) -> Edit:
            def edit(lib: Library) -> None:
                for run_id, pair in changes.items():
                    lib.set_tags(run_id, pair[which])
            return edit
        super().__init__(f"tag {count_runs(len(changes))}", queue, apply(1), apply(0),
                         list(changes))


class DeleteCommand(LibraryEditCommand):
    """Move runs to the trash; undo restores them."""

    def __init__(self, queue: EditQueue, run_ids: Sequence[str]) -> None:
        ids = list(run_ids)
        super().__init__(f"delete {count_runs(len(ids))}", queue,
                         lambda lib: lib.delete(ids), lambda lib: lib.restore(ids),
                         ids, listed_after=(True, False))


class RestoreCommand(LibraryEditCommand):
    """Bring runs back from the trash; undo moves them there again."""

    def __init__(self, queue: EditQueue, run_ids: Sequence[str]) -> None:
        ids = list(run_ids)
        super().__init__(f"restore {count_runs(len(ids))}", queue,
                         lambda lib: lib.restore(ids), lambda lib: lib.delete(ids),
                         ids, listed_after=(False, True))


def count_runs(n: int) -> str:
    return "1 run" if n == 1 else f"{n:,} runs"


def tag_changes(current: dict[str, list[str]], text: str) -> dict[str, tuple[list[str], list[str]]]:
    """New tags for several runs from the edited text of the tags they share.

    Shared tags left out of ``text`` are removed from every run, tags in
    ``text`` are added to every run, and each run keeps its other tags. Runs
    whose tags do not change are left out."""
    wanted = list(dict.fromkeys(text.split()))
    removed = set(shared_tags(current)) - set(wanted)
    changes = {}
    for run_id, tags in current.items():
        new = [t for t in tags if t not in removed]
        new += [t for t in wanted if t not in new]
        if new != tags:
            changes[run_id] = (list(tags), new)
    return changes


def shared_tags(current: dict[str, list[str]]) -> list[str]:
    """The tags every one of the runs carries, in the first run's order."""
    lists = list(current.values())
    if not lists:
        return []
    return [t for t in lists[0] if all(t in other for other in lists[1:])]




def make_run_actions(parent: QObject, handlers: dict[str, Callable[[], None]]
                     ) -> dict[str, QAction]:
    actions = {}
    for key, text, tip, _, _ in RUN_ACTIONS:
        action = QAction(text, parent, toolTip=tip, statusTip=tip)
        if key in RUN_ACTION_SHORTCUTS:         # shown in the menu; the table handles the keys
            action.setShortcut(QKeySequence(RUN_ACTION_SHORTCUTS[key]))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(lambda _checked=False, handler=handlers[key]: handler())
        actions[key] = action
    return actions


def enable_run_actions(actions: dict[str, QAction], selected: int, trash: bool) -> None:
    for key, _, _, needs, view in RUN_ACTIONS:
        fits = view is None or (view == "trash") == trash
        actions[key].setEnabled(fits and (selected == 1 if needs == "one" else selected >= 1))


def run_context_menu(parent: QWidget, actions: dict[str, QAction], trash: bool) -> QMenu:
    menu = QMenu(parent)
    for key, _, _, _, view in RUN_ACTIONS:
        if key in ("export", "delete"):
            menu.addSeparator()
        if view is None or (view == "trash") == trash:
            menu.addAction(actions[key])
    return menu


Check = Callable[[str], str | None]


class TextEditDialog(QDialog):
    """Asks for one text (a line, or several lines for notes). Opened with
    ``open()``; connect ``accepted`` and read :meth:`text`. ``check`` (the
    library's own rule, from core.text_rules) says as you type why the text
    cannot be kept, and OK stays disabled until it can."""

    def __init__(self, title: str, label: str, text: str, parent: QWidget | None = None,
                 multiline: bool = False, hint: str = "", check: Check | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(label))
        self.editor: QLineEdit | QPlainTextEdit
        if multiline:
            self.editor = QPlainTextEdit(text)
            self.resize(480, 320)
        else:
            self.editor = QLineEdit(text)
            self.editor.selectAll()
            self.resize(420, self.sizeHint().height())
        layout.addWidget(self.editor)
        if hint:
            note = QLabel(hint)
            note.setWordWrap(True)
            note.setStyleSheet("color: palette(mid);")
            layout.addWidget(note)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.hide()
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._check = check
        self.editor.textChanged.connect(self._recheck)
        self._recheck()

    def _recheck(self) -> None:
        problem = self._check(self.text()) if self._check is not None else None
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        self.ok_button.setEnabled(not problem)

    def text(self) -> str:
        if isinstance(self.editor, QPlainTextEdit):
            return self.editor.toPlainText()
        return self.editor.text()

    def set_text(self, text: str) -> None:
        if isinstance(self.editor, QPlainTextEdit):
            self.editor.setPlainText(text)
        else:
            self.editor.setText(text)


class RunEditor(QObject):
    """The edit flows on the selected runs: ask (dialog), do (queue), then push
    the undo command; and export. ``selected(then)`` hands ``then`` the selected
    runs' summaries (maybe later, once read); ``parent`` is the widget the
    dialogs belong to."""

    message = Signal(str)       # for the status line: what was done, or why not
    changed = Signal()          # an edit (or its undo/redo) reached the library

    def __init__(self, library: Library, parent: QWidget,
                 selected: Callable[[Callable[[list[dict[str, Any]]], None]], None]) -> None:
        super().__init__(parent)
        self.library = library
        self.widget = parent
        self.selected = selected
        self.queue = EditQueue(library, self)
        self.undo_stack = QUndoStack(self)
        self.active_dialog: QDialog | None = None   # the one opened last (tests fill it in)
        self.queue.succeeded.connect(self._succeeded)
        self.queue.failed.connect(self.message)

    def rename(self) -> None:
        self._with_runs(self._rename, one=True)

    def _rename(self, runs: list[dict[str, Any]]) -> None:
        for run in runs:
            dialog = TextEditDialog("Rename run", f"New name of run {run['id'][:8]}:",
                                    run["name"], self.widget,
                                    check=lambda text: check_label(text.strip(), "The name"))
            dialog.accepted.connect(lambda run=run, dialog=dialog: self._do(
                RenameCommand(self.queue, run["id"], run["name"], dialog.text().strip()),
                "renaming the run", f"Renamed the run to {dialog.text().strip()!r}"))
            self._open(dialog)

    def edit_notes(self) -> None:
        self._with_runs(self._edit_notes, one=True)

    def _edit_notes(self, runs: list[dict[str, Any]]) -> None:
        for run in runs:
            old = run.get("notes") or ""
            dialog = TextEditDialog("Notes", f"Notes on {run['name']}:", old, self.widget,
                                    multiline=True,
                                    check=lambda text: check_notes(text, "The notes"))
            dialog.accepted.connect(lambda run=run, old=old, dialog=dialog: self._do(
                NotesCommand(self.queue, run["id"], old, dialog.text()), "saving the notes",
                "Saved the notes"))
            self._open(dialog)

    def edit_tags(self) -> None:
        self._with_runs(self._edit_tags)

    def _edit_tags(self, runs: list[dict[str, Any]]) -> None:
        current = {r["id"]: list(r["tags"]) for r in runs}
        hint = ("Single words separated by spaces." if len(current) == 1 else
                f"The tags all {len(current)} runs share. Tags you add go to every run, tags "
                "you remove leave every run; each run keeps its other tags.")
        dialog = TextEditDialog("Tag runs", f"Tags of {count_runs(len(current))}:",
                                " ".join(shared_tags(current)), self.widget, hint=hint,
                                check=lambda text: check_tags(text.split(), "Tags"))

        def accepted() -> None:
            changes = tag_changes(current, dialog.text())
            if changes:
                n = count_runs(len(changes))
                self._do(TagCommand(self.queue, changes), f"tagging {n}", f"Tagged {n}")
        dialog.accepted.connect(accepted)
        self._open(dialog)

    def delete(self) -> None:
        def delete(runs: list[dict[str, Any]]) -> None:
            ids, n = [r["id"] for r in runs], count_runs(len(runs))
            self._do(DeleteCommand(self.queue, ids), f"deleting {n}",
                     f"Moved {n} to the trash (Undo brings them back)")
        self._with_runs(delete)

    def restore(self) -> None:
        def restore(runs: list[dict[str, Any]]) -> None:
            ids, n = [r["id"] for r in runs], count_runs(len(runs))
            self._do(RestoreCommand(self.queue, ids), f"restoring {n}", f"Restored {n}")
        self._with_runs(restore)

    def export(self, path: str | Path | None = None) -> None:
        """Write the runs to a run file at ``path``, or where a file dialog says."""
        self._with_runs(lambda runs: self._export_runs(runs, path))

    def _export_runs(self, runs: list[dict[str, Any]], path: str | Path | None) -> None:
        ids = [r["id"] for r in runs]
        if path is not None:
            self._export(ids, Path(path))
        else:
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in runs[0]["name"])
            dialog = QFileDialog(self.widget, "Export runs", name + SUFFIX,
                                 f"WarmDesk runs (*{SUFFIX})")
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix(SUFFIX.lstrip("."))
            dialog.fileSelected.connect(lambda chosen: self._export(ids, Path(chosen)))
            self._open(dialog)

    def _with_runs(self, then: Callable[[list[dict[str, Any]]], None], one: bool = False) -> None:
        """``then(runs)`` with the selected runs (one exactly, if ``one``); says so
        when there are none."""
        def got(runs: list[dict[str, Any]]) -> None:
            if not runs or (one and len(runs) != 1):
                self.message.emit("Select one run first" if one else "Select runs first")
            else:
                then(runs)
        self.selected(got)

    def _export(self, ids: list[str], path: Path) -> None:
        library, n = self.library, count_runs(len(ids))
        self.message.emit(f"Exporting {n}…")
        run_in_background(lambda: write_runfile(path, [library.get_run(i) for i in ids]),
                          lambda where: self.message.emit(f"Exported {n} to {where}"),
                          lambda why: self.message.emit(f"Exporting {n} failed: {why}"),
                          owner=self)

    def _do(self, command: LibraryEditCommand, doing: str, done: str) -> None:
        """Do the edit; once it succeeded, put it on the undo stack."""
        self.queue.submit(command.forward, doing, done, lambda: self.undo_stack.push(command))

    def _open(self, dialog: QDialog) -> None:
        self.active_dialog = dialog
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _succeeded(self, text: str) -> None:
        self.changed.emit()
        self.message.emit(text)
