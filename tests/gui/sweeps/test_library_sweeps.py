"""A past sweep reopened from the library in the real window: sweeps run as
`warmdesk sweep` does (another connection to the library, InlineExecutor),
listed by File > Open sweep from library…, drawn from the stored runs with
their cold twin; "Show its sweep" on a run; and a point that failed the
sweep's check says so in the library table and the run details while its
stored status stays the solver's."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog

from warmdesk.core.library import Library
from warmdesk.core.status import Status
from warmdesk.core.sweeps import SweepResult, SweepRunner, sweep_from_dict
from warmdesk.gui.library.model import COLUMN_OF
from warmdesk.gui.status_colours import status_colour
from warmdesk.gui.sweeps.library_sweeps import SWEEP_ID_ROLE, LibrarySweepsDialog

from .helpers import EXAMPLES, TIMEOUT

#: two points before Bratu's fold, one past it (fails the check: max_fun)
SWEEP = {"format": "warmdesk.sweep/1", "name": "bratu-past", "problem": "bratu.json",
         "path": [{"lam": v} for v in (1.0, 2.0, 3.7)], "check": {"max_fun": 1e-14},
         "chaining": {"max_halvings": 0}}


def _sweep_from_the_terminal(window, cold: bool = False) -> SweepResult:
    """As `warmdesk sweep --workers 0`: its own connection to the window's library."""
    with Library(window.library.folder) as library:
        return SweepRunner(library, sweep_from_dict(SWEEP, EXAMPLES), cold=cold).run()


def _drawn_is_stored(window, result: SweepResult, mode: str) -> None:
    plot = window.sweeps.view.result
    log = plot.view.plot_item.getAxis("left").logMode
    drawn = [d for d in plot.drawn if d.mode == mode]
    assert {d.run_id for d in drawn} == {p.run.id for p in result.points.values()}
    for d in drawn:
        stored = window.library.get_run(d.run_id, history=False)
        assert stored.info["sweep"]["id"] == result.sweep_id
        assert d.x == stored.info["sweep"]["values"]["lam"]
        assert (10 ** d.y if log else d.y) == pytest.approx(stored.fun, rel=1e-9, abs=1e-300)
        assert d.ok == (stored.info["sweep"]["check"] is None)


def _open_dialog(qtbot, window) -> LibrarySweepsDialog:
    window.actions["open_library_sweep"].trigger()
    shown = [d for d in window.findChildren(QDialog, "library_sweeps_dialog") if d.isVisible()]
    assert len(shown) == 1 and isinstance(shown[0], LibrarySweepsDialog)
    dialog = shown[0]
    qtbot.waitUntil(lambda: dialog.sweeps is not None, timeout=TIMEOUT)
    return dialog


def test_a_sweep_from_the_terminal_is_opened_from_the_library_with_its_cold_twin(
        qtbot, window) -> None:
    dialog = _open_dialog(qtbot, window)          # an empty library says so
    assert dialog.sweeps == [] and "No sweep" in dialog.note.text()
    assert not dialog.open_button.isEnabled()
    dialog.reject()
    chained = _sweep_from_the_terminal(window)
    cold = _sweep_from_the_terminal(window, cold=True)
    dialog = _open_dialog(qtbot, window)
    table = dialog.table
    assert table.rowCount() == 2
    rows = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(2)]
    assert rows[0][:4] == ["bratu-past", "cold", "3 of 3", "1"]     # newest first
    assert rows[1][:4] == ["bratu-past", "chained", "3 of 3", "1"]
    assert table.item(1, 0).data(SWEEP_ID_ROLE) == chained.sweep_id
    table.selectRow(1)
    assert dialog.open_button.isEnabled()
    dialog.open_button.click()
    view = window.sweeps.view
    qtbot.waitUntil(lambda: len(view.result.drawn) == 6, timeout=TIMEOUT)
    assert window.plot_tabs.currentWidget() is view
    _drawn_is_stored(window, chained, "chained")
    _drawn_is_stored(window, cold, "cold")
    assert "chained: 3 of 3" in view.result.caption.text()
    progress = view.progress
    assert progress.title.text() == "<b>bratu-past</b>: chained, from the library"
    assert "3 of 3 points in the library; 1 failed" in progress.status.text()
    assert "cold twin" in progress.status.text()
    assert progress.bar.value() == progress.bar.maximum() == 3
    assert not progress.cancel.isEnabled()
    failed = chained.points[2]
    assert progress.failures.count() == 1
    assert progress.failures.item(0).text().startswith("point 2 (lam = 3.7): ")
    assert "max_fun" in progress.failures.item(0).text()
    # a failure clicked there shows its run, as for a sweep run in the app
    with qtbot.waitSignal(progress.run_clicked, timeout=TIMEOUT) as clicked:
        progress.failures.itemClicked.emit(progress.failures.item(0))
    assert clicked.args == [failed.run.id]


