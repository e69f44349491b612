"""Solve jobs in worker threads driving child processes, and the active-runs
panel over them. Real child processes, real library, small problems."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from warmdesk.core.advisor import record_outcome
from warmdesk.core.engine import solve
from warmdesk.core.library import Library, RunQuery
from warmdesk.core.warmstart import warm_start_from_run
from warmdesk.gui.runs.active_runs import KILL_AFTER_S, ActiveRunsPanel
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.runs.solve_manager import JobResult, SolveManager, SolveRequest

from ...core.factories import build, rosenbrock

WAIT_MS = 60_000


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "library")
    yield lib
    lib.close()


@pytest.fixture
def manager(qtbot, library: Library) -> Iterator[SolveManager]:
    mgr = SolveManager(library)
    yield mgr
    mgr.stop_all()
    assert mgr.running_threads() == 0
    wait_for_background()


def _slow(n: int = 30, name: str = "slow"):
    spec = rosenbrock("Nelder-Mead", n=n, maxiter=10_000_000, maxfev=10_000_000,
                      xatol=1e-300, fatol=1e-300)
    spec["name"] = name
    return build(spec)


def _failing():
    spec = rosenbrock("BFGS", n=3)
    spec["objective"] = "sum(log(x))"
    spec["variables"]["x"]["start"] = -1.0  # log of a negative number: NaN at once
    spec["name"] = "log of negatives"
    return build(spec)


class Recorder:
    """Collects a manager's signals, and on which thread they arrived."""

    def __init__(self, manager: SolveManager, library: Library) -> None:
        self.library = library
        self.started: list[tuple[str, str, str]] = []     # job, run id, status in library
        self.runs: list[tuple[str, str]] = []
        self.progress: dict[str, list[np.ndarray]] = {}
        self.finished: dict[str, JobResult] = {}
        self.failed: dict[str, str] = {}
        self.counts: list[int] = []
        self.threads: set[int] = set()
        manager.job_started.connect(self._started)
        manager.run_started.connect(lambda job, run: self.runs.append((job, run.id)))
        manager.progress.connect(self._progress)
        manager.job_finished.connect(self._finished)
        manager.job_failed.connect(lambda job, msg: self.failed.__setitem__(job, msg))
        manager.active_count_changed.connect(self.counts.append)

    def _started(self, job_id: str, run: Any) -> None:
        """The announced run's status as announced (the worker saves it ``running``
        and then announces it; by the time this queued slot runs, the worker may
        already have saved it finished, so the library's status now would race),
        and that its row is in the library (it was saved before the announcement)."""
        self.threads.add(threading.get_ident())
        stored = self.library.get_meta(run.id) is not None
        self.started.append((job_id, run.id, run.status if stored else "not saved"))

    def _progress(self, run_id: str, rows: np.ndarray) -> None:
        self.threads.add(threading.get_ident())
        self.progress.setdefault(run_id, []).append(rows)

    def _finished(self, job_id: str, result: JobResult) -> None:
        self.threads.add(threading.get_ident())
        self.finished[job_id] = result

    def rows(self, run_id: str) -> int:
        return sum(len(r) for r in self.progress.get(run_id, []))


def test_a_cold_solve_finishes_converged_with_its_history(qtbot, manager, library) -> None:
    seen = Recorder(manager, library)
    job = manager.launch(SolveRequest(build(rosenbrock("BFGS", n=12)), label="cold"))
    assert manager.active_jobs() == [job]
    qtbot.waitUntil(lambda: job in seen.finished, timeout=WAIT_MS)
    result = seen.finished[job]
    assert result.error is None and result.guard is None
    run = result.run
    assert run is not None and run.status == "converged" and run.fun < 1e-8
    assert seen.started == [(job, run.id, "running")]  # saved as running before it ran
    stored = library.get_run(run.id)
    assert stored.status == "converged" and len(stored.history) == run.nit > 10
    assert seen.rows(run.id) == run.nit                # every row reached the GUI
    assert seen.threads == {threading.get_ident()}     # all on the GUI thread
    assert manager.active_jobs() == [] and manager.job_runs(job) == [run.id]
    assert seen.counts == [1, 0]


