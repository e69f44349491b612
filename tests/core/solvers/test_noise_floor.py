"""BFGS/CG end at a step that meets gtol within f's rounding noise (solvers/noise_floor.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import optimize

from warmdesk.core.engine import solve
from warmdesk.core.solvers import compiled, noise_floor
from warmdesk.core.solvers import minimize as minimize_solver
from warmdesk.core.solvers.noise_floor import AcceptedAtNoise, NoiseFloorRule
from warmdesk.core.warmstart import warm_start_from_run

from ..factories import build, rosenbrock

#: Starts (rounded uniform(-2, 2)) whose Rosenbrock a=1 solution, warm-starting
#: a=1.01 with its inverse Hessian, hits a line search at f's rounding noise in
#: plain scipy (39-93 evaluations, mostly "precision loss") instead of ~9.
NOISY_STARTS = [
    [0.5, 1.59, 1.1, -1.1, -0.8, 1.49, -1.98, 1.28, 1.19, -0.13],
    [1.48, -0.85, 0.41, 1.11, 0.86, 1.66, 1.44, 1.67, -1.89, -0.25],
    [0.77, 1.26, -0.62, -1.82, 0.29, -1.42, 0.88, -0.62, -0.17, 1.9],
    [1.41, 1.54, 1.06, -1.87, -1.8, -0.68, 1.5, 1.8, 0.13, 1.14],
]


def _quartic(x: np.ndarray) -> tuple[float, np.ndarray]:
    w = np.arange(1.0, x.size + 1.0)
    f = float(np.sum(w * (x - 1.0) ** 2) + 0.1 * np.sum(x ** 4))
    return f, 2 * w * (x - 1.0) + 0.4 * x ** 3


def _scipy_iterates(x0: np.ndarray, hess_inv0: np.ndarray | None
                    ) -> tuple[list[np.ndarray], optimize.OptimizeResult]:
    seen: list[np.ndarray] = [x0.copy()]
    options = {"gtol": 1e-6} | ({"hess_inv0": hess_inv0} if hess_inv0 is not None else {})

    def remember(intermediate_result: optimize.OptimizeResult) -> None:
        seen.append(intermediate_result.x.copy())
    res = optimize.minimize(_quartic, x0, jac=True, method="BFGS", options=options,
                            callback=remember)
    return seen, res


@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("pair_floats", [noise_floor.PAIR_FLOATS, 24])
def test_replayed_inverse_hessian_is_scipys(with_h0: bool, pair_floats: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Fed scipy's iterates, the rule rebuilds the inverse Hessian scipy returns
    (scipy leaves out the final step's update), also when pairs are folded early."""
    monkeypatch.setattr(noise_floor, "PAIR_FLOATS", pair_floats)
    x0 = np.linspace(-2.0, 3.0, 6)
    h0 = np.diag(np.linspace(0.2, 1.0, 6)) if with_h0 else None
    iterates, res = _scipy_iterates(x0, h0)
    assert res.success and len(iterates) > 5
    rule = NoiseFloorRule(1e-6, h0, keep_pairs=True)
    f0, g0 = _quartic(iterates[0])
    rule.evaluated(iterates[0], f0, g0)
    for x in iterates[1:-1]:
        f, g = _quartic(x)
        rule.iterate(x, f, g)
    np.testing.assert_allclose(rule.inverse_hessian(x0.size), res.hess_inv, rtol=1e-9, atol=1e-12)