def test_show_its_sweep_on_a_run_draws_the_sweep(qtbot, window) -> None:
    result = _sweep_from_the_terminal(window)
    window.note_library_changed()
    qtbot.waitUntil(lambda: window.browser.model.rowCount() == window.library.count(),
                    timeout=TIMEOUT)
    run_id = result.points[1].run.id
    window.browser.select_runs([run_id])
    qtbot.waitUntil(lambda: window.browser.selected_run_ids() == [run_id], timeout=TIMEOUT)
    action = window.browser.actions["show_sweep"]
    assert action.isEnabled() and action in window.browser.context_menu().actions()
    action.trigger()
    view = window.sweeps.view
    qtbot.waitUntil(lambda: len(view.result.drawn) == 3, timeout=TIMEOUT)
    _drawn_is_stored(window, result, "chained")
    assert {d.mode for d in view.result.drawn} == {"chained"}   # no cold twin stored
    # a run of no sweep: the status bar says so, the plot stays
    with Library(window.library.folder) as library:
        plain = library.get_run(run_id)
        del plain.info["sweep"]
        plain.id = "0" * 32
        library.save_run(plain)
    window.sweeps.show_run_sweep(plain.id)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == "Run 00000000 is not part of a sweep", timeout=TIMEOUT)
    assert len(view.result.drawn) == 3


def test_a_point_that_failed_the_check_says_so_where_the_user_looks(qtbot, window) -> None:
    result = _sweep_from_the_terminal(window)
    failed, passed = result.points[2], result.points[0]
    assert failed.run.status is Status.CONVERGED and not failed.ok
    window.note_library_changed()
    model = window.browser.model
    qtbot.waitUntil(lambda: model.rowCount() == window.library.count(), timeout=TIMEOUT)
    column = COLUMN_OF["status"]

    def cell(run_id: str, role: Qt.ItemDataRole) -> object:
        row = next(r for r in range(model.rowCount()) if model.run_id(r) == run_id)
        return model.data(model.index(row, column), role)
    qtbot.waitUntil(lambda: cell(failed.run.id, Qt.ItemDataRole.DisplayRole) is not None,
                    timeout=TIMEOUT)
    assert cell(failed.run.id, Qt.ItemDataRole.DisplayRole) == "✗ check"
    tip = cell(failed.run.id, Qt.ItemDataRole.ToolTipRole)
    assert tip == f"converged — failed the sweep's check: {failed.reason}"
    assert "the objective" in tip and "max_fun 1e-14" in tip
    assert cell(passed.run.id, Qt.ItemDataRole.DisplayRole) == "converged"
    # the text and its dot in the failure's colour, not converged's green
    failure, good = (QColor(status_colour(s)) for s in ("failed", "converged"))
    assert cell(failed.run.id, Qt.ItemDataRole.ForegroundRole) == failure
    assert cell(passed.run.id, Qt.ItemDataRole.ForegroundRole) == good
    dot = cell(failed.run.id, Qt.ItemDataRole.DecorationRole).pixmap(12, 12).toImage()
    assert dot.pixelColor(6, 6).name() == failure.name()
    assert "sweep" not in str(cell(passed.run.id, Qt.ItemDataRole.ToolTipRole))
    # the stored status stays the solver's word
    assert window.library.get_run(failed.run.id, history=False).status is Status.CONVERGED
    # the run details' summary says it beside the status
    window.show_details(failed.run.id)
    qtbot.waitUntil(lambda: window.details.run() is not None
                    and window.details.run().id == failed.run.id, timeout=TIMEOUT)
    summary = window.details._summary.toPlainText()
    assert "converged — failed the sweep's check: the objective" in summary
    assert "point 2 of sweep bratu-past" in summary
    window.show_details(passed.run.id)
    qtbot.waitUntil(lambda: window.details.run().id == passed.run.id, timeout=TIMEOUT)
    assert "sweep's check" not in window.details._summary.toPlainText()
