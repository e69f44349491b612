"""Ctrl+C (SIGINT to the whole process group, as a terminal sends it) and SIGTERM
during ``warmdesk solve``: the run is stored ``interrupted`` with its last
iterate, history and counts, the CLI says how to resume, and exits 130 / 143.

Real processes: ``python -m warmdesk solve`` with its stderr on a pseudo-terminal
(so it prints its live progress line), signalled once that line shows progress.
"""

from __future__ import annotations

import copy
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warmdesk.core.library import Library
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.warmstart import warm_start_from_run

from ..cli_runner import run_cli
from ..core.factories import lotka_volterra

#: Nelder-Mead on a 400-variable Rosenbrock with tolerances it cannot meet: it
#: runs for minutes, so only a signal ends it.
LONG: dict = {
    "format": "warmdesk.problem/1", "name": "long-rosenbrock", "kind": "minimize",
    "variables": {"x": {"size": 400, "start": -1.0}},
    "parameters": {"a": 1.0, "b": 100.0},
    "objective": "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)",
    "solver": {"method": "Nelder-Mead", "options": {
        "maxiter": 10 ** 7, "maxfev": 10 ** 7, "xatol": 1e-15, "fatol": 1e-15}}}
DEADLINE_S = 60.0


class Solving:
    """``warmdesk solve`` in its own session, stderr on a pseudo-terminal."""

    def __init__(self, spec: dict, library: Path, tmp: Path, *args: str) -> None:
        path = tmp / f"{spec['name']}.json"
        path.write_text(json.dumps(spec))
        master, slave = pty.openpty()
        env = dict(os.environ, WARMDESK_LIBRARY=str(library))
        # a real process: signalled as a terminal signals its process group
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "warmdesk", "solve", str(path), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env,
            start_new_session=True)
        os.close(slave)
        self.master = master
        self.stderr = ""

    def _read(self, timeout: float) -> bool:
        """Read what stderr has; False once it is closed."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the process closed its end
            return False
        self.stderr += chunk.decode(errors="replace")
        return bool(chunk)

    def wait_for_progress(self, pattern: str, at_least: float) -> None:
        """Until the progress line shows ``pattern``'s number at ``at_least`` or more."""
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"ended early: {self.stderr}"
            self._read(0.2)
            found = re.findall(pattern, self.stderr)
            if found and float(found[-1]) >= at_least:
                return
        pytest.fail(f"no progress within {DEADLINE_S} s: {self.stderr[-500:]}")

    def finish(self) -> tuple[int, str, str]:
        deadline = time.monotonic() + DEADLINE_S
        while self._read(0.2) and time.monotonic() < deadline:
            if self.proc.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                break
        stdout, _ = self.proc.communicate(timeout=DEADLINE_S)
        os.close(self.master)
        return self.proc.returncode, stdout.decode(), self.stderr


def _only_run(library: Path):
    with Library(library) as lib:
        rows = lib.query()
        assert len(rows) == 1, rows
        return lib.get_run(rows[0]["id"])


@pytest.mark.parametrize("mode, signum, to_group", [
    ("here", signal.SIGINT, True), ("process", signal.SIGINT, True),
    ("here", signal.SIGTERM, False), ("process", signal.SIGTERM, True)])
def test_a_signal_stores_the_run_interrupted_with_its_work(
        tmp_path: Path, mode: str, signum: signal.Signals, to_group: bool) -> None:
    library = tmp_path / "lib"
    extra = ["--process"] if mode == "process" else []
    solving = Solving(LONG, library, tmp_path, *extra)
    solving.wait_for_progress(r"evals\s+(\d+)", 2000)
    if to_group:
        os.killpg(solving.proc.pid, signum)  # a terminal's Ctrl+C reaches every process
    else:
        os.kill(solving.proc.pid, signum)
    code, stdout, stderr = solving.finish()

    assert code == 128 + signum, stderr
    run = _only_run(library)
    assert run.status == "interrupted", run.message
    assert run.nfev >= 2000 and run.nit > 0 and len(run.history) == run.nit
    assert run.solution["x"].shape == (400,) and run.fun is not None and run.fun < 1e6
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert f"--warm {run.id[:12]}" in stderr and "resume with: warmdesk solve" in stderr
    assert "interrupted" in stdout and "x = [" in stdout  # the result, with its iterate
    # the interrupted run seeds the next solve
    warm = warm_start_from_run(problem_from_dict(LONG), run)
    assert (warm.x0 == run.solution["x"]).all()


@pytest.mark.parametrize("extra", [[], ["--process"]])
def test_a_guarded_warm_solve_is_interrupted_too(tmp_path: Path, extra: list[str]) -> None:
    """The guard (the default for a warm start) runs the warm solve with the same control."""
    library = tmp_path / "lib"
    source = copy.deepcopy(LONG)
    source.update(name="source", objective="sum((x - 0.5)**2)",
                  solver={"method": "L-BFGS-B", "options": {}})
    done = run_cli("solve", "--json", str(_write(tmp_path / "source.json", source)),
                   library=library)
    assert done.returncode == 0, done.stderr
    source_id = json.loads(done.stdout)["run_id"]

    solving = Solving(LONG, library, tmp_path, "--warm", source_id, *extra)
    solving.wait_for_progress(r"evals\s+(\d+)", 2000)
    os.killpg(solving.proc.pid, signal.SIGINT)
    code, stdout, stderr = solving.finish()

    assert code == 130, stderr
    assert "guard: kept warm" in stderr
    with Library(library) as lib:
        rows = [r for r in lib.query() if r["id"] != source_id]
        run = lib.get_run(rows[0]["id"])
    assert len(rows) == 1 and run.status == "interrupted" and run.nfev >= 2000
    assert run.warm is not None and run.warm.source_run_id == source_id
    assert run.usable and f"--warm {run.id[:12]}" in stderr


def test_an_interrupted_ode_keeps_a_checkpoint_to_resume_from(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    spec = lotka_volterra(t1=1e7)
    spec["solver"]["options"].update(rtol=1e-12, atol=1e-14, max_steps=10 ** 7)
    spec["t_eval"], spec["checkpoints"] = 11, 10_000
    solving = Solving(spec, library, tmp_path, "--process")
    solving.wait_for_progress(r"t=([0-9.e+]+)", 50.0)
    os.killpg(solving.proc.pid, signal.SIGINT)
    code, _, stderr = solving.finish()

    assert code == 130, stderr
    run = _only_run(library)
    assert run.status == "interrupted" and run.nit > 0 and len(run.history) == run.nit
    assert run.state["checkpoint_t"][-1] >= 50.0
    warm = warm_start_from_run(problem_from_dict(spec), run)
    assert warm.payload == ["checkpoint"] and warm.state["checkpoint"][0] >= 50.0


def _write(path: Path, spec: dict) -> Path:
    path.write_text(json.dumps(spec))
    return path
