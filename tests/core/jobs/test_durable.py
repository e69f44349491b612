"""Durable progress through the job runner, with a real solver, real SQLite and
real processes: a running run's rows appear in the library while it runs (here
and in a child), a SIGKILL of the owner leaves the run recoverable with what
was written up to the last flush, and an interrupt at 100,000 rows adds only
the tail to what is stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from warmdesk.core.errors import WarmDeskError
from warmdesk.core.jobs import Finished, Job, JobEvent, JobResult, JobRunner, Progress
from warmdesk.core.jobs.durable import DurableProgress
from warmdesk.core.library import Library

from ..factories import build, rosenbrock

ROOT = Path(__file__).resolve().parents[3]
WAIT_S = 120
MODES = ["here", "child"]


def _slow(n: int = 20) -> Any:
    spec = rosenbrock("Nelder-Mead", n=n, maxiter=10_000_000, maxfev=10_000_000,
                      xatol=1e-300, fatol=1e-300)
    spec["name"] = "slow"
    return build(spec)


def _steps(max_steps: int) -> Any:
    """An ode of many cheap steps: one history row per step, ~10,000 a second."""
    return build({"format": "warmdesk.problem/1", "name": "steps", "kind": "ode",
                  "state": {"y": {"start": 1.0}}, "parameters": {"k": 0.0},
                  "rhs": {"y": "-k*y"}, "t_span": [0.0, 1e12], "t_eval": 2, "checkpoints": 1,
                  "solver": {"method": "RK45",
                             "options": {"max_step": 1.0, "max_steps": max_steps}}})


class StoredWhileRunning:
    """On each progress event: does another connection see rows of the run, still running?"""

    def __init__(self, other: Library) -> None:
        self.other = other
        self.seen = threading.Event()
        self.rows_seen = 0

    def __call__(self, event: JobEvent) -> None:
        if isinstance(event, Progress) and not self.seen.is_set():
            run = self.other.get_run(event.run_id)
            if run.status == "running" and len(run.history) > 0:
                self.rows_seen = len(run.history)
                self.seen.set()


@pytest.mark.parametrize("mode", MODES)
def test_rows_of_a_running_run_appear_in_the_library(tmp_path: Path, mode: str) -> None:
    with Library(tmp_path) as lib, Library(tmp_path, recover=False) as other:
        watch = StoredWhileRunning(other)
        runner = JobRunner(lib, Job(_slow(), mode=mode), watch, durable_interval_s=0.05)
        results: list[JobResult] = []
        worker = threading.Thread(target=lambda: results.append(runner.run()))
        worker.start()
        assert watch.seen.wait(WAIT_S)
        runner.interrupt()
        worker.join(WAIT_S)
        [result] = results
        assert result.run is not None and result.run.status == "interrupted"
        stored = lib.get_run(result.run.id)
        assert len(stored.history) == stored.nit == result.run.nit >= watch.rows_seen
        assert stored.history.array.tobytes() == result.run.history.array.tobytes()
        assert runner.durable.writes > 0 and lib.check() == []


OWNER = """
import sys
from warmdesk.core.jobs import Job, JobRunner, Progress
from warmdesk.core.library import Library
from tests.core.jobs.test_durable import _slow
lib = Library(sys.argv[1])
written = [0]
def on_event(event):
    if isinstance(event, Progress) and runner.durable.rows_written != written[0]:
        written[0] = runner.durable.rows_written
        print(event.run_id, written[0], flush=True)
runner = JobRunner(lib, Job(_slow(), mode=sys.argv[2]), on_event, durable_interval_s=0.1)
runner.run()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")
@pytest.mark.parametrize("mode", MODES)
def test_a_killed_owner_leaves_its_progress_recoverable(tmp_path: Path, mode: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", OWNER, str(tmp_path), mode], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        flushes, run_id, written = 0, "", 0
        while flushes < 3:                  # three progress saves written
            line = proc.stdout.readline()
            assert line, "the owner ended before it saved progress"
            run_id, count = line.split()
            written, flushes = int(count), flushes + 1
        os.killpg(proc.pid, signal.SIGKILL)   # the owner and its solver child, at once
        proc.wait(WAIT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(WAIT_S)
    with Library(tmp_path) as lib:
        assert lib.recovered == 1
        run = lib.get_run(run_id)
        assert run.status == "interrupted" and len(run.history) >= written > 0
        assert run.nit == len(run.history) and run.nfev > 0
        assert run.usable and run.solution["x"].shape == (20,)   # resumable
        assert "its last saved iterate" in run.message
        assert lib.check() == []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_interrupt_at_100k_rows_adds_only_the_tail(tmp_path: Path) -> None:
    rows = 100_000
    with Library(tmp_path) as lib:
        stop_at: list[float] = []
        received = [0]

        def on_event(event: JobEvent) -> None:
            if isinstance(event, Progress):
                received[0] += len(event.rows)
                if received[0] >= rows and not stop_at:
                    stop_at.append(time.perf_counter())
                    runner.interrupt()
            if isinstance(event, Finished):
                stop_at.append(time.perf_counter())

        runner = JobRunner(lib, Job(_steps(10 * rows), mode="here"), on_event)
        result = runner.run()
        assert result.run is not None and result.run.status == "interrupted"
        stored = lib.get_run(result.run.id)
        assert len(stored.history) == len(result.run.history) >= rows
        parts = lib._sql.read("SELECT count(*) FROM arrays WHERE run_id=? AND "
                              "key LIKE 'history@%'", (stored.id,))[0][0]
        assert parts >= 2          # written as it ran; the end added one more part
        # the figure belongs to benchmarks/bench_stop_latency.py; this bound is generous
        assert stop_at[1] - stop_at[0] < 10.0


class _FullDisk:
    """A library whose first progress save fails (a full disk), then succeeds."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, bool]] = []

    def append_progress(self, run_id: str, rows: Any, iterate: Any = None) -> bool:
        self.calls.append((run_id, len(rows), iterate is not None))
        if len(self.calls) == 1:
            raise WarmDeskError("the disk is full")
        return True


def test_a_failed_progress_save_keeps_its_rows_for_the_next() -> None:
    lib = _FullDisk()
    durable = DurableProgress(lib, _slow(n=2), interval_s=0.0)  # type: ignore[arg-type]
    durable.add("r", np.zeros((3, 9)))
    durable.iterate("r", np.array([1.0, 2.0]), 5.0)
    durable.flush()
    assert durable.failures == 1 and durable.writes == 0
    durable.add("r", np.zeros((2, 9)))
    durable.flush()
    assert lib.calls == [("r", 3, True), ("r", 5, True)]   # nothing lost, nothing twice
    assert durable.writes == 1 and durable.rows_written == 5
    durable.flush(force=True)
    assert len(lib.calls) == 2          # nothing pending: no transaction
