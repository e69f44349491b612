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
    sizes = [len(e.outputs["epochs"]) for e in live]
    assert sizes == sorted(set(sizes)) and sizes[-1] < len(final) == 600   # growing, live
    for event in live:   # each the training so far, bit for bit
        table = event.outputs["epochs"]
        np.testing.assert_array_equal(table[:, :5], final[:len(table), :5])


def test_only_outputs_set_while_solving_are_live(tmp_path: Path) -> None:
    """A kind that sets its outputs at the end sends none live; a listener
    without ``outputs`` gets its rows as before."""
    sent: list[dict] = []

    class Listener:
        def __call__(self, run_id: str, rows: np.ndarray) -> None:
            pass

        def outputs(self, run_id: str, outputs: dict) -> None:
            sent.append(outputs)

    run = solve(build(rosenbrock("BFGS", n=6)), on_progress=Listener(), progress_interval=0)
    assert run.status == "converged" and sent == []
    run = solve(network(30), on_progress=Listener(), progress_interval=0)
    assert [len(o["epochs"]) for o in sent] == list(range(1, 30))   # the last with the run
    rows: list[int] = []
    solve(network(5), on_progress=lambda _rid, r: rows.append(len(r)), progress_interval=0)
    assert sum(rows) == 5
