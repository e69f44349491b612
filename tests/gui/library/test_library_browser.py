"""The library browser over a real library: lazy pages, filters, facets,
sorting, selection, context actions, undoable edits, trash, drag, export, errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QLabel

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.runfile import read_runfile
from warmdesk.core.runs import Run, new_run_id
from warmdesk.core.problems import with_parameters
from warmdesk.core.warmstart import warm_start_from_run
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.library.browser import LibraryBrowser
from warmdesk.gui.library.model import COLUMN_OF, PAGE_SIZE, PLACEHOLDER
from warmdesk.gui.mime import run_ids_from_mime

from ...core.factories import build, rosenbrock

N = 450                     # a little over two pages of 200
T0 = 1_700_000_000.0


@pytest.fixture(scope="module")
def solved() -> tuple[Run, Run]:
    """A real cold solve, and a real warm solve from it of a nearby problem."""
    problem = build(rosenbrock())
    cold = solve(problem)
    near = with_parameters(problem, a=1.01)
    warm = solve(near, warm_start_from_run(near, cold))
    return cold, warm


def copies(run: Run, n: int) -> list[Run]:
    """``n`` copies of a solved run with their own ids, names, figures, dates and tags:
    ``run NNN`` has fun NNN/2, was made at T0+NNN, every 10th failed, every 3rd
    used L-BFGS-B; tags alpha on even, beta on every 4th."""
    return [dataclasses.replace(
        run, id=new_run_id(), name=f"run {i:03d}", fun=i / 2, created_at=T0 + i,
        status="failed" if i % 10 == 0 else "converged",
        method="L-BFGS-B" if i % 3 == 0 else "BFGS",
        tags=(["alpha"] if i % 2 == 0 else []) + (["beta"] if i % 4 == 0 else []),
        notes="needle in the notes" if i == 7 else "") for i in range(n)]


@pytest.fixture
def library(tmp_path: Path, solved: tuple[Run, Run]) -> Iterator[Library]:
    lib = Library(tmp_path / "lib")
    lib.save_runs(copies(solved[0], N))
    yield lib
    wait_for_background()
    lib.close()


@pytest.fixture
def browser(qtbot, library: Library) -> LibraryBrowser:
    widget = LibraryBrowser(library)
    qtbot.addWidget(widget)
    widget.resize(1200, 500)
    widget.show()
    qtbot.waitUntil(lambda: widget.count_label.text() == f"{N} runs")
    return widget


def name_at(browser: LibraryBrowser, row: int, column: str = "name") -> str:
    return browser.model.data(browser.model.index(row, COLUMN_OF[column]))


def select(browser: LibraryBrowser, rows: list[int]) -> None:
    selection = QItemSelection()
    for row in rows:
        selection.select(browser.model.index(row, 0), browser.model.index(row, 11))
    browser.table.selectionModel().select(selection,
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect)


def test_rows_past_the_first_page_load_when_asked(qtbot, browser: LibraryBrowser) -> None:
    model = browser.model
    assert model.rowCount() == N and model.total == N
    assert name_at(browser, 0) == f"run {N - 1:03d}"         # newest first
    row = PAGE_SIZE * 2 + 10                                  # on the third page
    assert not model.is_loaded(row)
    assert model.run_id(row) is None
    assert name_at(browser, row) == PLACEHOLDER               # asking starts the read
    with qtbot.waitSignal(model.dataChanged):
        pass
    qtbot.waitUntil(lambda: model.is_loaded(row))
    assert name_at(browser, row) == f"run {N - 1 - row:03d}"
    browser.table.scrollTo(model.index(PAGE_SIZE + 5, 0))     # the view asks too
    qtbot.waitUntil(lambda: model.is_loaded(PAGE_SIZE + 5))
    assert model.row_of(model.run_id(PAGE_SIZE + 5)) == PAGE_SIZE + 5


def test_cells_are_formatted(browser: LibraryBrowser, library: Library, solved, qtbot) -> None:
    model = browser.model
    assert name_at(browser, 0, "fun") == f"{(N - 1) / 2:.6g}"
    assert name_at(browser, 0, "created_at").startswith("2023-11-1")
    assert model.data(model.index(0, COLUMN_OF["fun"]), Qt.ItemDataRole.TextAlignmentRole) \
        & Qt.AlignmentFlag.AlignRight
    assert model.data(model.index(1, COLUMN_OF["status"]),
                      Qt.ItemDataRole.ForegroundRole) == QColor("#2e7d32")   # converged
    cold, warm = solved
    library.save_run(dataclasses.replace(cold, created_at=T0 + 10_000))
    for saving, basis in ((0.891, "measured"), (0.5, "estimated")):
        run = dataclasses.replace(warm, id=new_run_id(), created_at=T0 + 10_000 + saving,
                                  info={**warm.info, "saving": {"value": saving,
                                                                "basis": basis}})
        library.save_run(run)
    browser.refresh()
    qtbot.waitUntil(lambda: name_at(browser, 0, "saving") == "89%")
    assert name_at(browser, 1, "saving") == "~50%"
    assert name_at(browser, 0, "warm_source") == cold.id[:8]
    assert cold.id in model.data(model.index(0, COLUMN_OF["warm_source"]),
                                 Qt.ItemDataRole.ToolTipRole)
    assert name_at(browser, 2, "saving") == ""               # the cold run


def test_filter_text_facets_and_count_label(qtbot, browser: LibraryBrowser) -> None:
    browser.filter_edit.setText("run 01")
    qtbot.waitUntil(lambda: browser.count_label.text() == f"10 of {N} runs")
    assert name_at(browser, 0) == "run 019"
    browser.filter_edit.setText("needle")                     # in the notes
    qtbot.waitUntil(lambda: browser.count_label.text() == f"1 of {N} runs")
    assert name_at(browser, 0) == "run 007"
    browser.filter_edit.clear()
    status = browser.facet_boxes["status"]
    qtbot.waitUntil(lambda: status.findData("failed") > 0)
    status.setCurrentIndex(status.findData("failed"))
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{N // 10} of {N} runs")
    assert {name_at(browser, r, "status") for r in range(N // 10)} == {"failed"}
    tag = browser.facet_boxes["tag"]
    assert [tag.itemText(i) for i in range(tag.count())] == ["All tags", "alpha", "beta"]
    tag.setCurrentIndex(tag.findData("beta"))                 # failed AND beta: i % 20 == 0
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{(N + 19) // 20} of {N} runs")
    method = browser.facet_boxes["method"]
    method.setCurrentIndex(method.findData("L-BFGS-B"))       # and i % 3 == 0: 0, 60, ...
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{(N + 59) // 60} of {N} runs")
    assert name_at(browser, 0) == "run 420"


def test_sorting_by_objective_both_ways(qtbot, browser: LibraryBrowser) -> None:
    header = browser.table.horizontalHeader()
    header.setSortIndicator(COLUMN_OF["fun"], Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: name_at(browser, 0) == "run 000")
    assert browser.model.query.sort == "fun" and not browser.model.query.descending
    assert name_at(browser, 1, "fun") == "0.5"
    header.setSortIndicator(COLUMN_OF["fun"], Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: name_at(browser, 0) == f"run {N - 1:03d}")
    assert name_at(browser, 0, "fun") == f"{(N - 1) / 2:.6g}"
    messages: list[str] = []
    browser.status_message.connect(messages.append)
    header.setSortIndicator(COLUMN_OF["tags"], Qt.SortOrder.AscendingOrder)   # not sortable
    assert header.sortIndicatorSection() == COLUMN_OF["fun"]
    assert browser.model.query.sort == "fun" and messages == ["The tags column cannot be sorted"]


def test_multi_select_and_drag(qtbot, browser: LibraryBrowser) -> None:
    expected = [browser.model.run_id(r) for r in (0, 1, 3)]
    with qtbot.waitSignal(browser.selection_changed) as blocker:
        select(browser, [0, 1, 3])
    assert blocker.args == [expected] and browser.selected_run_ids() == expected
    assert browser.actions["compare"].isEnabled() and not browser.actions["rename"].isEnabled()
    indexes = browser.table.selectionModel().selectedIndexes()
    assert run_ids_from_mime(browser.model.mimeData(indexes)) == expected
    assert browser.table.dragEnabled()


def test_context_actions_emit_the_selected_runs(qtbot, browser: LibraryBrowser) -> None:
    select(browser, [2])
    run_id = browser.model.run_id(2)
    texts = [a.text() for a in browser.context_menu().actions() if not a.isSeparator()]
    assert texts == ["Open", "Compare (plot)", "Use as warm start", "New problem from this run",
                     "Show its sweep", "Export…", "Tag…", "Rename…", "Notes…", "Delete"]
    for key, signal, value in (("open", browser.open_requested, run_id),
                               ("compare", browser.compare_requested, [run_id]),
                               ("warm_start", browser.warm_start_requested, run_id),
                               ("new_problem", browser.new_problem_requested, run_id),
                               ("show_sweep", browser.sweep_requested, run_id)):
        with qtbot.waitSignal(signal) as blocker:
            browser.actions[key].trigger()
        assert blocker.args == [value]
    browser.table.setCurrentIndex(browser.model.index(2, 0))
    with qtbot.waitSignal(browser.open_requested) as blocker:          # Enter opens
        qtbot.keyClick(browser.table, Qt.Key.Key_Return)
    assert blocker.args == [run_id]


def test_rename_and_notes_undo_and_redo(qtbot, browser: LibraryBrowser, library: Library) -> None:
    select(browser, [0])
    run_id = browser.model.run_id(0)
    browser.actions["rename"].trigger()
    browser.editor.active_dialog.set_text("the best run")
    with qtbot.waitSignal(browser.runs_changed):
        browser.editor.active_dialog.accept()
    assert library.get_meta(run_id)["name"] == "the best run"
    qtbot.waitUntil(lambda: name_at(browser, 0) == "the best run")
    assert browser.selected_run_ids() == [run_id]            # kept through the refresh
    browser.undo_stack.undo()
    qtbot.waitUntil(lambda: name_at(browser, 0) == f"run {N - 1:03d}")
    assert library.get_meta(run_id)["name"] == f"run {N - 1:03d}"
    browser.undo_stack.redo()
    qtbot.waitUntil(lambda: name_at(browser, 0) == "the best run")

    browser.actions["notes"].trigger()
    assert browser.editor.active_dialog.text() == ""
    browser.editor.active_dialog.set_text("line one\nline two")
    with qtbot.waitSignal(browser.runs_changed):
        browser.editor.active_dialog.accept()
    assert library.get_meta(run_id)["notes"] == "line one\nline two"
    qtbot.waitUntil(lambda: "line two" in browser.model.data(
        browser.model.index(0, 0), Qt.ItemDataRole.ToolTipRole))
    with qtbot.waitSignal(browser.runs_changed):
        browser.undo_stack.undo()
    assert library.get_meta(run_id)["notes"] == ""


def test_tags_of_several_runs_undo_and_redo(qtbot, browser: LibraryBrowser,
                                            library: Library) -> None:
    browser.table.scrollToBottom()
    qtbot.waitUntil(lambda: browser.model.is_loaded(N - 1))
    select(browser, [N - 1 - 4, N - 1 - 2])                  # run 004 (alpha beta), 002 (alpha)
    ids = browser.selected_run_ids()
    browser.actions["tag"].trigger()
    assert browser.editor.active_dialog.text() == "alpha"           # the tags both share
    browser.editor.active_dialog.set_text("gamma")                  # drop alpha, add gamma
    with qtbot.waitSignal(browser.runs_changed):
        browser.editor.active_dialog.accept()
    assert [library.get_meta(i)["tags"] for i in ids] == [["beta", "gamma"], ["gamma"]]
    qtbot.waitUntil(lambda: name_at(browser, N - 1 - 4, "tags") == "beta gamma")
    tag = browser.facet_boxes["tag"]
    qtbot.waitUntil(lambda: tag.findData("gamma") > 0)       # the facet learnt the new tag
    with qtbot.waitSignal(browser.runs_changed):
        browser.undo_stack.undo()
    assert [library.get_meta(i)["tags"] for i in ids] == [["alpha", "beta"], ["alpha"]]
    with qtbot.waitSignal(browser.runs_changed):
        browser.undo_stack.redo()
    assert [library.get_meta(i)["tags"] for i in ids] == [["beta", "gamma"], ["gamma"]]


def test_delete_undo_trash_and_restore(qtbot, browser: LibraryBrowser, library: Library) -> None:
    select(browser, [0, 1])
    ids = browser.selected_run_ids()
    browser.table.setFocus()
    with qtbot.waitSignal(browser.runs_changed):
        qtbot.keyClick(browser.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{N - 2} runs")
    assert name_at(browser, 0) == f"run {N - 3:03d}" and browser.selected_run_ids() == []
    with qtbot.waitSignal(browser.runs_changed):
        browser.undo_stack.undo()
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{N} runs")
    assert library.count() == N

    select(browser, [0])
    browser.actions["delete"].trigger()
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{N - 1} runs")
    browser.trash_button.setChecked(True)
    qtbot.waitUntil(lambda: browser.count_label.text() == "1 run in the trash")
    assert name_at(browser, 0) == f"run {N - 1:03d}"
    texts = [a.text() for a in browser.context_menu().actions()]
    assert "Restore" in texts and "Delete" not in texts
    select(browser, [0])
    assert browser.selected_run_ids() == ids[:1]
    with qtbot.waitSignal(browser.runs_changed):
        browser.actions["restore"].trigger()
    qtbot.waitUntil(lambda: browser.count_label.text() == "The trash is empty")
    assert library.count() == N
    browser.trash_button.setChecked(False)
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{N} runs")


def test_export_writes_a_readable_run_file(qtbot, browser: LibraryBrowser, library: Library,
                                           solved, tmp_path: Path) -> None:
    cold = solved[0]
    library.save_run(dataclasses.replace(cold, created_at=T0 + 5000))
    browser.refresh()
    qtbot.waitUntil(lambda: browser.model.run_id(0) == cold.id)
    select(browser, [0])
    browser.actions["export"].trigger()
    dialog = browser.editor.active_dialog
    assert isinstance(dialog, QFileDialog)
    target = tmp_path / "out.wdrun"
    messages: list[str] = []
    browser.status_message.connect(messages.append)
    dialog.fileSelected.emit(str(target))                   # what choosing a file does
    qtbot.waitUntil(lambda: any(m.startswith("Exported") for m in messages))
    assert messages[-1] == f"Exported 1 run to {target}"
    back = read_runfile(target)
    assert [r.id for r in back] == [cold.id] and back[0].fun == cold.fun
    dialog.reject()


def test_select_runs_finds_far_rows_and_resets_filters(qtbot, browser: LibraryBrowser,
                                                      library: Library, solved) -> None:
    deep = browser.model.run_id(0)
    far = [r["id"] for r in library.query(dataclasses.replace(
        browser.model.query, limit=2, offset=350))]          # rows 350, 351: not read yet
    browser.select_runs(far)
    qtbot.waitUntil(lambda: browser.selected_run_ids() == far)
    rows = sorted(i.row() for i in browser.table.selectionModel().selectedRows())
    assert rows == [350, 351]
    browser.filter_edit.setText("run 01")
    qtbot.waitUntil(lambda: browser.model.total == 10)
    new = dataclasses.replace(solved[0], id=new_run_id(), name="just solved",
                              created_at=T0 + 9000)
    library.save_run(new)                                    # hidden by the filter
    browser.select_runs([new.id, deep])
    qtbot.waitUntil(lambda: browser.selected_run_ids() == [new.id, deep])
    assert browser.filter_edit.text() == "" and browser.model.total == N + 1


def test_library_errors_are_shown_not_raised(qtbot, browser: LibraryBrowser,
                                             library: Library) -> None:
    messages: list[str] = []
    browser.status_message.connect(messages.append)
    select(browser, [0])
    browser.actions["rename"].trigger()
    browser.editor.active_dialog.set_text("   ")
    browser.editor.active_dialog.accept()
    qtbot.waitUntil(lambda: bool(messages))
    assert messages == ["Renaming the run failed: a run's name must hold 1 to 200 characters"]
    assert browser.undo_stack.count() == 0                   # a refused edit is not undoable
    wait_for_background()
    library.close()
    browser.refresh()
    qtbot.waitUntil(lambda: len(messages) >= 2)
    assert "closed" in messages[1]


def test_an_empty_library_opens(qtbot, tmp_path: Path) -> None:
    lib = Library(tmp_path / "empty")
    widget = LibraryBrowser(lib)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.model.first_page_loaded):
        widget.show()
    qtbot.waitUntil(lambda: widget.count_label.text() == "No runs yet")
    assert widget.model.rowCount() == 0 and widget.selected_run_ids() == []
    wait_for_background()
    lib.close()


def test_select_all_acts_on_every_run_not_just_the_rows_read(qtbot, browser: LibraryBrowser,
                                                            library: Library) -> None:
    """Select all reaches rows never shown (their pages unread): delete, tag and
    undo act on all of them, read in the background first."""
    assert not browser.model.is_loaded(N - 1)
    browser.table.selectAll()
    with qtbot.waitSignal(browser.runs_changed, timeout=20_000):
        browser.actions["delete"].trigger()
    qtbot.waitUntil(lambda: browser.count_label.text() == "No runs yet", timeout=20_000)
    assert library.count() == 0
    with qtbot.waitSignal(browser.runs_changed, timeout=20_000):
        browser.undo_stack.undo()
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{N} runs")
    assert library.count() == N

    browser.table.selectAll()
    assert not browser.model.is_loaded(N - 1)
    browser.actions["tag"].trigger()
    qtbot.waitUntil(lambda: browser.editor.active_dialog is not None, timeout=20_000)
    dialog = browser.editor.active_dialog
    assert any(f"{N} runs" in label.text() for label in dialog.findChildren(QLabel))
    dialog.set_text("gamma")
    with qtbot.waitSignal(browser.runs_changed, timeout=20_000):
        dialog.accept()
    assert library.count(dataclasses.replace(browser.model.query, tags=["gamma"], limit=0)) == N


def test_merged_spans() -> None:
    from warmdesk.gui.library.browser import _merged
    assert _merged([(5, 9), (0, 3), (4, 4), (20, 30), (25, 26)]) == [(0, 9), (20, 30)]
    assert _merged([]) == []


def test_a_select_all_stays_whole_across_a_reload(qtbot, browser: LibraryBrowser,
                                                 library: Library, solved) -> None:
    """Rows never read have no ids to re-find: a reload that resets the table (a run
    came in) must not shrink "select all" to the rows read so far (a Delete would
    then miss runs)."""
    browser.table.selectAll()
    library.save_runs(copies(solved[0], 1))
    browser.refresh()
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{N + 1} runs")
    qtbot.waitUntil(lambda: len(browser.table.selectionModel().selectedRows()) == N + 1)
    select(browser, [0, 1])                     # an ordinary selection is kept by id
    ids = browser.selected_run_ids()
    library.save_runs(copies(solved[0], 1))
    browser.refresh()
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{N + 2} runs")
    qtbot.waitUntil(lambda: browser.selected_run_ids() == ids)
    assert len(browser.table.selectionModel().selectedRows()) == 2
