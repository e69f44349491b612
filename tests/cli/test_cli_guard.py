"""The guard is on by default in the CLI (as in the app), and a warm run that
ends worse than a cold start of its family would says so.

The problem has two wells; which is deeper depends on ``a``. A sibling (``a``
of the other sign) ends in the other well, so a warm start from it lands in the
worse well, where a cold start from the default point finds the better one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warmdesk.cli import main
from warmdesk.core.library import Library

TWO_WELLS = {"format": "warmdesk.problem/1", "name": "two-wells", "kind": "minimize",
             "variables": {"x": {"start": -0.5}}, "parameters": {"a": 0.3},
             "objective": "(x**2 - 1)**2 + a*x", "solver": {"method": "BFGS", "options": {}}}


@pytest.fixture()
def wells(tmp_path: Path, capsys) -> tuple[str, str, str, dict]:
    """A library with a cold run of the problem and of its sibling:
    (library, problem file, sibling run id, the cold run)."""
    lib = str(tmp_path / "lib")
    target = tmp_path / "target.json"
    target.write_text(json.dumps(TWO_WELLS))
    sibling = tmp_path / "sibling.json"
    sibling.write_text(json.dumps({**TWO_WELLS, "parameters": {"a": -0.3},
                                   "variables": {"x": {"start": 0.5}}}))
    assert main(["solve", str(target), "--json", "--library", lib]) == 0
    cold = json.loads(capsys.readouterr().out)
    assert main(["solve", str(sibling), "--json", "--library", lib]) == 0
    source = json.loads(capsys.readouterr().out)["run_id"]
    return lib, str(target), source, cold


def test_an_unguarded_warm_start_into_a_worse_optimum_says_so(wells, capsys) -> None:
    lib, target, source, cold = wells
    cold_fun = cold["fun"]
    assert main(["solve", target, "--warm", source, "--no-guard", "--json",
                 "--library", lib]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["guard"] is None and out["warm_source"] == source
    assert out["fun"] > cold_fun + 0.5  # the worse well
    assert "a worse optimum than a cold start reaches" in out["warning"]
    assert f"f={cold_fun:.6g}" in out["warning"] and source[:12] in out["warning"]
    assert "warmdesk: warning: the warm start from" in captured.err
    with Library(lib) as library:  # kept with the run, for `show` and the app
        assert library.get_run(out["run_id"]).info["warning"] == out["warning"]


@pytest.mark.parametrize("flag", [[], ["--guard"]])
def test_the_guard_is_the_default(wells, capsys, flag) -> None:
    lib, target, source, cold = wells
    cold_fun = cold["fun"]
    assert main(["solve", target, "--warm", source, "--json", "--library", lib, *flag]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["guard"] is not None and out["guard"]["action"] == "fell back to cold"
    assert out["fun"] == pytest.approx(cold_fun, abs=1e-9) and out["warning"] is None
    assert "guard: fell back to cold" in captured.err


def test_a_warm_run_as_good_as_cold_gets_no_warning(wells, capsys) -> None:
    lib, target, _, cold = wells
    cold_fun = cold["fun"]
    assert main(["solve", target, "--warm", cold["run_id"], "--no-guard", "--json",
                 "--library", lib]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["warning"] is None and out["fun"] == pytest.approx(cold_fun, abs=1e-9)


def test_help_offers_no_guard(capsys) -> None:
    assert main(["solve", "--help"]) == 0
    assert "--no-guard" in capsys.readouterr().out
