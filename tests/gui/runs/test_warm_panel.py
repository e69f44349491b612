"""The warm-start panel over a real library: advice in the background, the
mapping report, hand-picked runs (also dropped), start cold, the guard toggle,
and advice for an earlier version of the problem dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QListWidget, QPlainTextEdit

from warmdesk.core.library import Library
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.mime import run_ids_mime
from warmdesk.gui.runs.warm_panel import ROLE_ENTRY, WarmStartPanel

from ...core.factories import build, rosenbrock
from ..conftest import Stocked


def _entries(panel: WarmStartPanel) -> list[tuple[str, tuple]]:
    view = panel.findChild(QListWidget, "suggestions")
    return [(view.item(r).text(), view.item(r).data(ROLE_ENTRY)) for r in range(view.count())]


def _report(panel: WarmStartPanel) -> str:
    return panel.findChild(QPlainTextEdit, "mappingReport").toPlainText()


def _advised(qtbot, panel: WarmStartPanel, problem) -> None:
    with qtbot.waitSignal(panel.advice_ready, timeout=10_000):
        panel.set_problem(problem)
    assert not panel.is_busy()


def _drop(panel: WarmStartPanel, run_id: str) -> bool:
    data = run_ids_mime([run_id])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(panel, enter)
    accepted = enter.isAccepted()
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, data,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(panel, drop)
    return accepted


def test_suggestions_explanations_report_guard_and_cold(qtbot, stocked: Stocked) -> None:
    panel = WarmStartPanel(stocked.library)
    qtbot.addWidget(panel)
    assert panel.selected_warm() is None and panel.guard_enabled()
    problem = build(rosenbrock(a=1.01))
    _advised(qtbot, panel, problem)
    advice = panel.advice()
    assert advice is not None and not advice.start_cold
    top = advice.suggestions[0]
    assert top.run_id == stocked.cold.id              # the nearer run (or a prediction from it)
    assert "parameters differ by" in top.explanation
    titles = [title for title, _ in _entries(panel)]
    assert titles[0].startswith("#1") and stocked.cold.id[:8] in titles[0]
    assert stocked.cold.name and stocked.cold.name in titles[0]       # names, for people
    assert titles[-1] == "Start cold"
    assert _entries(panel)[0][1][3] == top.explanation
    header = panel.findChild(QLabel, "adviceHeader").text()
    assert f"{len(advice.suggestions)} suggestions" in header
    assert "evaluations" in header
    # the top suggestion is chosen, with its mapping report, built for this problem
    warm = panel.selected_warm()
    assert warm is not None and warm.source_run_id == stocked.cold.id
    assert warm.x0.size == 10 and panel.selected_source() == stocked.cold.id
    report = _report(panel)
    assert report.startswith(f"warm start from {stocked.cold.id}")
    assert "matched:   x" in report
    with qtbot.waitSignal(panel.choice_changed):
        panel.set_guard_enabled(False)
    assert not panel.guard_enabled()
    panel.set_guard_enabled(True)
    assert panel.guard_enabled()
    with qtbot.waitSignal(panel.choice_changed):
        panel.choose_cold()
    assert panel.selected_warm() is None and panel.selected_source() is None
    assert _report(panel).startswith("start cold")
    panel.choose_suggestion(1)
    assert panel.selected_warm() is advice.suggestions[1].warm
    # the user's pick of cold survives a refresh (a solve added runs)
    panel.choose_cold()
    with qtbot.waitSignal(panel.advice_ready, timeout=10_000):
        panel.refresh()
    assert panel.selected_warm() is None
    panel.grab().save("/tmp/warm_panel_test.png")


def test_empty_library_advises_start_cold(qtbot, tmp_path: Path) -> None:
    with Library(tmp_path) as library:
        panel = WarmStartPanel(library)
        qtbot.addWidget(panel)
        _advised(qtbot, panel, build(rosenbrock()))
        header = panel.findChild(QLabel, "adviceHeader").text()
        assert header.startswith("<b>START COLD:</b> no earlier run")
        assert _entries(panel) and _entries(panel)[0][0] == "Start cold"
        view = panel.findChild(QListWidget, "suggestions")
        assert view.currentItem().text() == "Start cold"
        assert panel.selected_warm() is None
        wait_for_background()


def test_one_suggestion_from_one_run_is_counted_in_the_singular(qtbot, tmp_path: Path) -> None:
    """The header counts what it shows: "1 suggestion from 1 candidate run", not
    "1 suggestions from 1 candidate runs" (seen on the packaged app's first screen)."""
    from warmdesk.core.engine import solve
    with Library(tmp_path) as library:
        library.save_run(solve(build(rosenbrock(n=2))))
        panel = WarmStartPanel(library)
        qtbot.addWidget(panel)
        _advised(qtbot, panel, build(rosenbrock(n=2, a=1.01)))
        advice = panel.advice()
        assert advice is not None and not advice.start_cold
        assert (len(advice.suggestions), advice.candidates) == (1, 1)
        header = panel.findChild(QLabel, "adviceHeader").text()
        assert header.startswith("<b>1 suggestion</b> from 1 candidate run, ")
        wait_for_background()


def test_dropped_run_becomes_a_hand_picked_entry(qtbot, stocked: Stocked) -> None:
    panel = WarmStartPanel(stocked.library)
    qtbot.addWidget(panel)
    _advised(qtbot, panel, build(rosenbrock(a=1.01)))
    with qtbot.waitSignal(panel.choice_changed, timeout=10_000):
        assert _drop(panel, stocked.warm.id)
    title, entry = _entries(panel)[0]
    assert title == f"hand-picked: rosenbrock {stocked.warm.id[:8]}"
    assert entry[0] == "hand"
    assert panel.selected_source() == stocked.warm.id
    assert _report(panel).startswith(f"warm start from {stocked.warm.id}")
    # editing the problem keeps the hand pick and maps it onto the new version
    edited = build(rosenbrock(a=1.2))
    with qtbot.waitSignal(panel.advice_ready, timeout=10_000):
        panel.set_problem(edited)
    assert panel.selected_source() == stocked.warm.id     # (mapped in memory until rebuilt)
    # rebuilt for `edited` in the background: the same object from then on
    qtbot.waitUntil(lambda: panel.selected_warm() is panel.selected_warm(), timeout=10_000)
    assert panel.selected_source() == stocked.warm.id
    assert _entries(panel)[0][1][0] == "hand"


def test_a_run_of_another_kind_is_refused_and_the_choice_kept(qtbot, stocked: Stocked) -> None:
    panel = WarmStartPanel(stocked.library)
    qtbot.addWidget(panel)
    _advised(qtbot, panel, build(rosenbrock(a=1.01)))
    before = panel.selected_warm()
    message = panel.findChild(QLabel, "warmMessage")
    panel.choose_run(stocked.fit.id)
    qtbot.waitUntil(lambda: message.text() != "")
    assert "'fit' run" in message.text() and "previous choice is kept" in message.text()
    assert panel.selected_warm() is before
    assert all(entry[0] != "hand" for _, entry in _entries(panel))
    panel.choose_run("ffffffffffff")   # not in the library
    qtbot.waitUntil(lambda: "no run" in message.text())
    assert panel.selected_warm() is before


def test_a_drag_without_run_ids_is_refused(qtbot, stocked: Stocked) -> None:
    panel = WarmStartPanel(stocked.library)
    qtbot.addWidget(panel)
    data = run_ids_mime([stocked.cold.id])
    data.removeFormat("application/x-warmdesk-run-ids")
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(panel, enter)
    assert not enter.isAccepted()


def test_stale_advice_is_dropped(qtbot, stocked: Stocked) -> None:
    panel = WarmStartPanel(stocked.library)
    qtbot.addWidget(panel)
    got = []
    panel.advice_ready.connect(got.append)
    first, last = build(rosenbrock(a=1.3)), build(rosenbrock(a=1.01))
    panel.set_problem(first)
    panel.set_problem(last)
    assert panel.is_busy()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10_000)
    wait_for_background()
    QApplication.processEvents()
    assert len(got) == 1
    assert panel.advice_problem_hash() == last.content_hash() != first.content_hash()
    assert got[0].f_default == pytest.approx(9 * 1.01 ** 2)   # the last problem's default start
    panel.set_problem(None)
    assert panel.advice() is None and panel.selected_warm() is None
    assert [title for title, _ in _entries(panel)] == ["Start cold"]


