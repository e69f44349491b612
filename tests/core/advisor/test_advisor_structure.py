"""The advisor and problem structure: runs of a different problem that merely
share a variable name are not offered over a cold start, their explanation says
"different problem", and the savings quoted come only from warm starts between
runs of the new problem's own structure."""

from __future__ import annotations

import copy
import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest

from warmdesk.core.advisor import record_outcome, suggest
from warmdesk.core.engine import solve
from warmdesk.core.library import Library

from ...cli_runner import run_cli
from ..factories import ROSENBROCK, build

#: An unrelated objective that also has a vector variable ``x`` of size 10: a
#: bowl around x = c with a dip at its centre. At Rosenbrock's solution (x = 1)
#: it is 40, at the default start (x = 0) 90: lower, but not near its minimum.
PEAK: dict[str, Any] = {
    "format": "warmdesk.problem/1", "name": "peak", "kind": "minimize",
    "variables": {"x": {"size": 10, "start": 0.0}},
    "parameters": {"c": 3.0},
    "objective": "sum((x - c)**2) - exp(-sum((x - c)**2))",
    "solver": {"method": "BFGS", "options": {}}}


def _spec(base: dict[str, Any], name: str, **parameters: float) -> dict[str, Any]:
    spec = copy.deepcopy(base)
    spec["name"] = name
    spec["parameters"].update(parameters)
    return spec


