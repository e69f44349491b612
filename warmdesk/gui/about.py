"""The About box: what this is and the versions it runs on."""

from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from .. import __version__


def versions_text(library_path: str) -> str:
    import numpy as np
    import pyqtgraph
    import scipy

    rows = [("WarmDesk", __version__), ("Python", platform.python_version()),
            ("Qt", qVersion()), ("PySide6", PySide6.__version__),
            ("pyqtgraph", pyqtgraph.__version__), ("NumPy", np.__version__),
            ("SciPy", scipy.__version__)]
    table = "".join(f"<tr><td>{k}</td><td>&nbsp;{v}</td></tr>" for k, v in rows)
    return (f"<h3>WarmDesk {__version__}</h3>"
            "<p>Keeps every solve in a local library and starts the next, similar one "
            "from the best earlier solution or solver state.</p>"
            f"<table>{table}</table><p>Library: <code>{library_path}</code></p>")


def about_box(parent: QWidget, library_path: str) -> QMessageBox:
    """A non-modal About box (opened, not run in a nested loop)."""
    box = QMessageBox(parent)
    box.setWindowTitle("About WarmDesk")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(versions_text(library_path))
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setObjectName("about_box")
    box.open()
    return box
