"""The library browser: a filterable, sortable table of every run in the library.

A filter box (name and notes, debounced) and facet boxes (kind, status,
method, tag) narrow the query; the table (:class:`RunTableModel`) reads only
the pages on screen, so 100,000 runs open at once. Context actions open,
compare, warm-start from, export, tag, rename, annotate and delete runs; the
edits are undoable (``undo_stack``) and run off the GUI thread, as does every
library read. A "Trash" toggle shows the deleted runs, which can be restored.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (QEvent, QItemSelection, QItemSelectionModel, QObject, QSignalBlocker,
                            Qt, QTimer, Signal)
from PySide6.QtGui import QKeyEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QMenu, QTableView, QToolButton, QVBoxLayout,
                               QWidget)

from ...core.library import Library, RunQuery, facet_values, run_positions
from ..background import run_in_background
from .columns import TableColumns
from .model import COLUMN_OF, COLUMNS, RunTableModel
from .edit_commands import (RunEditor, count_runs as _count, enable_run_actions,
                                make_run_actions, run_context_menu)

FILTER_DELAY_MS = 250
LOCATE_LIMIT = 2000          # select_runs finds at most this many runs' rows
FACETS = (("kind", "All kinds"), ("status", "All statuses"), ("method", "All methods"),
          ("tag", "All tags"))
FILTER_MIN_CHARS = 26         # the filter box never shrinks below this many characters
FACET_MIN_CHARS = 9           # the facet boxes shrink to this many characters


def load_facets(library: Library, trash: bool) -> tuple[dict[str, list[str]], int]:
    """The values each facet box offers, and the number of runs in view (pool thread)."""
    return facet_values(library), library.count(RunQuery(deleted=trash))


def locate_rows(library: Library, query: RunQuery, ids: list[str]) -> dict[str, int | None]:
    """Each run's row in the listing, or None (pool thread; at most ``LOCATE_LIMIT``)."""
    return run_positions(library, query, ids[:LOCATE_LIMIT])


