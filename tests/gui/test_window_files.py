"""Files reach the window the same way whether dropped, opened or given on the
command line: run files are imported through the library's checks and
selected, broken ones are refused one by one, problem JSON opens in the editor."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from warmdesk.core.engine import solve
from warmdesk.core.library import RunQuery
from warmdesk.core.runfile import write_runfile

from ..core.factories import build, rosenbrock


def _drop(window, paths: list[Path]) -> bool:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, data,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return True


def _run_files(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    runs = [solve(build(rosenbrock(n=4, a=a))) for a in (1.0, 1.2)]
    good = write_runfile(tmp_path / "colleague.wdrun", runs)
    broken = tmp_path / "broken.wdrun"
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF                    # one flipped byte: a checksum fails
    broken.write_bytes(bytes(data))
    return good, broken, [r.id for r in runs]


def test_drop_valid_and_broken_run_files(qtbot, window, tmp_path: Path) -> None:
    good, broken, ids = _run_files(tmp_path)
    before = window.library.count(RunQuery(limit=0))
    with qtbot.waitSignal(window.opener.runs_imported, timeout=20000) as blocker:
        assert _drop(window, [good, broken])
    report = blocker.args[0]
    assert sorted(report.run_ids) == sorted(ids)
    assert [Path(p).name for p, _ in report.refused] == ["broken.wdrun"]
    assert window.library.count(RunQuery(limit=0)) == before + 2
    qtbot.waitUntil(lambda: sorted(window.browser.selected_run_ids()) == sorted(ids),
                    timeout=20000)
    box = window.refused_box
    assert box.isVisible() and "broken.wdrun" in box.detailedText()
    box.button(QMessageBox.StandardButton.Ok).click()
    # the same file again adds nothing
    with qtbot.waitSignal(window.opener.runs_imported, timeout=20000) as blocker:
        window.open_paths([good])
    assert blocker.args[0].imported[0][1] == []
    assert window.library.count(RunQuery(limit=0)) == before + 2


def test_unknown_files_are_not_accepted(qtbot, window, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    assert not _drop(window, [other])


def test_problem_json_opens_in_the_editor(qtbot, window, tmp_path: Path) -> None:
    spec = rosenbrock(n=3, a=2.5)
    spec["name"] = "dropped problem"
    path = tmp_path / "dropped.json"
    path.write_text(json.dumps(spec))
    with qtbot.waitSignal(window.editor.problem_changed, timeout=20000,
                          check_params_cb=lambda p: p.name == "dropped problem"):
        assert _drop(window, [path])
    assert window.editor.current_path == path
    assert window.editor.problem().spec["parameters"]["a"] == 2.5
