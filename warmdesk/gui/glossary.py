"""Plain words for the solver terms the app shows: the library's columns, the
warm-start payloads, a run's statuses and counters. The one home of these
explanations; tooltips everywhere read them from here (Qt-free).

The user guide says the same at length: ``docs/warm-starts.md`` (what a warm
start is, the payloads) and ``docs/problem-format.md`` (Warm-start payloads)."""

from __future__ import annotations

from collections.abc import Iterable
from ..core.status import Status

#: The library table's columns, by key (``library/model.py``: ``COLUMNS``).
COLUMN_TIPS: dict[str, str] = {
    "name": "The problem's name when the run was made (rename a run from its context menu).",
    "kind": "minimize: find the lowest value of a formula; fit: fit a curve to data "
            "(least squares); train: fit a regression model to a data set; ode: "
            "integrate a system of differential equations over time.",
    "method": "The scipy algorithm that solved it (BFGS, Nelder-Mead, trf, RK45, …).",
    "status": "How the solve ended: converged (met its tolerance), stopped (hit an "
              "iteration or evaluation limit), interrupted (you stopped it; it keeps "
              "what it reached), cancelled, failed, or still running.",
    "fun": "The objective at the end: the value the solver made as small as it could "
           "(for a fit, the least-squares cost of the residuals; blank for an ODE).",
    "nit": "Iterations: the solver's main steps (for an ODE, accepted time steps).",
    "nfev": "Evaluations: how many times the objective was computed. This is the work "
            "a warm start saves.",
    "wall_s": "Wall time: how long the solve took on the clock.",
    "warm_source": "The earlier run this one was warm-started from; blank for a cold "
                   "start (the problem's own start values).",
    "saving": "The share of evaluations the warm start saved against a cold run of the "
              "same problem. '~' marks an estimate (from a similar cold run) rather than "
              "a measured cold solve of this very problem; negative means it cost more.",
    "created_at": "When the run was made (local time).",
    "tags": "Your labels for the run (Tag… in its context menu); filter by them above.",
}

#: What each warm-start payload hands to the solver.
PAYLOAD_TIPS: dict[str, str] = {
    "x0": "x0: the earlier run's solution, used as the new start point (variables "
          "matched by name, resized or clipped to the new bounds).",
    "hess_inv": "hess_inv: BFGS's learned curvature (inverse Hessian) from the earlier "
                "run, so the new solve does not have to learn it again.",
    "initial_simplex": "initial_simplex: Nelder-Mead's final triangle of points "
                       "(simplex) from the earlier run, instead of a fresh one around x0.",
    "simplex": "simplex: Nelder-Mead's final triangle of points from the earlier run.",
    "direc": "direc: Powell's search directions from the earlier run.",
    "directions": "directions: Powell's search directions from the earlier run.",
    "qn_hess": "qn_hess: trust-constr's quasi-Newton curvature estimate from the earlier "
               "run.",
    "barrier": "barrier: trust-constr's barrier parameter (how hard it keeps away from "
               "the constraints).",
    "checkpoint": "checkpoint: an ODE restarts from the earlier run's last saved state "
                  "before the new end time, instead of from t0.",
    "live_solver": "live_solver: an interrupted ODE integrator kept in memory and simply "
                   "continued (same problem, same app session only).",
}

#: A run's statuses (``core.status.Status``).
STATUS_TIPS: dict[str, str] = {
    Status.QUEUED: "queued: waiting for a free solver slot.",
    Status.RUNNING: "running: the solver is working on it now.",
    Status.CONVERGED: "converged: the solver met its tolerance; the result is a solution.",
    Status.STOPPED: "stopped: the solver hit an iteration, evaluation or time limit before "
               "its tolerance; the result is usable but may not be the solution.",
    Status.FAILED: "failed: the solver gave up or hit an error; see the message.",
    Status.INTERRUPTED: "interrupted: you stopped it; it keeps the point it had reached, "
                   "which can warm-start the next solve.",
    Status.CANCELLED: "cancelled: stopped before it produced anything usable.",
}

#: The counters and figures in run details and the history table.
TERM_TIPS: dict[str, str] = {
    "iter": "iteration: one main step of the solver (for an ODE, one accepted time step).",
    "nit": "iterations: the solver's main steps.",
    "nfev": "nfev, evaluations: how many times the objective (or model) was computed; "
            "the usual measure of a solver's work.",
    "njev": "njev, gradient evaluations: how many times the gradient (or Jacobian, the "
            "derivatives of a fit's residuals) was computed.",
    "wall_s": "seconds on the clock since the solve started.",
    "fun": "f, the objective: the value being made small.",
    "grad_norm": "|grad|, the gradient norm: how steep the objective still is; near 0 "
                 "at a minimum without active bounds.",
    "constr_viol": "violation: how far the point is outside the constraints (0 = "
                   "feasible).",
    "step": "step: how far the last iteration moved the point.",
    "t": "t: the time an ODE integration has reached.",
    "optimality": "optimality: the solver's own measure of how far from a minimum it is "
                  "(the gradient, projected on the bounds); small is good.",
    "stopped_by": "which test ended the solve (tolerance, limit, you).",
    "state": "solver state: what the solver learned beyond the point (curvature, "
             "simplex, directions), stored so a warm start can reuse it.",
    "mapping": "mapping report: how the earlier run's values were matched to this "
               "problem's variables (matched, resized, defaulted, clipped, dropped).",
    "guard": "guard: a warm start gets a budget of evaluations; if it falls behind a "
             "cold solve, a cold solve runs too and the better result is kept.",
    "scaled_start": "A warm L-BFGS-B or CG start first took quasi-Newton steps from the "
                    "Hessian at its start point, then the method went on from there (the "
                    "mapping report says why).",
}


def payload_tip(payload: Iterable[str]) -> str:
    """One line per payload used, in plain words ("" for none)."""
    return "\n".join(PAYLOAD_TIPS.get(p, f"{p}: solver state from the earlier run")
                     for p in payload)
