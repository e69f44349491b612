"""The macOS file-open event (QFileOpenEvent) reaches the window's open-files path."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from warmdesk.core.engine import solve
from warmdesk.core.library import RunQuery
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.runfile import write_runfile
from warmdesk.gui.file_open_events import FileOpenFilter

from ..core.factories import rosenbrock


def _send(path: str | QUrl) -> bool:
    app = QApplication.instance()
    return app.sendEvent(app, QFileOpenEvent(path))


def test_events_arriving_together_are_handed_over_in_one_call(qtbot) -> None:
    calls: list[list[str]] = []
    event_filter = FileOpenFilter(calls.append).install(QApplication.instance())
    try:
        assert _send("/data/one.wdrun")
        assert _send(QUrl.fromLocalFile("/data/two words.wdrun"))
        assert calls == []          # handed over once the queue has delivered the batch
        qtbot.waitUntil(lambda: calls != [], timeout=5000)
        assert calls == [["/data/one.wdrun", "/data/two words.wdrun"]]
        assert event_filter.pending() == []
    finally:
        QApplication.instance().removeEventFilter(event_filter)


def test_paths_wait_for_the_handler(qtbot) -> None:
    """At launch on macOS the event comes before the window exists."""
    event_filter = FileOpenFilter().install(QApplication.instance())
    try:
        _send("/early/run.wdrun")
        assert event_filter.pending() == ["/early/run.wdrun"]
        calls: list[list[str]] = []
        event_filter.set_handler(calls.append)
        qtbot.waitUntil(lambda: calls == [["/early/run.wdrun"]], timeout=5000)
    finally:
        QApplication.instance().removeEventFilter(event_filter)


def test_other_events_pass_through(qtbot) -> None:
    calls: list[list[str]] = []
    event_filter = FileOpenFilter(calls.append)
    assert not event_filter.eventFilter(event_filter, QEvent(QEvent.Type.User))
    assert calls == [] and event_filter.pending() == []


def test_a_file_open_event_imports_the_run_in_the_window(qtbot, window, tmp_path: Path) -> None:
    problem = problem_from_dict(rosenbrock("BFGS", n=4))
    run = solve(problem)
    path = write_runfile(tmp_path / "from a colleague.wdrun", [run])
    event_filter = FileOpenFilter(window.open_paths).install(QApplication.instance())
    try:
        with qtbot.waitSignal(window.opener.runs_imported, timeout=20000) as blocker:
            _send(str(path))
        assert blocker.args[0].run_ids == [run.id]
        assert window.library.count(RunQuery(limit=0)) == 1
        assert window.library.get_meta(run.id)["name"] == run.name
    finally:
        QApplication.instance().removeEventFilter(event_filter)
