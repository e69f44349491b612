"""Dragging files over the window (issue #14, item 5): a clear highlight while
files the window opens hover over it, gone on leave and on drop; no highlight
and a said reason for files it does not open; refused files are named with the
reason and what to do, never with an exception's text."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from warmdesk.core.engine import solve
from warmdesk.core.library import RunQuery
from warmdesk.core.runfile import write_runfile

from ..core.factories import build, rosenbrock


def _data(paths: list[Path]) -> QMimeData:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return data


def _enter(window, data: QMimeData) -> QDragEnterEvent:
    event = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event


def _overlay(window) -> QWidget | None:
    return window.findChild(QWidget, "drop_overlay")


def _visible_overlay(window) -> bool:
    overlay = _overlay(window)
    return overlay is not None and overlay.isVisible()


def test_files_the_window_opens_are_highlighted_until_leave_or_drop(qtbot, window,
                                                                   tmp_path) -> None:
    spec = rosenbrock(n=3)
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(spec))
    data = _data([problem])
    assert not _visible_overlay(window)
    assert _enter(window, data).isAccepted()
    overlay = _overlay(window)
    assert overlay is not None and overlay.isVisible()
    assert "Drop run files or a problem to open" in overlay.text()
    assert overlay.geometry() == window.rect()          # the whole window
    window.grab().save(str(tmp_path / "hover.png"))
    QApplication.sendEvent(window, QDragLeaveEvent())
    assert not overlay.isVisible()
    assert _enter(window, data).isAccepted() and overlay.isVisible()
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, data,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.editor.problem_changed, timeout=20000):
        QApplication.sendEvent(window, drop)
    assert not overlay.isVisible()


def test_a_mixed_drag_says_which_files_are_left_out(qtbot, window, tmp_path) -> None:
    run_file = write_runfile(tmp_path / "run.wdrun", [solve(build(rosenbrock(n=3)))])
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert _enter(window, _data([run_file, notes])).isAccepted()
    text = _overlay(window).text()
    assert "notes.txt" in text and "left out" in text
    QApplication.sendEvent(window, QDragLeaveEvent())


def test_files_the_window_does_not_open_get_no_highlight_and_a_reason(qtbot, window,
                                                                     tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    event = _enter(window, _data([notes]))
    assert not event.isAccepted()                       # the platform shows "no drop"
    assert not _visible_overlay(window)
    message = window.statusBar().currentMessage()
    assert "notes.txt" in message and ".wdrun" in message and ".json" in message


def _damaged_files(folder: Path) -> list[Path]:
    """Run files as they arrive broken: truncated, with a damaged deflate stream
    (zlib fails inside), not a zip at all, and one that is not there."""
    good = write_runfile(folder / "good.wdrun", [solve(build(rosenbrock(n=3)))])
    data = good.read_bytes()
    truncated = folder / "truncated.wdrun"
    truncated.write_bytes(data[:len(data) // 2])
    with zipfile.ZipFile(good) as archive:
        member = max(archive.infolist(), key=lambda info: info.compress_size)
    damaged = bytearray(data)
    start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    for k in range(start + 5, start + 25):
        damaged[k] ^= 0x5A
    deflate = folder / "deflate.wdrun"
    deflate.write_bytes(bytes(damaged))
    garbage = folder / "garbage.wdrun"
    garbage.write_bytes(b"\x00\x01 not a zip")
    good.unlink()
    return [truncated, deflate, garbage, folder / "missing.wdrun"]


def test_refused_files_are_named_with_the_reason_and_what_to_do(qtbot, window, tmp_path) -> None:
    files = _damaged_files(tmp_path)
    before = window.library.count(RunQuery(limit=0))
    with qtbot.waitSignal(window.opener.runs_imported, timeout=20000):
        window.open_paths(files)
    qtbot.waitUntil(lambda: getattr(window, "refused_box", None) is not None
                    and window.refused_box.isVisible(), timeout=10000)
    box = window.refused_box
    details = box.detailedText()
    lines = details.splitlines()
    assert len(lines) == len(files)
    for path, line in zip(files, lines):
        assert line.startswith(f"{path.name}: "), line
        advice = ("Check that the file is there" if "missing" in path.name
                  else "Ask for a fresh copy")
        assert advice in line, line
        # no exception repr, Python type names or zlib's own words
        assert not re.search(r"\w(Error|Exception|ZipFile)\b|\berror:|Errno|Error -\d|\w\(",
                             line), line
    assert "Nothing from them was added" in box.text() or "nothing from them" in box.text()
    box.button(QMessageBox.StandardButton.Ok).click()
    assert window.library.count(RunQuery(limit=0)) == before


def test_one_refused_file_is_counted_in_words(qtbot, window, tmp_path) -> None:
    """'1 file was refused', not '1 file(s) were refused' (issue 12, item 6)."""
    (one,) = _damaged_files(tmp_path)[:1]
    with qtbot.waitSignal(window.opener.runs_imported, timeout=20000):
        window.open_paths([one])
    qtbot.waitUntil(lambda: getattr(window, "refused_box", None) is not None
                    and window.refused_box.isVisible(), timeout=10000)
    assert window.refused_box.text().startswith("1 file was refused; nothing from it was added")
    window.refused_box.button(QMessageBox.StandardButton.Ok).click()
