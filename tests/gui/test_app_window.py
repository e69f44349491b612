"""The placeholder window opens offscreen over a real library."""

from __future__ import annotations

from pathlib import Path

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.gui.app import MainWindow

from ..core.factories import build, rosenbrock


def test_window_lists_the_library(qtbot, tmp_path: Path) -> None:
    lib = Library(tmp_path)
    lib.save_run(solve(build(rosenbrock())))
    window = MainWindow(lib)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.table.rowCount() == 1
    assert window.table.item(0, 3).text() == "converged"
    assert "1 runs" in window.header.text()
    lib.close()
