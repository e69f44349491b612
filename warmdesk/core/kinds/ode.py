"""``ode``: an initial-value problem integrated over ``t_span`` (scipy.integrate),
warm-started from a checkpoint or resumed exactly."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import WarmStartError
from ..problem_types import NUMBER, Problem
from ..runs import Run
from ..solvers import facts
from ..solvers.base import SolveContext, WarmStart
from ..solvers.options import ODE_OPTIONS
from . import mapping
from .base import FieldReader, Kind, OptionRules, Words
from .memory import (CHECKPOINT_COPIES, FLOAT, HISTORY_ROW_BYTES, OUTPUT_COPIES, MemoryNeed,
                     matrix_need)


class Ode(Kind):
    name = "ode"
    tip = "Integrate an initial-value problem d(state)/dt = rhs(t, state)"
    menu_text = "&ODE"
    menu_tip = "A new initial-value problem"
    fields = frozenset({"state", "rhs", "t_span", "t_eval", "checkpoints"})
    methods = facts.ODE_METHOD_FACTS
    default_method = "RK45"
    words = Words(unknowns="state", unknown="state", tab="State",
                  evaluations="RHS evaluations", solution="final state",
                  unfinished="final state",
                  matrix="the Jacobian of the right-hand side", size_field="state")
    matrix_copies = {"Radau": 12, "BDF": 7, "LSODA": 3}
    has_objective = False         # an integration ends with a state, not a value
    has_merit = False             # candidates are ranked by their checkpoints
    has_cold_references = False   # no objective to compare with cold runs
    keeps_last_iterate = False    # a failed integration keeps no state to resume from
    curve_is_time = True

    def options(self, method: str) -> OptionRules:
        return ODE_OPTIONS

    def payloads(self, method: str) -> tuple[str, ...]:
        return facts.ODE_PAYLOADS

    def read(self, reader: FieldReader, d: dict[str, Any], p: Problem) -> None:
        p.variables = reader.variables("state", d.get("state"))
        names = reader.all_names(p) + ["t"]
        rhs = d.get("rhs")
        if not isinstance(rhs, dict):
            reader.fail("rhs", "must be an object of state name: expression")
            rhs = {}
        for v in p.variables:
            if v.name not in rhs:
                reader.fail(f"rhs.{v.name}", "is required (the derivative of this state)")
        for key, text in rhs.items():
            if key not in {v.name for v in p.variables}:
                reader.fail(f"rhs.{str(key)[:80]}", "names no state variable")
                continue
            expr = reader.expression(f"rhs.{key}", text, names)
            if expr is not None:
                p.rhs[key] = expr
        span = d.get("t_span")
        if (not isinstance(span, list) or len(span) != 2
                or not all(isinstance(x, NUMBER) and not isinstance(x, bool)
                           and math.isfinite(x) for x in span) or not span[1] > span[0]):
            reader.fail("t_span", "must be [t0, t1] with finite numbers and t1 > t0")
        else:
            p.t_span = (float(span[0]), float(span[1]))
        t_eval = d.get("t_eval", 101)
        if isinstance(t_eval, bool) or not isinstance(t_eval, int) or not 0 <= t_eval <= 100_000:
            reader.fail("t_eval", "must be the number of output points, 0 to 100000")
        else:
            p.t_eval_points = t_eval
        ck = d.get("checkpoints", 10)
        if isinstance(ck, bool) or not isinstance(ck, int) or not 1 <= ck <= 10_000:
            reader.fail("checkpoints", "must be a whole number from 1 to 10000")
        else:
            p.checkpoints = ck

    def solve(self, ctx: SolveContext) -> None:
        from ..solvers import ode as ode_solver  # lazily: see solvers/facts.py
        ode_solver.solve_ode(ctx)

    def memory_needs(self, problem: Problem) -> list[MemoryNeed]:
        needs = matrix_need(problem, self.matrix_copies, self.method_names,
                            self.words.matrix, self.words.size_field)
        n, m = problem.size, problem.t_eval_points
        needs.append(MemoryNeed(("t_eval", "state"),
                                f"the output ({n} state values x {m} t_eval points, "
                                f"{OUTPUT_COPIES} copies while it is made and saved)",
                                n * m * FLOAT * OUTPUT_COPIES,
                                "lower 't_eval' (fewer output points) or the size of 'state'"))
        k = problem.checkpoints + 1
        needs.append(MemoryNeed(("checkpoints", "state"),
                                f"the checkpoints ({k} x {n} state values)",
                                k * n * FLOAT * CHECKPOINT_COPIES,
                                "lower 'checkpoints' or the size of 'state'"))
        steps = int(problem.options.get("max_steps", 200_000))
        needs.append(MemoryNeed(("solver.options.max_steps",),
                                f"the history (at most {steps} steps)",
                                steps * HISTORY_ROW_BYTES,
                                "lower 'solver.options.max_steps'"))
        return needs

    def method_note(self, method: str) -> str:
        return ("Stiff problems (uses the exact Jacobian of the right-hand side)."
                if self.facts(method).stiff else "Non-stiff, explicit.")

    def starter(self) -> tuple[dict[str, Any], bool]:
        return {"description": "A damped oscillator: replace the right-hand sides with your "
                               "own.",
                "state": {"pos": {"start": 1.0}, "vel": {"start": 0.0}},
                "parameters": {"k": 1.0, "c": 0.1},
                "rhs": {"pos": "vel", "vel": "-k*pos - c*vel"},
                "t_span": [0.0, 20.0],
                "t_eval": 201,
                "checkpoints": 10,
                "solver": {"method": "RK45", "options": {}}}, False

    def warm_start(self, problem: Problem, run: Run) -> WarmStart:
        """Exact resume when this process still holds the integrator and nothing
        changed; else a restart from the latest checkpoint before the new end."""
        report = mapping.new_report(run)
        t0, t1 = problem.t_span
        from ..solvers import ode as ode_solver
        live = ode_solver.LIVE_SOLVERS.get(run.id, ode_solver.resume_signature(problem))
        if live is not None and run.method == problem.method:
            report.update(payload=["live_solver"], mode="exact-resume",
                          matched=[v.name for v in problem.variables],
                          checkpoint_t=float(live[0].t))
            return WarmStart(run.id, ["live_solver"], state={}, mode="exact-resume",
                             report=report, live_solver=live)
        ts = np.ravel(run.state.get("checkpoint_t", np.zeros(0)))
        ys = np.asarray(run.state.get("checkpoint_y", np.zeros((0, 0))), dtype=float)
        hs = np.ravel(run.state.get("checkpoint_h", np.zeros(0)))
        usable = np.nonzero((ts >= t0) & (ts < t1 - 1e-12 * max(1.0, abs(t1))))[0]
        if usable.size == 0:
            raise WarmStartError(f"run {run.id} has no checkpoint inside [{t0:g}, {t1:g}) to "
                                 "resume from")
        i = int(usable[-1])
        layout = mapping.layout_of(run)
        offsets = np.cumsum([0] + [size for _, size in layout])
        if ys.ndim != 2 or ys.shape[1] != offsets[-1]:
            raise WarmStartError(f"run {run.id} has checkpoints that do not fit its state layout")
        old = {name: ys[i, offsets[j]:offsets[j + 1]] for j, (name, _) in enumerate(layout)}
        y0 = mapping.map_by_name(problem, old, report)
        if report["defaulted"] or report["resized"]:
            report["refused"]["checkpoint_h"] = "the state differs: the step size is chosen anew"
            h = 0.0
        else:
            h = float(hs[i]) if i < hs.size else 0.0
        same = run.problem_hash == problem.content_hash()
        report["checkpoint_t"] = float(ts[i])
        report["note"] = ("same problem: a restart from the checkpoint" if same else
                          "the problem differs: the state at the checkpoint came from the source's "
                          "system, and the rest is integrated with the new one")
        report.update(payload=["checkpoint"], mode="restart")
        state = {"checkpoint": np.concatenate([[ts[i], h], y0])}
        return WarmStart(run.id, ["checkpoint"], state=state, mode="restart", report=report)


KIND = Ode()