def _cli(library: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli(*args, library=library)


def _solve(library: Path, spec_file: Path, *args: str) -> dict[str, Any]:
    out = _cli(library, "solve", str(spec_file), "--json", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _saving(library: Path, run_id: str) -> float:
    out = _cli(library, "show", run_id, "--json")
    assert out.returncode == 0, out.stderr
    return float(json.loads(out.stdout)["info"]["saving"]["value"])


def _suggest(library: Path, spec_file: Path) -> dict[str, Any]:
    out = _cli(library, "suggest", str(spec_file), "--json", "--top", "10")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    specs = {"rosen": _spec(ROSENBROCK, "rosen", a=1.0),
             "rosen101": _spec(ROSENBROCK, "rosen-1.01", a=1.01),
             "rosen102": _spec(ROSENBROCK, "rosen-1.02", a=1.02),
             "peak": _spec(PEAK, "peak", c=3.0),
             "peak31": _spec(PEAK, "peak-3.1", c=3.1)}
    out = {}
    for key, spec in specs.items():
        out[key] = tmp_path / f"{key}.json"
        out[key].write_text(json.dumps(spec))
    return out


def test_cli_does_not_offer_an_unrelated_problem_that_shares_a_variable_name(
        tmp_path: Path, files: dict[str, Path]) -> None:
    lib = tmp_path / "lib"
    cold = _solve(lib, files["rosen"])
    _solve(lib, files["rosen101"], "--warm", cold["run_id"])   # a family that saved ~90%
    advice = _suggest(lib, files["peak"])
    assert advice["start_cold"], advice["reason"]
    assert "different problem" in advice["reason"]
    assert advice["suggestions"], "the runs are still listed, below start cold"
    for s in advice["suggestions"]:
        assert not s["same_structure"] and s["score"] == 0.0
        assert "different problem" in s["explanation"]
        assert "below start cold" in s["explanation"]
        assert "saved" not in s["explanation"], s["explanation"]
    text = _cli(lib, "suggest", str(files["peak"]))
    assert text.stdout.startswith("START COLD:") and "different problem" in text.stdout
    solved = _cli(lib, "solve", str(files["peak"]), "--warm", "auto", "--json")
    assert solved.returncode == 0, solved.stderr
    assert json.loads(solved.stdout)["warm_source"] is None


def test_cli_quotes_savings_only_from_warm_starts_within_the_structure(
        tmp_path: Path, files: dict[str, Path]) -> None:
    """A Rosenbrock run once seeded the unrelated problem (by hand) and cost it
    dearly; that outcome belongs to neither family's record of what warm starts
    of the same structure saved."""
    lib = tmp_path / "lib"
    cold = _solve(lib, files["rosen"])
    within = _solve(lib, files["rosen101"], "--warm", cold["run_id"])
    across = _solve(lib, files["peak"], "--warm", cold["run_id"])  # across structures, by hand
    _solve(lib, files["peak"])                                      # measures what that cost
    within_value, across_value = (_saving(lib, run["run_id"]) for run in (within, across))
    assert within_value > 0.5 and across_value < within_value - 0.2  # distinct, checkable

    rosen = _suggest(lib, files["rosen102"])
    assert rosen["family_count"] == 1
    assert rosen["family_saving"] == pytest.approx(within_value)
    source = next(s for s in rosen["suggestions"]
                  if s["run_id"] == cold["run_id"] and s["source"] == "run")
    assert source["saving"] == pytest.approx(within_value)
    assert f"{100 * across_value:.0f}%" not in source["explanation"]

    peak = _suggest(lib, files["peak31"])
    assert peak["family_saving"] is None and peak["family_count"] == 0
    for s in peak["suggestions"]:
        assert "saved" not in s["explanation"], s["explanation"]
        if not s["same_structure"]:
            assert "different problem" in s["explanation"] and s["saving"] is None


def test_a_different_problem_whose_solution_proves_useful_is_offered(tmp_path: Path) -> None:
    """The same Rosenbrock with a small extra term is another structure, but the
    stored solution makes the new objective far lower than the default start."""
    from warmdesk.core.advisor.merit import different_problem_bar
    with Library(tmp_path) as lib:
        base = solve(build(ROSENBROCK))
        lib.save_run(base)
        record_outcome(lib, base)
        spec = copy.deepcopy(ROSENBROCK)
        spec["objective"] += " + 1e-4*sum(x**2)"
        advice = suggest(lib, build(spec))
        top = advice.top
        assert top is not None and top.run_id == base.id and not top.same_structure
        assert top.f <= different_problem_bar(advice.f_default)
        assert "different problem" in top.explanation
        assert "10 times lower" in top.explanation
        warm = solve(build(spec), top.warm)
        cold = solve(build(spec))
    assert warm.status == "converged" and warm.nfev < cold.nfev


def test_a_different_problem_ranks_below_a_run_of_the_same_structure(tmp_path: Path) -> None:
    """A same-structure run that beats the default start comes first, even where a
    run of a different problem gives the new objective a lower value."""
    with Library(tmp_path) as lib:
        rosen = solve(build(ROSENBROCK))
        lib.save_run(rosen)
        peak_far = solve(build(_spec(PEAK, "peak far", c=0.5)))
        lib.save_run(peak_far)                   # same structure as the new problem
        advice = suggest(lib, build(_spec(PEAK, "peak", c=3.0)))
    by_id = {s.run_id: s for s in advice.suggestions if s.source == "run"}
    assert by_id[rosen.id].f < by_id[peak_far.id].f < advice.f_default  # lower f...
    assert by_id[rosen.id].score == 0.0 < by_id[peak_far.id].score     # ...not proven useful
    assert "different problem" in by_id[rosen.id].explanation
    assert advice.top is not None and advice.top.run_id == peak_far.id


@pytest.mark.parametrize("m0, bar", [(90.0, 9.0), (-2.0, -20.0), (0.0, 0.0),
                                     (math.inf, math.inf)])
def test_the_bar_a_different_problem_must_clear(m0: float, bar: float) -> None:
    from warmdesk.core.advisor.merit import different_problem_bar, proves_useful
    assert different_problem_bar(m0) == bar
    if math.isfinite(m0):
        assert proves_useful(bar - 1e-9, m0) and not proves_useful(bar + abs(bar) * 1e-6 + 1e-9,
                                                                    m0)
    assert not proves_useful(m0, m0)
    assert proves_useful(1.0, math.inf) and not proves_useful(math.inf, math.inf)
