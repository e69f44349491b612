"""The data tab of the problem editor: ``data.file`` with a file picker and a
preview of the CSV (its columns and first rows).

The file is read in the background with the core's own reader, so the preview
says exactly why a file cannot be used (``row 12, column 'y': 'n/a' is not a
number``). A newer edit of the path makes older reads be dropped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from ...core.datasets import Dataset, load_csv
from ..background import run_in_background
from .expression import ERROR_COLOR, monospace_font
from .values import FieldMemo, format_value, resolve_data_file

PREVIEW_ROWS = 20


def read_preview(path: Path) -> tuple[list[str], list[list[float]], int]:
    """Columns, the first rows and the row count of a CSV file (runs in the background)."""
    dataset: Dataset = load_csv(path)
    return list(dataset.columns), dataset.values[:PREVIEW_ROWS].tolist(), dataset.rows


class DataPicker(QWidget):
    """``data.file`` and its preview. ``columns_changed`` carries the columns once the
    file has been read (None while unknown or unreadable)."""

    edited = Signal()
    columns_changed = Signal(object)
    preview_ready = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.memo = FieldMemo()
        self.base_dir: Path | None = None
        self.columns: list[str] | None = None
        self._loading = False
        self._generation = 0
        self._dialog: QFileDialog | None = None
        self.path = QLineEdit()
        self.path.setPlaceholderText("path of a CSV file with a header row")
        self.path.setToolTip("Relative paths are read from the problem file's folder")
        self.browse = QPushButton("Browse…")
        self.folder = QLabel()
        self.folder.setObjectName("hint")
        self.folder.setWordWrap(True)
        self.info = QLabel("No file read yet.")
        self.info.setWordWrap(True)
        self.info.setObjectName("data_info")
        self.preview = QTableWidget(0, 0)
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setAlternatingRowColors(True)
        self.preview.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.preview.setFont(monospace_font())
        row = QHBoxLayout()
        row.addWidget(QLabel("File"))
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(row)
        layout.addWidget(self.folder)
        layout.addWidget(self.info)
        layout.addWidget(self.preview, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.reload)
        self.path.textChanged.connect(self._path_edited)
        self.browse.clicked.connect(self.choose_file)

    # ------------------------------------------------------------------ spec
    def load(self, spec: dict[str, Any], base_dir: Path | None) -> None:
        data = spec.get("data")
        text = format_value(data["file"]) if isinstance(data, dict) and "file" in data else ""
        self.base_dir = base_dir
        self._loading = True
        try:
            self.path.setText(text)
        finally:
            self._loading = False
        self.memo.reset({"data.file": text})
        self._show_folder()
        self.reload()

    def apply(self, spec: dict[str, Any]) -> None:
        text = self.path.text()
        if not self.memo.changed("data.file", text):
            return
        data = spec.get("data")
        out = dict(data) if isinstance(data, dict) else {}
        if text.strip():
            out["file"] = text.strip()
        else:
            out.pop("file", None)
        spec["data"] = out

    def set_path_text(self, text: str, base_dir: Path | None) -> None:
        """A new file text (a pick, or a path rebased for another folder): an edit."""
        self.base_dir = base_dir
        self._show_folder()
        self.path.setText(text)

    # ------------------------------------------------------------------ picking
    def choose_file(self) -> None:
        resolved = self.resolved()
        start = str(resolved.parent if resolved else self.base_dir or Path.home())
        dialog = QFileDialog(self, "Choose a data file", start,
                             "CSV files (*.csv);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.use_file)
        self._dialog = dialog
        dialog.open()

    def use_file(self, chosen: str) -> None:
        """Use a file: relative to the problem's folder when it lies inside it."""
        path = Path(chosen)
        if self.base_dir is not None:
            try:
                path = path.resolve().relative_to(self.base_dir.resolve())
            except ValueError:
                path = Path(chosen)
        self.path.setText(path.as_posix())

    def resolved(self) -> Path | None:
        return resolve_data_file(self.path.text(), self.base_dir)

    # ------------------------------------------------------------------ preview
    def _path_edited(self) -> None:
        if self._loading:
            return
        self._timer.start()
        self.edited.emit()

    def _show_folder(self) -> None:
        self.folder.setText(f"Relative paths are read from {self.base_dir}" if self.base_dir
                            else "The problem has no folder yet: use an absolute path, or save "
                                 "the problem first.")

    def reload(self) -> None:
        """Read the file again in the background (the latest read wins)."""
        self._timer.stop()
        self._generation += 1
        generation = self._generation
        path = self.resolved()
        if self.columns is not None:
            self.columns = None
            self.columns_changed.emit(None)
        if path is None:
            text = self.path.text().strip()
            self._fail(generation, "No data file chosen." if not text else
                       f"'{text}' is relative, but the problem has no folder: save it first "
                       "or use an absolute path.")
            return
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setText(f"Reading {path.name}…")
        self.info.setStyleSheet("")
        run_in_background(lambda: read_preview(path),
                          lambda result: self._shown(generation, path, result),
                          lambda message: self._fail(generation, message), owner=self)

    def _shown(self, generation: int, path: Path, result: tuple[Any, ...]) -> None:
        if generation != self._generation:
            return
        columns, rows, count = result
        self.preview.clear()
        self.preview.setColumnCount(len(columns))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(columns)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem(f"{value:.6g}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.preview.setItem(r, c, item)
        self.preview.resizeColumnsToContents()
        for c in range(len(columns)):
            self.preview.setColumnWidth(c, max(70, self.preview.columnWidth(c) + 18))
        shown = f"first {len(rows)} shown" if count > len(rows) else "all shown"
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setText(f"<b>{html.escape(path.name)}</b>: {count} rows × {len(columns)} "
                          f"columns ({shown})<br>Columns: {html.escape(', '.join(columns))}")
        self.info.setStyleSheet("")
        self.columns = columns
        self.columns_changed.emit(columns)
        self.preview_ready.emit()

    def _fail(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setText(message)
        self.info.setStyleSheet(f"color: {ERROR_COLOR.name()};")
        self.preview_ready.emit()
