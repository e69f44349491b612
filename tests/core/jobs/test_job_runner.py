"""The job runner's contract (core/jobs, docs/jobs.md): the events in order,
each run stored ``running`` before its solve makes progress, cancel and
interrupt from another thread, a failed solve, a refused input, a final save
the full disk refuses, and the same events here and in a child process.

A real SQLite library, the real solver, real child processes; no sleeps: the
tests wait on events set by the runner's own callbacks."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from warmdesk.core.advisor import record_outcome
from warmdesk.core.engine import solve
from warmdesk.core.errors import SpecError, WarmDeskError
from warmdesk.core.jobs import (Failed, Finished, Job, JobEvent, JobResult, JobRunner, Progress,
                                Queued, RunFinished, Started)
from warmdesk.core.library import Library
from warmdesk.core.warmstart import warm_start_from_run

from ..factories import build, rosenbrock
from ..library.test_disk_full import BIG

MODES = ["here", "child"]
WAIT_S = 120


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "library")
    yield lib
    lib.close()


def _slow(n: int = 20):
    spec = rosenbrock("Nelder-Mead", n=n, maxiter=10_000_000, maxfev=10_000_000,
                      xatol=1e-300, fatol=1e-300)
    spec["name"] = "slow"
    return build(spec)


class Seen:
    """Every event, and what the library held of each run when it came."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.events: list[JobEvent] = []
        self.stored_at_start: dict[str, str | None] = {}
        self.stored_at_progress: dict[str, str | None] = {}
        self.progressing = threading.Event()

    def __call__(self, event: JobEvent) -> None:
        self.events.append(event)
        if isinstance(event, Started):
            self.stored_at_start[event.run.id] = self._status(event.run.id)
        elif isinstance(event, Progress):
            self.stored_at_progress.setdefault(event.run_id, self._status(event.run_id))
            self.progressing.set()

    def _status(self, run_id: str) -> str | None:
        meta = self.library.get_meta(run_id) if self.library.has_run(run_id) else None
        return None if meta is None else str(meta["status"])

    def kinds(self) -> list[str]:
        """The event names in order, each stretch of Progress as one."""
        names: list[str] = []
        for event in self.events:
            name = type(event).__name__
            if not (name == "Progress" and names and names[-1] == "Progress"):
                names.append(name)
        return names

    def rows(self, run_id: str) -> int:
        return sum(len(e.rows) for e in self.events
                   if isinstance(e, Progress) and e.run_id == run_id)


def _run(library: Library, job: Job) -> tuple[JobResult, Seen]:
    seen = Seen(library)
    return JobRunner(library, job, seen).run(), seen


@pytest.mark.parametrize("mode", MODES)
def test_a_cold_job_in_order_stored_running_before_progress(library: Library, mode: str) -> None:
    job = Job(build(rosenbrock("BFGS", n=12)), mode=mode)
    result, seen = _run(library, job)

    assert seen.kinds() == ["Queued", "Started", "Progress", "RunFinished", "Finished"]
    assert seen.events[0] == Queued(job.id) and all(e.job_id == job.id for e in seen.events)
    run = result.run
    assert run is not None and run.status == "converged" and result.error is None
    assert result.runs == [run] and result.guard is None and result.unsaved is None
    assert seen.stored_at_start == {run.id: "running"}
    assert seen.stored_at_progress == {run.id: "running"}
    assert seen.rows(run.id) == run.nit == len(library.get_run(run.id).history) > 10
    assert library.get_run(run.id).status == "converged"
    assert isinstance(seen.events[-1], Finished) and seen.events[-1].result is result


def _harmful(library: Library):
    """A cold reference and a source from another basin: the guard falls back to cold."""
    spec = rosenbrock("BFGS", n=6)
    for start in (0.0, [-1.0, 1, 1, 1, 1, 1]):
        local = copy.deepcopy(spec)
        local["variables"]["x"]["start"] = start
        made = solve(build(local))
        library.save_run(made)
        record_outcome(library, made)
    problem = build(rosenbrock("BFGS", n=6, a=1.01))
    return problem, warm_start_from_run(problem, made)