def test_rule_accepts_only_a_no_worse_step_that_meets_gtol() -> None:
    rule = NoiseFloorRule(gtol=1e-8)
    x0, x1 = np.zeros(3), np.full(3, 1e-9)
    rule.evaluated(x0, 1.0, np.full(3, 1e-6))                  # the start: becomes the iterate
    rule.evaluated(x1, 1.0 + 1e-9, np.full(3, 1e-10))          # a real increase: refused
    rule.evaluated(x1, 1.0 - 1e-3, np.full(3, 2e-8))           # lower f, gradient not met: refused
    rule.evaluated(x0, 1.0, np.full(3, 1e-10))                 # the iterate itself: refused
    with pytest.raises(AcceptedAtNoise) as accepted:
        rule.evaluated(x1, 1.0 + 5e-17, np.array([1e-9, -3e-9, 0.0]))  # ulps above: accepted
    assert accepted.value.gnorm == pytest.approx(3e-9)
    assert "rounding noise" in accepted.value.message(1e-8)
    rule.iterate(x1, 0.5, np.full(3, 1e-6))                    # a new iterate moves the bar
    with pytest.raises(AcceptedAtNoise):
        rule.evaluated(np.full(3, 2e-9), 0.5, np.full(3, 1e-9))


def _warm_runs(start: list[float]) -> tuple:
    spec = rosenbrock("BFGS", n=10, a=1.0, gtol=1e-8)
    spec["variables"]["x"]["start"] = start
    source = solve(build(spec))
    problem = build(rosenbrock("BFGS", n=10, a=1.01, gtol=1e-8))
    return source, problem, solve(problem, warm_start_from_run(problem, source))


