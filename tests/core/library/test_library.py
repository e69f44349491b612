"""The SQLite library: whole runs round-trip, saves are idempotent, runs left
running by a killed process come back interrupted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import new_run, solve
from warmdesk.core.errors import LibraryError
from warmdesk.core.library import DB_NAME, Library
from warmdesk.core.problems import with_parameters
from warmdesk.core.warmstart import warm_start_from_run

from ..factories import build, lotka_volterra, rosenbrock


def test_run_round_trips_bit_for_bit(tmp_path: Path) -> None:
    problem = build(rosenbrock())
    base = solve(problem)
    nxt = with_parameters(problem, a=1.01)
    run = solve(nxt, warm_start_from_run(nxt, base))
    with Library(tmp_path) as lib:
        lib.save_run(base)
        lib.save_run(run)
        back = lib.get_run(run.id[:10])
    assert back.to_dict() == run.to_dict()
    assert np.array_equal(back.history.array, run.history.array, equal_nan=True)
    assert np.array_equal(back.state["hess_inv"], run.state["hess_inv"])
    assert back.warm.source_run_id == base.id and back.warm.payload == ["x0", "hess_inv"]


def test_ode_run_keeps_state_order_through_the_library(tmp_path: Path) -> None:
    spec = lotka_volterra()
    spec["state"] = {"prey": 10.0, "pred": 5.0}  # not alphabetical on purpose
    problem = build(spec)
    run = solve(problem)
    with Library(tmp_path) as lib:
        lib.save_run(run)
        back = lib.get_run(run.id)
    assert list(back.solution) == ["prey", "pred"]
    longer = build({**spec, "t_span": [0, 30]})
    warm = warm_start_from_run(longer, back)
    assert np.allclose(warm.state["checkpoint"][2:], [run.solution["prey"], run.solution["pred"]])


def test_save_is_idempotent(tmp_path: Path) -> None:
    run = solve(build(rosenbrock()))
    with Library(tmp_path) as lib:
        lib.save_run(run)
        lib.save_run(run)
        assert lib.count() == 1


def test_running_runs_become_interrupted_on_open(tmp_path: Path) -> None:
    run = new_run(build(rosenbrock()))
    run.status = "running"
    with Library(tmp_path) as lib:
        lib.save_run(run)
    with Library(tmp_path) as lib:
        assert lib.recovered == 1
        assert lib.get_run(run.id).status == "interrupted"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Library(tmp_path).close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(LibraryError, match="newer WarmDesk"):
        Library(tmp_path)


def test_unknown_and_ambiguous_ids(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        with pytest.raises(LibraryError, match="no run"):
            lib.get_run("0123456789")
        a, b = solve(build(rosenbrock(n=3))), solve(build(rosenbrock(n=3)))
        lib.save_run(a)
        lib.save_run(b)
        common = next(i for i in range(len(a.id)) if a.id[i] != b.id[i])
        if common >= 6:
            with pytest.raises(LibraryError, match="more than one run"):
                lib.get_run(a.id[:common])
        # a full id is read without a look-up first (issue 16); the same answers
        assert lib.get_run(a.id).id == a.id and lib.get_run(a.id.upper()).id == a.id
        assert lib.get_run(f" {b.id[:12]} ").id == b.id
        missing = "f" * 32 if not a.id.startswith("f" * 32) else "e" * 32
        with pytest.raises(LibraryError, match=f"no run '{missing}' in the library"):
            lib.get_run(missing)
        lib.delete([a.id])                      # in the trash: still readable by id
        assert lib.get_run(a.id).id == a.id