def test_two_jobs_at_once(qtbot, manager, library) -> None:
    seen = Recorder(manager, library)
    jobs = [manager.launch(SolveRequest(build(rosenbrock("BFGS", n=8, a=a)))) for a in (1.0, 2.0)]
    assert seen.counts == [1, 2] and sorted(manager.active_jobs()) == sorted(jobs)
    qtbot.waitUntil(lambda: len(seen.finished) == 2, timeout=WAIT_MS)
    runs = [seen.finished[j].run for j in jobs]
    assert all(r is not None and r.status == "converged" for r in runs)
    assert [r.problem["parameters"]["a"] for r in runs] == [1.0, 2.0]
    assert runs[0].id != runs[1].id and runs[0].fun < 1e-8
    assert library.count(RunQuery(status="converged")) == 2 and seen.counts[-1] == 0


def test_a_warm_job_under_the_guard_saves_all_its_runs(qtbot, manager, library) -> None:
    spec = rosenbrock("BFGS", n=6)
    for start in (0.0, [-1.0, 1, 1, 1, 1, 1]):  # a cold reference, then another basin
        local = copy.deepcopy(spec)
        local["variables"]["x"]["start"] = start
        made = solve(build(local))
        library.save_run(made)
        record_outcome(library, made)
    problem = build(rosenbrock("BFGS", n=6, a=1.01))
    warm = warm_start_from_run(problem, made)       # from the harmful basin
    seen = Recorder(manager, library)
    panel = ActiveRunsPanel(manager)
    qtbot.addWidget(panel)
    panel.resize(640, 200)
    job = manager.launch(SolveRequest(problem, warm, guard=True, label="guarded"))
    qtbot.waitUntil(lambda: job in seen.finished, timeout=WAIT_MS)
    result = seen.finished[job]
    assert result.error is None and result.guard is not None
    assert result.guard["action"] == "fell back to cold"
    assert len(result.runs) == 2 and result.run is not None
    warm_run, cold_run = result.runs
    assert result.run.id == cold_run.id == result.guard["cold_run"]
    assert seen.runs == [(job, warm_run.id), (job, cold_run.id)]
    assert seen.started[0][1:] == (warm_run.id, "running")
    assert manager.job_runs(job) == [warm_run.id, cold_run.id]
    assert seen.rows(warm_run.id) == len(warm_run.history) > 0
    assert seen.rows(cold_run.id) == len(cold_run.history) > 0
    assert library.get_run(cold_run.id).status == "converged"
    stored_warm = library.get_meta(warm_run.id)
    assert stored_warm["status"] != "running"
    assert stored_warm["info"]["guard"]["kept"] == cold_run.id
    assert stored_warm["info"]["saving"]["cold_run"] == cold_run.id  # outcome recorded
    row = panel.row(job)
    assert row.guard_label.text() == "guard: fell back to cold" and not row.guard_label.isHidden()
    assert "guard's cold run" in row.run_label.text() and cold_run.id[:8] in row.run_label.text()
    assert row.state_label.text().startswith("converged")
    panel.grab().save("/tmp/active_guard.png")


@pytest.mark.parametrize("action, status", [("cancel", "cancelled"), ("interrupt", "interrupted"),
                                            ("kill", "cancelled")])
def test_stopping_a_long_solve(qtbot, manager, library, action: str, status: str) -> None:
    seen = Recorder(manager, library)
    job = manager.launch(SolveRequest(_slow(), label="long"))
    qtbot.waitUntil(lambda: len(seen.progress) == 1, timeout=WAIT_MS)
    getattr(manager, action)(job)
    qtbot.waitUntil(lambda: job in seen.finished, timeout=WAIT_MS)
    run = seen.finished[job].run
    assert run is not None and run.status == status and seen.finished[job].error is None
    stored = library.get_run(run.id)
    assert stored.status == status and stored.usable == (status == "interrupted")
    assert len(stored.history) == run.nit > 0
    if action == "kill":
        assert "stopped" in stored.message and stored.nfev > 0


def test_a_failing_problem_is_reported_on_its_run(qtbot, manager, library) -> None:
    panel = ActiveRunsPanel(manager)
    qtbot.addWidget(panel)
    notes: list[tuple[str, str]] = []
    panel.notification.connect(lambda level, text: notes.append((level, text)))
    with qtbot.waitSignal(manager.job_failed, timeout=WAIT_MS) as failed:
        job = manager.launch(SolveRequest(_failing(), label="bad"))
    assert failed.args[0] == job and "nan" in failed.args[1]
    qtbot.waitUntil(lambda: panel.row(job).finished, timeout=WAIT_MS)
    row = panel.row(job)
    assert row.state_label.text().startswith("failed: the objective is nan")
    assert "c62828" in row.state_label.styleSheet()
    assert notes and notes[-1][0] == "error" and "bad: failed" in notes[-1][1]
    run_id = manager.job_runs(job)[0]
    assert library.get_meta(run_id)["status"] == "failed"
    # the app goes on: another job runs fine
    ok = manager.launch(SolveRequest(build(rosenbrock("BFGS", n=4)), label="after"))
    qtbot.waitUntil(lambda: panel.row(ok) is not None and panel.row(ok).finished,
                    timeout=WAIT_MS)
    assert panel.row(ok).state_label.text().startswith("converged")


