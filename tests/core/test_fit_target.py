"""A fit's target may be an expression of data columns (``log(y)``), checked like
every expression (parsed, never evaluated as Python) and refused, naming the
row, where it is not finite; a bare column keeps working."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.errors import SpecError
from warmdesk.core.problems import fit_target_columns, problem_from_dict

from ..cli_runner import run_cli as warmdesk

EXIT_SPEC = 2


def _decay(folder: Path, target: str = "log(counts)", model: str = "logA - k*t",
           zero_at: int | None = None) -> Path:
    """Counts decaying as A exp(-k t) with multiplicative noise; a log-linear model."""
    rng = np.random.default_rng(7)
    t = np.linspace(0.0, 6.0, 30)
    counts = 800.0 * np.exp(-0.45 * t) * np.exp(rng.normal(0, 0.05, t.size))
    if zero_at is not None:
        counts[zero_at] = 0.0
    (folder / "decay.csv").write_text("t,counts\n" + "".join(
        f"{float(a)!r},{float(b)!r}\n" for a, b in zip(t, counts)))
    spec = {"format": "warmdesk.problem/1", "name": "log-decay", "kind": "fit",
            "variables": {"logA": {"start": 1.0}, "k": {"start": 0.1}},
            "data": {"file": "decay.csv"}, "model": model, "target": target,
            "solver": {"method": "trf", "options": {}}}
    path = folder / "decay.json"
    path.write_text(json.dumps(spec))
    return path


def test_a_transformed_target_is_fitted(tmp_path: Path) -> None:
    spec = _decay(tmp_path)
    out = warmdesk("solve", str(spec), "--json", library=tmp_path / "lib")
    assert out.returncode == 0, out.stdout + out.stderr
    run = json.loads(out.stdout)
    data = np.loadtxt(tmp_path / "decay.csv", delimiter=",", skiprows=1)
    slope, intercept = np.polyfit(data[:, 0], np.log(data[:, 1]), 1)  # the same fit, by numpy
    assert run["solution"]["logA"] == pytest.approx(intercept, rel=1e-7)
    assert run["solution"]["k"] == pytest.approx(-slope, rel=1e-7)


def test_a_target_not_finite_at_a_row_is_refused_naming_it(tmp_path: Path) -> None:
    out = warmdesk("solve", str(_decay(tmp_path, zero_at=4)), library=tmp_path / "lib")
    assert out.returncode == EXIT_SPEC
    assert "target: 'log(counts)' is -inf at data row 5 of decay.csv (counts=0)" in out.stderr
    listing = json.loads(warmdesk("runs", "--json", library=tmp_path / "lib").stdout)
    assert listing == [] or all(r["name"] != "log-decay" for r in listing)


@pytest.mark.parametrize("target, model, field, words", [
    ("log(k)", "logA - k*t", "target", "unknown name 'k'"),          # a variable is no data
    ("log(2)", "logA - k*t", "target", "uses no column of decay.csv"),
    ("log(counts)", "logA - k*t + 0*counts", "model", "unknown name 'counts'"),  # it is the target
    ("count", "logA - k*t", "target", "must name a column of decay.csv (t, counts)"),
    ("sum(counts)", "logA - k*t", "target", "one number per data row"),
])
def test_a_bad_target_expression_is_refused(tmp_path: Path, target: str, model: str,
                                            field: str, words: str) -> None:
    spec = json.loads(_decay(tmp_path, target, model).read_text())
    with pytest.raises(SpecError) as caught:
        problem_from_dict(spec, base_dir=tmp_path)
    assert any(f == field and words in message for f, message in caught.value.problems), \
        caught.value.problems


def test_a_bare_column_and_the_columns_an_expression_reads() -> None:
    columns = ["t", "counts", "s"]
    assert fit_target_columns("counts", columns) == {"counts"}
    assert fit_target_columns("log(counts/s)", columns) == {"counts", "s"}
    assert fit_target_columns("log(", columns) == frozenset()
