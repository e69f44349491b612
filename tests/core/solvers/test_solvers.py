"""Every kind and method solves; every payload is accepted and pays off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.errors import WarmStartError
from warmdesk.core.runs import HISTORY_COLUMNS
from warmdesk.core.solvers.minimize import MATRIX_STATE_MAX_N
from warmdesk.core.warmstart import format_report, warm_start_from_run

from ..factories import (build, constrained, fit_spec, lotka_volterra, robertson_scalar,
                        rosenbrock, train_spec, write_classification, write_peaks)

MINIMIZE_METHODS = ["BFGS", "L-BFGS-B", "CG", "Newton-CG", "TNC", "Nelder-Mead", "Powell",
                    "SLSQP", "trust-constr"]


def _n(method: str) -> int:
    return 3 if method in ("Nelder-Mead", "Powell") else 6


@pytest.mark.parametrize("method", MINIMIZE_METHODS)
def test_minimize_every_method_reaches_the_optimum(method: str) -> None:
    opts = {"maxfun": 2000} if method == "TNC" else {}
    run = solve(build(rosenbrock(method, n=_n(method), **opts)))
    assert run.status == "converged", run.message
    assert run.fun < 1e-5
    x = run.solution["x"]
    assert np.allclose(x, 1.0, atol=5e-3)
    assert len(run.history) == run.nit > 0
    assert run.history.array.shape[1] == len(HISTORY_COLUMNS)
    assert run.versions["scipy"] and run.problem_hash


@pytest.mark.parametrize("method, payload", [
    ("BFGS", "hess_inv"), ("Nelder-Mead", "initial_simplex"), ("trust-constr", "qn_hess")])
def test_state_payloads_are_kept_and_reused(method: str, payload: str) -> None:
    opts = {"xatol": 1e-8, "fatol": 1e-12} if method == "Nelder-Mead" else {}
    base = solve(build(rosenbrock(method, n=_n(method), **opts)))
    assert payload in base.state
    nxt = build(rosenbrock(method, n=_n(method), a=1.01, **opts))
    warm = warm_start_from_run(nxt, base)
    assert payload in warm.payload and "x0" in warm.payload
    cold, hot = solve(nxt), solve(nxt, warm)
    assert hot.status == "converged" and hot.warm.payload == warm.payload
    assert hot.nfev < cold.nfev
    assert hot.fun <= cold.fun + 1e-6 * max(1.0, abs(cold.fun))


def test_bfgs_hess_inv_warm_start_takes_under_a_quarter_of_cold() -> None:
    """The issue's acceptance: a changed by 1%, BFGS with the inverse Hessian."""
    base = solve(build(rosenbrock()))
    nxt = build(rosenbrock(a=1.01))
    cold, hot = solve(nxt), solve(nxt, warm_start_from_run(nxt, base))
    assert hot.nfev <= 0.25 * cold.nfev, (hot.nfev, cold.nfev)
    x_only = solve(nxt, warm_start_from_run(nxt, base, use_state=False))
    assert hot.nfev < x_only.nfev  # the state is worth more than x alone


@pytest.mark.parametrize("method, key", [("Powell", "direc"), ("trust-constr", "barrier")])
def test_stored_state_measured_to_hurt_is_not_passed_back(method: str, key: str) -> None:
    spec = constrained(method) if method == "trust-constr" else rosenbrock(method, n=3)
    base = solve(build(spec))
    assert key in base.state
    warm = warm_start_from_run(build(spec), base)
    assert key not in warm.payload and "slower" in warm.report["refused"][key]


def test_powell_accepts_its_directions_when_given() -> None:
    base = solve(build(rosenbrock("Powell", n=3)))
    nxt = build(rosenbrock("Powell", n=3, a=1.01))
    warm = warm_start_from_run(nxt, base)
    warm.state["direc"], warm.payload = base.state["direc"], warm.payload + ["direc"]
    run = solve(nxt, warm)
    assert run.status == "converged" and run.warm.payload == ["x0", "direc"]


def test_hess_inv_is_symmetrised() -> None:
    base = solve(build(rosenbrock()))
    h = base.state["hess_inv"]
    assert np.array_equal(h, h.T)


