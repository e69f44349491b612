"""Library queries, lineage, the trash, tags and notes, check, migration and
a full disk: over a real SQLite file."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.errors import LibraryError
from warmdesk.core.library import DB_NAME, Library, RunQuery
from warmdesk.core.library.schema import MIGRATIONS, SCHEMA_VERSION
from warmdesk.core.problems import with_parameters
from warmdesk.core.warmstart import warm_start_from_run

from ..factories import build, lotka_volterra, rosenbrock


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A library with a warm-start chain a -> b -> c, a side branch a -> d, and an ode run."""
    folder = tmp_path_factory.mktemp("lib")
    runs = []
    problem = build(rosenbrock(n=4))
    a = solve(problem)
    a.tags, a.notes = ["daily", "baseline"], "the first calibration"
    runs.append(a)
    prev = a
    for i, value in enumerate((1.01, 1.02)):
        p = with_parameters(problem, a=value)
        r = solve(p, warm_start_from_run(p, prev))
        r.tags = ["daily"]
        runs.append(r)
        prev = r
    d_problem = with_parameters(problem, a=0.9)
    d = solve(d_problem, warm_start_from_run(d_problem, a, use_state=False))
    d.name = "what-if x'); DROP TABLE runs;--"
    runs.append(d)
    runs.append(solve(build(lotka_volterra())))
    for i, r in enumerate(runs):
        r.created_at = 1_700_000_000 + 86400 * i
    with Library(folder) as lib:
        for r in runs:
            lib.save_run(r)
    return folder, [r.id for r in runs]


def test_filters_sort_and_pages(chain) -> None:
    folder, ids = chain
    with Library(folder) as lib:
        assert lib.count() == 5
        assert [r["id"] for r in lib.query(RunQuery(kind="ode"))] == [ids[4]]
        assert {r["id"] for r in lib.query(RunQuery(tags=["daily"]))} == set(ids[:3])
        assert [r["id"] for r in lib.query(RunQuery(tags=["daily", "baseline"]))] == [ids[0]]
        assert [r["id"] for r in lib.query(RunQuery(text="calibration"))] == [ids[0]]
        assert [r["id"] for r in lib.query(RunQuery(text="DROP TABLE"))] == [ids[3]]
        assert [r["id"] for r in lib.query(RunQuery(text="%"))] == []
        assert lib.count(RunQuery(method="BFGS")) == 4
        newest_first = [r["id"] for r in lib.query(RunQuery())]
        assert newest_first == ids[::-1]
        page = lib.query(RunQuery(sort="created_at", descending=False, limit=2, offset=2))
        assert [r["id"] for r in page] == ids[2:4]
        since = lib.query(RunQuery(since=1_700_000_000 + 86400 * 3))
        assert {r["id"] for r in since} == set(ids[3:])
        by_fun = lib.query(RunQuery(kind="minimize", sort="fun", descending=False))
        funs = [r["fun"] for r in by_fun]
        assert funs == sorted(funs)
        with pytest.raises(ValueError, match="cannot sort"):
            lib.query(RunQuery(sort="meta; DROP TABLE runs"))
        assert lib.count() == 5  # nothing dropped


def test_lineage_both_ways(chain) -> None:
    folder, ids = chain
    with Library(folder) as lib:
        anc = lib.lineage(ids[2], "ancestors")
        assert [(r["id"], r["depth"]) for r in anc] == [(ids[1], 1), (ids[0], 2)]
        assert anc[0]["payload"] == ["x0", "hess_inv"]
        desc = lib.lineage(ids[0], "descendants")
        assert {(r["id"], r["depth"]) for r in desc} == {(ids[1], 1), (ids[3], 1), (ids[2], 2)}
        assert lib.lineage(ids[4], "ancestors") == []


def test_trash_is_recoverable_until_emptied(tmp_path: Path) -> None:
    run = solve(build(rosenbrock(n=3)))
    with Library(tmp_path) as lib:
        lib.save_run(run)
        lib.delete([run.id[:8]])
        assert lib.count() == 0 and lib.count(RunQuery(deleted=True)) == 1
        assert lib.get_run(run.id).id == run.id  # still there
        lib.restore([run.id])
        assert lib.count() == 1
        lib.delete([run.id])
        assert lib.empty_trash() == 1
        with pytest.raises(LibraryError):
            lib.get_run(run.id)
        assert lib.check() == []


