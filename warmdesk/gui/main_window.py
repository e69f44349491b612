"""The main window: composes the components and wires their signals. Behaviour
lives in the components (browser, editor, warm-start panel, solve manager,
plot controller, file opener); this module only connects them."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragLeaveEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QFrame, QMainWindow, QMessageBox,
                               QScrollArea, QSplitter, QVBoxLayout, QWidget)

from .. import __version__
from ..core.display import plural
from ..core.library import Library, RunQuery
from ..core.runs import Run
from ..core.saving_text import evaluation_unit, recorded_saving_sentence
from ..resources_path import examples_dir
from .about import about_box
from .actions import build_actions
from .active_runs import ActiveRunsPanel
from .background import run_in_background
from .convergence_plot import ConvergencePlot
from .examples_offer import ExamplesOffer, first_next_problem, load_base_problems
from .drop_overlay import DropOverlay, drag_verdict
from .file_open import FileOpener, OpenReport
from .library_browser import LibraryBrowser
from .plot_controller import PlotController
from .problem_editor import ProblemEditor
from .run_details import RunDetails
from .settings import AppSettings
from .solve_manager import JobResult, SolveManager
from .solve_launcher import SolveLauncher
from .unsaved_changes import UnsavedChanges
from .user_guide import show_user_guide
from .unsaved_runs import UnsavedRunsPrompt
from .warm_panel import WarmStartPanel
from .window_geometry import fit_window, is_short, place_first_launch


#: Changes to the library within this long make one library_changed.
LIBRARY_CHANGED_MS = 100


class MainWindow(QMainWindow):
    ready = Signal()            # the library's first page is shown: the window is usable
    examples_started = Signal(int)
    #: Runs were added, started, finished, edited, deleted or restored (coalesced):
    #: the table and its count, the run details and the warm-start panel follow it.
    library_changed = Signal()

    def __init__(self, library: Library, settings: AppSettings | None = None) -> None:
        super().__init__()
        self.library = library
        self.settings = settings or AppSettings()
        self.setWindowTitle(f"WarmDesk {__version__}")
        self.setAcceptDrops(True)
        self._close_confirmed = False
        self._edits_discarded_at: int | None = None   # the editor's edit count when discarded
        #: Set by the app's session: switches to another library at once.
        self.switch_library: Callable[[str], bool] | None = None
        self._layout_done = False
        self._ready = False
        # (at most one library_changed per LIBRARY_CHANGED_MS: many solves starting
        # at once make one refresh of the table, the details and the advice)
        self._library_timer = QTimer(self, singleShot=True, interval=LIBRARY_CHANGED_MS)
        self._library_timer.timeout.connect(self.library_changed)
        self._build_components()
        self._build_layout()
        self.actions = build_actions(self, self._handlers())
        self._add_panel_actions()
        self._connect()
        self._restore_settings()
        self._check_first_launch()

    # ------------------------------------------------------------------ building
    def _build_components(self) -> None:
        lib = self.library
        self.browser = LibraryBrowser(lib)
        self.plot = ConvergencePlot()
        self.editor = ProblemEditor()
        self.warm_panel = WarmStartPanel(lib)
        self.details = RunDetails(lib)
        self.manager = SolveManager(lib, self)
        self.active_runs = ActiveRunsPanel(self.manager)
        self.plots = PlotController(self.plot, lib, self.manager)
        self.opener = FileOpener(lib, self)
        self.launcher = SolveLauncher(self.editor, self.warm_panel, self.manager, self)
        self.examples_offer = ExamplesOffer()
        self.examples_offer.hide()
        self.drop_overlay = DropOverlay(self)   # shown while droppable files hover
        self.unsaved = UnsavedChanges(self.editor, self.save_problem, self)

    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea, scrolled: bool = True) -> QDockWidget:
        dock = QDockWidget(title, self)
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
        self.addDockWidget(area, dock)
        return dock

    def _build_layout(self) -> None:
        left = QWidget()
        layout = QVBoxLayout(left)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.examples_offer)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("library_plot_splitter")
        self.splitter.addWidget(self.browser)
        self.splitter.addWidget(self.plot)
        self.splitter.setSizes([380, 420])
        layout.addWidget(self.splitter)
        self.setCentralWidget(left)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.setCorner(Qt.Corner.BottomRightCorner, right)   # the right column runs to the bottom
        self.editor_dock = self._dock("Problem", "dock_problem", self.editor, right)
        self.details_dock = self._dock("Run details", "dock_details", self.details, right)
        self.tabifyDockWidget(self.editor_dock, self.details_dock)
        self.editor_dock.raise_()
        self.warm_dock = self._dock("Warm start", "dock_warm", self.warm_panel, right)
        # (not scrolled as a whole: its list scrolls, its title and buttons stay in view)
        self.runs_dock = self._dock("Active runs", "dock_runs", self.active_runs,
                                    Qt.DockWidgetArea.BottomDockWidgetArea, scrolled=False)
        self.statusBar().showMessage(f"Library: {self.library.folder}")

    # ------------------------------------------------------------------ layout (#14)
    def _add_panel_actions(self) -> None:
        """View > Panels: each dock can be hidden (its room goes to the library and
        the plot) and brought back."""
        self.panel_actions = {}
        view = next((a.menu() for a in self.menuBar().actions()
                     if a.menu() is not None and a.text().replace("&", "") == "View"), None)
        menu = (view or self.menuBar().addMenu("&View")).addMenu("&Panels")
        for dock in (self.editor_dock, self.details_dock, self.warm_dock, self.runs_dock):
            action = dock.toggleViewAction()
            action.setStatusTip(f"Show or hide the {dock.windowTitle()} panel")
            menu.addAction(action)
            self.panel_actions[dock.objectName()] = action

    def _default_dock_sizes(self) -> None:
        """First start (no saved layout): the editor over the warm-start panel on
        the right, a slim active-runs strip at the bottom. In a low window the
        right-hand panels share one tab group instead, so each has the full height
        (the run details and the problem's data preview stay readable)."""
        width = max(400, min(640, int(self.width() * 0.36)))
        if is_short(self):
            self.tabifyDockWidget(self.details_dock, self.warm_dock)
            self.editor_dock.raise_()
        else:
            height = max(600, self.height())
            self.resizeDocks([self.editor_dock, self.warm_dock],
                             [int(height * 0.40), int(height * 0.60)], Qt.Orientation.Vertical)
        self.resizeDocks([self.editor_dock], [width], Qt.Orientation.Horizontal)
        self.resizeDocks([self.runs_dock], [110], Qt.Orientation.Vertical)

    def _handlers(self) -> dict:
        return {
            "new_minimize": lambda: self.new_problem("minimize"),
            "new_fit": lambda: self.new_problem("fit"),
            "new_train": lambda: self.new_problem("train"),
            "new_ode": lambda: self.new_problem("ode"),
            "open": self.open_dialog, "save_problem": self.save_problem,
            "save_problem_as": lambda: self.save_problem(ask=True),
            "export_runs": self.browser.export_selected, "load_examples": self.load_examples,
            "choose_library": self.choose_library,
            "quit": self.close, "undo": self.browser.undo_stack.undo,
            "redo": self.browser.undo_stack.redo, "find": self.browser.focus_filter,
            "delete_runs": self.browser.delete_selected,
            "solve": lambda: self.launcher.solve(cold=False),
            "solve_cold": lambda: self.launcher.solve(cold=True),
            "interrupt_all": self.interrupt_all, "refresh_advice": self.warm_panel.refresh,
            "compare": lambda: self.plots.show_runs(self.browser.selected_run_ids()),
            "export_plot": self.plot.export_dialog, "details": self.open_selected_details,
            "about": lambda: about_box(self, str(self.library.folder)),
            "user_guide": lambda: show_user_guide(self),
            "warm_start_help": lambda: show_user_guide(self, "warm-starts.md"),
        }

    def _connect(self) -> None:
        stack = self.browser.undo_stack
        stack.canUndoChanged.connect(self.actions["undo"].setEnabled)
        stack.canRedoChanged.connect(self.actions["redo"].setEnabled)
        self.actions["undo"].setEnabled(False)
        self.actions["redo"].setEnabled(False)
        b = self.browser
        b.selection_changed.connect(self.plots.show_runs)
        b.selection_changed.connect(self._details_follow_selection)
        # ---- the library changed: one signal, followed by every view of it (#14)
        self.manager.run_started.connect(self.note_library_changed)
        b.runs_changed.connect(self.note_library_changed)
        self.library_changed.connect(b.refresh)
        self.library_changed.connect(self.warm_panel.refresh)
        self.library_changed.connect(self.details.reload)
        b.open_requested.connect(self.show_details)
        b.compare_requested.connect(self.plots.show_runs)
        b.warm_start_requested.connect(self.use_as_warm_start)
        b.new_problem_requested.connect(self.new_problem_from_run)
        b.status_message.connect(self.show_message)
        b.model.first_page_loaded.connect(self._first_page_loaded)
        self.details.run_activated.connect(self.show_details)
        self.details.warm_start_requested.connect(self.use_as_warm_start)
        self.details.new_problem_requested.connect(self.new_problem_from_run)
        self.editor.problem_changed.connect(self.warm_panel.set_problem)
        self.editor.validity_changed.connect(self._validity_changed)
        self.editor.file_changed.connect(self._file_changed)
        self.editor.modified_changed.connect(self._modified_changed)
        self.editor.saved.connect(lambda path: self.show_message(f"Saved the problem to {path}"))
        self.editor.save_failed.connect(self._error_box)
        self.editor.load_failed.connect(self.show_message)
        self.manager.job_finished.connect(self._job_finished)
        # a solve the library could not store (a full disk): Retry / Save as run file...
        self.unsaved_prompt = UnsavedRunsPrompt(self.manager, self)
        self.unsaved_prompt.stored.connect(lambda _job: self.note_library_changed())
        self.unsaved_prompt.message.connect(self.show_message)
        self.active_runs.notification.connect(self._notification)
        self.active_runs.run_selected.connect(self.show_details)
        self.plots.message.connect(self.show_message)
        self.launcher.message.connect(self.show_message)
        self.opener.runs_imported.connect(self._runs_imported)
        self.opener.problem_requested.connect(self._open_problem)
        self.opener.refused.connect(self._refused_files)
        self.plot.axes_changed.connect(self._save_plot_axes)
        self.warm_panel.choice_changed.connect(
            lambda: setattr(self.settings, "guard", self.warm_panel.guard_enabled()))
        self.browser.columns_chosen.connect(lambda choice: setattr(
            self.settings, "column_choice", choice))
        self.examples_offer.accepted.connect(self.load_examples)
        self.examples_offer.dismissed.connect(
            lambda: setattr(self.settings, "examples_offered", True))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._layout_done:
            self._layout_done = True
            if self.size() == self._placed.size():   # (a size asked for since is kept)
                fit_window(self)                  # again, now that the frame is known
            if self.settings.window_state is None:
                self._default_dock_sizes()

    def _restore_settings(self) -> None:
        s = self.settings
        if s.geometry is not None and self.restoreGeometry(s.geometry):
            fit_window(self)        # saved on a bigger (or another) screen: onto this one
        else:
            place_first_launch(self)
        self._placed = self.geometry()
        self.browser.set_column_choice(s.column_choice)
        if s.window_state is not None:
            self.restoreState(s.window_state)
        if s.splitter_state is not None:
            self.splitter.restoreState(s.splitter_state)
        self.plot.set_axes(*s.plot_axes)
        self.warm_panel.set_guard_enabled(s.guard)
        self.editor.new_problem("minimize")

    def save_settings(self) -> None:
        s = self.settings
        s.geometry = self.saveGeometry()
        s.window_state = self.saveState()
        s.splitter_state = self.splitter.saveState()
        self._save_plot_axes()
        s.sync()

    def _save_plot_axes(self) -> None:
        self.settings.plot_axes = self.plot.axes()

    # ------------------------------------------------------------------ first launch
    def _check_first_launch(self) -> None:
        if self.settings.examples_offered:
            return
        library = self.library
        run_in_background(lambda: library.count(RunQuery(limit=0)),
                          lambda n: self.examples_offer.setVisible(
                              n == 0 and self.opener.pending == 0
                              and not self.manager.active_jobs()),
                          self.show_message, owner=self)

    def load_examples(self) -> None:
        self.settings.examples_offered = True
        self.examples_offer.hide()

        def loaded(problems: list) -> None:
            for problem in problems:
                self.launcher.launch_cold(problem, label=f"example: {problem.name}")
            self.examples_started.emit(len(problems))
            self.show_message(f"Solving {len(problems)} example problems; then try "
                              f"{first_next_problem().name}, opened in the editor.")
            self.opener.open_paths([first_next_problem()])

        run_in_background(load_base_problems, loaded, self._error_box, owner=self)

    # ------------------------------------------------------------------ actions
    def new_problem(self, kind: str) -> None:
        def start() -> None:
            self.editor.new_problem(kind)
            self.editor_dock.raise_()

        self.unsaved.then(start, "starting a new problem")

    def open_dialog(self) -> QFileDialog:
        """File > Open: starts in the folder last used, else the bundled examples."""
        dialog = QFileDialog(self, "Open problem or run files",
                             self.settings.start_folder(examples_dir()),
                             "WarmDesk files (*.json *.wdrun);;Run files (*.wdrun);;"
                             "Problems (*.json)")
        dialog.setObjectName("open_dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self._open_chosen)
        dialog.open()
        return dialog

    def _open_chosen(self, paths: list[str]) -> None:
        if paths:
            self.settings.last_folder = str(Path(paths[0]).parent)
            self.open_paths(paths)

    def open_paths(self, paths: Sequence[str | Path]) -> None:
        """The one way files get opened (drops, File > Open, the command line)."""
        self.opener.open_paths(paths)

    def save_problem(self, ask: bool = False) -> bool:
        """Save the edited problem (to a chosen file when it has none, or ``ask``);
        False when the user cancelled the choice."""
        path = self.editor.current_path
        if ask or path is None:
            name, _ = QFileDialog.getSaveFileName(self, "Save problem", str(
                path or Path(self.settings.start_folder(Path.cwd())) / "problem.json"),
                "Problems (*.json)")
            if not name:
                return False
            path = Path(name)
            self.settings.last_folder = str(path.parent)
        self.editor.save_file(path)   # reports through saved / save_failed
        return True

    def choose_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Library folder",
                                                  str(self.library.folder))
        if folder:
            self.set_library_folder(folder)

    def set_library_folder(self, folder: str) -> None:
        """Use the library in ``folder``: at once when the app's session can switch
        (a new window over it; see ``session.py``), else from the next start."""
        switch = self.switch_library
        if switch is not None:
            QTimer.singleShot(0, lambda: switch(folder))   # after the action that asked
            return
        self.settings.library_dir = folder
        self.settings.sync()
        self.show_message(f"WarmDesk will use the library in {folder} from the next start "
                          f"(now: {self.library.folder}).")

    def interrupt_all(self) -> None:
        for job in self.manager.active_jobs():
            self.manager.interrupt(job)

    def show_details(self, run_id: str) -> None:
        self.details.show_run(run_id)
        self.details_dock.raise_()

    def open_selected_details(self) -> None:
        ids = self.browser.selected_run_ids()
        if ids:
            self.show_details(ids[0])

    def use_as_warm_start(self, run_id: str) -> None:
        self.warm_panel.choose_run(run_id)
        self.warm_dock.raise_()

    def new_problem_from_run(self, run_id: str) -> None:
        library = self.library

        def start(run: Run) -> None:
            self.editor.new_from_run(run)
            self.editor_dock.raise_()
            self.show_message(f"New problem from run {run.id[:8]}: edit it, then solve")

        def loaded(run: Run) -> None:
            self.unsaved.then(lambda: start(run), "starting a new problem from the run")

        run_in_background(lambda: library.get_run(run_id, history=False), loaded,
                          self.show_message, owner=self)

    # ------------------------------------------------------------------ reactions
    def _first_page_loaded(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()

    def is_ready(self) -> bool:
        return self._ready

    def _validity_changed(self, ok: bool, message: str) -> None:
        self.actions["solve"].setEnabled(ok)
        self.actions["solve_cold"].setEnabled(ok)
        if not ok and message:
            self.show_message("Problem: " + message.splitlines()[0])

    def _file_changed(self, _path: str) -> None:
        # "[*]" is where Qt shows the unsaved mark (setWindowModified)
        self.setWindowTitle(f"WarmDesk {__version__} — {self.editor.display_name()}[*]")

    def _modified_changed(self, modified: bool) -> None:
        self.setWindowModified(modified)
        self.editor_dock.setWindowTitle("Problem*" if modified else "Problem")
        self.editor_dock.setToolTip("The problem has unsaved changes" if modified else "")

    def note_library_changed(self) -> None:
        """Something changed the library: every view of it follows (coalesced)."""
        if not self._library_timer.isActive():
            self._library_timer.start()

    def _details_follow_selection(self, ids: list[str]) -> None:
        """The run details show the selected run (the first of several), also when
        a drop, a solve or an undo selected it, not only a double click."""
        shown = self.details.run()
        if ids and (shown is None or shown.id not in ids):
            self.details.show_run(ids[0])

    def _job_finished(self, _job_id: str, result: JobResult) -> None:
        self.examples_offer.hide()
        self.note_library_changed()
        run = result.run
        if run is not None and result.unsaved is not None:
            # not in the library (a full disk): nothing to select; the prompt offers
            # Retry / Save as run file..., and the status bar must not say it is stored
            self.show_message(f"{run.name}: {run.status}, but NOT stored in the library: "
                              "retry or save it as a run file")
        elif run is not None:
            self.browser.select_runs([run.id])
            text = (f"{run.name}: {run.status}, f = {run.fun:.6g} after {run.nfev} evaluations"
                    if run.fun is not None else f"{run.name}: {run.status}")
            # the saving in the plot title's words (one wording: core.saving_text)
            saving = recorded_saving_sentence(run.info.get("saving"), evaluation_unit(run.kind))
            self.show_message(f"{text}; {saving}" if saving else text)

    def _notification(self, level: str, text: str) -> None:
        self.show_message(("Error: " if level == "error" else "") + text)

    def _runs_imported(self, report: OpenReport) -> None:
        self.note_library_changed()
        if report.run_ids:
            self.examples_offer.hide()   # the library is no longer empty
            self.browser.select_runs(report.run_ids)
        self.show_message(report.summary())
        if report.refused:
            self._refused_files(report.refused)

    def _refused_files(self, refused: list) -> None:
        lines = "\n".join(f"{Path(p).name}: {reason}" for p, reason in refused)
        box = QMessageBox(QMessageBox.Icon.Warning, "Some files were not opened",
                          f"{plural(len(refused), 'file')} "
                          f"{'was' if len(refused) == 1 else 'were'} refused; nothing from "
                          f"{'it' if len(refused) == 1 else 'them'} was "
                          "added to the library.", QMessageBox.StandardButton.Ok, self)
        box.setObjectName("refused_files_box")
        box.setDetailedText(lines)
        box.setInformativeText(lines if len(lines) < 600 else lines[:600] + "…")
        box.open()
        self.refused_box = box

    def _open_problem(self, path: Path) -> None:
        def load() -> None:
            self.editor.load_file(Path(path))
            self.editor_dock.raise_()

        self.unsaved.then(load, f"opening {Path(path).name}")

    def _error_box(self, message: str) -> None:
        QMessageBox.warning(self, "WarmDesk", message)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    # ------------------------------------------------------------------ drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Files the window opens: the drop overlay says so until leave or drop.
        Others: refused (the platform's "no drop" cursor), the status bar says why."""
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        verdict = drag_verdict(paths, FileOpener.accepts)
        if verdict.accepted:
            event.acceptProposedAction()
            self.drop_overlay.show_for(verdict.text)
        else:
            event.ignore()
            self.show_message(verdict.text)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_overlay.hide()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_overlay.hide()
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        editor = self.editor
        if editor.is_modified() and self._edits_discarded_at != editor.edit_count:
            event.ignore()
            self.unsaved.then(self._close_after_unsaved, "closing WarmDesk")
            return
        active = self.manager.active_jobs()
        if active and not self._close_confirmed:
            event.ignore()
            box = QMessageBox(QMessageBox.Icon.Question, "Solves are running",
                              f"{plural(len(active), 'solve')} "
                              f"{'is' if len(active) == 1 else 'are'} still running. Stop "
                              f"{'it' if len(active) == 1 else 'them'} and quit? "
                              "Each keeps what it has reached (saved as interrupted).",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                              self)
            box.setObjectName("confirm_close_box")
            box.buttonClicked.connect(lambda button: self._close_answered(box, button))
            box.open()
            self.confirm_box = box
            return
        self.manager.stop_all()
        self.save_settings()
        event.accept()

    def _close_after_unsaved(self) -> None:
        """Saved or discarded: close (edits made from now on are asked about again)."""
        self._edits_discarded_at = self.editor.edit_count
        QTimer.singleShot(0, self.close)

    def _close_answered(self, box: QMessageBox, button) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Yes:
            self._confirmed_close()
        else:
            self._edits_discarded_at = None   # staying: the edits are kept, asked again

    def _confirmed_close(self) -> None:
        self._close_confirmed = True
        QTimer.singleShot(0, self.close)
