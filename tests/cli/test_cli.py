"""The headless command line, as a user runs it (``warmdesk.cli.main`` in-process,
read back as a process's exit code, stdout and stderr: tests/cli_runner.py)."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from ..cli_runner import run_cli as warmdesk
from ..core.factories import ROSENBROCK, lotka_volterra

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
LINUX_FDS = Path("/proc/self/fd").is_dir()


def _write(path: Path, spec: dict) -> Path:
    path.write_text(json.dumps(spec))
    return path


def test_solve_cold_then_warm_by_id_and_auto(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    base = _write(tmp_path / "rosen.json", ROSENBROCK)
    nxt = _write(tmp_path / "next.json", {**ROSENBROCK, "parameters": {"a": 1.01, "b": 100.0}})
    out = warmdesk("solve", str(base), "--json", library=lib)
    assert out.returncode == 0, out.stderr
    cold = json.loads(out.stdout)
    for key in ("run_id", "status", "fun", "nit", "nfev", "njev", "wall_s", "warm_source",
                "warm_payload"):
        assert key in cold
    assert cold["status"] == "converged" and cold["warm_source"] is None

    out = warmdesk("solve", str(nxt), "--warm", cold["run_id"][:10], "--json", library=lib)
    warm = json.loads(out.stdout)
    assert out.returncode == 0 and warm["warm_source"] == cold["run_id"]
    assert warm["warm_payload"] == ["x0", "hess_inv"]
    assert warm["warm_report"]["matched"] == ["x"]

    cold_next = json.loads(warmdesk("solve", str(nxt), "--json", library=lib).stdout)
    assert warm["nfev"] <= 0.25 * cold_next["nfev"]

    out = warmdesk("solve", str(nxt), "--warm", "auto", "--process", library=lib)
    assert out.returncode == 0 and "warm start from" in out.stderr and "converged" in out.stdout

    for source in ("auto", cold["run_id"]):  # --x-only: the run and its report both say x0 only
        out = warmdesk("solve", str(nxt), "--warm", source, "--x-only", "--json", library=lib)
        x_only = json.loads(out.stdout)
        assert x_only["warm_payload"] == ["x0"] and x_only["warm_report"]["payload"] == ["x0"]
        assert "left out on request" in x_only["warm_report"]["refused"]["hess_inv"]
        assert "payload x0 (restart)" in out.stderr and "hess_inv: left out" in out.stderr

    listing = json.loads(warmdesk("runs", "--json", library=lib).stdout)
    assert len(listing) == 6
    shown = json.loads(warmdesk("show", cold["run_id"], "--json", library=lib).stdout)
    assert shown["history_rows"] == cold["nit"] and shown["problem"]["name"] == "rosenbrock"


def test_exit_codes(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    bad = _write(tmp_path / "bad.json", {**ROSENBROCK, "solver": {"method": "Adam"}})
    out = warmdesk("solve", str(bad), library=lib)
    assert out.returncode == 2 and "solver.method" in out.stderr
    assert "Traceback" not in out.stderr

    hostile = _write(tmp_path / "hostile.json",
                     {**ROSENBROCK, "objective": "__import__('os').system('touch pwned')"})
    out = warmdesk("solve", str(hostile), library=lib, cwd=tmp_path)
    assert out.returncode == 2 and "objective" in out.stderr
    assert not (tmp_path / "pwned").exists()

    limited = _write(tmp_path / "limited.json",
                     {**ROSENBROCK, "solver": {"method": "BFGS", "options": {"maxiter": 3}}})
    out = warmdesk("solve", str(limited), "--json", library=lib)
    assert out.returncode == 1 and json.loads(out.stdout)["status"] == "stopped"

    failing = _write(tmp_path / "nan.json", {**ROSENBROCK, "objective": "sum(log(x - 1))"})
    out = warmdesk("solve", str(failing), "--json", library=lib)
    assert out.returncode == 1 and json.loads(out.stdout)["status"] == "failed"

    assert warmdesk("solve", str(tmp_path / "missing.json"), library=lib).returncode == 2
    assert warmdesk("solve", str(bad), "--warm", "nonexistent", library=lib).returncode == 2
    assert warmdesk("show", "abcdefabcdef", library=lib).returncode == 2
    assert warmdesk("solve", library=lib).returncode == 2


def test_warm_from_a_run_of_another_kind_is_refused(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    ode = json.loads(warmdesk("solve", str(_write(tmp_path / "lv.json", lotka_volterra())),
                              "--json", library=lib).stdout)
    out = warmdesk("solve", str(_write(tmp_path / "r.json", ROSENBROCK)), "--warm",
                   ode["run_id"], library=lib)
    assert out.returncode == 2 and "'ode' run" in out.stderr


def test_version() -> None:
    out = warmdesk("--version")
    assert out.returncode == 0 and out.stdout.startswith("warmdesk ")


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples not generated")
def test_every_bundled_example_solves(tmp_path: Path) -> None:
    files = sorted(EXAMPLES.glob("*.json"))
    assert len(files) >= 8
    kinds = set()
    for f in files:
        out = warmdesk("solve", str(f), "--json", library=tmp_path / "lib")
        assert out.returncode == 0, (f.name, out.stdout[-500:], out.stderr[-500:])
        kinds.add(json.loads(f.read_text())["kind"])
    assert kinds == {"minimize", "fit", "train", "ode", "network"}


def _process_state() -> dict[str, object]:
    """What a command run in-process could leave behind in this process."""
    return {"open files": sorted(os.listdir("/proc/self/fd")) if LINUX_FDS else None,
            "threads": sorted(t.name for t in threading.enumerate()),
            "children": sorted(p.pid for p in multiprocessing.active_children()),
            "log handlers": list(logging.root.handlers), "log level": logging.root.level,
            "cwd": os.getcwd(), "environment": dict(os.environ)}


def test_commands_leave_nothing_behind_in_this_process(tmp_path: Path) -> None:
    """The tests run ``warmdesk`` in-process (tests/cli_runner.py), so a command
    must leave no open library, thread, child process, logging or environment
    change behind. Open files are compared from the second round on: the first
    ``--process`` solve starts multiprocessing's own helpers, once a process."""
    base = _write(tmp_path / "rosen.json", ROSENBROCK)
    nxt = _write(tmp_path / "next.json", {**ROSENBROCK, "parameters": {"a": 1.01, "b": 100.0}})
    commands = [("solve", base, "--json"), ("solve", nxt, "--warm", "auto", "--process"),
                ("solve", nxt, "--warm", "auto"), ("suggest", nxt), ("runs",), ("check",),
                ("solve", tmp_path / "missing.json")]
    before = _process_state()
    states = []
    for _ in range(2):
        for command in commands:
            warmdesk(*command, library=tmp_path / "lib")
        states.append(_process_state())
    assert states[1] == states[0]
    assert {**states[1], "open files": None} == {**before, "open files": None}
