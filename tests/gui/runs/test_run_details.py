"""Run details over a real library (summary, history, lineage, diff against the
warm-start source), the pure diff of two runs, and the history table model."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QUrl, Qt
from PySide6.QtWidgets import (QLabel, QListWidget, QPushButton, QTableView, QTabWidget,
                               QTextBrowser, QTreeWidget)

from warmdesk.core.advisor import guarded_solve
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.runs import HISTORY_COLUMNS
from warmdesk.core.warmstart import warm_start_from_run
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.runs.history_model import HistoryTableModel, format_cell
from warmdesk.gui.runs.details import RunDetails, summarise_values
from warmdesk.gui.runs.diff import diff_headline, diff_runs

from ...core.factories import build, fit_spec, rosenbrock, write_peaks
from ..conftest import Stocked, stock_library


@pytest.fixture
def details(qtbot, stocked: Stocked) -> RunDetails:
    widget = RunDetails(stocked.library)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def _shown(qtbot, details: RunDetails, run_id: str):
    with qtbot.waitSignal(details.loaded, timeout=10_000) as blocker:
        details.show_run(run_id)
    return blocker.args[0]


def _tree_rows(tree: QTreeWidget) -> dict[str, list[list[str]]]:
    out = {}
    for i in range(tree.topLevelItemCount()):
        head = tree.topLevelItem(i)
        out[head.text(0)] = [[head.child(k).text(c) for c in range(4)]
                             for k in range(head.childCount())]
    return out


# ---------------------------------------------------------------------- the widget
def test_warm_run_summary_history_and_diff(qtbot, details: RunDetails, stocked: Stocked) -> None:
    run = _shown(qtbot, details, stocked.warm.id)
    assert run.id == stocked.warm.id and details.run() is run
    summary = details.findChild(QTextBrowser, "summary").toPlainText()
    saving = run.info["saving"]
    assert f"{100 * saving['value']:.0f}% fewer evaluations than cold" in summary
    assert f"({stocked.warm.nfev} vs {stocked.cold.nfev})" in summary
    assert f"from {stocked.cold.id[:8]}: payload x0, hess_inv (restart)" in summary
    assert f"warm start from {stocked.cold.id}" in summary       # the mapping report
    assert "Solver state kept" in summary and "converged" in summary
    model = details.findChild(QTableView, "history").model()
    history = stocked.warm.history.array
    assert model.rowCount() == len(history) > 0
    assert model.headerData(4, Qt.Orientation.Horizontal) == "f"
    assert model.index(2, 4).data() == f"{history[2, 4]:.6g}"
    assert model.index(2, 1).data() == str(int(history[2, 1]))
    diff = _tree_rows(details.findChild(QTreeWidget, "diff"))
    assert diff["Parameters"] == [["a", "1", "1.05", "+5%"]]
    results = {row[0]: row for row in diff["Results"]}
    assert results["nfev"][1:3] == [str(stocked.cold.nfev), str(stocked.warm.nfev)]
    assert results["status"][1:3] == ["converged", "converged"]
    label = details.findChild(QLabel, "diffLabel").text()
    assert "1 parameter changed; same method, options and data" in label
    buttons = {b.text(): b for b in details.findChildren(QPushButton)}
    with qtbot.waitSignal(details.warm_start_requested) as used:
        buttons["Use as warm start"].click()
    assert used.args == [stocked.warm.id]
    with qtbot.waitSignal(details.new_problem_requested) as new:
        buttons["New problem from this run"].click()
    assert new.args == [stocked.warm.id]
    with qtbot.waitSignal(details.run_activated) as opened:   # the source's link
        details.findChild(QTextBrowser, "summary").anchorClicked.emit(
            QUrl(f"run:{stocked.cold.id}"))
    assert opened.args == [stocked.cold.id]
    details.grab().save("/tmp/details_test.png")


def test_cold_run_lineage_is_clickable_and_has_no_diff(qtbot, details: RunDetails,
                                                       stocked: Stocked) -> None:
    _shown(qtbot, details, stocked.cold.id)
    assert "No warm-start source" in details.findChild(QLabel, "diffLabel").text()
    assert not details.findChild(QTreeWidget, "diff").isVisibleTo(details)
    ancestors = details.findChild(QListWidget, "ancestors")
    assert ancestors.item(0).text() == "none: it started cold"
    descendants = details.findChild(QListWidget, "descendants")
    assert descendants.count() == 1
    item = descendants.item(0)
    assert stocked.warm.id[:8] in item.text() and "converged" in item.text()
    details.findChild(QTabWidget).setCurrentIndex(4)       # Lineage
    with qtbot.waitSignal(details.run_activated) as opened:
        qtbot.mouseClick(descendants.viewport(), Qt.MouseButton.LeftButton,
                         pos=descendants.visualItemRect(item).center())
    assert opened.args == [stocked.warm.id]
    assert "none: started cold" in details.findChild(QTextBrowser, "summary").toPlainText()


def test_a_missing_run_shows_an_error(qtbot, details: RunDetails, stocked: Stocked) -> None:
    _shown(qtbot, details, stocked.cold.id)
    message = details.findChild(QLabel, "detailsMessage")
    loaded = []
    details.loaded.connect(loaded.append)
    details.show_run("0123456789abcdef")
    qtbot.waitUntil(lambda: message.text().startswith("Cannot show run"), timeout=10_000)
    assert "no run" in message.text()
    assert details.run() is None and loaded == []
    assert details.findChild(QTableView, "history").model().rowCount() == 0
    assert not any(b.isEnabled() for b in details.findChildren(QPushButton))


def test_a_source_not_in_the_library_is_greyed(qtbot, tmp_path: Path) -> None:
    elsewhere = stock_library(tmp_path / "other")
    elsewhere.library.close()
    with Library(tmp_path / "lib") as library:
        library.import_runs([elsewhere.warm])          # its source stays behind
        details = RunDetails(library)
        qtbot.addWidget(details)
        _shown(qtbot, details, elsewhere.warm.id)
        item = details.findChild(QListWidget, "ancestors").item(0)
        assert item.text() == f"{elsewhere.cold.id[:8]}  (not in the library)   payload x0, " \
                              "hess_inv"
        assert item.foreground().color().name() == "#9a9a9a"
        with qtbot.assertNotEmitted(details.run_activated):
            details._lineage_clicked(item)
        assert "is not in the library" in details.findChild(QLabel, "diffLabel").text()
        wait_for_background()


def test_guard_info_is_summarised(qtbot, details: RunDetails, stocked: Stocked) -> None:
    problem = build(rosenbrock(a=1.02))
    kept, report = guarded_solve(stocked.library, problem,
                                 warm_start_from_run(problem, stocked.cold))
    stocked.library.save_runs(report.runs)
    _shown(qtbot, details, kept.id)
    summary = details.findChild(QTextBrowser, "summary").toPlainText()
    assert f"{report.action}: {report.reason}" in summary
    assert f"budget {report.budget} evaluations" in summary


def test_a_scaled_start_is_summarised(qtbot, details: RunDetails, tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    source = solve(build(rosenbrock("CG", gtol=1e-6)))
    problem = build(rosenbrock("CG", a=1.01, gtol=1e-6))
    run = solve(problem, warm_start_from_run(problem, source))
    odd = solve(problem, warm_start_from_run(problem, source))
    odd.info["scaled_start"] = "from a hand-edited run file"   # not a dict: no line
    library.save_runs([source, run, odd])
    view = RunDetails(library)
    qtbot.addWidget(view)
    _shown(qtbot, view, run.id)
    summary = view.findChild(QTextBrowser, "summary").toPlainText()
    phase = run.info["scaled_start"]
    assert (f"Scaled start\n{phase['evaluations']} evaluations, {phase['iterations']} "
            f"iterations; ended: the gradient tolerance met") in summary
    _shown(qtbot, view, odd.id)
    assert "Scaled start" not in view.findChild(QTextBrowser, "summary").toPlainText()


# ---------------------------------------------------------------------- pure parts
def test_diff_rows_without_qt(tmp_path: Path) -> None:
    cold = solve(build(rosenbrock()))
    spec = rosenbrock("L-BFGS-B", a=1.05, maxiter=500)
    spec["variables"]["x"]["upper"] = 4
    problem = build(spec)
    warm = solve(problem, warm_start_from_run(problem, cold))
    rows = diff_runs(cold, warm)
    by_name = {(r.section, r.name): r for r in rows}
    a = by_name[("parameter", "a")]
    assert (a.old, a.new, a.change_text()) == ("1", "1.05", "+5%")
    assert a.relative == pytest.approx(0.05)
    assert ("parameter", "b") not in by_name
    assert (by_name[("solver", "method")].old, by_name[("solver", "method")].new) == \
        ("BFGS", "L-BFGS-B")
    assert by_name[("option", "maxiter")].new == "500"
    assert by_name[("spec", "variables.x")].changed
    assert [r.name for r in rows if r.section == "result"] == \
        ["status", "fun", "nit", "nfev", "njev", "wall_s"]
    assert by_name[("result", "nfev")].old == str(cold.nfev)
    assert diff_headline(rows) == ("1 parameter changed; method changed; options changed; "
                                   "1 other part of the problem changed; same data")
    write_peaks(tmp_path, "a.csv")
    write_peaks(tmp_path, "b.csv", shift=0.2)
    fit_a = solve(build(fit_spec(file="a.csv"), tmp_path))
    fit_b = solve(build(fit_spec(file="b.csv"), tmp_path))
    data = {r.name: r for r in diff_runs(fit_a, fit_b) if r.section == "data"}
    assert (data["file"].old, data["file"].new) == ("a.csv", "b.csv")
    assert data["content (sha256)"].old != data["content (sha256)"].new


def test_history_model_is_quick_on_100k_rows(qtbot) -> None:
    rows = np.random.default_rng(0).normal(size=(100_000, len(HISTORY_COLUMNS)))
    rows[:, 0] = np.arange(100_000)
    rows[:, 8] = np.nan
    model = HistoryTableModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.verticalHeader().setVisible(False)
    t0 = time.perf_counter()
    view.setModel(model)
    model.set_array(rows)
    view.show()
    view.scrollToBottom()
    qtbot.waitExposed(view)
    assert time.perf_counter() - t0 < 2.0
    assert model.rowCount() == 100_000
    assert model.index(99_999, 0).data() == "99999"
    assert model.index(99_999, 8).data() == ""
    assert model.index(5, 4).data() == format_cell(rows[5, 4], "fun") == f"{rows[5, 4]:.6g}"


def test_long_vectors_are_summarised() -> None:
    assert summarise_values([1.0, 2.5]) == "1, 2.5"
    text = summarise_values(np.arange(100.0))
    assert text.startswith("0, 1, 2, 3, …, 98, 99") and "max 99" in text


def test_a_fit_report_and_its_warnings_are_in_the_summary(qtbot, tmp_path: Path) -> None:
    """Real fits, a real library, the real widget: the well-determined Rat43 has a
    report and no warning; the ill-conditioned MGH10 gets its warnings shown."""
    from ...core.nist_strd import PROBLEMS, nist_spec
    from warmdesk.core.problems import load_problem

    with Library(tmp_path / "lib") as library:
        runs = {}
        for name in ("Rat43", "MGH10"):
            problem = load_problem(nist_spec(tmp_path, name, "trf"))
            runs[name] = solve(problem)
            library.save_run(runs[name])
        details = RunDetails(library)
        qtbot.addWidget(details)
        _shown(qtbot, details, runs["Rat43"].id)
        summary = details.findChild(QTextBrowser, "summary").toPlainText()
        assert "Fit report" in summary and "std error" in summary
        for name in PROBLEMS["Rat43"]["certified"]:
            assert f"\n{name:>12} " in f"\n{summary}"
        assert "Fit warning" not in summary
        _shown(qtbot, details, runs["MGH10"].id)
        summary = details.findChild(QTextBrowser, "summary").toPlainText()
        assert "Fit warning" in summary and "ill-conditioned" in summary
        assert "poorly determined" in summary
        wait_for_background()
