"""The one SVD of a fit's final Jacobian (core/jacobian_svd.py): its least-squares
solution is numpy's lstsq (same minimum-norm solution, same rank cut-off) on
well- and ill-conditioned, rank-deficient and underdetermined Jacobians; the
stationarity probe and the fit report give what they gave alone; and a fit makes
that decomposition once, for both."""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core import engine
from warmdesk.core.fit_report import FitReport, fit_report
from warmdesk.core.jacobian_svd import jacobian_svd
from warmdesk.core.problem_types import FORMAT
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.solvers import fit as fit_solver
from warmdesk.core.solvers import stationarity


def _with_singular_values(rng: np.random.Generator, m: int, s: np.ndarray) -> np.ndarray:
    """An m x len(s) matrix with exactly these singular values (random directions)."""
    n = s.size
    u, _ = np.linalg.qr(rng.normal(size=(m, n)))
    v, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return (u * s) @ v.T


def _cases() -> dict[str, tuple[np.ndarray, float]]:
    """name -> (Jacobian, relative tolerance of the solution: ~ cond * eps)."""
    rng = np.random.default_rng(7)
    well = rng.normal(size=(2000, 6))
    ill = _with_singular_values(rng, 300, np.logspace(0, -8, 5))       # cond(J) = 1e8
    base = rng.normal(size=(50, 3))
    duplicated = np.column_stack([base, base[:, 1]])                    # rank 3 of 4
    zero_column = np.column_stack([base, np.zeros(50)])                 # rank 3 of 4
    scaled = base * np.array([1e-3, 1.0, 6e3])                          # MGH10-like scales
    wide = rng.normal(size=(3, 5))                                      # m < n
    return {"well": (well, 1e-10), "ill": (ill, 1e-6), "duplicated": (duplicated, 1e-9),
            "zero_column": (zero_column, 1e-9), "scaled": (scaled, 1e-9),
            "wide": (wide, 1e-10)}


CASES = _cases()


@pytest.mark.parametrize("name", list(CASES))
def test_the_svd_solution_is_numpys_lstsq(name: str) -> None:
    jac, rtol = CASES[name]
    b = np.random.default_rng(1).normal(size=jac.shape[0])
    mine = jacobian_svd(jac).lstsq(b)
    numpy, _, rank, _ = np.linalg.lstsq(jac, b, rcond=None)
    assert int(np.count_nonzero(jacobian_svd(jac).keep)) == rank
    scale = float(np.linalg.norm(numpy))
    assert np.max(np.abs(mine - numpy)) <= rtol * scale
    # the same residual: neither is a worse least-squares solution than the other
    assert np.linalg.norm(jac @ mine - b) == pytest.approx(np.linalg.norm(jac @ numpy - b),
                                                           rel=1e-9, abs=1e-12)


def test_a_rank_deficient_solution_is_the_minimum_norm_one() -> None:
    """Two equal columns: the step splits evenly between them, as lstsq's does."""
    jac = np.column_stack([np.arange(1.0, 6.0), np.arange(1.0, 6.0)])
    step = jacobian_svd(jac).lstsq(2 * np.arange(1.0, 6.0))
    np.testing.assert_allclose(step, [1.0, 1.0], rtol=1e-12)
    assert int(np.count_nonzero(jacobian_svd(jac).keep)) == 1


@pytest.mark.parametrize("name", list(CASES))
def test_the_probes_from_the_shared_svd_are_those_from_lstsq(name: str) -> None:
    jac, rtol = CASES[name]
    rng = np.random.default_rng(2)
    n = jac.shape[1]
    x, r = rng.normal(size=n), rng.normal(size=jac.shape[0])
    lower, upper = x - 0.5, x + 0.5
    for bounds in ((None, None), (lower, upper)):
        alone = stationarity.least_squares_probes(x, r, jac, *bounds)
        shared = stationarity.least_squares_probes(x, r, jac, *bounds, svd=jacobian_svd(jac))
        assert len(alone) == len(shared) == 2
        for a, b in zip(alone, shared):
            assert np.max(np.abs(a - b)) <= rtol * max(1.0, float(np.linalg.norm(a)))


def test_an_svd_of_another_jacobian_is_refused() -> None:
    jac = np.ones((4, 2))
    other = jacobian_svd(np.ones((5, 2)))
    with pytest.raises(ValueError, match="5x2 Jacobian, not of this 4x2"):
        stationarity.least_squares_probes(np.zeros(2), np.ones(4), jac, svd=other)
    with pytest.raises(ValueError, match="5x2 Jacobian, not of this 4x2"):
        fit_report(np.zeros(2), jac, np.ones(4), ["a", "b"], svd=other)


