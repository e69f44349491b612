"""File > Open sweep from library…: the sweeps in the library (run by
``warmdesk sweep``, or in this or an earlier session), newest first, listed
off the GUI thread; choosing one emits ``chosen`` with its id, and the
controller draws it in the Sweep tab."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.display import format_when, printable
from ...core.library import Library, SweepSummary, list_sweeps
from ..background import run_in_background

COLUMNS = ("Sweep", "Mode", "Points", "Failed", "Runs", "Newest run")
SWEEP_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1


def summary_cells(s: SweepSummary) -> list[str]:
    """One sweep's row: its name, mode, points (of its total), failed, runs, date."""
    points = f"{s.points} of {s.total}" if s.total else str(s.points)
    return [printable(s.name or f"sweep {s.sweep_id[:8]}"), s.mode, points, str(s.failed),
            str(s.runs), format_when(s.newest)]


class LibrarySweepsDialog(QDialog):
    chosen = Signal(str)       # the sweep's id

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library_sweeps_dialog")
        self.setWindowTitle("Open sweep from library")
        self.resize(640, 360)
        self.note = QLabel("Reading the library…", objectName="library_sweeps_note",
                           wordWrap=True)
        self.table = QTableWidget(0, len(COLUMNS), objectName="library_sweeps_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.doubleClicked.connect(lambda _index: self.accept())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.table.itemSelectionChanged.connect(
            lambda: self.open_button.setEnabled(self.selected() is not None))
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.sweeps: list[SweepSummary] | None = None
        run_in_background(lambda: list_sweeps(library), self._listed, self._failed, owner=self)

    def _listed(self, sweeps: list[SweepSummary]) -> None:
        self.sweeps = sweeps
        self.table.setRowCount(len(sweeps))
        for row, s in enumerate(sweeps):
            for column, text in enumerate(summary_cells(s)):
                item = QTableWidgetItem(text)
                item.setData(SWEEP_ID_ROLE, s.sweep_id)
                item.setToolTip(f"sweep {s.sweep_id}" + (f"\nspec {s.spec_key}"
                                                          if s.spec_key else ""))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.note.setText(
            "No sweep in the library yet: run one (File > Open sweep…, or `warmdesk sweep`)"
            if not sweeps else "A chained and a cold sweep of the same spec are drawn together.")
        if sweeps:
            self.table.selectRow(0)

    def _failed(self, message: str) -> None:
        self.note.setText(f"Could not list the sweeps: {message}")

    def selected(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(SWEEP_ID_ROLE)) if items else None

    def accept(self) -> None:
        sweep_id = self.selected()
        if sweep_id is None:
            return
        super().accept()
        self.chosen.emit(sweep_id)
