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


def _recorder(n_listener: list[int] | None = None) -> base.Recorder:
    from warmdesk.core.engine import new_run
    run = new_run(build(rosenbrock("Nelder-Mead", n=3)))

    def listener(run_id: str, batch: np.ndarray) -> None:
        assert n_listener is not None
        n_listener.append(batch.shape[0])
    return base.Recorder(run, base.SolveControl(),
                         listener if n_listener is not None else None, interval=0.0)


@pytest.mark.parametrize("size", [3, base.BULK_STEP_MAX_N + 5])
def test_rows_past_many_batches_keep_every_row_in_order(size: int) -> None:
    """Rows of every kind (iterate, row, step_row), many times the batch size: each is
    kept once, in order, with its exact counts and step (bulk and at-once steps)."""
    rows = 3 * base.MATERIALIZE_ROWS + 17
    rec = _recorder()
    rng = np.random.default_rng(size)
    xs = [rng.normal(size=size) for _ in range(rows)]
    rec.start_at(np.zeros(size))
    for i, x in enumerate(xs):
        rec.evaluation(float(i))
        rec.njev += 2
        if i % 3 == 0:
            rec.iterate(x, float(i), grad_norm=0.5 * i)
        elif i % 3 == 1:
            rec.row(fun=float(i), grad_norm=0.5 * i, x=x)
        else:
            rec.step_row(step=0.25 * i, t=float(i), grad_norm=0.5 * i)
    rec.flush()
    h = rec.run.history.array
    assert h.shape == (rows, len(HistoryCol))
    k = np.arange(1, rows + 1)
    np.testing.assert_array_equal(h[:, HistoryCol.ITER], k)
    np.testing.assert_array_equal(h[:, HistoryCol.NFEV], k)
    np.testing.assert_array_equal(h[:, HistoryCol.NJEV], 2 * k)
    np.testing.assert_array_equal(h[:, HistoryCol.GRAD_NORM], 0.5 * (k - 1))
    assert np.all(np.diff(h[:, HistoryCol.WALL_S]) >= 0)
    # a step_row's step is its own; an iterate's is from the previous iterate recorded
    prev, expected = np.zeros(size), []
    for i, x in enumerate(xs):
        if i % 3 == 2:
            expected.append(0.25 * i)
        else:
            expected.append(float(np.linalg.norm(x - prev)))
            prev = x
    np.testing.assert_allclose(h[:, HistoryCol.STEP], expected, rtol=1e-12)
    assert (rec.nfev, rec.njev, rec.nit) == (rows, 2 * rows, rows)


def test_every_row_reaches_the_listener_once() -> None:
    sizes: list[int] = []
    rec = _recorder(sizes)
    rec.start_at(np.zeros(2))
    for i in range(2 * base.MATERIALIZE_ROWS + 3):
        rec.evaluation(1.0)
        rec.iterate(np.full(2, float(i)), 1.0)
    rec.flush()
    assert sum(sizes) == 2 * base.MATERIALIZE_ROWS + 3 == len(rec.run.history)


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_a_fit_reuses_the_solvers_own_end_point_figures_exactly(tmp_path: Any,
                                                                 method: str) -> None:
    """The end point's residuals and Jacobian are the solver's own (not evaluated again):
    the fit report and the cost equal those from a fresh evaluation there, and lm's
    history has no second row at one point (scipy asks for J once more at the end)."""
    from warmdesk.core.fit_report import fit_report, flat_names
    from warmdesk.core.solvers.fit import residual_function

    from .factories import fit_spec, write_peaks
    write_peaks(tmp_path)
    problem = build(fit_spec(method), base_dir=tmp_path)
    run = solve(problem)
    assert run.status.value == "converged", run.message
    x = np.concatenate([np.ravel(v) for v in run.solution.values()])
    rf = residual_function(problem)
    r, jac = rf.value(x), rf.jacobian(x)
    assert run.fun == 0.5 * float(r @ r)
    assert run.info["fit_report"] == fit_report(x, jac, r, flat_names(problem.layout)).to_dict()
    steps = run.history.column(HistoryCol.STEP)
    assert np.all(steps[1:] > 0)
    bare = optimize.least_squares(rf.value, problem.start_vector(), jac=rf.jacobian,
                                  method=method, **({} if method == "lm" else {
                                      "bounds": optimize.Bounds(*problem.bounds_arrays())}))
    # the end point costs no evaluation beyond the solver's own and the stationarity probes
    assert run.nfev <= int(bare.nfev) + 2


def test_slsqp_records_the_violation_at_each_iterate_from_its_own_constraint_values() -> None:
    """The history's violation at each iterate is the one evaluated afresh there (SLSQP's
    own constraint values are reused for it, not evaluated a second time)."""
    from warmdesk.core.solvers.compiled import expression_vector

    from .factories import constrained
    problem = build(constrained("SLSQP", shift=0.01))
    iterates: list[np.ndarray] = []
    original = base.Recorder.iterate

    def watching(self: base.Recorder, x: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:
        iterates.append(np.array(x, dtype=float))
        return original(self, x, *args, **kwargs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(base.Recorder, "iterate", watching)
        run = solve(problem)
    assert run.status.value == "converged" and len(iterates) == run.nit >= 3
    funcs = [(c.type, expression_vector(problem, c.expression)) for c in problem.constraints]
    fresh = [max(float(np.max(np.abs(f.value(x)) if typ == "eq" else
                              np.maximum(-f.value(x), 0.0))) for typ, f in funcs)
             for x in iterates]
    np.testing.assert_array_equal(run.history.column(HistoryCol.CONSTR_VIOL), fresh)
