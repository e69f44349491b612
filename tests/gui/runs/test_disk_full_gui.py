"""A solve the app cannot store (the library's disk is full): the real main
window offscreen, a real child process, a real library whose writer SQLite
fails as on a full disk (``PRAGMA max_page_count``: SQLITE_FULL, "database or
disk is full"). The message is true, no phantom run, and the result held in
memory is stored by "Retry" or written by "Save as run file...", whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.runfile import read_runfile
from warmdesk.gui.runs.solve_manager import JobResult, SolveRequest
from warmdesk.gui.runs.unsaved_runs import DISCARD, RETRY, SAVE_AS

from ...core.factories import build, rosenbrock
from ...core.library.test_disk_full import BIG

WAIT_MS = 60_000
#: SQLite's largest page limit: the disk has room again.
NO_LIMIT = 1_073_741_823


def _fill(library: Library, pages: int) -> None:
    """From now on the library may grow by ``pages`` pages only."""
    db = library._sql.writer  # the writer connection: a full disk for every save
    ceiling = db.execute("PRAGMA page_count").fetchone()[0] + pages
    db.execute(f"PRAGMA max_page_count={ceiling}")


def _solve_on_a_full_disk(qtbot, window) -> tuple[str, JobResult, QMessageBox]:
    library = window.library
    library.save_run(solve(build(rosenbrock(n=3))))
    _fill(library, 3)  # room to start the run, not for its result
    spec = dict(BIG, name="big")
    finished: dict[str, JobResult] = {}
    window.manager.job_finished.connect(lambda job, result: finished.__setitem__(job, result))
    job = window.manager.launch(SolveRequest(build(spec)))
    qtbot.waitUntil(lambda: job in finished and job in window.unsaved_prompt.boxes,
                    timeout=WAIT_MS)
    return job, finished[job], window.unsaved_prompt.boxes[job]


def _button(box: QMessageBox, text: str):
    return next(b for b in box.buttons() if b.text() == text)


def _stored_ids(library: Library) -> set[str]:
    return {row["id"] for row in library.query()}


def test_retry_stores_the_result_kept_in_memory(qtbot, window) -> None:
    job, result, box = _solve_on_a_full_disk(qtbot, window)
    run = result.run
    assert run.status == "converged" and len(run.history.array) > 1000
    assert result.unsaved is not None and [r.id for r in result.runs] == [run.id]
    text = box.text()
    assert "the disk is full: saving the run failed and was rolled back" in text
    assert (f"run {run.id[:12]} is not in the library: the record saved as running at the "
            "start was removed, nothing else was written") in text
    assert {b.text() for b in box.buttons()} == {RETRY, SAVE_AS, DISCARD}
    assert box.isVisible()
    assert "NOT stored in the library" in window.statusBar().currentMessage()
    library = window.library
    assert run.id not in _stored_ids(library)           # no phantom
    assert window.manager.unsaved_jobs() == [job]

    _button(box, RETRY).click()                        # still full: said, still held
    qtbot.waitUntil(lambda: window.unsaved_prompt.boxes.get(job) not in (None, box))
    again = window.unsaved_prompt.boxes[job]
    assert again.text().startswith("Retry failed: the disk is full")
    assert "still not in the library" in again.text()
    assert window.manager.unsaved_jobs() == [job] and run.id not in _stored_ids(library)

    library._sql.writer.execute(f"PRAGMA max_page_count={NO_LIMIT}")   # space freed
    with qtbot.waitSignal(window.unsaved_prompt.stored, timeout=WAIT_MS):
        _button(again, RETRY).click()
    assert window.manager.unsaved_jobs() == [] and job not in window.unsaved_prompt.boxes
    stored = library.get_run(run.id)
    assert stored.status == "converged" and stored.fun == run.fun
    assert np.array_equal(stored.history.array, run.history.array, equal_nan=True)
    assert library.check() == []


def test_save_as_run_file_writes_the_whole_result(qtbot, window, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "kept.wdrun"
    target.parent.mkdir()
    window.unsaved_prompt.choose_path = lambda parent, suggested: str(target)
    job, result, box = _solve_on_a_full_disk(qtbot, window)
    with qtbot.waitSignal(window.unsaved_prompt.message, timeout=WAIT_MS) as said:
        _button(box, SAVE_AS).click()
    assert f"written to {target} (not to the library)" in said.args[0]
    assert window.manager.unsaved_jobs() == []
    assert result.run.id not in _stored_ids(window.library)
    [kept] = read_runfile(target)
    with Library(tmp_path / "other") as other:
        other.import_runs([kept])
        back = other.get_run(kept.id)
    assert back.status == "converged"
    assert np.array_equal(back.history.array, result.run.history.array, equal_nan=True)


def test_discard_drops_it(qtbot, window) -> None:
    job, result, box = _solve_on_a_full_disk(qtbot, window)
    _button(box, DISCARD).click()
    assert window.manager.unsaved_jobs() == [] and job not in window.unsaved_prompt.boxes
    assert result.run.id not in _stored_ids(window.library)


@pytest.fixture(autouse=True)
def _no_dialog_left(qtbot, window):
    yield
    for box in list(window.unsaved_prompt.boxes.values()):
        box.close()