def test_warm_bfgs_ends_at_the_noise_floor_instead_of_a_lottery(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ruled = [_warm_runs(start) for start in NOISY_STARTS]
    monkeypatch.setattr(minimize_solver, "NOISE_FLOOR_METHODS", ())
    plain = [_warm_runs(start)[2] for start in NOISY_STARTS]

    assert max(run.nfev for run in plain) >= 30, [run.nfev for run in plain]
    for (_, _, run), bare in zip(ruled, plain):
        assert run.status == "converged" and run.nfev <= 12, (run.nfev, run.message)
        assert run.fun == pytest.approx(bare.fun, rel=1e-12)
        if "accepted_at_noise" in run.info:
            assert run.info["accepted_at_noise"]["max_abs_grad"] <= 1e-8
            assert abs(run.info["accepted_at_noise"]["df"]) <= 1e-12 * abs(run.fun)
            assert "rounding noise" in run.message
        assert run.history.column("grad_norm")[-1] <= 1e-8 * np.sqrt(10)  # 2-norm of the last row
        h = run.state["hess_inv"]
        assert np.allclose(h, h.T) and np.all(np.linalg.eigvalsh(h) > 0)
    assert sum("accepted_at_noise" in run.info for _, _, run in ruled) >= 3


def test_cold_cg_and_bfgs_converge_more_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cold solves from random starts: never a different optimum, fewer "precision loss" ends."""
    rng = np.random.default_rng(5)
    specs = []
    for _ in range(12):
        spec = rosenbrock("BFGS", n=10, a=float(rng.uniform(0.9, 1.1)), gtol=1e-8)
        spec["variables"]["x"]["start"] = rng.uniform(-2, 2, 10).tolist()
        specs.append(spec)
    ruled = [solve(build(spec)) for spec in specs]
    monkeypatch.setattr(minimize_solver, "NOISE_FLOOR_METHODS", ())
    plain = [solve(build(spec)) for spec in specs]
    for a, b in zip(ruled, plain):
        assert a.fun == pytest.approx(b.fun, rel=1e-10)
    assert sum(r.status == "converged" for r in ruled) > sum(r.status == "converged" for r in plain)
    assert sum(r.nfev for r in ruled) < sum(r.nfev for r in plain)


def test_an_iterate_without_its_gradient_drops_the_replay() -> None:
    """If the gradient at an accepted iterate is unknown, no inverse Hessian is claimed."""
    rule = NoiseFloorRule(1e-8, keep_pairs=True)
    rule.evaluated(np.zeros(2), 1.0, np.ones(2))
    rule.iterate(np.full(2, 0.1), 0.5, None)
    assert not rule.keep_pairs
    with pytest.raises(AcceptedAtNoise):  # the bar still moved to the new iterate
        rule.evaluated(np.full(2, 0.2), 0.5, np.zeros(2))


@pytest.mark.parametrize("a, b", [(0.5, 50.0), (0.5, 150.0)])
def test_bfgs_goes_on_past_a_step_refused_for_noise(a: float, b: float,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Cold Rosenbrock solves that plain scipy ends in "precision loss" with the
    gradient still above gtol: WarmDesk takes the noise-level step, restarts
    scipy there with the updated inverse Hessian, and converges to the same f."""
    spec = rosenbrock("BFGS", n=10, a=a, gtol=1e-8)
    spec["parameters"]["b"] = b
    ruled = solve(build(spec))
    monkeypatch.setattr(minimize_solver, "NOISE_FLOOR_METHODS", ())
    plain = solve(build(spec))
    assert plain.status == "stopped" and "precision loss" in plain.message
    assert ruled.status == "converged" and ruled.info.get("steps_at_noise", 0) >= 1
    assert ruled.fun == pytest.approx(plain.fun, rel=1e-12)
    assert ruled.nfev <= plain.nfev + 2
    assert len(ruled.history) == ruled.nit  # one row per iteration, none twice
    assert np.all(np.diff(ruled.history.column("iter")) == 1)
    assert ruled.history.column("grad_norm")[-1] <= 1e-8 * np.sqrt(10)


def test_restart_replays_the_evaluation_it_starts_from(monkeypatch: pytest.MonkeyPatch) -> None:
    """A restart does not evaluate its start point again. (scipy keeps the last
    point it evaluated, so within one scipy loop the same x never comes twice in
    a row; a new loop would ask for it again but gets it from the engine.)"""
    spec = rosenbrock("BFGS", n=10, a=0.5, gtol=1e-8)
    spec["parameters"]["b"] = 50.0
    problem = build(spec)
    points: list[bytes] = []
    original = compiled.ScalarFunction.value_and_grad

    def remembering(self: compiled.ScalarFunction, x: np.ndarray) -> tuple[float, np.ndarray]:
        points.append(np.asarray(x, dtype=float).tobytes())
        return original(self, x)

    monkeypatch.setattr(compiled.ScalarFunction, "value_and_grad", remembering)
    run = solve(problem)
    assert run.info.get("steps_at_noise", 0) >= 1
    assert run.nfev == len(points)
    assert all(a != b for a, b in itertools.pairwise(points))


def test_a_restart_never_hands_scipy_an_indefinite_matrix() -> None:
    """A replay that came out indefinite restarts from the identity (scipy's own start)."""
    rule = NoiseFloorRule(1e-8, keep_pairs=True, continue_steps=True)
    rule.evaluated(np.zeros(2), 1.0, np.array([1.0, 0.0]))
    rule.iterate(np.array([1.0, 0.0]), 0.5, np.array([-1.0, 0.0]))  # y.s = -2 < 0
    assert np.min(np.linalg.eigvalsh(rule.inverse_hessian(2))) < 0
    np.testing.assert_array_equal(rule.restart_matrix(2), np.eye(2))
    np.testing.assert_array_equal(rule.inverse_hessian(2), np.eye(2))  # the replay goes on from it
    healthy = NoiseFloorRule(1e-8, keep_pairs=True, continue_steps=True)
    healthy.evaluated(np.zeros(2), 1.0, np.array([1.0, 0.0]))
    healthy.iterate(np.array([-0.5, 0.0]), 0.5, np.array([0.5, 0.0]))  # y.s = 0.25 > 0
    np.testing.assert_array_equal(healthy.restart_matrix(2), healthy.inverse_hessian(2))


def test_restarts_keep_to_the_users_maxiter() -> None:
    spec = rosenbrock("BFGS", n=10, a=0.5, gtol=1e-8)
    spec["parameters"]["b"] = 50.0
    full = solve(build(spec))
    assert full.info.get("steps_at_noise", 0) >= 2
    for maxiter in (full.nit - 2, full.nit - 1):
        spec["solver"]["options"]["maxiter"] = maxiter
        run = solve(build(spec))
        assert run.nit == maxiter == len(run.history) and run.status == "stopped"
        assert "Maximum number of iterations" in run.message