def test_tags_rename_notes_update_the_stored_run(tmp_path: Path) -> None:
    run = solve(build(rosenbrock(n=3)))
    with Library(tmp_path) as lib:
        lib.save_run(run)
        lib.set_tags(run.id, ["b", "a", "b"])
        lib.rename(run.id, "renamed")
        lib.set_notes(run.id, "checked by hand")
        back = lib.get_run(run.id)
        assert (back.tags, back.name, back.notes) == (["b", "a"], "renamed", "checked by hand")
        assert [r["id"] for r in lib.query(RunQuery(tags=["a"]))] == [run.id]
        with pytest.raises(LibraryError, match="single words"):
            lib.set_tags(run.id, ["two words"])
        assert lib.check() == []


def test_check_finds_damage(tmp_path: Path) -> None:
    run = solve(build(rosenbrock(n=3)))
    with Library(tmp_path) as lib:
        lib.save_run(run)
        assert lib.check() == []
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("UPDATE arrays SET data = zeroblob(length(data)) WHERE key='solution/x'")
    db.execute("UPDATE run_meta SET meta = replace(meta, 'rosenbrock', 'rosenbrocK')")
    db.commit()
    db.close()
    with Library(tmp_path) as lib:
        problems = lib.check()
    assert any("solution/x" in p for p in problems)
    assert any("metadata" in p for p in problems)


def test_full_disk_leaves_earlier_runs_intact(tmp_path: Path) -> None:
    small = solve(build(rosenbrock(n=3)))
    big = solve(build(rosenbrock("BFGS", n=200, maxiter=400)))
    with Library(tmp_path) as lib:
        lib.save_run(small)
        pages = lib._sql.writer.execute("PRAGMA page_count").fetchone()[0]
        lib._sql.writer.execute(f"PRAGMA max_page_count={pages + 2}")  # the disk is (nearly) full
        with pytest.raises(LibraryError, match="disk is full"):
            lib.save_run(big)
        assert lib.count() == 1 and lib.get_run(small.id).fun == small.fun
        assert not lib.has_run(big.id)
        assert lib.check() == []


def test_migrates_a_version_1_library(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB_NAME)
    for statement in MIGRATIONS[1]:
        db.execute(statement)
    db.execute("PRAGMA user_version=1")
    run = solve(build(rosenbrock(n=3)))
    meta = __import__("json").dumps({**run.to_dict(), "tags": ["old"]})
    db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (run.id, run.name, run.kind, run.method, run.status, run.created_at,
                run.finished_at, run.wall_s, run.fun, run.nit, run.nfev, run.njev,
                run.problem_hash, run.structure_hash, None, meta))
    from warmdesk.core.library.arrays import array_to_bytes
    for key, arr in run.arrays().items():
        db.execute("INSERT INTO arrays VALUES (?, ?, ?)", (run.id, key, array_to_bytes(arr)))
    db.commit()
    db.close()
    with Library(tmp_path) as lib:
        assert lib.schema_version == SCHEMA_VERSION
        back = lib.get_run(run.id)
        assert np.array_equal(back.solution["x"], run.solution["x"])
        assert [r["id"] for r in lib.query(RunQuery(tags=["old"]))] == [run.id]
        assert lib.check() == []


def test_sixteen_threads_save_at_once(tmp_path: Path) -> None:
    base = solve(build(rosenbrock(n=3)))
    errors: list[BaseException] = []
    with Library(tmp_path) as lib:
        def worker(k: int) -> None:
            try:
                for i in range(5):
                    r = solve(build(rosenbrock(n=3, a=1 + 0.01 * k + 0.001 * i)))
                    lib.save_run(r)
                    lib.query(RunQuery(limit=10))
            except BaseException as exc:  # noqa: BLE001 - collected for the assert
                errors.append(exc)
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(16)]
        others = [Library(tmp_path) for _ in range(2)]  # other programs on the same file
        for t in threads:
            t.start()
        for other in others:
            other.save_run(base)
        for t in threads:
            t.join()
        for other in others:
            other.close()
        assert errors == []
        assert lib.count() == 16 * 5 + 1
        assert lib.check() == []


def test_opening_a_sound_library_writes_nothing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with Library(tmp_path) as lib:
        lib.save_run(solve(build(rosenbrock(n=3))))
    before = (tmp_path / DB_NAME).read_bytes()
    # the clock an hour on (instead of waiting): a time written on opening would show
    later = time.time() + 3600.0
    monkeypatch.setattr(time, "time", lambda: later)
    with Library(tmp_path) as lib:
        lib.query(RunQuery())
        assert lib.recovered == 0
    assert (tmp_path / DB_NAME).read_bytes() == before
