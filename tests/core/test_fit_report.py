"""The fit report: parameter standard errors, correlations and the condition
number of J^T J, checked against NIST's certified standard deviations, flagged
where the data do not determine the parameters, shown by the CLI, and kept
through the library and .wdrun files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.fit_report import (CONDITION_LIMIT, CORRELATION_LIMIT, FitReport,
                                      fit_report, flat_names)

from .nist_strd import PROBLEMS, nist_spec
from ..cli_runner import run_cli as warmdesk

TIGHT = {"xtol": 1e-15, "ftol": 1e-15, "gtol": 1e-15}


def _near_certified(tmp_path: Path, name: str, **options: float) -> Path:
    spec = nist_spec(tmp_path, name, "trf", **options)
    data = json.loads(spec.read_text())
    for k, v in PROBLEMS[name]["certified"].items():
        data["variables"][k]["start"] = v * 1.05
    spec.write_text(json.dumps(data))
    return spec


def _solve_json(tmp_path: Path, spec: Path) -> dict:
    out = warmdesk("solve", str(spec), "--json", library=tmp_path / "lib")
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", ["BoxBOD", "Rat43"])
def test_standard_errors_match_nist_certified_values(tmp_path: Path, name: str) -> None:
    d = PROBLEMS[name]
    run = _solve_json(tmp_path, nist_spec(tmp_path, name, "trf", **TIGHT))
    report = run["fit_report"]
    assert report["names"] == list(d["certified"])
    for k, se in zip(report["names"], report["stderr"]):
        assert se == pytest.approx(d["stderr"][k], rel=1e-6)
    dof = len(d["x"]) - len(d["certified"])
    assert report["dof"] == dof
    assert report["residual_variance"] == pytest.approx(d["rss"] / dof, rel=1e-8)
    assert report["flags"] == [] and report["poorly_determined"] == []


def test_an_ill_conditioned_fit_is_flagged(tmp_path: Path) -> None:
    """MGH10: the minimum is found, but J^T J has condition ~1e16 and the three
    parameters are correlated beyond 0.99: few digits of them mean anything."""
    run = _solve_json(tmp_path, _near_certified(tmp_path, "MGH10"))
    report = FitReport.from_dict(run["fit_report"])
    assert run["status"] == "converged"
    assert report.condition is not None and report.condition > CONDITION_LIMIT
    assert report.correct_digits is not None and report.correct_digits < 6
    assert abs(report.correlation[1][2]) > CORRELATION_LIMIT
    assert report.poorly_determined == ["b1", "b2", "b3"]
    assert any("ill-conditioned" in f and "digits" in f for f in report.flags)
    assert any(f.startswith("b2 and b3 are correlated") for f in report.flags)


def test_the_report_is_printed_by_solve_and_show(tmp_path: Path) -> None:
    spec = _near_certified(tmp_path, "MGH10")
    out = warmdesk("solve", str(spec), library=tmp_path / "lib")
    assert out.returncode == 0, out.stderr
    assert "fit report" in out.stdout and "std error" in out.stdout
    rows = {line.split()[0]: line for line in out.stdout.splitlines() if line.strip()}
    assert rows["b2"].endswith("poorly determined")
    assert "warning: J^T J is ill-conditioned" in out.stdout
    run_id = out.stdout.split()[1]
    shown = warmdesk("show", run_id, library=tmp_path / "lib")
    assert shown.returncode == 0 and "condition number of J^T J" in shown.stdout


def test_the_report_survives_the_library_and_a_run_file(tmp_path: Path) -> None:
    run = _solve_json(tmp_path, _near_certified(tmp_path, "Rat43"))
    lib, other = tmp_path / "lib", tmp_path / "other"
    shown = json.loads(warmdesk("show", run["run_id"], "--json", library=lib).stdout)
    assert shown["info"]["fit_report"] == run["fit_report"]
    out = warmdesk("export", run["run_id"], "-o", str(tmp_path / "r.wdrun"), library=lib)
    assert out.returncode == 0, out.stderr
    assert warmdesk("import", str(tmp_path / "r.wdrun"), library=other).returncode == 0
    again = json.loads(warmdesk("show", run["run_id"], "--json", library=other).stdout)
    assert again["info"]["fit_report"] == run["fit_report"]
    report = FitReport.from_dict(again["info"]["fit_report"])
    assert report.to_dict() == run["fit_report"]


# ---------------------------------------------------------------------- the core API
def test_a_linear_fit_agrees_with_the_textbook_formula() -> None:
    rng = np.random.default_rng(3)
    x = np.linspace(0, 5, 40)
    X = np.column_stack([np.ones_like(x), x])
    y = 1.5 + 0.7 * x + rng.normal(0, 0.2, x.size)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = X @ beta - y
    report = fit_report(beta, X, r, ["a", "b"])
    cov = (r @ r) / (x.size - 2) * np.linalg.inv(X.T @ X)
    assert report.stderr == pytest.approx(np.sqrt(np.diag(cov)).tolist(), rel=1e-10)
    assert report.correlation[0][1] == pytest.approx(
        cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), rel=1e-10)
    assert report.condition == pytest.approx(np.linalg.cond(X.T @ X), rel=1e-8)


def test_an_undetermined_parameter_and_no_degrees_of_freedom_are_said() -> None:
    x = np.linspace(1, 2, 10)
    jac = np.column_stack([2 * x, 3 * x, np.ones_like(x)])  # model a*b*x + c: a, b one product
    report = fit_report(np.array([3.0, 2.0, 1.0]), jac, np.full(10, 0.1), ["a", "b", "c"])
    assert report.condition is None and report.stderr[:2] == [None, None]
    assert report.stderr[2] is not None and report.poorly_determined == ["a", "b"]
    assert any(f.startswith("a is not determined by the data") for f in report.flags)
    json.dumps(report.to_dict(), allow_nan=False)          # fit for a .wdrun file
    tight = fit_report(np.array([1.0, 2.0]), np.eye(2), np.zeros(2), ["p", "q"])
    assert tight.dof == 0 and tight.stderr == [None, None]
    assert "no degrees of freedom" in tight.flags[0]


def test_flat_names_index_vectors() -> None:
    assert flat_names([("A", 2), ("c", 1)]) == ["A[0]", "A[1]", "c"]


def test_a_report_on_many_parameters_stays_small() -> None:
    """120 unknowns, 40 of them copies of others: no 120x120 matrix stored, the
    warnings capped (the last says how many more), the text listing capped."""
    from warmdesk.core.fit_report import MAX_CORRELATION_STORED, MAX_FLAGS, MAX_LINES

    rng = np.random.default_rng(0)
    jac = rng.normal(size=(600, 120))
    jac[:, 80:] = jac[:, :40] * 1.0001 + rng.normal(scale=1e-6, size=(600, 40))
    names = flat_names([("w", 120)])
    report = fit_report(rng.normal(size=120), jac, rng.normal(size=600), names)
    assert 120 > MAX_CORRELATION_STORED and report.correlation == []
    assert len(report.flags) == MAX_FLAGS and report.flags[-1].startswith("and ")
    assert {"w[0]", "w[80]", "w[39]", "w[119]"} <= set(report.poorly_determined)
    assert "w[40]" not in report.poorly_determined
    assert len(report.lines()) < MAX_LINES + MAX_FLAGS + 5
    assert len(json.dumps(report.to_dict(), allow_nan=False)) < 20_000


@pytest.mark.parametrize("broken", [None, "text", {"names": ["a"]},
                                    {"names": ["a"], "values": ["x"], "stderr": [1.0],
                                     "correlation": [[1.0]], "condition": 1.0, "rows": 3,
                                     "dof": 2, "residual_variance": 1.0}])
def test_a_malformed_stored_report_is_read_as_none(broken: object) -> None:
    assert FitReport.read(broken) is None
    good = fit_report(np.array([1.0]), np.ones((3, 1)), np.zeros(3), ["a"])
    assert FitReport.read(good.to_dict()) == good
