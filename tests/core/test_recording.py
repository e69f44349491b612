"""The recorder watches, it never steers: the engine takes scipy's own steps,
and its history holds one row per iteration with the right step lengths
(solvers/base.py Recorder, solvers/minimize.py record)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import optimize

from warmdesk.core.engine import solve
from warmdesk.core.runs import HistoryCol
from warmdesk.core.solvers import base
from warmdesk.core.solvers.compiled import ScalarFunction

from .factories import build, rosenbrock


def _bare(problem: Any, callback: Any = None) -> optimize.OptimizeResult:
    sf = ScalarFunction(problem, problem.objective)
    bounds = (optimize.Bounds(*problem.bounds_arrays())
              if any(v.bounded for v in problem.variables) else None)
    if problem.method == "Nelder-Mead":
        return optimize.minimize(sf.value, problem.start_vector(), method=problem.method,
                                 bounds=bounds, options=dict(problem.options), callback=callback)
    return optimize.minimize(sf.value_and_grad, problem.start_vector(), jac=True,
                             method=problem.method, bounds=bounds,
                             options=dict(problem.options), callback=callback)


@pytest.mark.parametrize("method, n, options", [
    ("L-BFGS-B", 6, {}), ("L-BFGS-B", 300, {"maxiter": 60}), ("CG", 6, {"maxiter": 80}),
    ("Nelder-Mead", 4, {"maxiter": 300, "xatol": 1e-300, "fatol": 1e-300}), ("TNC", 6, {})])
def test_engine_takes_scipys_own_steps_and_records_each(method: str, n: int,
                                                         options: dict[str, Any]) -> None:
    problem = build(rosenbrock(method, n=n, **options))
    iterates: list[np.ndarray] = [problem.start_vector()]

    def remember(*args: Any, **kwargs: Any) -> None:
        xk = kwargs["intermediate_result"].x if kwargs else args[0]
        iterates.append(np.array(xk, dtype=float))
    if method == "TNC":
        res = _bare(problem, lambda xk: iterates.append(np.array(xk, dtype=float)))
    else:
        res = _bare(problem, lambda intermediate_result: remember(
            intermediate_result=intermediate_result))
    run = solve(problem)
    x = np.concatenate([np.ravel(v) for v in run.solution.values()])
    assert (run.nfev, run.nit) == (int(res.nfev), len(iterates) - 1)
    np.testing.assert_array_equal(x, res.x)
    h = run.history.array
    assert h.shape[0] == run.nit
    np.testing.assert_array_equal(h[:, HistoryCol.ITER], np.arange(1, run.nit + 1))
    steps = np.linalg.norm(np.diff(np.stack(iterates), axis=0), axis=1)
    np.testing.assert_allclose(h[:, HistoryCol.STEP], steps, rtol=1e-12, atol=1e-300)


def test_step_lengths_agree_on_both_sides_of_the_bulk_threshold(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Small iterates get their steps in bulk, large ones at once: same figures."""
    problem = build(rosenbrock("L-BFGS-B", n=40, maxiter=40))
    bulk = solve(problem).history.column(HistoryCol.STEP)
    monkeypatch.setattr(base, "BULK_STEP_MAX_N", 0)
    direct = solve(problem).history.column(HistoryCol.STEP)
    np.testing.assert_allclose(bulk, direct, rtol=1e-12)