@pytest.mark.parametrize("name", list(CASES))
def test_the_report_from_the_shared_svd_is_the_report_alone(name: str) -> None:
    jac, _ = CASES[name]
    n = jac.shape[1]
    rng = np.random.default_rng(3)
    x, r = rng.normal(size=n), rng.normal(size=jac.shape[0])
    names = [f"p{i}" for i in range(n)]
    alone = fit_report(x, jac, r, names)
    shared = fit_report(x, jac, r, names, svd=jacobian_svd(jac))
    assert shared.to_dict() == alone.to_dict()


@pytest.mark.parametrize("name", list(CASES))
def test_to_dict_is_asdict(name: str) -> None:
    """The written-out to_dict gives what dataclasses.asdict gave: every field, in
    order, with lists that are copies (changing the dict leaves the report as is)."""
    jac, _ = CASES[name]
    n = jac.shape[1]
    rng = np.random.default_rng(4)
    report = fit_report(rng.normal(size=n), jac, rng.normal(size=jac.shape[0]),
                        [f"p{i}" for i in range(n)])
    d = report.to_dict()
    assert d == asdict(report)
    assert list(d) == [f.name for f in fields(FitReport)]
    before = asdict(report)
    for value in d.values():
        if isinstance(value, list):
            value.append("changed")
    d["correlation"][0].append("changed") if report.correlation else None
    assert asdict(report) == before


def _peaks(tmp_path: Path, loss: str, method: str) -> object:
    x = np.linspace(0.0, 10.0, 400)
    y = 1.5 * np.exp(-(x - 3.0) ** 2 / 0.5) + 0.2 + np.random.default_rng(5).normal(
        0.0, 0.01, x.size)
    path = tmp_path / "peak.csv"
    path.write_text("x,y\n" + "".join(f"{a!r},{b!r}\n"
                                        for a, b in zip(x.tolist(), y.tolist())))
    return problem_from_dict({"format": FORMAT, "name": "peak", "kind": "fit", "loss": loss,
                              "variables": {"A": {"start": 1.0}, "mu": {"start": 2.8},
                                            "w": {"start": 0.6}, "c": {"start": 0.0}},
                              "data": {"file": str(path)}, "target": "y",
                              "model": "A * exp(-(x - mu)**2 / w) + c",
                              "solver": {"method": method}})


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_a_fit_decomposes_its_final_jacobian_once(tmp_path: Path, monkeypatch:
                                                  pytest.MonkeyPatch, method: str) -> None:
    """The probe and the report share one SVD (counted around the real one), no
    lstsq; the stored report is the one made from the final Jacobian alone."""
    calls = {"svd": 0, "lstsq": 0}
    real_svd, real_lstsq = fit_solver.jacobian_svd, np.linalg.lstsq

    def counted_svd(jac: np.ndarray) -> object:
        calls["svd"] += 1
        return real_svd(jac)

    def counted_lstsq(*args: object, **kwargs: object) -> object:
        calls["lstsq"] += 1
        return real_lstsq(*args, **kwargs)   # type: ignore[arg-type]

    monkeypatch.setattr(fit_solver, "jacobian_svd", counted_svd)
    monkeypatch.setattr(np.linalg, "lstsq", counted_lstsq)
    problem = _peaks(tmp_path, "linear", method)
    run = engine.solve(problem)   # type: ignore[arg-type]
    assert run.status.value == "converged", run.message
    assert calls == {"svd": 1, "lstsq": 0}
    x = run.state["x"]
    rf = fit_solver.residual_function(problem)   # type: ignore[arg-type]
    report = fit_report(x, rf.jacobian(x), rf.value(x), ["A", "mu", "w", "c"])
    assert run.info["fit_report"] == report.to_dict()


def test_a_robust_loss_probe_keeps_its_own_weighted_solve(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Under soft_l1 the probe's Jacobian is row-weighted, not the report's: the
    probe solves it with lstsq, the report decomposes the plain one."""
    calls = {"lstsq": 0}
    real_lstsq = np.linalg.lstsq

    def counted_lstsq(*args: object, **kwargs: object) -> object:
        calls["lstsq"] += 1
        return real_lstsq(*args, **kwargs)   # type: ignore[arg-type]

    monkeypatch.setattr(np.linalg, "lstsq", counted_lstsq)
    run = engine.solve(_peaks(tmp_path, "soft_l1", "trf"))   # type: ignore[arg-type]
    assert run.status.value == "converged", run.message
    assert calls["lstsq"] == 1
    assert run.info["fit_report"]["stderr"][0] is not None
