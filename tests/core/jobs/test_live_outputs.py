"""Live outputs: a network's per-epoch table reaches a job's listener while it
trains (in the runner's thread and from a child process), each table the
training so far, and no output of a finished run goes through this channel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.jobs import Job, JobEvent, JobRunner, LiveOutputs
from warmdesk.core.library import Library
from warmdesk.core.problems import problem_from_dict

from ..factories import build, rosenbrock

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def network(epochs: int) -> object:
    spec = json.loads((EXAMPLES / "mlp_base.json").read_text())
    spec.update(epochs=epochs, early_stopping=None)
    return problem_from_dict(spec, base_dir=EXAMPLES)


@pytest.mark.parametrize("mode", ["here", "child"])
def test_a_network_job_sends_its_epoch_table_as_it_trains(tmp_path: Path, mode: str) -> None:
    events: list[JobEvent] = []
    with Library(tmp_path / "lib") as lib:
        result = JobRunner(lib, Job(network(600), mode=mode), events.append,
                           progress_interval_s=0.02).run()
    run = result.run
    assert run is not None and run.status == "converged", result.error
    live = [e for e in events if isinstance(e, LiveOutputs)]
    assert len(live) >= 3 and all(e.run_id == run.id for e in live)
    final = run.outputs["epochs"]
    # the first message holds the table so far, each later one its new rows only
    starts = [e.starts["epochs"] for e in live]
    assert starts[0] == 0 and all(s > 0 for s in starts[1:])
    table = live[0].outputs["epochs"]
    for event in live[1:]:
        assert len(table) == event.starts["epochs"]
        table = np.vstack([table, event.outputs["epochs"]])
    assert len(live[-1].outputs["epochs"]) < 100 and len(table) < len(final) == 600
    # the training so far, bit for bit (wall times differ between runs: not compared)
    np.testing.assert_array_equal(table[:, :5], final[:len(table), :5])


def test_only_outputs_set_while_solving_are_live(tmp_path: Path) -> None:
    """A kind that sets its outputs at the end sends none live; a listener
    without ``outputs`` gets its rows as before."""
    sent: list[dict] = []

    class Listener:
        def __call__(self, run_id: str, rows: np.ndarray) -> None:
            pass

        def outputs(self, run_id: str, outputs: dict, starts: dict) -> None:
            sent.append((outputs, starts))

    run = solve(build(rosenbrock("BFGS", n=6)), on_progress=Listener(), progress_interval=0)
    assert run.status == "converged" and sent == []
    run = solve(network(30), on_progress=Listener(), progress_interval=0)
    # one new epoch row a batch (the 30th comes with the finished run)
    assert [(len(o["epochs"]), s["epochs"]) for o, s in sent] == \
        [(1, 0)] + [(1, k) for k in range(1, 29)]
    rows: list[int] = []
    solve(network(5), on_progress=lambda _rid, r: rows.append(len(r)), progress_interval=0)
    assert sum(rows) == 5
