"""Problem specs: the issue's example loads; malformed specs name the field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.errors import FormatVersionError, SpecError
from warmdesk.core.problems import (load_problem, problem_from_dict, problem_from_json,
                                    with_parameters)

from .factories import (ROSENBROCK, fit_spec, lotka_volterra, train_spec, write_classification,
                        write_peaks)


def test_issue_example_loads_as_written(tmp_path: Path) -> None:
    path = tmp_path / "rosen.json"
    path.write_text(json.dumps(ROSENBROCK))
    p = load_problem(path)
    assert (p.kind, p.method, p.size) == ("minimize", "BFGS", 10)
    assert p.options == {"gtol": 1e-8}
    assert np.all(p.start_vector() == 0) and p.variables[0].lower[0] == -np.inf


def test_normalised_spec_round_trips() -> None:
    p = problem_from_dict(ROSENBROCK)
    again = problem_from_dict(p.spec)
    assert again.content_hash() == p.content_hash()
    assert again.structure_hash() == p.structure_hash()


def test_hashes_separate_numbers_from_structure() -> None:
    p = problem_from_dict(ROSENBROCK)
    q = with_parameters(p, a=1.01)
    assert q.structure_hash() == p.structure_hash()
    assert q.content_hash() != p.content_hash()
    other = copy.deepcopy(ROSENBROCK)
    other["objective"] = "sum(x**2)"
    assert problem_from_dict(other).structure_hash() != p.structure_hash()


def _errors(spec: object, base_dir: Path | None = None) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        problem_from_dict(spec, base_dir=base_dir)
    return dict(info.value.problems)


@pytest.mark.parametrize("mutate, field, words", [
    (lambda s: s.pop("format"), "format", "must be"),
    (lambda s: s.update(kind="maximize"), "kind", "must be one of"),
    (lambda s: s.update(name=""), "name", "1 to 200 characters"),
    (lambda s: s["solver"].update(method="Adam"), "solver.method", "must be one of"),
    (lambda s: s["solver"]["options"].update(gtoll=1), "solver.options.gtoll", "not an option"),
    (lambda s: s["solver"]["options"].update(gtol="small"), "solver.options.gtol", "number"),
    (lambda s: s["solver"]["options"].update(gtol=-1), "solver.options.gtol", "must be in"),
    (lambda s: s["solver"]["options"].update(gtol=None), "solver.options.gtol",
     "not null (leave the option out for its default)"),
    (lambda s: s["variables"]["x"].update(size=0), "variables.x.size", "whole number"),
    (lambda s: s["variables"]["x"].update(size=2.5), "variables.x.size", "whole number"),
    (lambda s: s["variables"]["x"].update(lower=6, upper=5), "variables.x.lower",
     "greater than upper"),
    (lambda s: s["variables"]["x"].update(start=9, upper=5), "variables.x.start", "outside"),
    (lambda s: s["variables"]["x"].update(start=[1, 2]), "variables.x.start", "2 values"),
    (lambda s: s["variables"]["x"].update(start="0"), "variables.x.start", "must be a number"),
    (lambda s: s["variables"]["x"].update(start=True), "variables.x.start", "must be a number"),
    (lambda s: s["parameters"].update(b=[]), "parameters.b", "empty"),
    (lambda s: s["parameters"].update(pi=3), "parameters.pi", "reserved"),
    (lambda s: s["parameters"].update({"__class__": 1}), "parameters.__class__",
     "start with a letter"),
    (lambda s: s.update(objective="sum(x.__class__)"), "objective", "column"),
    (lambda s: s.update(objective="sum(y)"), "objective", "unknown name"),
    (lambda s: s.update(objective=42), "objective", "expression string"),
    (lambda s: s.update(extra=1), "extra", "unknown field"),
    (lambda s: s.update(constraints=[{"type": "ineq", "expr": "x[0]"}]), "solver.method",
     "cannot handle constraints"),
    (lambda s: s.update(constraints=[{"type": "lt", "expr": "x[0]"}]), "constraints[0].type",
     "ineq"),
])
def test_malformed_minimize_spec_names_the_field(mutate, field: str, words: str) -> None:
    spec = copy.deepcopy(ROSENBROCK)
    mutate(spec)
    errors = _errors(spec)
    assert field in errors, errors
    assert words in errors[field]


def test_every_error_is_reported_at_once() -> None:
    spec = copy.deepcopy(ROSENBROCK)
    spec["solver"]["method"] = "Adam"
    spec["variables"]["x"].update(lower=7, upper=5)
    spec["objective"] = "sum(q)"
    assert {"solver.method", "variables.x.lower", "objective"} <= set(_errors(spec))


def test_not_an_object_and_bad_json() -> None:
    assert "(top level)" in _errors([1, 2])
    with pytest.raises(SpecError, match="not valid JSON"):
        problem_from_json("{nope")
    with pytest.raises(SpecError, match="NaN is not allowed"):
        problem_from_json('{"format": "warmdesk.problem/1", "parameters": {"a": NaN}}')
    with pytest.raises(SpecError, match="nested too deeply"):
        problem_from_json("[" * 100_000 + "]" * 100_000)


def test_future_format_says_newer_warmdesk() -> None:
    spec = dict(ROSENBROCK, format="warmdesk.problem/7")
    with pytest.raises(FormatVersionError, match="newer WarmDesk"):
        problem_from_dict(spec)


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_problem(tmp_path / "nope.json")


def test_fit_spec_checks_data_and_columns(tmp_path: Path) -> None:
    write_peaks(tmp_path)
    assert problem_from_dict(fit_spec(), base_dir=tmp_path).dataset.rows == 200
    spec = fit_spec()
    spec["target"] = "intensity"
    assert "must name a column" in _errors(spec, tmp_path)["target"]
    spec = fit_spec()
    spec["data"] = {"file": "missing.csv"}
    assert "cannot read" in _errors(spec, tmp_path)["data.file"]
    spec = fit_spec(loss="huber")
    spec["solver"]["method"] = "lm"
    assert "lm" in _errors(spec, tmp_path)["loss"]


@pytest.mark.parametrize("content, words", [
    ("x,y\n1,2\n3,nan\n", "row 3, column 'y'"),
    ("x,y\n1,2\n3,abc\n", "'abc' is not a number"),
    ("x,y\n1,2\n3\n", "row 3 has 1 values"),
    ("x,x\n1,2\n", "repeat"),
    ("1x,y\n1,2\n", "must start with a letter"),
    ("x,y\n", "no data rows"),
    ("x,y\n1,inf\n", "not a finite number"),
])
def test_bad_csv_names_file_row_and_column(tmp_path: Path, content: str, words: str) -> None:
    (tmp_path / "peaks.csv").write_text(content)
    spec = fit_spec()
    spec["target"] = "y"
    assert words in _errors(spec, tmp_path)["data.file"]


def test_train_spec_validates_classes(tmp_path: Path) -> None:
    write_classification(tmp_path, "three.csv", classes=3)
    err = _errors(train_spec("logistic", file="three.csv"), tmp_path)
    assert "exactly 2 classes" in err["target"]
    p = problem_from_dict(train_spec("multinomial", file="three.csv"), base_dir=tmp_path)
    assert [v.size for v in p.variables] == [9, 3]
    spec = train_spec("logistic", file="three.csv", features=["f1", "label"])
    assert "cannot be a feature" in _errors(spec, tmp_path)["features[1]"]


def test_ode_spec_requires_every_rhs() -> None:
    spec = lotka_volterra()
    del spec["rhs"]["pred"]
    assert "required" in _errors(spec)["rhs.pred"]
    spec = lotka_volterra()
    spec["t_span"] = [5, 1]
    assert "t1 > t0" in _errors(spec)["t_span"]
    spec = lotka_volterra()
    spec["rhs"]["prey"] = "alpha*prey - __import__('os')"
    assert "rhs.prey" in _errors(spec)