class LibraryBrowser(QWidget):
    """The run table with its filters and actions (see the module docstring)."""

    selection_changed = Signal(list)        # the selected run ids
    open_requested = Signal(str)
    compare_requested = Signal(list)
    warm_start_requested = Signal(str)
    new_problem_requested = Signal(str)
    sweep_requested = Signal(str)           # "Show its sweep": a run of a sweep
    status_message = Signal(str)
    runs_changed = Signal()                 # after an edit (or its undo) reached the library
    columns_chosen = Signal(dict)           # the user showed/hid columns: {key: shown}

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.model = RunTableModel(library, self)
        self.editor = RunEditor(library, self, self.fetch_selected)
        self.undo_stack: QUndoStack = self.editor.undo_stack
        self._all_runs: int | None = None    # runs in the library (or trash), unfiltered
        self._selected: list[str] = []
        self._all_selected = False      # a "select all": kept whole across reloads
        self._wanted: list[str] = []          # runs select_runs is looking for
        self._filters_reset = False
        self._build()
        self._build_actions()
        self.model.loaded.connect(self._counted)
        self.model.failed.connect(self.status_message)
        self.editor.message.connect(self.status_message)
        self.editor.changed.connect(self._edited)
        self.editor.queue.revisited.connect(self.select_runs)   # after an undo or redo
        self._facet_timer = QTimer(self, singleShot=True, interval=0)
        self._facet_timer.timeout.connect(self._load_facets)
        self._facet_timer.start()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.filter_edit = QLineEdit(placeholderText="Filter by name or notes…",
                                     clearButtonEnabled=True)
        self._filter_timer = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._apply_filters)
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self.facet_boxes: dict[str, QComboBox] = {}
        self.filter_edit.setMinimumWidth(
            self.filter_edit.fontMetrics().averageCharWidth() * FILTER_MIN_CHARS)
        self._bar = bar = QHBoxLayout()
        self._facet_row = QHBoxLayout()      # the facets' row when the browser is narrow
        bar.addWidget(self.filter_edit, 1)
        for key, everything in FACETS:
            box = QComboBox(toolTip=f"Show only the runs with this {key}")
            box.addItem(everything, None)
            # (not AdjustToContents: a long method or tag name would squeeze the filter box)
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(FACET_MIN_CHARS)
            box.currentIndexChanged.connect(self._apply_filters)
            self.facet_boxes[key] = box
            bar.addWidget(box)
        self.trash_button = QToolButton(text="Trash", checkable=True,
                                        toolTip="Show the deleted runs (they can be restored)")
        self.trash_button.toggled.connect(self._apply_filters)
        bar.addWidget(self.trash_button)
        self.count_label = QLabel("Counting runs…")
        bar.addWidget(self.count_label)

        view = QAbstractItemView
        self.table = table = QTableView(
            selectionBehavior=view.SelectionBehavior.SelectRows, alternatingRowColors=True,
            selectionMode=view.SelectionMode.ExtendedSelection, wordWrap=False, showGrid=False,
            dragEnabled=True, dragDropMode=view.DragDropMode.DragOnly,
            contextMenuPolicy=Qt.ContextMenuPolicy.CustomContextMenu)
        table.setModel(self.model)
        table.customContextMenuRequested.connect(self._show_context_menu)
        table.activated.connect(lambda index: self._emit_one(self.open_requested))
        table.installEventFilter(self)
        rows = table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)   # uniform row heights
        rows.setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COLUMN_OF["created_at"], Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._sort_changed)
        header.setHighlightSections(False)
        self.columns = TableColumns(table, self, self._popup)
        self.columns.chosen.connect(self.columns_chosen)
        self.columns.message.connect(self.status_message)
        table.viewport().installEventFilter(self)
        table.selectionModel().selectionChanged.connect(self._selection_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addLayout(self._facet_row)
        # set, so the layout does not raise it to the one-row width: narrower, the
        # facets move to their own row (see _place_facets)
        self.setMinimumWidth(max(
            sum(box.minimumSizeHint().width() + 6 for box in self.facet_boxes.values()),
            self.filter_edit.minimumWidth() + self.trash_button.sizeHint().width() + 150))
        layout.addWidget(table)

    def _build_actions(self) -> None:
        one = self._emit_one
        self.actions = make_run_actions(self, {
            "open": lambda: one(self.open_requested),
            "compare": lambda: self.compare_requested.emit(self.selected_run_ids()),
            "warm_start": lambda: one(self.warm_start_requested),
            "new_problem": lambda: one(self.new_problem_requested),
            "show_sweep": lambda: one(self.sweep_requested),
            "export": self.export_selected, "tag": self.editor.edit_tags,
            "rename": self.editor.rename, "notes": self.editor.edit_notes,
            "delete": self.delete_selected, "restore": self.restore_selected})
        self._update_actions()

    def context_menu(self) -> QMenu:
        """The menu the table's context menu shows (for the current selection)."""
        return run_context_menu(self, self.actions, self.trash_button.isChecked())

    def _show_context_menu(self, pos: Any) -> None:
        self._popup(self.context_menu(), self.table.viewport().mapToGlobal(pos))

    # ------------------------------------------------------------------ narrow widths
    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_facets()

    def _place_facets(self) -> None:
        """The facet boxes beside the filter box when there is room, else on a row
        of their own (so the filter box never shrinks to "Fi…")."""
        boxes = list(self.facet_boxes.values())
        wanted = sum(w.sizeHint().width() + 6 for w in (
            *boxes, self.trash_button, self.count_label)) + self.filter_edit.minimumWidth() + 40
        below = self.width() < wanted
        if below == (self._facet_row.indexOf(boxes[0]) >= 0):
            return
        source, target = (self._bar, self._facet_row) if below else (self._facet_row, self._bar)
        for k, box in enumerate(boxes):
            source.removeWidget(box)
            if below:
                target.addWidget(box, 1)
            else:
                target.insertWidget(1 + k, box)

    # ------------------------------------------------------------------ columns
    def set_column_choice(self, choice: dict[str, bool]) -> None:
        """The user's column picks (from the settings): True shown first, False hidden."""
        self.columns.set_choice(choice)

    def column_menu(self) -> QMenu:
        """The header's menu: one checkable entry per column (the name always shows)."""
        return self.columns.menu()

    def _popup(self, menu: QMenu, where: Any) -> None:
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(where)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.columns.fit()
            return False
        if (watched is self.table and isinstance(event, QKeyEvent)
                and event.type() == QEvent.Type.KeyPress
                and event.matches(QKeySequence.StandardKey.Delete)):
            self.delete_selected()
            return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ public API
    def refresh(self) -> None:
        """Read the library again (count, the rows on screen, facet values)."""
        self.model.refresh()
        self._facet_timer.start()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def selected_run_ids(self) -> list[str]:
        """The selected runs, top to bottom (rows whose page is not read yet are left out)."""
        return self._run_ids(self._selected_rows())

    def select_runs(self, ids: list[str]) -> None:
        """Select these runs (after an import or a solve) and scroll to the first.

        The library is counted again, then each run's row in the current
        listing is found in the background (at most ``LOCATE_LIMIT`` runs) and
        the rows are selected; their pages load as the view shows them. When a
        run is left out by the current filters (or the trash is shown), the
        filters are reset once and the runs looked for again; runs still not
        found are reported through ``status_message``."""
        self._wanted = list(dict.fromkeys(ids))
        self._filters_reset = False
        self.refresh()

    def export_selected(self, path: str | Path | None = None) -> None:
        """Write the selected runs to a run file (in the background): asks where
        with a file dialog unless ``path`` is given."""
        self.editor.export(path)

    def delete_selected(self) -> None:
        """Move the selected runs to the trash (undoable); in the trash view, say so."""
        if self.trash_button.isChecked():
            self.status_message.emit("These runs are in the trash already: Restore brings "
                                     "them back")
        else:
            self.editor.delete()

    def restore_selected(self) -> None:
        if self.trash_button.isChecked():
            self.editor.restore()

    # ------------------------------------------------------------------ filters, facets
    def _query_from_widgets(self) -> RunQuery:
        facet = {key: box.currentData() for key, box in self.facet_boxes.items()}
        current = self.model.query
        return RunQuery(kind=facet["kind"], status=facet["status"], method=facet["method"],
                        tags=[facet["tag"]] if facet["tag"] else [],
                        text=self.filter_edit.text().strip() or None,
                        deleted=self.trash_button.isChecked(),
                        sort=current.sort, descending=current.descending)

    def _apply_filters(self) -> None:
        self._filter_timer.stop()
        query = self._query_from_widgets()
        trash_changed = query.deleted != self.model.query.deleted
        if dataclasses.replace(query, limit=0) != dataclasses.replace(self.model.query, limit=0):
            self.model.set_query(query)
            self.count_label.setText("Counting runs…")
        if trash_changed:
            self._all_runs = None
            self._update_actions()
            self._facet_timer.start()

    def _filtered(self) -> bool:
        q = self.model.query
        return bool(q.kind or q.status or q.method or q.tags or q.text)

    def _load_facets(self) -> None:
        library, trash = self.library, self.trash_button.isChecked()
        run_in_background(lambda: load_facets(library, trash),
                          lambda result: self._facets_loaded(trash, *result),
                          self.status_message.emit, owner=self)

    def _facets_loaded(self, trash: bool, values: dict[str, list[str]], total: int) -> None:
        if trash != self.trash_button.isChecked():
            return                                        # for the other view
        self._all_runs = total
        for key, box in self.facet_boxes.items():
            chosen = box.currentData()
            box.blockSignals(True)
            while box.count() > 1:
                box.removeItem(1)
            for value in sorted(set(values[key]) | ({chosen} if chosen else set())):
                box.addItem(value, value)
            box.setCurrentIndex(max(0, box.findData(chosen)) if chosen else 0)
            box.blockSignals(False)
        self._show_count()

    def _counted(self, _total: int) -> None:
        self._show_count()
        self._reselect()
        if self._wanted:
            self._locate()

    def _show_count(self) -> None:
        shown, everything = self.model.total, self._all_runs
        if shown is None:
            return
        where = " in the trash" if self.trash_button.isChecked() else ""
        if everything == 0:
            self.count_label.setText("The trash is empty" if where else "No runs yet")
        elif self._filtered() and everything is not None:
            self.count_label.setText(f"{shown:,} of {everything:,} runs{where}")
        else:
            self.count_label.setText(f"{shown:,} run{'s' if shown != 1 else ''}{where}")

    def _sort_changed(self, section: int, order: Qt.SortOrder) -> None:
        if COLUMNS[section].sort is not None:
            self.model.sort(section, order)
            return
        query, header = self.model.query, self.table.horizontalHeader()
        header.blockSignals(True)                         # not sortable: keep the indicator
        header.setSortIndicator(next(i for i, c in enumerate(COLUMNS) if c.sort == query.sort),
                                Qt.SortOrder.DescendingOrder if query.descending
                                else Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        self.status_message.emit(f"The {COLUMNS[section].title.lower()} column cannot be sorted")

    # ------------------------------------------------------------------ selection
    def _selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.table.selectionModel().selectedRows())

    def _run_ids(self, rows: list[int]) -> list[str]:
        return [run_id for run_id in map(self.model.run_id, rows) if run_id]

    def _selection_changed(self) -> None:
        rows = self._selected_rows()          # once: a "select all" makes it a long list
        ids = self._run_ids(rows)
        self._all_selected = bool(rows) and len(rows) == self.model.rowCount()
        self._update_actions(len(rows))
        if ids != self._selected:
            self._selected = ids
            self.selection_changed.emit(ids)

    def _reselect(self) -> None:
        """After a reload: keep the same runs selected (rows move when runs come and
        go); a selection of every row stays every row, also the rows not read (only
        the read ones have ids to look for)."""
        if self._all_selected and self.model.rowCount():
            self.table.selectAll()
        elif self.selected_run_ids() != self._selected:
            self._select_rows([r for r in map(self.model.row_of, self._selected)
                               if r is not None], scroll=False)
        self._selection_changed()

    def _select_rows(self, rows: list[int], scroll: bool = True) -> None:
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for row in sorted(set(rows)):
            selection.select(self.model.index(row, 0), self.model.index(row, last))
        flags = QItemSelectionModel.SelectionFlag
        selection_model = self.table.selectionModel()
        if rows and scroll:
            selection_model.setCurrentIndex(self.model.index(min(rows), 0), flags.NoUpdate)
            self.table.scrollTo(self.model.index(min(rows), 0),
                                QAbstractItemView.ScrollHint.EnsureVisible)
        selection_model.select(selection, flags.ClearAndSelect)

    def _locate(self) -> None:
        wanted, query, library = self._wanted, self.model.query, self.library
        total = self.model.total

        def found(rows: dict[str, int | None]) -> None:
            if query is not self.model.query or self.model.total != total:
                return                                    # the listing changed: wait for it
            missing = [i for i in wanted if rows.get(i) is None]
            if missing and not self._filters_reset and (self._filtered() or query.deleted):
                self._filters_reset = True                # show them: reset the filters once
                self._reset_filters()
                return
            self._wanted = []
            self._select_rows([r for r in rows.values() if r is not None])
            if missing:
                self.status_message.emit(f"{_count(len(missing))} to select are not in the "
                                         f"library listing (first {missing[0][:8]})")

        run_in_background(lambda: locate_rows(library, query, wanted), found,
                          self.status_message.emit, owner=self)

    def _reset_filters(self) -> None:
        blockers = [QSignalBlocker(w) for w in (self.filter_edit, self.trash_button,
                                                *self.facet_boxes.values())]
        self.filter_edit.clear()
        self.trash_button.setChecked(False)
        for box in self.facet_boxes.values():
            box.setCurrentIndex(0)
        for blocker in blockers:
            blocker.unblock()
        self._apply_filters()

    # ------------------------------------------------------------------ actions
    def _update_actions(self, selected: int | None = None) -> None:
        """Enable the actions that fit ``selected`` rows (None: count the selection)."""
        if selected is None:
            selected = len(self.table.selectionModel().selectedRows())
        enable_run_actions(self.actions, selected, self.trash_button.isChecked())

    def fetch_selected(self, then: Callable[[list[dict[str, Any]]], None]) -> None:
        """Hand ``then`` the summaries of every selected run, top to bottom: at once
        when their rows are read already, else once they are read in the background
        (a "select all" over 100,000 runs selects rows that were never shown)."""
        spans = _merged((r.top(), r.bottom()) for r in self.table.selectionModel().selection())
        loaded = [self.model.summary(row) for first, last in spans
                  for row in range(first, last + 1)]
        if all(loaded):
            then(loaded)
            return
        query, total, library = self.model.query, self.model.total, self.library
        self.status_message.emit(f"Reading the {_count(len(loaded))} selected…")

        def read() -> list[dict[str, Any]]:
            return [run for first, last in spans for run in library.query(
                dataclasses.replace(query, limit=last - first + 1, offset=first))]

        def got(runs: list[dict[str, Any]]) -> None:
            if self.model.query != query or self.model.total != total:
                self.status_message.emit("The listing changed while the selected runs were "
                                         "read: nothing was done; select them again")
                return
            then(runs)

        run_in_background(read, got, self.status_message.emit, owner=self)

    def _emit_one(self, signal: Any) -> None:
        ids = self.selected_run_ids()
        current = self.model.run_id(self.table.currentIndex().row())
        run_id = current if current in ids else (ids[0] if ids else None)
        if run_id:
            signal.emit(run_id)

    def _edited(self) -> None:
        self.refresh()
        self.runs_changed.emit()


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Row spans (first, last) sorted, with touching or overlapping ones joined."""
    out: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out
