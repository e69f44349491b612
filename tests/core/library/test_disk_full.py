"""A full disk under ``warmdesk solve`` (docs/library.md, "A full disk"): the
message true to the letter, no phantom ``interrupted`` run, and the finished
result recoverable from the run file written elsewhere, with its whole history.

Two ways to fill the disk: SQLite's own limit (``PRAGMA max_page_count``: it
then fails with SQLITE_FULL, "database or disk is full", exactly the real
error) set on each library connection, and, where the machine allows mounting,
a real 4 MiB tmpfs filled with a file.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest

from warmdesk.cli import EXIT_BAD_INPUT, EXIT_NOT_STORED, main
from warmdesk.core.engine import solve
from warmdesk.core.library import Library, sql
from warmdesk.core.runfile import read_runfile

from ..factories import build, rosenbrock

#: Converges in about 32,000 iterations (a second): its history, about 480 kB
#: compressed, needs far more room than the full disks below leave.
BIG = rosenbrock("Nelder-Mead", n=16, maxiter=40_000, maxfev=80_000, xatol=1e-10, fatol=1e-14)


@pytest.fixture
def rescue_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temp dir the run file goes to (the first folder tried)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, str]:
    """A library holding one finished run: what was stored before must stay intact."""
    folder = tmp_path / "lib"
    run = solve(build(rosenbrock(n=3)))
    with Library(folder) as lib:
        lib.save_run(run)
    return folder, run.id


@pytest.fixture
def disk_left(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path, int], None]:
    """``disk_left(folder, pages)``: from now on the library in ``folder`` may
    grow by ``pages`` pages only; past that SQLite fails as on a full disk."""
    def limit(folder: Path, pages: int) -> None:
        with sqlite3.connect(folder / "library.sqlite") as db:
            ceiling = db.execute("PRAGMA page_count").fetchone()[0] + pages
        real_connect = sql.connect

        def connect(path: Path) -> sqlite3.Connection:
            db = real_connect(path)
            if path.parent == folder:   # only this library's disk is full
                db.execute(f"PRAGMA max_page_count={ceiling}")
            return db
        monkeypatch.setattr(sql, "connect", connect)
    return limit


def _spec(tmp_path: Path, spec: dict) -> str:
    path = tmp_path / f"{spec['name']}.json"
    path.write_text(json.dumps(spec))
    return str(path)


def _ids(folder: Path) -> set[str]:
    with Library(folder) as lib:
        return {row["id"] for row in lib.query()}


@pytest.mark.parametrize("mode", [[], ["--process"]], ids=["here", "process"])
def test_a_finished_run_the_full_disk_refuses_is_written_elsewhere(
        tmp_path: Path, mode: list[str], seeded: tuple[Path, str], rescue_dir: Path,
        disk_left: Callable[[Path, int], None], capsys: pytest.CaptureFixture[str]) -> None:
    folder, seed_id = seeded
    spec = _spec(tmp_path, {**BIG, "name": "big"})
    disk_left(folder, 3)   # room for the run saved running, not for its result
    code = main(["solve", spec, "--library", str(folder), *mode])
    out, err = capsys.readouterr()

    assert code == EXIT_NOT_STORED
    assert "status converged" in out          # the result is printed
    assert "the disk is full: saving the run failed and was rolled back" in err
    files = list(rescue_dir.glob("*.wdrun"))
    assert len(files) == 1
    run_id = files[0].name.split("-")[-1].removesuffix(".wdrun")
    assert (f"run {run_id} is not in the library: the record saved as running at the start "
            "was removed, nothing else was written") in err
    assert f"written to {files[0]}" in err
    assert f"warmdesk import {files[0]} --library {folder}" in err

    assert _ids(folder) == {seed_id}            # no phantom, then or on a later open
    assert _ids(folder) == {seed_id}
    assert main(["check", "--library", str(folder)]) == 0

    [kept] = read_runfile(files[0])
    assert kept.status == "converged" and kept.nit > 0
    assert len(kept.history.array) >= kept.nit   # its whole history
    other = tmp_path / "other"
    assert main(["import", str(files[0]), "--library", str(other)]) == 0
    with Library(other) as lib:
        back = lib.get_run(kept.id)
    assert back.status == "converged" and back.fun == kept.fun
    assert np.array_equal(back.history.array, kept.history.array, equal_nan=True)


def test_json_says_the_run_was_not_stored_and_where_it_is(
        tmp_path: Path, seeded: tuple[Path, str], rescue_dir: Path,
        disk_left: Callable[[Path, int], None], capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = seeded
    disk_left(folder, 3)
    code = main(["solve", _spec(tmp_path, {**BIG, "name": "big"}), "--json",
                 "--library", str(folder)])
    out = json.loads(capsys.readouterr().out)
    assert code == EXIT_NOT_STORED
    assert out["stored"] is False and out["status"] == "converged"
    assert out["error"].startswith("the disk is full: saving the run failed")
    [kept] = read_runfile(out["runfile"])
    assert kept.id == out["run_id"] and Path(out["runfile"]).parent == rescue_dir


def test_a_run_that_cannot_even_be_saved_running_leaves_nothing(
        tmp_path: Path, seeded: tuple[Path, str], rescue_dir: Path,
        disk_left: Callable[[Path, int], None], capsys: pytest.CaptureFixture[str]) -> None:
    folder, seed_id = seeded
    spec = rosenbrock(n=3)
    spec["name"] = "wide"
    spec["parameters"]["w"] = [0.5] * 20_000   # a large record: no room even for it
    disk_left(folder, 0)
    code = main(["solve", _spec(tmp_path, spec), "--library", str(folder)])
    err = capsys.readouterr().err

    assert code == EXIT_BAD_INPUT
    assert ("the disk is full: saving the run failed and was rolled back: none of it was "
            "written and the library holds what it held before") in err
    assert _ids(folder) == {seed_id}   # and no phantom on the next open either
    assert _ids(folder) == {seed_id}
    assert not list(rescue_dir.iterdir())  # nothing was solved: nothing to rescue
    assert not list((folder / "run-locks").iterdir())
    assert main(["check", "--library", str(folder)]) == 0


# ------------------------------------------------------------------ a real tiny disk
def _can_mount() -> str | None:
    """Why a tmpfs cannot be mounted here (None if it can)."""
    if not sys.platform.startswith("linux"):
        return "tmpfs mounts need Linux"
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root (CAP_SYS_ADMIN)"
    if shutil.which("mount") is None:
        return "no mount command"
    return None


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 4 MiB filesystem (room for the big run once the filler is gone),
    unmounted afterwards."""
    reason = _can_mount()
    if reason:
        pytest.skip(reason)
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(mount: Path, leave: int) -> Path:
    """Fill ``mount`` up to ``leave`` bytes free (a file that can be deleted)."""
    st = os.statvfs(mount)
    free = st.f_bavail * st.f_frsize
    filler = mount / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def test_a_real_full_disk(tmp_path: Path, tiny_disk: Path, rescue_dir: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = tiny_disk / "lib"
    seed = solve(build(rosenbrock(n=3)))
    with Library(folder) as lib:
        lib.save_run(seed)
    filler = _fill(tiny_disk, 200 * 1024)   # room to start a run, not for its history
    code = main(["solve", _spec(tmp_path, {**BIG, "name": "big"}), "--library", str(folder)])
    out, err = capsys.readouterr()

    assert code == EXIT_NOT_STORED and "status converged" in out
    assert "the disk is full: saving the run failed and was rolled back" in err
    [rescued] = list(rescue_dir.glob("*.wdrun"))
    [kept] = read_runfile(rescued)
    with Library(folder) as lib:
        stored = {row["id"]: row for row in lib.query()}
    if "was removed, nothing else was written" in err:
        assert set(stored) == {seed.id}
    else:   # the disk could not even take the removal: the message says what remains
        assert ("could not be removed either" in err and "will show it as interrupted with "
                "no result until the run file is imported" in err)
        assert set(stored) == {seed.id, kept.id}
        assert stored[kept.id]["status"] == "interrupted"
    assert main(["check", "--library", str(folder)]) == 0
    capsys.readouterr()

    other = tmp_path / "other"
    assert main(["import", str(rescued), "--library", str(other)]) == 0
    with Library(other) as lib:
        back = lib.get_run(kept.id)
    assert np.array_equal(back.history.array, kept.history.array, equal_nan=True)
    filler.unlink()   # room again: the import into the library itself completes the run
    assert main(["import", str(rescued), "--library", str(folder)]) == 0
    with Library(folder) as lib:
        back = lib.get_run(kept.id)
        assert back.status == "converged" and lib.count() == 2
    assert np.array_equal(back.history.array, kept.history.array, equal_nan=True)
    assert main(["check", "--library", str(folder)]) == 0