@pytest.mark.parametrize("method", ["L-BFGS-B", "CG", "TNC", "SLSQP", "Newton-CG"])
def test_x0_only_methods_say_so(method: str) -> None:
    base = solve(build(rosenbrock("BFGS")))
    nxt = build(rosenbrock(method))
    warm = warm_start_from_run(nxt, base)
    assert warm.payload == ["x0"]
    assert "hess_inv" in warm.report["refused"]
    same = solve(build(rosenbrock(method)))
    w2 = warm_start_from_run(nxt, same)
    assert w2.payload == ["x0"] and "beyond x0" in w2.report["refused"].get("state", "beyond x0")


def test_large_problems_keep_only_x() -> None:
    n = MATRIX_STATE_MAX_N + 1
    run = solve(build(rosenbrock("BFGS", n=n, maxiter=2)))
    assert "hess_inv" not in run.state and "x" in run.state
    assert "only x" in run.info["state_note"]


@pytest.mark.parametrize("method", ["SLSQP", "trust-constr"])
def test_constraints_are_honoured(method: str) -> None:
    run = solve(build(constrained(method)))
    assert run.status == "converged", run.message
    w = run.solution["w"]
    assert abs(w.sum() - 1) < 1e-6 and np.all(w <= 0.6 + 1e-6) and np.all(w >= -1e-8)
    assert run.info["constr_violation"] < 1e-6


def test_bounds_are_enforced_by_bounded_methods() -> None:
    spec = rosenbrock("L-BFGS-B")
    spec["variables"]["x"]["upper"] = 0.5
    run = solve(build(spec))
    assert np.all(run.solution["x"] <= 0.5 + 1e-12)


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_fit_every_method_and_warm_from_yesterday(tmp_path: Path, method: str) -> None:
    write_peaks(tmp_path)
    write_peaks(tmp_path, "day2.csv", shift=0.05, seed=1)
    base = solve(build(fit_spec(method), tmp_path))
    assert base.status == "converged", base.message
    assert np.allclose(base.solution["mu"], [3.0, 6.5], atol=0.02)
    assert np.allclose(base.solution["A"], [2.0, 1.0], atol=0.05)
    assert base.njev >= base.nit > 0  # exact Jacobians, one per iteration
    nxt = build(fit_spec(method, "day2.csv"), tmp_path)
    hot, cold = solve(nxt, warm_start_from_run(nxt, base)), solve(nxt)
    assert hot.warm.payload == ["x0"]
    assert hot.nfev <= cold.nfev and abs(hot.fun - cold.fun) < 1e-6 * cold.fun


def test_fit_robust_loss(tmp_path: Path) -> None:
    write_peaks(tmp_path)
    run = solve(build(fit_spec("trf", loss="soft_l1"), tmp_path))
    assert run.status == "converged"


@pytest.mark.parametrize("model, classes", [("logistic", 2), ("multinomial", 3), ("linear", 2)])
@pytest.mark.parametrize("method", ["L-BFGS-B", "BFGS", "CG", "Newton-CG", "TNC"])
def test_train_every_model_and_method(tmp_path: Path, model: str, classes: int,
                                      method: str) -> None:
    write_classification(tmp_path, classes=classes)
    run = solve(build(train_spec(model, method), tmp_path))
    assert run.status == "converged", run.message
    ref = solve(build(train_spec(model, "BFGS"), tmp_path))
    assert abs(run.fun - ref.fun) < 1e-5
    assert run.info["features"] == ["f1", "f2", "f3"]


def test_train_gradient_is_exact(tmp_path: Path) -> None:
    from warmdesk.core.solvers.train import TrainObjective
    write_classification(tmp_path, classes=3)
    obj = TrainObjective(build(train_spec("multinomial"), tmp_path))
    x = np.random.default_rng(1).normal(size=12)
    f, g = obj.value_and_grad(x)
    eps = 1e-6
    fd = np.array([(obj.value(x + eps * e) - obj.value(x - eps * e)) / (2 * eps)
                   for e in np.eye(12)])
    assert np.allclose(g, fd, atol=1e-7)
    v = np.ones(12)
    hv = obj.hessp(x, v)
    fd_hv = (obj.value_and_grad(x + eps * v)[1] - obj.value_and_grad(x - eps * v)[1]) / (2 * eps)
    assert np.allclose(hv, fd_hv, atol=1e-5)


