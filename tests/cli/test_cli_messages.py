"""What the command line says and stores when input is refused or a word is
wrong: no phantom runs, no false "restored", no GUI for a typo, the solution
printed, proper plurals. In-process (``warmdesk.cli.main``) with a real library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warmdesk.cli import main
from warmdesk.core.library import Library

from ..cli_runner import run_cli
from ..core.factories import ROSENBROCK, rosenbrock


def _write(path: Path, spec: dict) -> str:
    path.write_text(json.dumps(spec))
    return str(path)


def _run_ids(library: Path) -> list[str]:
    with Library(library) as lib:
        return [r["id"] for r in lib.query()]


@pytest.mark.parametrize("how", [[], ["--process"], ["--warm", "SOURCE"],
                                 ["--warm", "SOURCE", "--process"]])
def test_a_spec_refused_at_its_start_leaves_no_run(tmp_path: Path, capsys, how) -> None:
    """An objective that gives a vector is refused (exit 2, what and where) and
    nothing is stored: not in-process, not in a child, not under the guard."""
    lib = tmp_path / "lib"
    source_id = None
    if "SOURCE" in how:
        assert main(["solve", _write(tmp_path / "ok.json", rosenbrock(n=3)), "--json",
                     "--library", str(lib)]) == 0
        source_id = json.loads(capsys.readouterr().out)["run_id"]
        how = [source_id if a == "SOURCE" else a for a in how]
    vector = {**rosenbrock(n=3), "objective": "x**2"}
    code = main(["solve", _write(tmp_path / "vector.json", vector), "--library", str(lib), *how])
    err = capsys.readouterr().err
    assert code == 2
    assert "objective: must give a single number" in err and "sum(" in err
    assert _run_ids(lib) == ([source_id] if source_id else [])


def test_restore_says_which_runs_were_not_in_the_trash(tmp_path: Path, capsys) -> None:
    lib = tmp_path / "lib"
    spec = _write(tmp_path / "r.json", rosenbrock(n=3))
    for _ in range(2):
        assert main(["solve", spec, "--library", str(lib)]) == 0
    first, second = _run_ids(lib)
    capsys.readouterr()

    assert main(["restore", first[:12], "--library", str(lib)]) == 1
    out, err = capsys.readouterr()
    assert "restored" not in out
    assert f"not in the trash, so nothing to restore: {first[:12]}" in err

    assert main(["delete", second, "--library", str(lib)]) == 0
    capsys.readouterr()
    assert main(["restore", first, second, "--library", str(lib)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"restored 1 run: {second[:12]}")
    assert first[:12] in err and second[:12] not in err
    assert sorted(_run_ids(lib)) == sorted([first, second])


def test_solve_and_show_print_the_solution(tmp_path: Path, capsys) -> None:
    lib = tmp_path / "lib"
    spec = {**ROSENBROCK, "variables": {"x": {"size": 30, "start": 0.0}, "s": 2.0},
            "objective": "sum(100*(x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2) + (s - 3)**2"}
    assert main(["solve", _write(tmp_path / "r.json", spec), "--library", str(lib)]) == 0
    out = capsys.readouterr().out
    assert "  solution:" in out
    assert "    x = [1, 1, 1, 1, 1, ..., 1, 1, 1] (30 values)" in out
    assert "    s = 3" in out
    run_id = _run_ids(lib)[0]
    assert main(["show", run_id[:8], "--library", str(lib)]) == 0
    assert "(30 values)" in capsys.readouterr().out


def test_plurals_are_words(tmp_path: Path, capsys) -> None:
    lib = tmp_path / "lib"
    assert main(["solve", _write(tmp_path / "r.json", rosenbrock(n=3)), "--library",
                 str(lib)]) == 0
    capsys.readouterr()
    assert main(["check", "--library", str(lib)]) == 0
    assert "sound (1 run)" in capsys.readouterr().out
    assert main(["runs", "--library", str(lib)]) == 0
    assert capsys.readouterr().err.strip() == "1 of 1 run"


def test_a_mistyped_command_is_an_error_not_the_app(tmp_path: Path) -> None:
    out = run_cli("solv", "--library", str(tmp_path / "lib"))
    assert out.returncode == 2
    assert "'solv' is not a command" in out.stderr and "did you mean solve?" in out.stderr
    assert not (tmp_path / "lib").exists()  # the app (which would open it) never started


def test_help_lists_the_app_arguments() -> None:
    out = run_cli("--help")
    assert out.returncode == 0
    app = out.stdout.split("desktop app (no subcommand):", 1)[1]
    for word in ("--library DIR", "--screenshot PATH", "FILE ...", ".wdrun", ".json"):
        assert word in app
