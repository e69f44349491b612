"""One bad row never hides the library (issue 13 item 2): the real library table
and run details, offscreen, over a library holding runs with out-of-range
fields and hostile text (as imports before the fix could leave them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTextBrowser

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.runs import Run, new_run_id
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.library.browser import LibraryBrowser
from warmdesk.gui.library.model import COLUMN_OF, COLUMNS
from warmdesk.gui.runs.details import RunDetails

from ...core.factories import build, rosenbrock

BAD = [{"created_at": 1e300}, {"created_at": -1e18}, {"wall_s": 1e308},
       {"started_at": -5.0, "finished_at": 1e200, "fun": 1e300},
       {"name": "evil\x1b]0;pwned\x07\u202egnp.exe", "notes": "a\x1b[2Jb"}]


@pytest.fixture
def library(tmp_path: Path) -> Iterator[tuple[Library, list[Run]]]:
    good = solve(build(rosenbrock(n=2)))
    runs = [good] + [dataclasses.replace(good, id=new_run_id(), **c) for c in BAD]
    lib = Library(tmp_path / "lib")
    lib.save_runs(runs)
    yield lib, runs
    wait_for_background()
    lib.close()


def test_the_table_lists_every_run_and_flags_the_bad_ones(qtbot, library) -> None:
    lib, runs = library
    browser = LibraryBrowser(lib)
    qtbot.addWidget(browser)
    browser.show()
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{len(runs)} runs")
    model = browser.model
    qtbot.waitUntil(lambda: all(model.is_loaded(r) for r in range(len(runs))))
    names = {}
    for row in range(len(runs)):
        cells = [model.data(model.index(row, c)) for c in range(len(COLUMNS))]
        tips = [model.data(model.index(row, c), Qt.ItemDataRole.ToolTipRole)
                for c in range(len(COLUMNS))]
        assert all(isinstance(x, str) and len(x) < 700 for x in cells + tips), cells
        assert not any("\x1b" in x or "\u202e" in x for x in cells + tips)
        names[model.run_id(row)] = cells[COLUMN_OF["name"]]
    assert "⚠" not in names[runs[0].id]
    for run in runs[1:5]:
        assert "⚠ invalid" in names[run.id], names[run.id]
    assert "\\x1b]0;pwned\\x07" in names[runs[5].id]


@pytest.mark.parametrize("index", range(1, len(BAD) + 1))
def test_details_show_a_bad_run(qtbot, library, index: int) -> None:
    lib, runs = library
    details = RunDetails(lib)
    qtbot.addWidget(details)
    details.show()
    with qtbot.waitSignal(details.loaded, timeout=10_000):
        details.show_run(runs[index].id)
    summary = details.findChild(QTextBrowser, "summary").toPlainText()
    assert "\x1b" not in summary and "\u202e" not in summary and len(summary) < 5000
    title = " ".join(label.text() for label in details.findChildren(QLabel))
    assert "\x1b" not in title and "\u202e" not in title


def test_screenshot_of_a_library_with_bad_rows(library, tmp_path: Path) -> None:
    """The app opened on such a library draws it and exits (it hung before)."""
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage
    lib, _ = library
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "WARMDESK_SETTINGS": str(tmp_path / "settings.ini")}
    out = tmp_path / "shot.png"
    # a real process: the app starts Qt, draws, and exits (never in the test process)
    proc = subprocess.run([sys.executable, "-m", "warmdesk", "--library", str(lib.folder),
                           "--screenshot", str(out), "--size", "1000x700"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert QImage(str(out)).width() == 1000
