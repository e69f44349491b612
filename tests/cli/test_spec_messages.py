"""Words a user meets through the CLI (issue 12, item 6): a start outside its bounds
names the element, its value and the bounds (and nothing else follows from it);
a clean convergence is not called "rounding noise"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..cli_runner import run_cli as warmdesk


def _spec(variables: dict, objective: str, method: str = "L-BFGS-B") -> dict:
    return {"format": "warmdesk.problem/1", "name": "words", "kind": "minimize",
            "variables": variables, "objective": objective,
            "solver": {"method": method, "options": {}}}


def _solve(tmp_path: Path, spec: dict, *args: str):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return warmdesk("solve", str(path), *args, library=tmp_path / "lib")


def test_a_start_outside_its_bounds_names_the_element_value_and_bounds(tmp_path: Path) -> None:
    spec = _spec({"x": {"size": 2, "start": [0.5, 5], "lower": [0, 0], "upper": [1, 1]},
                  "y": {"start": -2.0, "lower": -1, "upper": 1}},
                 "sum((x - 3)**2) + y**2")
    out = _solve(tmp_path, spec)
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert "  variables.x.start: 'x[1]' starts at 5, outside its bounds [0, 1]; move the " \
           "start inside the bounds or widen them" in lines
    assert "  variables.y.start: 'y' starts at -2, outside its bounds [-1, 1]; move the start " \
           "inside the bounds or widen them" in lines
    assert "unknown name" not in out.stderr  # the variables are still known to the objective
    assert len(lines) == 3  # a header and the two problems, nothing else


def test_crossed_bounds_name_the_element_and_count_the_rest(tmp_path: Path) -> None:
    spec = _spec({"x": {"size": 4, "start": 0.0, "lower": [0, 2, 3, -1], "upper": [1, 1, 1, 1]}},
                 "sum(x**2)")
    out = _solve(tmp_path, spec)
    assert out.returncode == 2
    assert ("variables.x.lower: 'x[1]' has lower 2 greater than upper 1 (and 1 more element); "
            "swap or correct them") in out.stderr
    assert "objective" not in out.stderr


@pytest.mark.parametrize("method", ["BFGS", "CG"])
def test_a_clean_convergence_at_zero_is_not_called_rounding_noise(tmp_path: Path,
                                                                 method: str) -> None:
    spec = _spec({"x": {"size": 2, "start": [1.0, 2.0]}}, "sum(x**2)", method)
    out = _solve(tmp_path, spec)
    assert out.returncode == 0, out.stderr
    assert "status converged" in out.stdout and "rounding noise" not in out.stdout
    run_id = out.stdout.split()[1]
    shown = json.loads(warmdesk("show", run_id, "--json", library=tmp_path / "lib").stdout)
    assert "accepted_at_noise" not in shown["info"]
    assert shown["fun"] <= 1e-30


def test_a_variable_refused_for_its_values_is_still_known_to_the_expressions(
        tmp_path: Path) -> None:
    spec = _spec({"x": {"size": 2, "start": "zero"}, "y": {"size": 0, "start": 1.0}},
                 "sum(x**2) + sum(y)")
    out = _solve(tmp_path, spec)
    assert out.returncode == 2
    assert 'variables.x.start: must be a number (got "zero")' in out.stderr
    assert "variables.y.size: must be a whole number" in out.stderr
    assert "unknown name" not in out.stderr
