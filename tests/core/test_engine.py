"""Cancel, interrupt, failures, the ode resume, and the child-process mode."""

from __future__ import annotations

import subprocess
import sys
from typing import Callable

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.process import ProcessSolve
from warmdesk.core.solvers import ode as ode_solver
from warmdesk.core.solvers.base import SolveControl
from warmdesk.core.problems import with_parameters
from warmdesk.core.warmstart import warm_start_from_run

from .factories import build, lotka_volterra, robertson_scalar, rosenbrock


def _stop_after(control: SolveControl, action: Callable[[], None], iterations: int):
    def listener(run_id: str, rows: np.ndarray) -> None:
        if rows[-1, 0] >= iterations:
            action()
    return listener


def test_cancel_is_honoured_within_one_iteration() -> None:
    control = SolveControl()
    run = solve(build(rosenbrock("CG", n=50)), control=control,
                on_progress=_stop_after(control, control.cancel, 5), progress_interval=0)
    assert run.status == "cancelled" and run.nit == 5
    assert run.solution == {} and "cancelled" in run.message


@pytest.mark.parametrize("method", ["BFGS", "Nelder-Mead", "trust-constr"])
def test_interrupt_keeps_the_iterate_as_a_warm_start(method: str) -> None:
    control = SolveControl()
    problem = build(rosenbrock(method, n=4))
    run = solve(problem, control=control, on_progress=_stop_after(control, control.interrupt, 10),
                progress_interval=0)
    assert run.status == "interrupted" and run.nit == 10
    assert run.usable and run.solution["x"].shape == (4,)
    last_x = run.history.array[-1]
    assert np.isfinite(run.fun) and np.isfinite(last_x[4])
    warm = warm_start_from_run(problem, run)
    assert warm.payload == ["x0"]  # mid-run, scipy exposes only the iterate
    resumed = solve(problem, warm)
    cold = solve(problem)
    assert resumed.status == "converged" and abs(resumed.fun - cold.fun) < 1e-3
    # Nelder-Mead's simplex and trust-constr's radius are lost at an interrupt: those
    # restarts can cost more than a cold solve (measured), so only BFGS is held to it.
    if method == "BFGS":
        assert resumed.nfev < cold.nfev


def test_nan_objective_fails_with_a_message() -> None:
    spec = rosenbrock("BFGS", n=3)
    spec["objective"] = "sum(log(x - 0.5))"
    spec["variables"]["x"]["start"] = 1.0
    run = solve(build(spec))
    assert run.status == "failed"
    assert "NaN" in run.message or "nan" in run.message or "inf" in run.message
    assert run.solution == {} and run.fun is None


def test_solver_exception_fails_without_crashing() -> None:
    spec = rosenbrock("BFGS", n=3)
    spec["objective"] = "sum(x[0:5] * x[1:3])"  # shapes do not broadcast at run time
    from warmdesk.core.errors import SpecError
    with pytest.raises(SpecError):  # caught before any work, naming the objective
        solve(build(spec))


def test_failure_inside_the_solver_is_a_failed_run() -> None:
    spec = rosenbrock("L-BFGS-B", n=2)
    spec["objective"] = "exp(x[0]*200) + x[1]**2"
    spec["variables"]["x"]["start"] = 4.0
    spec["variables"]["x"]["upper"] = 5
    run = solve(build(spec))
    assert run.status == "failed" and "inf" in run.message.lower()


def test_objective_that_is_not_a_scalar_is_bad_input() -> None:
    from warmdesk.core.errors import SpecError
    spec = rosenbrock()
    spec["objective"] = "x**2"
    with pytest.raises(SpecError, match="objective: must give a single number"):
        solve(build(spec))


@pytest.mark.parametrize("spec_fn", [lotka_volterra, robertson_scalar])
def test_ode_interrupted_half_way_resumes_from_its_checkpoint(spec_fn) -> None:
    problem = build(spec_fn())
    full = solve(problem)
    control = SolveControl()
    half_t = 0.5 * problem.t_span[1]

    def at_half(run_id: str, rows: np.ndarray) -> None:
        if rows[-1, 8] >= half_t:
            control.interrupt()

    half = solve(problem, control=control, on_progress=at_half, progress_interval=0)
    assert half.status == "interrupted" and half.info["t_reached"] >= half_t
    ode_solver.LIVE_SOLVERS._items.clear()  # as in a new session: restart from the checkpoint
    warm = warm_start_from_run(problem, half)
    assert warm.payload == ["checkpoint"] and warm.mode == "restart"
    assert warm.report["checkpoint_t"] == half.info["t_reached"]
    resumed = solve(problem, warm)
    assert resumed.status == "converged"
    for name in full.solution:
        assert np.allclose(resumed.solution[name], full.solution[name], rtol=1e-4, atol=1e-9)
    if spec_fn is lotka_volterra:  # evenly paced: about half the work remains
        assert 0.35 < resumed.nfev / full.nfev < 0.65
    else:
        assert resumed.nfev < full.nfev


