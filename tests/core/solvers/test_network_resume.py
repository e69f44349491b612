"""Exact pause and resume: a network interrupted mid-epoch (through the real
SolveControl), stored in a real library and resumed from it, finishes with
weights bit-identical to a run never interrupted."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.jobs import Job, JobRunner
from warmdesk.core.library import Library
from warmdesk.core.problem_types import Problem
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.runs import Run
from warmdesk.core.solvers.base import SolveControl
from warmdesk.core.solvers.network_optim import TrainState
from warmdesk.core.warmstart import warm_start_from_run

from .network_data import moons, spec

BATCHES = 6   # 192 training rows in mini-batches of 32


def resume_through(lib: Library, problem: Problem, stopped: Run) -> Run:
    lib.save_run(stopped)
    stored = lib.get_run(stopped.id)
    warm = warm_start_from_run(problem, stored)
    assert warm.mode == "exact-resume" and warm.payload == ["training_state"]
    return solve(problem, warm)


def assert_same_model(a: Run, b: Run) -> None:
    assert a.solution.keys() == b.solution.keys()
    for key in a.solution:
        assert np.array_equal(a.solution[key], b.solution[key]), key


@pytest.mark.parametrize("method,fields", [
    ("adam", {}),
    ("sgd", {"schedule": {"type": "step", "every": 2, "factor": 0.5}}),
    ("adam", {"early_stopping": {"patience": 2}, "epochs": 30, "layers": [32, 16],
              "schedule": "cosine"}),
])
def test_interrupted_mid_epoch_then_resumed_is_bit_identical(tmp_path: Path, method: str,
                                                             fields: dict) -> None:
    data = moons(tmp_path / "d.csv")
    options = {"learning_rate": 0.02} if method == "adam" else {"learning_rate": 0.05,
                                                                  "nesterov": True}
    problem = problem_from_dict(spec(data, method=method, options=options, seed=7, **fields))
    full = solve(problem)
    assert full.status == "converged"
    control = SolveControl(max_evaluations=2 * BATCHES + 3)  # stops in epoch 3
    stopped = solve(problem, control=control)
    assert stopped.status == "interrupted"
    state = TrainState.unpack(stopped.state["x"], problem.size)
    assert (state.epoch, state.batch) == (2, 3)       # mid-epoch: before its 4th batch
    with Library(tmp_path / "lib") as lib:
        resumed = resume_through(lib, problem, stopped)
    assert resumed.status == "converged", resumed.message
    assert_same_model(resumed, full)
    assert resumed.info["network"]["epochs_done"] == full.info["network"]["epochs_done"]
    # the curves after the pause are those of the uninterrupted run
    done, total = len(stopped.outputs["epochs"]), len(full.outputs["epochs"])
    np.testing.assert_array_equal(resumed.outputs["epochs"][:, :6],
                                  full.outputs["epochs"][done:, :6])
    assert list(resumed.history.array[:, 0]) == list(range(done + 1, total + 1))


def test_interrupted_twice_by_the_interrupt_flag_still_bit_identical(tmp_path: Path) -> None:
    data = moons(tmp_path / "d.csv")
    problem = problem_from_dict(spec(data, epochs=8))
    full = solve(problem)
    with Library(tmp_path / "lib") as lib:
        run: Run | None = None
        for stop_after_epoch in (2, 5):
            flag = threading.Event()
            control = SolveControl(interrupt=flag)

            def listener(run_id: str, rows: np.ndarray, at: int = stop_after_epoch) -> None:
                if rows[-1, 0] >= at:
                    flag.set()
            warm = None if run is None else warm_start_from_run(problem, lib.get_run(run.id))
            run = solve(problem, warm, control=control, on_progress=listener,
                        progress_interval=0.0)
            assert run.status == "interrupted"
            lib.save_run(run)
        assert run is not None
        final = resume_through(lib, problem, run)
    assert_same_model(final, full)


def test_a_changed_problem_fine_tunes_instead_of_resuming(tmp_path: Path) -> None:
    data = moons(tmp_path / "d.csv")
    problem = problem_from_dict(spec(data))
    stopped = solve(problem, control=SolveControl(max_evaluations=4))
    other = problem_from_dict(spec(data, weight_decay=0.01))
    warm = warm_start_from_run(other, stopped)
    assert warm.mode == "restart" and warm.payload == ["weights"]
    assert warm.report["mode"] == "shrink_perturb"


def test_a_job_interrupted_resumes_from_what_the_library_stored(tmp_path: Path) -> None:
    """The job runner's interrupt and its durable progress: the stored
    interrupted run carries the packed state, and resumes exactly."""
    data = moons(tmp_path / "d.csv")
    problem = problem_from_dict(spec(data, epochs=400))   # progress comes every 50 ms
    full = solve(problem)
    with Library(tmp_path / "lib") as lib:
        runner: JobRunner | None = None
        checkpoints: list[int] = []   # the epoch of the state stored while it runs
        seen: list[float] = []

        def on_event(event: object) -> None:
            rows = getattr(event, "rows", None)
            if rows is None or runner is None:
                return
            seen.append(rows[-1, 0])
            running = lib.get_run(getattr(event, "run_id"))
            if "x" in running.state:
                checkpoints.append(TrainState.unpack(running.state["x"], problem.size).epoch)
            if len(seen) == 3:   # the first batch's rows are stored by now
                runner.interrupt()
        runner = JobRunner(lib, Job(problem, None, mode="here"), on_event,
                           durable_interval_s=0.0)
        result = runner.run()
        stopped = result.run
        assert stopped is not None and stopped.status == "interrupted"
        state = TrainState.unpack(stopped.state["x"], problem.size)
        assert seen[2] <= state.epoch < 400
        # durable progress stored each batch's last checkpoint while it ran
        assert checkpoints and checkpoints == sorted(checkpoints)
        assert 0 < checkpoints[-1] <= state.epoch
        stored = lib.get_run(stopped.id)
        assert np.array_equal(stored.state["x"], stopped.state["x"])
        resumed = resume_through(lib, problem, stored)
    assert_same_model(resumed, full)


def test_cancel_between_mini_batches_keeps_nothing(tmp_path: Path) -> None:
    problem = problem_from_dict(spec(moons(tmp_path / "d.csv")))
    flag = threading.Event()
    control = SolveControl(cancel=flag)

    def listener(run_id: str, rows: np.ndarray) -> None:
        flag.set()                                   # after the first epoch's row
    run = solve(problem, control=control, on_progress=listener, progress_interval=0.0)
    assert run.status == "cancelled" and not run.solution and not run.state
    assert run.nfev == BATCHES + 1 and "epoch 2" in run.message