def test_train_warm_start_maps_weights_by_feature_name(tmp_path: Path) -> None:
    write_classification(tmp_path, "day1.csv", seed=0)
    write_classification(tmp_path, "day2.csv", seed=5, shift=0.05)
    base = solve(build(train_spec("logistic", "BFGS", "day1.csv"), tmp_path))
    nxt = build(train_spec("logistic", "BFGS", "day2.csv", features=["f3", "f1"]), tmp_path)
    warm = warm_start_from_run(nxt, base)
    assert warm.report["matched"] == ["f3", "f1"] and warm.report["dropped"] == ["f2"]
    assert warm.payload == ["weights"]  # the inverse Hessian is for other features
    assert "hess_inv" in warm.report["refused"]
    w_old = base.solution["w"]
    assert np.allclose(warm.x0[:2], [w_old[2], w_old[0]])
    same = build(train_spec("logistic", "BFGS", "day2.csv"), tmp_path)
    w2 = warm_start_from_run(same, base)
    assert w2.payload == ["weights", "hess_inv"]
    hot, cold = solve(same, w2), solve(same)
    assert hot.nfev < cold.nfev and abs(hot.fun - cold.fun) < 1e-6


@pytest.mark.parametrize("method", ["RK45", "DOP853", "Radau", "BDF", "LSODA"])
def test_ode_every_method(method: str) -> None:
    run = solve(build(lotka_volterra(method)))
    assert run.status == "converged", run.message
    from scipy.integrate import solve_ivp
    ref = solve_ivp(lambda t, y: [1.1 * y[0] - 0.4 * y[0] * y[1], 0.1 * y[0] * y[1] - 0.4 * y[1]],
                    (0, 20), [10.0, 5.0], method="DOP853", rtol=1e-11, atol=1e-12)
    assert np.allclose([run.solution["prey"], run.solution["pred"]], ref.y[:, -1], rtol=1e-4)
    assert run.outputs["y"].shape == (41, 2) and run.outputs["t"][-1] == 20.0
    assert run.state["checkpoint_t"].size == 20 and run.state["checkpoint_t"][-1] == 20.0
    t_col = run.history.column("t")
    assert np.all(np.diff(t_col) > 0) and t_col[-1] == 20.0


def test_ode_stiff_uses_exact_jacobian() -> None:
    run = solve(build(robertson_scalar("BDF")))
    assert run.status == "converged" and run.njev > 0
    assert abs(run.solution["y1"] + run.solution["y2"] + run.solution["y3"] - 1) < 1e-6


def test_warm_start_refuses_other_kind_and_unusable_runs(tmp_path: Path) -> None:
    base = solve(build(rosenbrock()))
    with pytest.raises(WarmStartError, match="'minimize' run"):
        warm_start_from_run(build(lotka_volterra()), base)
    base.status = "failed"
    with pytest.raises(WarmStartError, match="no solution"):
        warm_start_from_run(build(rosenbrock()), base)


def test_mapping_report_resized_defaulted_dropped_clipped() -> None:
    base = solve(build(rosenbrock(n=6)))
    spec = rosenbrock("L-BFGS-B", n=8)  # BFGS takes no bounds
    spec["variables"]["x"]["upper"] = 0.9
    spec["variables"]["z"] = {"start": 0.5}
    spec["objective"] = "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2) + z**2"
    warm = warm_start_from_run(build(spec), base)
    r = warm.report
    assert r["resized"] == [{"name": "x", "from": 6, "to": 8, "taken": 6}]
    assert r["defaulted"] == ["z"] and r["clipped"] == {"x": 6}
    assert np.all(warm.x0[:8] <= 0.9) and warm.x0[8] == 0.5
    assert "hess_inv" in r["refused"]
    text = format_report(r)
    assert "resized" in text and "clipped" in text and "not used" in text


@pytest.mark.parametrize("method", ["RK45", "DOP853", "Radau", "BDF", "LSODA"])
def test_ode_right_hand_side_not_finite_fails_the_run_and_says_so(method: str) -> None:
    spec = lotka_volterra(method)
    spec.update(state={"y": 1.0, "z": 0.0}, parameters={}, t_span=[0, 2],
                rhs={"y": "-1 + 0*y", "z": "sqrt(y)"})
    run = solve(build(spec))
    assert run.status == "failed"
    assert "right-hand side is not finite" in run.message
    t_reached = run.history.column("t")
    assert t_reached.size == 0 or t_reached[-1] <= 1.0 + 1e-9  # no step accepted past y < 0
