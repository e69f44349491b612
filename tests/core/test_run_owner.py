"""Who owns a live run (issue 13, items 1 and 7).

A run saved ``running`` belongs to the process that saved it. Another process
opening the library (``warmdesk runs``, the app, another solve) must leave it
``running`` for as long as its owner lives, and turn it ``interrupted`` only
once the owner is provably gone; the message then says exactly what was kept.
Every process here is real: ``warmdesk solve`` subprocesses, killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import new_run
from warmdesk.core.library import DB_NAME, Library, RunQuery
from warmdesk.core.library.schema import SCHEMA_VERSION
from warmdesk.core.run_owner import Owner

from .factories import build, rosenbrock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

#: A Nelder-Mead that does not end by itself within the test (it is killed).
LONG = rosenbrock("Nelder-Mead", n=30, maxiter=10 ** 7, maxfev=10 ** 7,
                  xatol=1e-300, fatol=1e-300)


def _env(library: Path) -> dict[str, str]:
    return dict(os.environ, WARMDESK_LIBRARY=str(library))


def warmdesk(*args: str, library: Path) -> subprocess.CompletedProcess[str]:
    # a real process: another owner than this test's, as run ownership is per process
    return subprocess.run([sys.executable, "-m", "warmdesk", *args], capture_output=True,
                          text=True, env=_env(library), timeout=120)


class LongSolve:
    """``warmdesk solve`` of LONG in its own session (killed with SIGKILL while it
    owns its run), its stderr on a pseudo-terminal.

    The job runner saves a run ``running`` before it announces it, and progress
    comes only after that, so the progress line drawn on the terminal is the event
    the test waits on (``select``), not a poll of the library."""

    def __init__(self, tmp_path: Path, library: Path, *extra: str) -> None:
        spec = tmp_path / "long.json"
        spec.write_text(json.dumps(LONG))
        master, slave = pty.openpty()
        # a real process: another owner than this test's, as run ownership is per process
        self.proc = subprocess.Popen([sys.executable, "-m", "warmdesk", "solve", str(spec),
                                      *extra], env=_env(library), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=slave,
                                     start_new_session=True)
        os.close(slave)
        self.master = master
        self.stderr = b""

    def wait_for_running_run(self, library: Path, timeout: float = 90.0) -> str:
        """The id of the run saved ``running``, once the solve draws progress."""
        deadline = time.monotonic() + timeout
        while b"evals" not in self.stderr:
            ready, _, _ = select.select([self.master], [], [],
                                        max(0.0, deadline - time.monotonic()))
            assert ready, f"the solve drew no progress within {timeout} s: {self.stderr!r}"
            try:
                chunk = os.read(self.master, 65536)
            except OSError:   # EIO: the process closed its end
                chunk = b""
            assert chunk, f"the solve ended: {self.stderr!r}"
            self.stderr += chunk
        assert self.proc.poll() is None, self.stderr
        with Library(library, recover=False) as lib:
            rows = lib.query(RunQuery(status="running"))
        assert len(rows) == 1, rows
        return str(rows[0]["id"])

    def kill(self) -> None:
        """SIGKILL the solve and everything it started (its solver child too)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.communicate(timeout=30)
        os.close(self.master)


@pytest.mark.parametrize("mode", [(), ("--process",)], ids=["in-process", "child-process"])
def test_a_live_run_stays_running_from_every_process(tmp_path: Path, mode: tuple[str, ...]
                                                     ) -> None:
    library = tmp_path / "library"
    solving = LongSolve(tmp_path, library, *mode)
    proc = solving.proc
    try:
        run_id = solving.wait_for_running_run(library)
        # another process lists the library (this used to mark the live run interrupted)
        listed = warmdesk("runs", "--json", library=library)
        assert listed.returncode == 0, listed.stderr
        assert [(r["id"], r["status"]) for r in json.loads(listed.stdout)] == [(run_id, "running")]
        running = warmdesk("runs", "--status", "running", "--json", library=library)
        assert [r["id"] for r in json.loads(running.stdout)] == [run_id]
        # and a library opened here (as the app does) recovers nothing either
        with Library(library) as lib:
            assert lib.recovered == 0
            assert lib.get_meta(run_id)["status"] == "running"
        assert proc.poll() is None
    finally:
        solving.kill()
    # its owner is gone now: the next process to open the library recovers it
    shown = warmdesk("show", run_id, "--json", library=library)
    assert shown.returncode == 0, shown.stderr
    run = json.loads(shown.stdout)
    assert run["status"] == "interrupted"
    # item 7: the words say exactly what was kept: its progress saved up to the
    # kill (issue 16: about once a second), or nothing if it died before the first
    assert "was saved of it is kept" not in run["message"]
    if run["solution"]:
        assert f"its last saved iterate ({run['nfev']} evaluations) is kept" in run["message"]
        assert run["nfev"] > 0
    else:
        assert "no iterate was saved" in run["message"]
        assert f"{run['nfev']} evaluations" in run["message"]
    assert warmdesk("check", library=library).returncode == 0
    with Library(library) as lib:
        assert lib.count(RunQuery(status="running", limit=0)) == 0