def test_runs_of_a_different_problem_rank_below_start_cold(qtbot, stocked: Stocked) -> None:
    """A minimize problem that only shares the variable name ``x`` with the stored
    Rosenbrock runs: start cold is advised, chosen, and listed above them."""
    from ...core.advisor.test_advisor_structure import PEAK

    panel = WarmStartPanel(stocked.library)
    qtbot.addWidget(panel)
    _advised(qtbot, panel, build(PEAK))
    advice = panel.advice()
    assert advice is not None and advice.start_cold and advice.suggestions
    header = panel.findChild(QLabel, "adviceHeader").text()
    assert header.startswith("<b>START COLD:</b>") and "different problem" in header
    entries = _entries(panel)
    assert entries[0][0] == "Start cold"            # ranked above the runs that did not beat it
    assert panel.findChild(QListWidget, "suggestions").currentItem().text() == "Start cold"
    assert panel.selected_warm() is None
    rest = [entry for _, entry in entries[1:]]
    assert len(rest) == len(advice.suggestions)
    assert all(entry[0] == "suggestion" and entry[2] == 0.0 for entry in rest)
    assert all("different problem" in entry[3] for entry in rest)
    panel.choose_suggestion(0)                      # still there for a user who wants one
    assert panel.selected_warm() is advice.suggestions[0].warm
