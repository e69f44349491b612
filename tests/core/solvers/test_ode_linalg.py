"""Radau and BDF with lean dense linear algebra (warmdesk.core.solvers.ode_linalg):
the same steps and values as scipy's, bit for bit, and the same refusals."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from scipy.integrate import BDF, Radau, solve_ivp
from scipy.linalg import LinAlgWarning, lu_factor, lu_solve

from warmdesk.core.engine import solve
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.solvers.ode import SOLVERS
from warmdesk.core.solvers.ode_linalg import LeanBDF, LeanRadau, lu_factor_lean, lu_solve_lean

K1, K2, K3 = 0.04, 3e7, 1e4


def robertson(t: float, y: np.ndarray) -> np.ndarray:
    a, b, c = y
    return np.array([-K1 * a + K3 * b * c, K1 * a - K3 * b * c - K2 * b * b, K2 * b * b])


def robertson_jac(t: float, y: np.ndarray) -> np.ndarray:
    _, b, c = y
    return np.array([[-K1, K3 * c, K3 * b], [K1, -K3 * c - 2 * K2 * b, -K3 * b],
                     [0.0, 2 * K2 * b, 0.0]])


def van_der_pol(t: float, y: np.ndarray) -> np.ndarray:
    return np.array([y[1], 1000.0 * (1 - y[0] ** 2) * y[1] - y[0]])


@pytest.mark.parametrize("scipy_cls, lean_cls", [(Radau, LeanRadau), (BDF, LeanBDF)])
@pytest.mark.parametrize("case", ["robertson", "van der pol, finite-difference Jacobian"])
def test_same_steps_and_values_as_scipy_bit_for_bit(scipy_cls: type, lean_cls: type,
                                                     case: str) -> None:
    if case == "robertson":
        args = dict(fun=robertson, t_span=(0.0, 1e8), y0=[1.0, 0.0, 0.0], jac=robertson_jac,
                    rtol=1e-6, atol=1e-10)
    else:
        args = dict(fun=van_der_pol, t_span=(0.0, 2000.0), y0=[2.0, 0.0])
    ref = solve_ivp(method=scipy_cls, dense_output=True, **args)
    lean = solve_ivp(method=lean_cls, dense_output=True, **args)
    assert ref.success and lean.success
    assert (lean.nfev, lean.njev, lean.nlu) == (ref.nfev, ref.njev, ref.nlu)
    assert np.array_equal(lean.t, ref.t) and np.array_equal(lean.y, ref.y)
    probe = np.linspace(*args["t_span"], 57)
    assert np.array_equal(lean.sol(probe), ref.sol(probe))


def test_the_app_integrates_radau_and_bdf_with_the_lean_classes() -> None:
    assert SOLVERS["Radau"] is LeanRadau and SOLVERS["BDF"] is LeanBDF
    spec = {"format": "warmdesk.problem/1", "name": "rob", "kind": "ode",
            "state": {"a": 1.0, "b": 0.0, "c": 0.0},
            "parameters": {"k1": K1, "k2": K2, "k3": K3},
            "rhs": {"a": "-k1*a + k3*b*c", "b": "k1*a - k3*b*c - k2*b**2", "c": "k2*b**2"},
            "t_span": [0, 1e5], "solver": {"method": "Radau",
                                           "options": {"rtol": 1e-6, "atol": 1e-10}}}
    run = solve(problem_from_dict(spec))
    ref = solve_ivp(robertson, (0.0, 1e5), [1.0, 0.0, 0.0], method=Radau, jac=robertson_jac,
                    rtol=1e-6, atol=1e-10)
    assert run.status.value == "converged"
    np.testing.assert_allclose([float(run.solution[k]) for k in "abc"], ref.y[:, -1],
                               rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("dtype", [float, complex])
def test_factor_and_solve_equal_scipy_and_refuse_what_it_refuses(dtype: type) -> None:
    rng = np.random.default_rng(3)
    a = (rng.normal(size=(5, 5)) + 4 * np.eye(5)).astype(dtype)
    b = rng.normal(size=5).astype(dtype)
    if dtype is complex:
        a = a + 1j * rng.normal(size=(5, 5))
        b = b + 1j * rng.normal(size=5)
    ref = lu_factor(a.copy())
    mine = lu_factor_lean(a.copy())
    assert np.array_equal(mine[0], ref[0]) and np.array_equal(mine[1], ref[1])
    assert np.array_equal(lu_solve_lean(mine, b.copy()), lu_solve(ref, b.copy()))
    bad = a.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="infs or NaNs"):
        lu_factor_lean(bad)
    with pytest.raises(ValueError, match="infs or NaNs"):
        lu_solve_lean(mine, np.full(5, np.inf, dtype=dtype))
    huge = np.full(5, 1e200, dtype=dtype)   # finite, but its squares overflow
    assert np.isfinite(lu_solve_lean(mine, huge)).all()


def test_a_singular_factor_warns_as_scipy_does() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lu_factor_lean(np.array([[1.0, 2.0], [2.0, 4.0]]))
    assert any(issubclass(w.category, LinAlgWarning) for w in caught)


def test_a_deep_copy_counts_its_own_factorizations() -> None:
    solver = LeanRadau(robertson, 0.0, np.array([1.0, 0.0, 0.0]), 1e5, jac=robertson_jac)
    solver.step()
    twin = copy.deepcopy(solver)
    before = solver.nlu
    for _ in range(5):
        twin.step()
    assert solver.nlu == before and twin.nlu > before


def test_a_sparse_jacobian_keeps_scipys_sparse_path() -> None:
    sparsity = np.array([[1, 1, 1], [1, 1, 1], [0, 1, 0]])
    solver = LeanBDF(robertson, 0.0, np.array([1.0, 0.0, 0.0]), 1e5, jac_sparsity=sparsity)
    assert "lu" in vars(solver)   # scipy's own splu closure, not the dense one
    while solver.status == "running" and solver.t < 1.0:
        solver.step()
    assert solver.status != "failed"
