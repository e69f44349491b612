"""Sweeps in the main window: File > Open sweep… and File > New sweep from the
problem open the sweep editor; Run starts the sweep (``manager``); the Sweep
tab beside the convergence plot shows its progress and its result, and a
clicked point (or failure) shows its run in the run details and selects it
in the library.

A chained and a cold sweep of the same spec (the editor's ``key``) made in
this session are drawn together; each new run of a spec in one mode
replaces that mode's points.

A past sweep (``warmdesk sweep``, an earlier session) is opened from the
library: File > Open sweep from library… (``library_sweeps``) or "Show its
sweep" on one of its runs. Its runs are read off the GUI thread and drawn
with the newest sweep of the same spec in the other mode, when the library
has one.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Protocol

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QMainWindow, QSplitter, QTabWidget, QWidget

from ...core.library import Library, sweep_of_run
from ...core.sweeps import (PointFinished, PointResult, StoredSweep, SweepResult, SweepStarted,
                            load_with_twin)
from ...resources_path import examples_dir
from ..background import run_in_background
from .editor import SweepEditor
from .library_sweeps import LibrarySweepsDialog
from .manager import SweepManager, SweepRequest
from .progress import SweepProgress
from .result_plot import SweepResultPlot
from .sweep_data import new_sweep, read_sweep_file
from ..editor.problem_editor import ProblemEditor
from ..library.browser import LibraryBrowser
from ..settings import AppSettings


class SweepHost(Protocol):
    """What the sweeps need of the main window (the room does not import it)."""

    library: Library
    settings: AppSettings
    plot_tabs: QTabWidget
    editor: ProblemEditor
    browser: LibraryBrowser

    def show_details(self, run_id: str) -> None: ...
    def show_message(self, text: str) -> None: ...
    def error_box(self, message: str) -> None: ...
    def note_library_changed(self) -> None: ...


#: While a sweep runs, the library's views (table, details, advice) follow its
#: new runs at most this often (each follow reads the library again).
LIBRARY_MS = 1000


class SweepView(QSplitter):
    """The Sweep tab: the progress on the left, the result plot on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("sweep_view")
        self.progress = SweepProgress()
        self.result = SweepResultPlot()
        self.addWidget(self.progress)
        self.addWidget(self.result)
        self.setStretchFactor(1, 3)
        self.setSizes([300, 700])