def test_a_guarded_job_gives_the_same_events_here_and_in_a_child(tmp_path: Path) -> None:
    kinds = {}
    for mode in MODES:
        with Library(tmp_path / mode) as library:
            problem, warm = _harmful(library)
            result, seen = _run(library, Job(problem, warm, mode=mode))
            kinds[mode] = seen.kinds()
            assert result.guard is not None and result.guard["action"] == "fell back to cold"
            warm_run, cold_run = result.runs
            assert result.run is cold_run and result.error is None
            started = [e.run.id for e in seen.events if isinstance(e, Started)]
            ended = [e.run.id for e in seen.events if isinstance(e, RunFinished)]
            assert started == ended == [warm_run.id, cold_run.id]
            assert seen.stored_at_start == {warm_run.id: "running", cold_run.id: "running"}
            assert seen.rows(warm_run.id) == len(warm_run.history) > 0
            assert seen.rows(cold_run.id) == len(cold_run.history) > 0
            stored_warm = library.get_meta(warm_run.id)
            assert stored_warm["info"]["guard"]["kept"] == cold_run.id
            assert stored_warm["info"]["saving"]["cold_run"] == cold_run.id  # outcome recorded
    assert kinds["here"] == kinds["child"] == [
        "Queued", "Started", "Progress", "RunFinished", "Started", "Progress", "RunFinished",
        "Finished"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("action, status", [("cancel", "cancelled"),
                                            ("interrupt", "interrupted")])
def test_a_stop_from_another_thread(library: Library, mode: str, action: str,
                                    status: str) -> None:
    seen = Seen(library)
    runner = JobRunner(library, Job(_slow(), mode=mode), seen)
    results: list[JobResult] = []
    worker = threading.Thread(target=lambda: results.append(runner.run()))
    worker.start()
    assert seen.progressing.wait(WAIT_S)
    getattr(runner, action)()
    worker.join(WAIT_S)
    assert not worker.is_alive()

    [result] = results
    run = result.run
    assert run is not None and run.status == status and result.error is None
    stored = library.get_run(run.id)
    assert stored.status == status and stored.usable == (status == "interrupted")
    assert len(stored.history) == stored.nit == run.nit > 0 and stored.nfev > 0
    if status == "interrupted":   # the last iterate is kept, a warm-start source
        assert stored.solution["x"].shape == (20,) and stored.fun is not None
    assert seen.kinds()[-2:] == ["RunFinished", "Finished"]


def test_kill_ends_a_child_at_once(library: Library) -> None:
    seen = Seen(library)
    runner = JobRunner(library, Job(_slow(), mode="child"), seen)
    worker = threading.Thread(target=runner.run)
    worker.start()
    assert seen.progressing.wait(WAIT_S)
    runner.kill()
    worker.join(WAIT_S)
    [finished] = [e for e in seen.events if isinstance(e, Finished)]
    run = finished.result.run
    assert run is not None and run.status == "cancelled" and "stopped" in run.message
    assert library.get_meta(run.id)["status"] == "cancelled"


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_solve_ends_failed_with_its_message(library: Library, mode: str) -> None:
    seed = solve(build(rosenbrock(n=3)))
    library.save_run(seed)
    spec = rosenbrock("BFGS", n=3)
    spec["objective"] = "sum(log(x))"
    spec["variables"]["x"]["start"] = -1.0   # NaN at once
    result, seen = _run(library, Job(build(spec), mode=mode))

    assert seen.kinds()[-1] == "Finished"     # the job ran to its end; its run failed
    run = result.run
    assert run is not None and run.status == "failed" and result.error is not None
    assert "nan" in result.error
    assert library.get_meta(run.id)["status"] == "failed"
    assert library.get_run(seed.id).fun == seed.fun and library.check() == []


@pytest.mark.parametrize("mode", MODES)
def test_refused_input_fails_the_job_and_leaves_no_run(library: Library, mode: str) -> None:
    spec = rosenbrock("BFGS", n=3)
    spec["objective"] = "x"   # not one number
    result, seen = _run(library, Job(build(spec), mode=mode))

    assert seen.kinds() == ["Queued", "Failed"]
    failed = seen.events[-1]
    assert isinstance(failed, Failed) and isinstance(failed.error, SpecError)
    assert failed.message == result.error and result.run is None and result.runs == []
    assert library.count() == 0


def _fill(library: Library, pages: int) -> None:
    """From now on the library may grow by ``pages`` pages only (SQLITE_FULL
    past that, as on a full disk; see test_disk_full)."""
    db = library._sql.writer
    ceiling = db.execute("PRAGMA page_count").fetchone()[0] + pages
    db.execute(f"PRAGMA max_page_count={ceiling}")


@pytest.mark.parametrize("mode", MODES)
def test_a_final_save_the_full_disk_refuses_keeps_the_runs(library: Library, mode: str) -> None:
    seed = solve(build(rosenbrock(n=3)))
    library.save_run(seed)
    _fill(library, 3)   # room for the run saved running, not for its result
    result, seen = _run(library, Job(build(dict(BIG, name="big")), mode=mode))

    assert seen.kinds()[-1] == "Finished"
    run, unsaved = result.run, result.unsaved
    assert run is not None and unsaved is not None and result.runs == [run]
    assert run.status == "converged" and len(run.history.array) >= run.nit > 1000
    assert unsaved.fate == {run.id: "removed"} and "the disk is full" in unsaved.error
    assert result.error is not None and unsaved.library_sentence() in result.error
    assert {row["id"] for row in library.query()} == {seed.id}   # no phantom
    assert not library.has_run(run.id)

    library._sql.writer.execute("PRAGMA max_page_count=1073741823")   # room again: nothing lost
    library.save_runs(result.runs)
    assert library.get_run(run.id).history.array.shape == run.history.array.shape
    assert library.check() == []


@pytest.mark.parametrize("mode", MODES)
def test_a_run_that_cannot_be_saved_running_fails_before_any_work(library: Library,
                                                                  mode: str) -> None:
    spec = rosenbrock(n=3)
    spec["parameters"]["w"] = [0.5] * 20_000   # a large record: no room even for it
    library.save_run(solve(build(rosenbrock(n=3))))
    _fill(library, 0)
    result, seen = _run(library, Job(build(spec), mode=mode))

    assert seen.kinds() == ["Queued", "Failed"]
    failed = seen.events[-1]
    assert isinstance(failed, Failed) and isinstance(failed.error, WarmDeskError)
    assert "the disk is full" in failed.message
    assert "could not be saved" not in failed.message   # nothing stored: nothing to end
    assert library.count() == 1
    assert not list((library.folder / "run-locks").iterdir())
