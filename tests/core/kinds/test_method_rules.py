"""One rule for what each method honours (issue 12, item 1): a spec whose method
would silently ignore its bounds or constraints is refused before anything runs,
through the CLI as a user meets it; runs already stored with such a spec stay
readable; and every method the table says honours bounds really does."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.errors import SpecError
from warmdesk.core.library import Library
from warmdesk.core.method_capabilities import FACTS, methods_with, refusals
from warmdesk.core.problems import problem_from_dict

from ..factories import build, fit_spec, lotka_volterra, rosenbrock, write_peaks
from ...cli_runner import run_cli as warmdesk

#: The issue's case: the minimum (3, 3) lies outside the box [0, 1]^2.
BOXED: dict = {"format": "warmdesk.problem/1", "name": "boxed", "kind": "minimize",
               "variables": {"x": {"size": 2, "start": [0.5, 0.5], "lower": [0, 0],
                                   "upper": [1, 1]}},
               "objective": "sum((x - 3)**2)", "solver": {"method": "BFGS", "options": {}}}


def _with_method(spec: dict, method: str) -> dict:
    spec = copy.deepcopy(spec)
    spec["solver"] = {"method": method, "options": {}}
    return spec


def _write(path: Path, spec: dict) -> Path:
    path.write_text(json.dumps(spec))
    return path


@pytest.mark.parametrize("method", ["BFGS", "CG", "Newton-CG"])
def test_cli_refuses_bounds_given_to_a_method_that_ignores_them(tmp_path: Path,
                                                                method: str) -> None:
    lib = tmp_path / "lib"
    spec = _write(tmp_path / "boxed.json", _with_method(BOXED, method))
    out = warmdesk("solve", str(spec), library=lib)
    assert out.returncode == 2, out.stdout
    assert "solver.method" in out.stderr and f"{method} does not honour bounds" in out.stderr
    assert "'x'" in out.stderr  # the bounded variable is named
    for honouring in ("L-BFGS-B", "TNC", "Nelder-Mead", "Powell", "SLSQP", "trust-constr"):
        assert honouring in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert json.loads(warmdesk("runs", "--json", library=lib).stdout) == []  # nothing stored


def test_cli_refuses_constraints_given_to_a_method_that_ignores_them(tmp_path: Path) -> None:
    spec = copy.deepcopy(BOXED)
    spec["solver"]["method"] = "L-BFGS-B"
    spec["constraints"] = [{"type": "ineq", "expr": "0.5 - x[0]", "name": "cap"}]
    out = warmdesk("solve", str(_write(tmp_path / "c.json", spec)), library=tmp_path / "lib")
    assert out.returncode == 2
    assert "L-BFGS-B cannot handle constraints (1 given)" in out.stderr
    assert "SLSQP or trust-constr" in out.stderr


@pytest.mark.parametrize("method", methods_with("minimize", bounds=True))
def test_every_method_said_to_honour_bounds_ends_inside_them(method: str) -> None:
    run = solve(build(_with_method(BOXED, method)))
    x = run.solution["x"]
    assert np.all(x >= -1e-9) and np.all(x <= 1 + 1e-9), (method, x)
    assert np.allclose(x, 1.0, atol=1e-3), (method, x, run.message)  # interior point: near


def test_every_method_said_to_ignore_bounds_is_refused_for_every_kind(tmp_path: Path) -> None:
    for method in methods_with("minimize", bounds=False):
        with pytest.raises(SpecError, match=f"{method} does not honour bounds"):
            problem_from_dict(_with_method(BOXED, method))
    write_peaks(tmp_path)
    spec = fit_spec("trf")  # bounded
    spec["solver"]["method"] = "lm"
    with pytest.raises(SpecError) as refused:
        problem_from_dict(spec, base_dir=tmp_path)
    assert dict(refused.value.problems)["solver.method"].startswith(
        "lm does not honour bounds, and variable 'A' has them")
    assert "trf or dogbox" in dict(refused.value.problems)["solver.method"]
    ode = lotka_volterra()
    first = next(iter(ode["state"]))
    ode["state"][first] = {"start": ode["state"][first], "lower": 0}
    for method in FACTS["ode"]:
        ode["solver"] = {"method": method, "options": {}}
        with pytest.raises(SpecError, match=f"state '{first}' has them"):
            problem_from_dict(ode)


def test_a_wrong_method_name_is_the_only_thing_said_about_the_method() -> None:
    spec = _with_method(BOXED, "bfgs")
    with pytest.raises(SpecError) as refused:
        problem_from_dict(spec)
    assert [f for f, _ in refused.value.problems] == ["solver.method"]
    assert "must be one of" in refused.value.problems[0][1]


def test_refusals_name_every_bounded_variable_and_the_remedy() -> None:
    (fld, message), = refusals("minimize", "CG", ["x", "y"])
    assert fld == "solver.method"
    assert "variable 'x', 'y' have them" in message and "or remove the bounds" in message
    assert refusals("minimize", "L-BFGS-B", ["x"]) == []
    assert refusals("minimize", "SLSQP", ["x"], constraints=2) == []


def test_an_old_run_with_bounds_and_bfgs_stays_readable(tmp_path: Path) -> None:
    """A library made before the rule holds a BFGS run whose spec has bounds (and whose
    point lies outside them): it lists, shows, exports, imports and seeds as before."""
    lib = tmp_path / "lib"
    legal = _with_method(BOXED, "L-BFGS-B")
    run = solve(build(legal))
    run.problem = _with_method(BOXED, "BFGS")  # as stored by an older WarmDesk
    run.problem["format"] = "warmdesk.problem/1"
    run.method = "BFGS"
    run.solution = {"x": np.array([3.0, 3.0])}  # where BFGS ended, outside the bounds
    with Library(lib) as library:
        library.save_run(run)

    listing = json.loads(warmdesk("runs", "--json", library=lib).stdout)
    assert [r["id"] for r in listing] == [run.id]
    shown = warmdesk("show", run.id, "--json", library=lib)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["problem"]["solver"]["method"] == "BFGS"
    wdrun = tmp_path / "old.wdrun"
    assert warmdesk("export", run.id, "-o", str(wdrun), library=lib).returncode == 0
    other = tmp_path / "other"
    imported = warmdesk("import", str(wdrun), "--json", library=other)
    assert imported.returncode == 0, imported.stderr
    assert warmdesk("show", run.id, library=other).returncode == 0

    # a new, legal problem can still start from it; the mapping says why it was clipped
    spec = _write(tmp_path / "new.json", legal)
    out = warmdesk("solve", str(spec), "--warm", run.id, "--json", library=lib)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)["warm_report"]
    assert report["clipped"] == {"x": 2}
    assert "BFGS" in report["source_note"] and "ignores bounds" in report["source_note"]
    assert "BFGS, which ignores bounds" in warmdesk("solve", str(spec), "--warm", run.id,
                                                    library=lib).stderr
    assert warmdesk("suggest", str(spec), library=lib).returncode == 0


def test_the_rosenbrock_factory_follows_the_rule() -> None:
    assert "lower" not in rosenbrock("BFGS")["variables"]["x"]
    assert rosenbrock("L-BFGS-B")["variables"]["x"]["lower"] == -5


def test_the_editor_note_says_what_the_rule_says() -> None:
    from warmdesk.core.method_capabilities import method_note

    for method in FACTS["minimize"]:
        note = method_note("minimize", method)
        assert note.startswith("Honours bounds") == (method in methods_with("minimize",
                                                                              bounds=True))
        assert ("handles constraints" in note) == (method in methods_with("minimize",
                                                                          constraints=True))
