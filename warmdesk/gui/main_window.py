"""The main window: the assembly. It builds the components (browser, plot,
editor, warm-start panel, run details, solve manager, plot controller, file
opener), lays them out (``window_docks``), connects their signals and each
declared action (``actions``) to its handler. Behaviour lives in the components
and in the window's helpers: files and problems (``window_files``), settings
(``window_state``), the first launch (``first_launch``) and closing
(``close_sequence``)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragLeaveEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox

from .. import __version__
from ..core.kinds.registry import kinds
from ..core.library import Library
from .actions import add_panel_actions, build_actions, window_handlers
from .close_sequence import CloseSequence
from .drop_overlay import DropOverlay
from .editor.examples_offer import ExamplesOffer
from .editor.problem_editor import ProblemEditor
from .file_open import FileOpener
from .first_launch import FirstLaunch
from .library.browser import LibraryBrowser
from .plot.controller import PlotController
from .plot.convergence_plot import ConvergencePlot
from .plot.plot_tabs import PlotTabs
from .plot.training_curves import TrainingCurves
from .runs.active_runs import ActiveRunsPanel
from .runs.details import RunDetails
from .runs.finished_text import finished_text
from .runs.launcher import SolveLauncher
from .runs.solve_manager import JobResult, SolveManager
from .runs.unsaved_runs import UnsavedRunsPrompt
from .runs.warm_panel import WarmStartPanel
from .settings import AppSettings
from .sweeps.controller import SweepController
from .unsaved_changes import UnsavedChanges
from .window_docks import build_docks
from .window_files import WindowFiles
from .window_state import WindowState


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
        #: Set by the app's session: switches to another library at once.
        self.switch_library: Callable[[str], bool] | None = None
        self._ready = False
        # (at most one library_changed per LIBRARY_CHANGED_MS: many solves starting
        # at once make one refresh of the table, the details and the advice)
        self._library_timer = QTimer(self, singleShot=True, interval=LIBRARY_CHANGED_MS)
        self._library_timer.timeout.connect(self.library_changed)
        self._build_components()
        self.docks = build_docks(self, offer=self.examples_offer, browser=self.browser,
                                 plot=self.plot_tabs, editor=self.editor, details=self.details,
                                 warm_panel=self.warm_panel, active_runs=self.active_runs)
        self.splitter = self.docks.splitter
        self.editor_dock, self.details_dock = self.docks.editor, self.docks.details
        self.warm_dock, self.runs_dock = self.docks.warm, self.docks.runs
        self.statusBar().showMessage(f"Library: {self.library.folder}")
        self.actions = build_actions(self, window_handlers(self))
        self.panel_actions = add_panel_actions(self, self.docks.all())
        self._connect()
        self.state.restore()
        self.editor.new_problem(kinds()[0].name)
        self.first_launch.check()

    def _build_components(self) -> None:
        lib = self.library
        self.browser = LibraryBrowser(lib)
        self.plot = ConvergencePlot()
        self.training = TrainingCurves(self.plot.color_of)
        self.plot_tabs = PlotTabs(self.plot, self.training)
        self.editor = ProblemEditor()
        self.warm_panel = WarmStartPanel(lib)
        self.details = RunDetails(lib)
        self.manager = SolveManager(lib, self)
        self.active_runs = ActiveRunsPanel(self.manager)
        self.plots = PlotController(self.plot, lib, self.manager, self.training)
        self.opener = FileOpener(lib, self)
        self.launcher = SolveLauncher(self.editor, self.warm_panel, self.manager, self)
        self.examples_offer = ExamplesOffer()
        self.examples_offer.hide()
        self.drop_overlay = DropOverlay(self)   # shown while droppable files hover
        self.files = WindowFiles(self)
        self.unsaved = UnsavedChanges(self.editor, self.files.save_problem, self)
        self.state = WindowState(self)
        self.first_launch = FirstLaunch(self)
        self.closing = CloseSequence(self, self.editor, self.manager, self.unsaved,
                                     self.save_settings)
        # a solve the library could not store (a full disk): Retry / Save as run file...
        self.unsaved_prompt = UnsavedRunsPrompt(self.manager, self)
        # sweeps (issue 18): the editor, the runner's thread and the Sweep plot tab
        self.sweeps = SweepController(self, self)

    def _connect(self) -> None:
        b, files, message = self.browser, self.files, self.show_message
        for key, signal in (("undo", b.undo_stack.canUndoChanged),
                            ("redo", b.undo_stack.canRedoChanged)):
            signal.connect(self.actions[key].setEnabled)
            self.actions[key].setEnabled(False)
        b.selection_changed.connect(self.plots.show_runs)
        b.selection_changed.connect(self._details_follow_selection)
        # ---- the library changed: one signal, followed by every view of it (#14)
        self.manager.run_started.connect(self.note_library_changed)
        b.runs_changed.connect(self.note_library_changed)
        self.unsaved_prompt.stored.connect(lambda _job: self.note_library_changed())
        for follower in (b.refresh, self.warm_panel.refresh, self.details.reload):
            self.library_changed.connect(follower)
        # ---- runs asked for by the table, the details and the active runs
        for source in (b, self.details):
            source.warm_start_requested.connect(self.use_as_warm_start)
            source.new_problem_requested.connect(files.new_problem_from_run)
        b.open_requested.connect(self.show_details)
        b.sweep_requested.connect(self.sweeps.show_run_sweep)
        self.details.run_activated.connect(self.show_details)
        self.active_runs.run_selected.connect(self.show_details)
        b.compare_requested.connect(self.plots.show_runs)
        b.model.first_page_loaded.connect(self._first_page_loaded)
        # ---- the problem being edited
        self.editor.problem_changed.connect(self.warm_panel.set_problem)
        self.editor.validity_changed.connect(self._validity_changed)
        self.editor.file_changed.connect(files.file_changed)
        self.editor.modified_changed.connect(files.modified_changed)
        self.editor.saved.connect(lambda path: message(f"Saved the problem to {path}"))
        self.editor.save_failed.connect(self.error_box)
        self.editor.load_failed.connect(message)
        # ---- solves, files and what they say
        self.manager.job_finished.connect(self._job_finished)
        self.opener.runs_imported.connect(files.runs_imported)
        self.opener.problem_requested.connect(files.open_problem)
        self.opener.refused.connect(files.refused_files)
        self.active_runs.notification.connect(
            lambda level, text: message(("Error: " if level == "error" else "") + text))
        for said in (b.status_message, self.unsaved_prompt.message, self.plots.message,
                     self.launcher.message):
            said.connect(message)
        self.examples_offer.accepted.connect(self.load_examples)

    # ------------------------------------------------------------------ used by others
    def open_paths(self, paths: Sequence[str | Path]) -> None:
        """The one way files get opened (drops, File > Open, the command line)."""
        self.opener.open_paths(paths)

    def load_examples(self) -> None:
        self.first_launch.load_examples()

    def save_settings(self) -> None:
        self.state.save()

    @property
    def refused_box(self) -> QMessageBox | None:
        return self.files.refused_box

    @property
    def confirm_box(self) -> QMessageBox | None:
        return self.closing.confirm_box

    def set_library_folder(self, folder: str) -> None:
        self.state.set_library_folder(folder)

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

    def is_ready(self) -> bool:
        return self._ready

    def note_library_changed(self) -> None:
        """Something changed the library: every view of it follows (coalesced)."""
        if not self._library_timer.isActive():
            self._library_timer.start()

    def error_box(self, message: str) -> None:
        QMessageBox.warning(self, "WarmDesk", message)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    # ------------------------------------------------------------------ reactions
    def _first_page_loaded(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()

    def _validity_changed(self, ok: bool, message: str) -> None:
        self.actions["solve"].setEnabled(ok)
        self.actions["solve_cold"].setEnabled(ok)
        if not ok and message:
            self.show_message("Problem: " + message.splitlines()[0])

    def _details_follow_selection(self, ids: list[str]) -> None:
        """The run details show the selected run (the first of several), also when
        a drop, a solve or an undo selected it, not only a double click."""
        shown = self.details.run()
        if ids and (shown is None or shown.id not in ids):
            self.details.show_run(ids[0])

    def _job_finished(self, _job_id: str, result: JobResult) -> None:
        self.examples_offer.hide()
        self.note_library_changed()
        if result.run is not None and result.unsaved is None:
            self.browser.select_runs([result.run.id])
        text = finished_text(result)
        if text is not None:
            self.show_message(text)

    # ------------------------------------------------------------------ Qt events
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.state.first_show()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.files.drag_enter(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_overlay.hide()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.files.drop(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.close_event(event)
        if event.isAccepted():
            self.sweeps.stop()   # a running sweep is cancelled; its finished points stay