def test_ode_exact_resume_in_process_is_bit_identical() -> None:
    problem = build(lotka_volterra("DOP853"))
    full = solve(problem)
    control = SolveControl()
    half = solve(problem, control=control,
                 on_progress=_stop_after(control, control.interrupt, 20), progress_interval=0)
    warm = warm_start_from_run(problem, half)
    assert warm.mode == "exact-resume" and warm.payload == ["live_solver"]
    resumed = solve(problem, warm)
    for name in full.solution:
        assert resumed.solution[name] == full.solution[name]
    assert resumed.nfev + half.nfev == full.nfev
    other = with_parameters(problem, alpha=1.2)  # a changed system: no exact resume
    assert warm_start_from_run(other, half).mode == "restart"


def test_process_mode_streams_progress_and_returns_the_run() -> None:
    problem = build(rosenbrock("BFGS", n=20))
    handle = ProcessSolve(problem)
    batches: list[int] = []
    run = handle.wait(timeout=120, on_progress=lambda rid, rows: batches.append(len(rows)))
    assert run.status == "converged" and run.fun < 1e-8
    assert sum(batches) == len(run.history) == run.nit
    assert handle.pid != __import__("os").getpid()


def _slow_problem():
    spec = rosenbrock("Nelder-Mead", n=30, maxiter=10_000_000, maxfev=10_000_000,
                      xatol=1e-300, fatol=1e-300)
    return build(spec)


def test_process_mode_cancel_and_interrupt() -> None:
    handle = ProcessSolve(_slow_problem())
    seen: list[int] = []
    while not seen:
        handle.poll(1.0, on_progress=lambda rid, rows: seen.append(len(rows)))
    handle.interrupt()
    run = handle.wait(timeout=60)
    assert run.status == "interrupted" and run.usable

    handle = ProcessSolve(_slow_problem())
    handle.poll(2.0)
    handle.cancel()
    assert handle.wait(timeout=60).status == "cancelled"


def test_process_mode_kill_stops_a_stuck_solver() -> None:
    handle = ProcessSolve(_slow_problem())
    handle.poll(1.0)
    handle.kill()
    run = handle.wait(timeout=30)
    assert run.status == "cancelled" and "stopped" in run.message


def test_core_imports_no_qt() -> None:
    code = ("import sys, warmdesk.core.engine, warmdesk.core.process, warmdesk.core.library, "
            "warmdesk.core.warmstart, warmdesk.core.advisor, warmdesk.cli\n"
            "import pkgutil, importlib, warmdesk.core\n"
            "for m in pkgutil.walk_packages(warmdesk.core.__path__, 'warmdesk.core.'):\n"
            "    importlib.import_module(m.name)\n"
            "bad = [m for m in sys.modules\n"
            "       if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    # a fresh interpreter: this one may have imported Qt for other tests
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_repeated_solver_warnings_are_counted_not_kept_each(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A warning at every evaluation ends up as one line with its count."""
    import warnings as warnings_module

    from warmdesk.core.engine import WarningLog
    from warmdesk.core.solvers import compiled

    original = compiled.ScalarFunction.value_and_grad

    def noisy(self: compiled.ScalarFunction, x: np.ndarray) -> tuple[float, np.ndarray]:
        warnings_module.warn("the model is flat here", RuntimeWarning, stacklevel=1)
        return original(self, x)

    monkeypatch.setattr(compiled.ScalarFunction, "value_and_grad", noisy)
    run = solve(build(rosenbrock("BFGS", n=4)))
    assert run.status == "converged"
    assert run.info["warnings"] == [f"RuntimeWarning: the model is flat here ({run.nfev} times)"]
    log = WarningLog()
    for k in range(WarningLog.MAX_DISTINCT + 5):
        log.showwarning(f"w{k}", UserWarning, "f.py", 1)
    assert len(log.lines()) == WarningLog.MAX_DISTINCT
