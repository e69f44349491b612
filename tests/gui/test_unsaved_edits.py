"""Unsaved problem edits are marked and never lost without a word: the window
title and the Problem dock carry the mark; closing the window, a new problem
or opening another one ask Save / Discard / Cancel, and Save writes the file.
File > Open starts in the folder last used, else in the bundled examples."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from warmdesk.gui.editor.files import spec_json
from warmdesk.gui.settings import AppSettings
from warmdesk.resources_path import examples_dir

from ..core.factories import rosenbrock

TIMEOUT = 20_000
Button = QMessageBox.StandardButton


def _open_file(qtbot, window, tmp_path: Path, name: str = "calibration.json",
               a: float = 1.0) -> Path:
    path = tmp_path / name
    spec = rosenbrock(a=a)
    spec["name"] = Path(name).stem
    path.write_text(spec_json(spec))
    window.open_paths([path])
    qtbot.waitUntil(lambda: window.editor.current_path == path and window.editor.is_valid(),
                    timeout=TIMEOUT)
    return path


def _edit(qtbot, window, a: float) -> None:
    window.editor.set_parameter("a", a)
    qtbot.waitUntil(window.isWindowModified, timeout=TIMEOUT)


def _question(qtbot, window) -> QMessageBox:
    qtbot.waitUntil(lambda: window.unsaved.box is not None and window.unsaved.box.isVisible(),
                    timeout=TIMEOUT)
    return window.unsaved.box


def _answer(box: QMessageBox, button: QMessageBox.StandardButton) -> None:
    box.button(button).click()


def _saved_a(path: Path) -> float:
    return json.loads(path.read_text())["parameters"]["a"]


def test_an_edit_marks_the_title_and_the_problem_dock(qtbot, window, tmp_path: Path) -> None:
    _open_file(qtbot, window, tmp_path)
    assert "calibration.json[*]" in window.windowTitle()
    assert not window.isWindowModified() and window.editor_dock.windowTitle() == "Problem"
    _edit(qtbot, window, 1.5)
    assert window.editor.is_modified()
    assert window.editor_dock.windowTitle() == "Problem*"
    window.editor.set_parameter("a", 1.0)          # undone by hand: clean again
    qtbot.waitUntil(lambda: not window.isWindowModified(), timeout=TIMEOUT)
    assert window.editor_dock.windowTitle() == "Problem"


def test_closing_with_unsaved_edits_asks_and_save_writes_them(qtbot, window,
                                                                tmp_path: Path) -> None:
    path = _open_file(qtbot, window, tmp_path)
    _edit(qtbot, window, 1.5)
    window.close()
    box = _question(qtbot, window)
    assert window.isVisible()                       # nothing closes before the answer
    assert "calibration.json" in box.text()
    _answer(box, Button.Save)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT)
    assert _saved_a(path) == 1.5
    assert not window.editor.is_modified()


def test_cancel_keeps_the_window_and_the_edits(qtbot, window, tmp_path: Path) -> None:
    path = _open_file(qtbot, window, tmp_path)
    _edit(qtbot, window, 1.5)
    window.close()
    _answer(_question(qtbot, window), Button.Cancel)
    assert window.isVisible() and window.isWindowModified()
    assert window.editor.spec()["parameters"]["a"] == 1.5
    assert _saved_a(path) == 1.0
    window.close()                                  # asked again, not closed silently
    _answer(_question(qtbot, window), Button.Discard)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT)
    assert _saved_a(path) == 1.0                    # discarded: the file is as it was


def test_opening_another_problem_over_edits_asks_first(qtbot, window, tmp_path: Path) -> None:
    first = _open_file(qtbot, window, tmp_path)
    _edit(qtbot, window, 1.5)
    other = tmp_path / "other.json"
    other.write_text(spec_json(rosenbrock(a=2.0)))
    window.open_paths([other])
    box = _question(qtbot, window)
    assert "opening other.json" in box.informativeText()
    _answer(box, Button.Cancel)
    assert window.editor.current_path == first and window.editor.is_modified()
    window.open_paths([other])
    _answer(_question(qtbot, window), Button.Save)
    qtbot.waitUntil(lambda: window.editor.current_path == other, timeout=TIMEOUT)
    assert _saved_a(first) == 1.5 and not window.isWindowModified()


def test_a_new_problem_over_edits_asks_first(qtbot, window, tmp_path: Path) -> None:
    path = _open_file(qtbot, window, tmp_path)
    _edit(qtbot, window, 1.5)
    window.actions["new_minimize"].trigger()
    _answer(_question(qtbot, window), Button.Discard)
    qtbot.waitUntil(lambda: window.editor.current_path is None, timeout=TIMEOUT)
    assert not window.isWindowModified() and _saved_a(path) == 1.0


def _open_dialog(qtbot, window) -> QFileDialog:
    window.actions["open"].trigger()
    qtbot.waitUntil(lambda: window.findChild(QFileDialog, "open_dialog") is not None
                    and window.findChild(QFileDialog, "open_dialog").isVisible(), timeout=TIMEOUT)
    return window.findChild(QFileDialog, "open_dialog")


def test_open_starts_in_the_examples_then_in_the_last_folder(qtbot, window, settings,
                                                              tmp_path: Path) -> None:
    dialog = _open_dialog(qtbot, window)
    assert Path(dialog.directory().absolutePath()) == examples_dir().resolve()
    folder = tmp_path / "problems"
    folder.mkdir()
    path = folder / "calibration.json"
    path.write_text(spec_json(rosenbrock()))
    dialog.selectFile(str(path))
    dialog.accept()
    qtbot.waitUntil(lambda: window.editor.current_path == path, timeout=TIMEOUT)
    dialog.deleteLater()
    qtbot.waitUntil(lambda: window.findChild(QFileDialog, "open_dialog") is None, timeout=TIMEOUT)
    again = _open_dialog(qtbot, window)
    assert Path(again.directory().absolutePath()) == folder
    again.reject()
    assert AppSettings(settings._qs.fileName()).last_folder == str(folder)  # persisted


def test_unsaved_edits_move_with_a_library_switch_without_a_question(qtbot, settings,
                                                                     tmp_path: Path) -> None:
    import shiboken6

    from warmdesk.core.library import Library
    from warmdesk.gui.background import wait_for_background
    from warmdesk.gui.session import Session

    session = Session(settings, Library(tmp_path / "first"))
    old = session.window
    old.show()
    qtbot.waitUntil(old.is_ready, timeout=TIMEOUT)
    path = _open_file(qtbot, old, tmp_path)
    _edit(qtbot, old, 1.5)
    with qtbot.waitSignal(session.switched, timeout=TIMEOUT):
        old.set_library_folder(str(tmp_path / "second"))
    new = session.window
    qtbot.waitUntil(lambda: not shiboken6.isValid(old) or not old.isVisible(), timeout=TIMEOUT)
    assert new.isWindowModified() and new.editor.current_path == path     # still unsaved
    assert new.editor.spec()["parameters"]["a"] == 1.5
    assert new.findChild(QMessageBox, "unsaved_changes_box") is None       # nobody was asked
    new.close()
    _answer(_question(qtbot, new), Button.Discard)
    qtbot.waitUntil(lambda: not new.isVisible(), timeout=TIMEOUT)
    wait_for_background()
    shiboken6.delete(new)
    session.library.close()