_SAVE_AND_DIE = """
import os, sys, numpy as np
from warmdesk.core.library import Library
from warmdesk.core.runs import Run
meta = {meta!r}
run = Run.from_parts(meta, {{}})
if {progress!r}:
    rows = np.zeros((7, 9)); rows[:, 0] = np.arange(1, 8); rows[:, 1] = np.arange(1, 8) * 3
    run.history.extend(rows)
    run.solution = {{"x": np.ones(10)}}
    run.nit, run.nfev = 7, 21
lib = Library(sys.argv[1], recover=False)   # leave the recovering to the test
lib.save_run(run)
print("saved", flush=True)
os._exit(0)   # dies holding the run, without closing the library
"""


def _save_running_in_a_dying_process(library: Path, progress: bool) -> str:
    run = new_run(build(rosenbrock()))
    run.status = "running"
    code = _SAVE_AND_DIE.format(meta=run.to_dict(), progress=progress)
    out = subprocess.run([sys.executable, "-c", code, str(library)], capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == "saved", out.stderr
    return run.id


def test_a_run_whose_owner_died_is_recovered_with_what_was_kept(tmp_path: Path) -> None:
    bare = _save_running_in_a_dying_process(tmp_path, progress=False)
    kept = _save_running_in_a_dying_process(tmp_path, progress=True)
    with Library(tmp_path) as lib:
        assert lib.recovered == 2
        bare_meta, kept_meta = lib.get_meta(bare), lib.get_meta(kept)
        assert lib.check() == []
    assert bare_meta["status"] == kept_meta["status"] == "interrupted"
    assert "no iterate was saved" in bare_meta["message"]
    assert "0 evaluations" in bare_meta["message"]
    assert "last saved iterate (21 evaluations) is kept" in kept_meta["message"]
    with Library(tmp_path) as lib:   # recovered once, not again
        assert lib.recovered == 0


def test_a_run_held_by_another_library_is_not_recovered(tmp_path: Path) -> None:
    run = new_run(build(rosenbrock()))
    run.status = "running"
    with Library(tmp_path) as owner:
        owner.save_run(run)
        with Library(tmp_path) as other:
            assert other.recovered == 0
            assert other.get_meta(run.id)["status"] == "running"
        run.status, run.nfev = "converged", 5
        owner.save_run(run)   # finishing releases the run
    with Library(tmp_path) as lib:
        assert lib.recovered == 0
        assert lib.get_meta(run.id)["status"] == "converged"
    assert not list((tmp_path / "run-locks").glob("*.lock"))   # nothing left behind


def test_an_owner_on_this_host_that_is_gone_is_proved_gone_without_a_lock(tmp_path: Path
                                                                         ) -> None:
    """Where no lock file is left (removed, or locks unavailable), the recorded pid
    and process start time decide on this host; another host's run is left alone."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    gone = Owner(host=Owner.this_process().host, pid=int(dead.stdout), started="no such start")
    assert gone.alive() is False
    assert Owner.this_process().alive() is True
    assert Owner(host="elsewhere.invalid", pid=os.getpid(), started=None).alive() is None
    mine = Owner.this_process()
    assert Owner(mine.host, mine.pid, "an earlier process with this pid").alive() is False


def test_an_old_library_is_migrated_and_its_ownerless_running_runs_recovered(tmp_path: Path
                                                                            ) -> None:
    run = new_run(build(rosenbrock()))
    run.status = "running"
    _save_running_in_a_dying_process(tmp_path, progress=False)
    with Library(tmp_path, recover=False) as lib:
        lib.save_run(run)
    db = sqlite3.connect(tmp_path / DB_NAME)   # make it a schema-4 library
    db.execute("DROP TABLE run_owners")
    db.execute("DROP TABLE sweep_runs")        # schema 6's, a schema-4 library has neither
    db.execute("PRAGMA user_version=4")
    db.commit()
    db.close()
    with Library(tmp_path) as lib:
        assert lib.schema_version == SCHEMA_VERSION
        assert lib.recovered == 2
        assert lib.count(RunQuery(status="interrupted", limit=0)) == 2
        assert lib.check() == []


def test_a_run_saved_running_again_by_its_owner_keeps_one_claim(tmp_path: Path) -> None:
    run = new_run(build(rosenbrock()))
    run.status = "running"
    with Library(tmp_path) as lib:
        for n in range(3):   # progress saved while it runs
            run.history.extend(np.full((1, 9), float(n)))
            lib.save_run(run)
        with Library(tmp_path) as other:
            assert other.recovered == 0
        assert len(list((tmp_path / "run-locks").glob("*.lock"))) == 1


def test_without_its_lock_file_a_run_is_judged_by_its_recorded_owner(tmp_path: Path) -> None:
    """The lock files removed (a user cleaning up, a filesystem without locks):
    a dead owner on this host is still proved gone; a run of another machine,
    which this one cannot judge, is left running."""
    dead = _save_running_in_a_dying_process(tmp_path, progress=False)
    elsewhere = _save_running_in_a_dying_process(tmp_path, progress=False)
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("UPDATE run_owners SET host='another-machine.invalid' WHERE run_id=?",
               (elsewhere,))
    db.commit()
    db.close()
    for lock in (tmp_path / "run-locks").glob("*.lock"):
        lock.unlink()
    with Library(tmp_path) as lib:
        assert lib.recovered == 1
        assert lib.get_meta(dead)["status"] == "interrupted"
        assert lib.get_meta(elsewhere)["status"] == "running"
