"""Derivative-free successes checked with the exact gradient (solvers/stationarity.py)."""

from __future__ import annotations

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.solvers import stationarity
from warmdesk.core.warmstart import warm_start_from_run

from ..factories import build, rosenbrock

#: Rosenbrock n=4, bounds [-5, 5], solved with a=1, b=100 from here; warm starts
#: from it after a 50% change made bounded Powell report success far from the minimum.
BASE_START = [0.136956, -0.231127, 0.46965, 0.327261]


def _powell(a: float = 1.0, b: float = 100.0, start: list[float] | float = 0.0) -> dict:
    spec = rosenbrock("Powell", n=4, a=a)
    spec["parameters"]["b"] = b
    spec["variables"]["x"]["start"] = start
    return spec


@pytest.fixture(scope="module")
def source():
    run = solve(build(_powell(start=BASE_START)))
    assert run.status == "converged" and run.fun < 1e-10
    assert "restarted_at" not in run.info          # no false alarm at f ~ 0
    return run


def test_a_false_success_is_restarted_to_the_minimum(source) -> None:
    problem = build(_powell(a=0.5, b=50.0))
    cold = solve(problem)
    warm = solve(problem, warm_start_from_run(problem, source))
    assert cold.status == "converged" and "restarted_at" not in cold.info
    assert warm.info["restarted_at"]["fun"] > 10 * cold.fun      # where scipy said "success"
    assert warm.status == "converged" and warm.fun == pytest.approx(cold.fun, rel=1e-4)


def test_a_false_success_that_stays_false_is_said(source) -> None:
    problem = build(_powell(a=0.5, b=150.0))
    cold = solve(problem)
    warm = solve(problem, warm_start_from_run(problem, source))
    assert warm.fun > 5 * cold.fun                     # scipy's bounded Powell, twice
    assert warm.status == "stopped" and "not a minimum" in warm.message
    assert warm.info["not_stationary"]["drop"] > 0
    assert len(warm.history) == warm.nit                # the restart's iterations are recorded


def test_the_probe_stays_inside_the_bounds_and_respects_active_ones() -> None:
    x = np.array([0.0, 1.0])
    lower, upper = np.array([0.0, -5.0]), np.array([5.0, 5.0])
    # pushing down against x0's lower bound: only x1 may move
    moved, pg = stationarity.probe("Nelder-Mead", {"xatol": 0.1}, x, np.array([3.0, 2.0]),
                                   lower, upper)
    assert moved[0] == 0.0 and moved[1] == pytest.approx(0.9) and pg == 2.0
    assert stationarity.probe("Nelder-Mead", {}, x, np.array([3.0, 0.0]), lower, upper) is None
    assert stationarity.lowers_too_much("Powell", {"ftol": 1e-4}, 2.0, 2.0 - 3e-4)
    assert not stationarity.lowers_too_much("Powell", {"ftol": 1e-4}, 2.0, 2.0 - 1e-4)
    assert not stationarity.lowers_too_much("Nelder-Mead", {}, 1e-12, 0.0)
