"""One WarmStart type from the choice to the stored run: run file and library
(real SQLite) keep exactly the stored form they always had."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.problems import with_parameters
from warmdesk.core.runfile import read_runfile, write_runfile
from warmdesk.core.runs import Run
from warmdesk.core.warm_start_type import WarmStart
from warmdesk.core.warmstart import warm_start_from_run

from .factories import build, rosenbrock

STORED_KEYS = {"source_run_id", "payload", "mode", "report"}


@pytest.fixture(scope="module")
def pair() -> tuple[Run, Run, WarmStart]:
    problem = build(rosenbrock(n=4))
    base = solve(problem)
    nxt = with_parameters(problem, a=1.2)
    warm = warm_start_from_run(nxt, base)
    return base, solve(nxt, warm), warm


def test_the_run_keeps_the_same_type_without_arrays(pair: tuple[Run, Run, WarmStart]) -> None:
    base, run, warm = pair
    assert isinstance(warm, WarmStart) and warm.x0 is not None and warm.state
    assert isinstance(run.warm, WarmStart)
    assert run.warm.x0 is None and run.warm.state == {} and run.warm.live_solver is None
    assert run.warm.to_dict() == {"source_run_id": base.id, "payload": warm.payload,
                                  "mode": "restart", "report": warm.report}
    assert set(run.to_dict()["warm"]) == STORED_KEYS


def test_child_form_carries_the_arrays(pair: tuple[Run, Run, WarmStart]) -> None:
    _, _, warm = pair
    data = warm.to_dict(arrays=True)
    back = WarmStart.from_dict(data)
    assert back.x0 is not None and warm.x0 is not None
    np.testing.assert_array_equal(back.x0, warm.x0)
    assert set(back.state) == set(warm.state) and back.payload == warm.payload
    live = WarmStart("a" * 32, ["checkpoint"], mode="exact-resume", live_solver=object())
    assert live.to_dict(arrays=True)["mode"] == "restart"  # an integrator cannot cross over
    assert live.to_dict()["mode"] == "exact-resume"


def test_round_trip_through_run_file_and_library(pair: tuple[Run, Run, WarmStart],
                                                 tmp_path: Path) -> None:
    base, run, _ = pair
    (back,) = read_runfile(write_runfile(tmp_path / "w.wdrun", [run]))
    assert isinstance(back.warm, WarmStart) and run.warm is not None
    assert back.warm.to_dict() == json.loads(json.dumps(run.warm.to_dict()))
    lib = Library(tmp_path / "lib")
    try:
        lib.save_runs([base, run])
        got = lib.get_run(run.id)
        assert isinstance(got.warm, WarmStart)
        assert got.warm.to_dict() == back.warm.to_dict()
        assert set(lib.get_meta(run.id)["warm"]) == STORED_KEYS
    finally:
        lib.close()


def test_old_meta_without_mode_reads_as_restart() -> None:
    w = WarmStart.from_dict({"source_run_id": None, "payload": ["x0"]})
    assert w.mode == "restart" and w.report == {} and w.x0 is None