def test_stop_all_leaves_no_run_running(qtbot, manager, library) -> None:
    seen = Recorder(manager, library)
    jobs = [manager.launch(SolveRequest(_slow(n=20 + k))) for k in range(2)]
    qtbot.waitUntil(lambda: len(seen.progress) == 2, timeout=WAIT_MS)
    assert library.count(RunQuery(status="running")) == 2
    manager.stop_all(timeout_s=30)
    assert manager.active_jobs() == [] and manager.running_threads() == 0
    assert set(seen.finished) == set(jobs)          # reported at once, not later
    assert library.count(RunQuery(status="running")) == 0
    assert library.count(RunQuery(status="interrupted")) == 2
    assert all(seen.finished[j].run.usable for j in jobs)


def test_the_panel_follows_and_cancels_a_job(qtbot, manager, library) -> None:
    panel = ActiveRunsPanel(manager)
    qtbot.addWidget(panel)
    panel.resize(640, 320)
    panel.show()
    job = manager.launch(SolveRequest(_slow(), label="in the panel"))
    row = panel.row(job)
    assert row is not None and row.title_label.text() == "in the panel"
    assert panel.count_label.text() == "1 running"
    qtbot.waitUntil(lambda: row.state_label.text().startswith("iteration"), timeout=WAIT_MS)
    first = row.state_label.text()
    assert " evals" in first and "· f " in first
    qtbot.waitUntil(lambda: row.state_label.text() != first, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: row.elapsed_label.text() != "0:00", timeout=WAIT_MS)
    run_id = manager.job_runs(job)[0]
    assert run_id[:8] in row.run_label.text()
    with qtbot.waitSignal(panel.run_selected) as selected:
        qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    assert selected.args == [run_id]
    with qtbot.waitSignal(manager.job_finished, timeout=WAIT_MS):
        qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    assert row.finished and row.state_label.text().startswith("cancelled")
    assert row.cancel_button.isHidden() and library.get_meta(run_id)["status"] == "cancelled"
    assert panel.count_label.text() == "0 running, 1 finished"
    panel.clear_finished()
    assert panel.job_ids() == [] and not panel.empty_label.isHidden()


def test_kill_is_offered_when_a_cancel_does_not_end_the_job(qtbot, manager, library) -> None:
    panel = ActiveRunsPanel(manager)
    qtbot.addWidget(panel)
    job = manager.launch(SolveRequest(_slow(), label="stuck?"))
    row = panel.row(job)
    qtbot.waitUntil(lambda: row.state_label.text().startswith("iteration"), timeout=WAIT_MS)
    row.mark_requested("cancel")      # as if the solver ignored the cancel
    row.tick(time.monotonic() + 1.0)
    assert row.kill_button.isHidden()
    row.tick(time.monotonic() + KILL_AFTER_S)
    assert not row.kill_button.isHidden()
    with qtbot.waitSignal(manager.job_finished, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(row.kill_button, Qt.MouseButton.LeftButton)
    run = finished.args[1].run
    assert run.status == "cancelled" and "stopped" in run.message
    assert library.get_meta(run.id)["status"] == "cancelled"


def test_screenshot_two_running_one_failed(qtbot, manager, library) -> None:
    panel = ActiveRunsPanel(manager)
    qtbot.addWidget(panel)
    panel.resize(640, 360)
    panel.show()
    jobs = [manager.launch(SolveRequest(_slow(n=20 + k, name=f"rosenbrock {20 + k}"),
                                        label=f"Nelder-Mead n={20 + k}")) for k in range(2)]
    bad = manager.launch(SolveRequest(_failing(), label="log model"))
    qtbot.waitUntil(lambda: panel.row(bad).finished and all(
        panel.row(j).state_label.text().startswith("iteration") for j in jobs),
        timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.row(jobs[0]).elapsed_label.text() != "0:00", timeout=WAIT_MS)
    assert panel.count_label.text() == "2 running, 1 finished"
    panel.grab().save("/tmp/active.png")