class SweepController(QObject):
    def __init__(self, window: SweepHost, parent: QMainWindow) -> None:
        super().__init__(parent)
        self._w = window
        self.manager = SweepManager(window.library, self)
        self.view = SweepView()
        self.tab = window.plot_tabs.addTab(self.view, "Sweep")
        window.plot_tabs.setTabToolTip(self.tab, "The running or last sweep: progress, and "
                                                 "its points against the swept parameter")
        self.editor: SweepEditor | None = None
        #: Points of this session's sweeps, by spec key and mode ("chained", "cold").
        self.results: dict[str, dict[str, dict[int, PointResult]]] = {}
        self._request: SweepRequest | None = None
        self.parent_window = parent
        #: A sweep adds runs fast: the library's views follow at most this often.
        self._library_timer = QTimer(self, singleShot=True, interval=LIBRARY_MS)
        self._library_timer.timeout.connect(window.note_library_changed)
        m, progress, result = self.manager, self.view.progress, self.view.result
        m.started.connect(self._started)
        m.point_finished.connect(self._point)
        m.finished.connect(self._finished)
        m.running_changed.connect(self._running_changed)
        progress.cancel_requested.connect(m.cancel)
        for source in (progress.run_clicked, result.run_clicked):
            source.connect(self.show_run)

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> QFileDialog:
        w = self._w
        dialog = QFileDialog(self.parent_window, "Open sweep",
                             w.settings.start_folder(examples_dir() / "sweeps"), "Sweeps (*.json)")
        dialog.setObjectName("open_sweep_dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.open_file(Path(name)) if name else None)
        dialog.open()
        return dialog

    def open_file(self, path: Path) -> None:
        """Read a sweep file in the background, then edit it."""
        w = self._w
        run_in_background(lambda: read_sweep_file(path),
                          lambda data: self.opened(data, path),
                          lambda message: w.error_box(f"Could not open the sweep {path.name}: "
                                                      f"{message}"), owner=self)

    def opened(self, data: dict, path: Path) -> None:
        """A sweep file read already (its JSON object): edit it."""
        self.edit(data, path.parent, path)

    def open_library_dialog(self) -> LibrarySweepsDialog:
        """File > Open sweep from library…: choose one of the library's sweeps."""
        dialog = LibrarySweepsDialog(self._w.library, self.parent_window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self.open_stored)
        dialog.open()
        return dialog

    def open_stored(self, sweep_id: str) -> None:
        """Draw a sweep from the library (read in the background)."""
        self._load_stored(lambda: load_with_twin(self._w.library, sweep_id))

    def show_run_sweep(self, run_id: str) -> None:
        """"Show its sweep" on a run: the sweep it belongs to, from the library
        (a run of no sweep says so in the status bar)."""
        library = self._w.library

        def load() -> dict[str, StoredSweep] | None:
            sweep_id = sweep_of_run(library, run_id)
            return None if sweep_id is None else load_with_twin(library, sweep_id)
        self._load_stored(load, f"Run {run_id[:8]} is not part of a sweep")

    def _load_stored(self, load: Callable[[], dict[str, StoredSweep] | None],
                     none: str = "") -> None:
        if self.manager.is_running():
            self._w.show_message("A sweep is running: its plot stays until it ends")
            return
        w = self._w
        run_in_background(load, lambda stored: self._stored_loaded(stored, none),
                          lambda message: w.error_box(f"Could not open the sweep: {message}"),
                          owner=self)

    def _stored_loaded(self, stored: dict[str, StoredSweep] | None, none: str = "") -> None:
        if stored is None:
            self._w.show_message(none)
            return
        if self.manager.is_running():    # one started while the runs were read
            return
        opened = next(iter(stored.values()))
        twin = next((s for s in stored.values() if s is not opened), None)
        self._request = None
        self.view.result.begin(opened.parameters, opened.result.total,
                               keep={mode: s.result.points for mode, s in stored.items()})
        self.view.progress.show_stored(opened, twin)
        self._w.plot_tabs.setCurrentIndex(self.tab)
        self._w.show_message(f"Sweep {opened.result.name} ({opened.mode}) from the library")

    def new_from_problem(self) -> SweepEditor:
        """A sweep over the problem in the editor: its file when it is saved
        unchanged, else the spec as edited (inline)."""
        e = self._w.editor
        path = e.current_path
        if path is not None and not e.is_modified():
            data = new_sweep(e.spec(), f"{Path(path).stem}-sweep")
            data["problem"] = Path(path).name
            return self.edit(data, Path(path).parent, None)
        spec = e.spec()
        return self.edit(new_sweep(spec, f"{spec.get('name') or 'problem'}-sweep"),
                         e.base_dir(), None)

    def edit(self, data: dict, base_dir: Path | None, path: Path | None) -> SweepEditor:
        if self.editor is not None:
            self.editor.close()
            self.editor.deleteLater()
        editor = self.editor = SweepEditor(data, base_dir, path, self.parent_window)
        editor.setWindowTitle(f"Sweep — {path.name}" if path else "New sweep")
        editor.run_requested.connect(self.run)
        editor.saved.connect(lambda p: self._w.show_message(f"Saved the sweep to {p}"))
        editor.save_failed.connect(self._w.error_box)
        editor.set_running(self.manager.is_running())
        editor.show()
        return editor

    # ------------------------------------------------------------------ running
    def run(self, request: SweepRequest) -> None:
        if self.manager.is_running():
            self._w.show_message("A sweep is running: wait for it or cancel it")
            return
        self._request = request
        mode = "cold" if request.cold else "chained"
        known = self.results.setdefault(request.key, {})
        known[mode] = {}
        where = ("in this process" if request.workers == 0
                 else f"on a local Dask cluster of {request.workers}")
        self.view.progress.launched(request.sweep.name, f"{mode}, {where}")
        self.view.result.begin(request.sweep.parameters, len(request.sweep.points), keep=known)
        self._w.plot_tabs.setCurrentIndex(self.tab)
        self.manager.start(request)

    def _started(self, event: SweepStarted) -> None:
        if event.note and self._request is not None and not self._request.cold:
            # the core sweeps this kind cold (it says why): its points are cold ones
            request = self._request = replace(self._request, cold=True)
            known = self.results.setdefault(request.key, {})
            known["cold"] = {}      # this run's cold points replace an earlier cold run's
            self.view.result.begin(request.sweep.parameters, len(request.sweep.points),
                                   keep=known)
        self.view.progress.started(event)

    def _point(self, event: PointFinished) -> None:
        request = self._request
        if request is None:
            return
        mode = "cold" if request.cold else "chained"
        self.results.setdefault(request.key, {}).setdefault(mode, {})[event.point.index] = \
            event.point
        self.view.progress.point(event)
        self.view.result.add_point(event.point, request.cold)
        if not self._library_timer.isActive():   # the library's views: once a second
            self._library_timer.start()

    def _finished(self, request: SweepRequest, result: SweepResult, error: str) -> None:
        self.view.progress.ended(result, error)
        self.view.result.flush()
        self._library_timer.stop()
        self._w.note_library_changed()
        done = f"{len(result.points)} of {result.total} points, {len(result.failed)} failed"
        self._w.show_message(f"Sweep {result.name}: " + (
            f"failed ({error}); {done}" if error else
            f"cancelled; {done} stored" if result.cancelled else done))

    def _running_changed(self, running: bool) -> None:
        if self.editor is not None:
            self.editor.set_running(running)

    def show_run(self, run_id: str) -> None:
        """A clicked point: its run in the run details, and selected in the library."""
        self._w.show_details(run_id)
        self._w.browser.select_runs([run_id])

    def stop(self) -> None:
        """The window closes: cancel a running sweep and wait for it."""
        self.manager.stop()
