"""The main window's files and problems: File > Open and Save, drops on the
window, what an import or a refusal says, and the problem the editor holds (new,
opened, from a run), each replacement asked about first when edits are unsaved.

Files reach :meth:`FileOpener.open_paths <warmdesk.gui.file_open.FileOpener.open_paths>`
the same way whether dropped, chosen in File > Open or given on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from .. import __version__
from ..core.display import plural
from ..core.runs import Run
from ..resources_path import examples_dir
from .background import run_in_background
from .drop_overlay import drag_verdict
from .file_open import FileOpener, OpenReport
from .sweeps.sweep_data import sweep_file_data

if TYPE_CHECKING:
    from .main_window import MainWindow


class WindowFiles(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._w = window
        #: The last "Some files were not opened" box, kept so a test can read it.
        self.refused_box: QMessageBox | None = None

    # ------------------------------------------------------------------ problems
    def new_problem(self, kind: str) -> None:
        w = self._w

        def start() -> None:
            w.editor.new_problem(kind)
            w.editor_dock.raise_()

        w.unsaved.then(start, "starting a new problem")

    def open_problem(self, path: Path) -> None:
        """A .json file: a sweep (by its format) opens in the sweep editor, any
        other in the problem editor (which says why a bad one cannot open)."""
        w = self._w
        path = Path(path)

        def load() -> None:
            w.editor.load_file(path)
            w.editor_dock.raise_()

        def sniffed(sweep: dict | None) -> None:
            if sweep is not None:         # read once: handed to the sweep editor as it is
                w.sweeps.opened(sweep, path)
            else:
                w.unsaved.then(load, f"opening {path.name}")

        run_in_background(lambda: sweep_file_data(path), sniffed, lambda _m: sniffed(None),
                          owner=w)

    def new_problem_from_run(self, run_id: str) -> None:
        w = self._w
        library = w.library

        def start(run: Run) -> None:
            w.editor.new_from_run(run)
            w.editor_dock.raise_()
            w.show_message(f"New problem from run {run.id[:8]}: edit it, then solve")

        def loaded(run: Run) -> None:
            w.unsaved.then(lambda: start(run), "starting a new problem from the run")

        run_in_background(lambda: library.get_run(run_id, history=False), loaded,
                          w.show_message, owner=w)

    def save_problem(self, ask: bool = False) -> bool:
        """Save the edited problem (to a chosen file when it has none, or ``ask``);
        False when the user cancelled the choice."""
        w = self._w
        path = w.editor.current_path
        if ask or path is None:
            name, _ = QFileDialog.getSaveFileName(w, "Save problem", str(
                path or Path(w.settings.start_folder(Path.cwd())) / "problem.json"),
                "Problems (*.json)")
            if not name:
                return False
            path = Path(name)
            w.settings.last_folder = str(path.parent)
        w.editor.save_file(path)   # reports through saved / save_failed
        return True

    def file_changed(self, _path: str) -> None:
        # "[*]" is where Qt shows the unsaved mark (setWindowModified)
        self._w.setWindowTitle(f"WarmDesk {__version__} — {self._w.editor.display_name()}[*]")

    def modified_changed(self, modified: bool) -> None:
        w = self._w
        w.setWindowModified(modified)
        w.editor_dock.setWindowTitle("Problem*" if modified else "Problem")
        w.editor_dock.setToolTip("The problem has unsaved changes" if modified else "")

    # ------------------------------------------------------------------ opening files
    def open_dialog(self) -> QFileDialog:
        """File > Open: starts in the folder last used, else the bundled examples."""
        w = self._w
        dialog = QFileDialog(w, "Open problem, sweep or run files",
                             w.settings.start_folder(examples_dir()),
                             "WarmDesk files (*.json *.wdrun);;Run files (*.wdrun);;"
                             "Problems (*.json)")
        dialog.setObjectName("open_dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self._open_chosen)
        dialog.open()
        return dialog

    def _open_chosen(self, paths: list[str]) -> None:
        if paths:
            self._w.settings.last_folder = str(Path(paths[0]).parent)
            self._w.open_paths(paths)

    def runs_imported(self, report: OpenReport) -> None:
        w = self._w
        w.note_library_changed()
        if report.run_ids:
            w.examples_offer.hide()   # the library is no longer empty
            w.browser.select_runs(report.run_ids)
        w.show_message(report.summary())
        if report.refused:
            self.refused_files(report.refused)

    def refused_files(self, refused: list) -> None:
        lines = "\n".join(f"{Path(p).name}: {reason}" for p, reason in refused)
        box = QMessageBox(QMessageBox.Icon.Warning, "Some files were not opened",
                          f"{plural(len(refused), 'file')} "
                          f"{'was' if len(refused) == 1 else 'were'} refused; nothing from "
                          f"{'it' if len(refused) == 1 else 'them'} was "
                          "added to the library.", QMessageBox.StandardButton.Ok, self._w)
        box.setObjectName("refused_files_box")
        box.setDetailedText(lines)
        box.setInformativeText(lines if len(lines) < 600 else lines[:600] + "…")
        box.open()
        self.refused_box = box

    # ------------------------------------------------------------------ drops
    def drag_enter(self, event: QDragEnterEvent) -> None:
        """Files the window opens: the drop overlay says so until leave or drop.
        Others: refused (the platform's "no drop" cursor), the status bar says why."""
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        verdict = drag_verdict(paths, FileOpener.accepts)
        if verdict.accepted:
            event.acceptProposedAction()
            self._w.drop_overlay.show_for(verdict.text)
        else:
            event.ignore()
            self._w.show_message(verdict.text)

    def drop(self, event: QDropEvent) -> None:
        self._w.drop_overlay.hide()
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self._w.open_paths(paths)
