"""The sweep spec: grids, paths, CSV series and overrides read; every bad field named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warmdesk.core.errors import SpecError
from warmdesk.core.sweeps import load_sweep, sweep_from_dict

from .helpers import EXAMPLES, bratu_sweep


def test_the_example_sweep_reads_with_33_points_in_grid_order() -> None:
    sweep = load_sweep(EXAMPLES / "bratu_sweep.json")
    assert len(sweep.points) == 33 and sweep.parameters == ["lam"] and not sweep.ordered
    assert sweep.points[0].values == {"lam": 0.1} and sweep.points[-1].values["lam"] == 4.1
    assert sweep.points[5].spec["parameters"]["lam"] == pytest.approx(0.725)
    assert sweep.problem(5).parameters["lam"] == pytest.approx(0.725)
    assert sweep.check.max_fun == 1e-14 and sweep.max_halvings == 2
    # each point's run is named by its values: the library tells the points apart
    assert sweep.points[5].spec["name"] == "bratu lam=0.725"
    assert sweep.problem(5).name == "bratu lam=0.725"


def test_a_grid_is_the_product_of_its_axes() -> None:
    sweep = bratu_sweep(vary={"lam": [1.0, 2.0, 3.0], "h2": {"from": 0.003, "to": 0.004,
                                                               "num": 2}})
    assert [tuple(p.values.values()) for p in sweep.points] == [
        (1.0, 0.003), (1.0, 0.004), (2.0, 0.003), (2.0, 0.004), (3.0, 0.003), (3.0, 0.004)]


def test_a_path_and_a_csv_keep_their_order(tmp_path: Path) -> None:
    path = bratu_sweep(path=[{"lam": 2.0}, {"lam": 1.0}, {"lam": 1.5}])
    assert path.ordered and [p.values["lam"] for p in path.points] == [2.0, 1.0, 1.5]
    (tmp_path / "points.csv").write_text("lam\n0.5\n0.25\n\n1.0\n")
    problem = json.loads((EXAMPLES / "bratu.json").read_text())
    series = sweep_from_dict({"format": "warmdesk.sweep/1", "problem": problem,
                              "csv": "points.csv"}, tmp_path)
    assert series.ordered and [p.values["lam"] for p in series.points] == [0.5, 0.25, 1.0]


def test_overrides_merge_into_the_points_they_name() -> None:
    sweep = bratu_sweep(path=[{"lam": 1.0}, {"lam": 2.0}, {"lam": 3.0}],
                        overrides=[{"points": [1, 2], "set": {"solver": {"options": {
                            "maxiter": 7}}}}])
    assert "maxiter" not in sweep.points[0].spec["solver"]["options"]
    assert sweep.points[1].spec["solver"] == {"method": "BFGS",
                                              "options": {"gtol": 1e-10, "maxiter": 7}}


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(SpecError) as caught:
        sweep_from_dict({"format": "warmdesk.sweep/2", "problem": "bratu.json", "colour": 1,
                         "vary": {"lam": {"from": 0, "to": "x", "num": 0}, "nope": [1]},
                         "chaining": {"max_halvings": -1, "predictor": "cubic"},
                         "check": {"max_fun": -1}}, EXAMPLES)
    assert set(caught.value.fields) == {
        "format", "colour", "vary.lam.to", "vary.lam.num", "chaining.max_halvings",
        "chaining.predictor", "check.max_fun"}


def test_unknown_parameters_overrides_and_points_are_named() -> None:
    with pytest.raises(SpecError) as caught:
        bratu_sweep(path=[{"mu": 1.0}])
    assert caught.value.fields == ["path.mu"]
    with pytest.raises(SpecError) as caught:
        bratu_sweep(path=[{"lam": 1.0}, {"lam": 2.0}],
                    overrides=[{"points": [5], "set": {}},
                               {"points": [1], "set": {"kind": "fit"}}])
    assert caught.value.fields == ["overrides[0].points", "overrides[1].set.kind"]
    with pytest.raises(SpecError) as caught:   # a point's own problem is checked as a spec
        bratu_sweep(path=[{"lam": 1.0}, {"lam": 2.0}],
                    overrides=[{"points": [1], "set": {"solver": {"method": "Simplex"}}}])
    assert caught.value.fields == ["points[1].solver.method"]
    with pytest.raises(SpecError) as caught:
        bratu_sweep(path=[{"lam": 1.0}], vary={"lam": [1.0]})
    assert caught.value.fields == ["vary"]


def test_a_missing_problem_file_or_csv_is_named(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        sweep_from_dict({"format": "warmdesk.sweep/1", "problem": "absent.json",
                         "vary": {"lam": [1]}}, tmp_path)
    assert caught.value.fields == ["problem (absent.json).file"]
    (tmp_path / "bad.csv").write_text("lam\n1.0\nwet\n")
    with pytest.raises(SpecError, match="line 3: not a number"):
        sweep_from_dict({"format": "warmdesk.sweep/1", "csv": "bad.csv",
                         "problem": json.loads((EXAMPLES / "bratu.json").read_text())},
                        tmp_path)
