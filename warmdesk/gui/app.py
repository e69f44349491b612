"""The desktop app's entry point. For now a window over the run library; the
full app (library browser, editor, warm-start panel, live plots) comes with
the desktop-app issue."""

from __future__ import annotations

import sys
from typing import Sequence

from PySide6.QtWidgets import (QApplication, QLabel, QMainWindow, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from .. import __version__
from ..core.library import Library


class MainWindow(QMainWindow):
    COLUMNS = ("name", "kind", "method", "status", "fun", "nit", "nfev", "wall_s")

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.setWindowTitle(f"WarmDesk {__version__}")
        self.library = library
        central = QWidget()
        layout = QVBoxLayout(central)
        self.header = QLabel()
        layout.addWidget(self.header)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        layout.addWidget(self.table)
        self.setCentralWidget(central)
        self.resize(1000, 600)
        self.refresh()

    def refresh(self) -> None:
        rows = self.library.list_runs(limit=500)
        self.header.setText(f"Library {self.library.folder}: {self.library.count()} runs. "
                            "Solve with `warmdesk solve PROBLEM.json`.")
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, col in enumerate(self.COLUMNS):
                value = row[col]
                text = "" if value is None else (f"{value:.6g}" if isinstance(value, float)
                                                 else str(value))
                self.table.setItem(i, j, QTableWidgetItem(text))


def run_app(argv: Sequence[str]) -> int:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    window = MainWindow(Library())
    window.show()
    run_event_loop = app.exec  # Qt's event loop (QApplication.exec), nothing to do with Python's
    return int(run_event_loop())
