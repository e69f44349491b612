"""``minimize``: a scalar objective of named variables, with bounds and
constraints (scipy.optimize.minimize)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..problem_types import Constraint, Problem
from ..runs import Run
from ..solvers import facts
from ..solvers.base import SolveContext, WarmStart
from ..solvers.options import MINIMIZE_OPTIONS
from ..spec_limits import MAX_CONSTRAINTS
from ..text_rules import check_label
from . import mapping
from .base import FieldReader, Kind, Merit, OptionRules
from .memory import MemoryNeed, matrix_need


class Minimize(Kind):
    name = "minimize"
    tip = "Minimise an objective over variables, with bounds and constraints"
    menu_text = "&Minimize"
    menu_tip = "A new minimisation problem"
    fields = frozenset({"variables", "objective", "constraints"})
    methods = facts.MINIMIZE_METHOD_FACTS
    default_method = "BFGS"
    matrix_copies = {"BFGS": 7, "SLSQP": 12, "trust-constr": 6, "Nelder-Mead": 4, "Powell": 2}
    compares_objective_values = True

    def options(self, method: str) -> OptionRules:
        return MINIMIZE_OPTIONS.get(method, {})

    def payloads(self, method: str) -> tuple[str, ...]:
        return facts.MINIMIZE_PAYLOADS.get(method, ("x0",))

    def read(self, reader: FieldReader, d: dict[str, Any], p: Problem) -> None:
        p.variables = reader.variables("variables", d.get("variables"))
        names = reader.all_names(p)
        p.objective = reader.expression("objective", d.get("objective"), names)
        cons = d.get("constraints", [])
        if not isinstance(cons, list) or len(cons) > MAX_CONSTRAINTS:
            reader.fail("constraints", f"must be a list of {{type, expr}} (at most "
                                       f"{MAX_CONSTRAINTS})")
            cons = []
        for i, c in enumerate(cons):
            cf = f"constraints[{i}]"
            if not isinstance(c, dict):
                reader.fail(cf, "must be an object {type: 'ineq'|'eq', expr, name}")
                continue
            if c.get("type") not in ("ineq", "eq"):
                reader.fail(f"{cf}.type", f"must be 'ineq' (expr >= 0) or 'eq' "
                                          f"(got {reader.show(c.get('type'))})")
                continue
            expr = reader.expression(f"{cf}.expr", c.get("expr"), names)
            label = c.get("name", f"c{i}")
            problem = check_label(label, "the constraint's name")
            if problem:
                reader.fail(f"{cf}.name", problem)
                continue
            if expr is not None:
                p.constraints.append(Constraint(c["type"], expr, label))

    def check_solvable(self, problem: Problem, warm: WarmStart | None) -> None:
        """The objective must be one number at the start point."""
        from ..solvers.compiled import ScalarFunction
        if problem.objective is not None:
            x0 = warm.x0 if warm is not None and warm.x0 is not None else problem.start_vector()
            ScalarFunction(problem, problem.objective).check_scalar(np.asarray(x0, dtype=float))

    def solve(self, ctx: SolveContext) -> None:
        from ..solvers import minimize as minimize_solver  # lazily: see solvers/facts.py
        minimize_solver.solve_minimize(ctx)

    def warm_start(self, problem: Problem, run: Run) -> WarmStart:
        from ..solvers import curvature  # lazily: see solvers/facts.py
        warm = mapping.restart_by_name(problem, run,
                                       source_honours_bounds=self.facts(run.method).bounds,
                                       accepted=self.payloads(problem.method),
                                       say_no_state=True)
        assert warm.x0 is not None
        if problem.method in curvature.METHODS:   # (the structure hash only then)
            why = curvature.worth_scaling(problem.method, warm.x0.size, run,
                                          problem.structure_hash())
            if why is not None:
                warm.report["scaled"] = why
        return warm

    def merit(self, problem: Problem) -> Merit:
        assert problem.objective is not None
        from ..solvers.compiled import ScalarFunction, expression_vector
        fn = ScalarFunction(problem, problem.objective)
        cons = [(c.type, expression_vector(problem, c.expression)) for c in problem.constraints]

        def minimize_merit(x: np.ndarray) -> tuple[float, float]:
            viol = 0.0
            for typ, vf in cons:
                v = vf.value(x)
                viol = max(viol, float(np.max(np.abs(v) if typ == "eq" else np.maximum(-v, 0))))
            return fn.value(x), viol
        return minimize_merit

    def memory_needs(self, problem: Problem) -> list[MemoryNeed]:
        return matrix_need(problem, self.matrix_copies, self.method_names,
                           self.words.matrix, self.words.size_field)

    def starter(self) -> tuple[dict[str, Any], bool]:
        return {"description": "Rosenbrock's banana valley in two dimensions: replace the "
                               "objective with your own.",
                "variables": {"x": {"size": 2, "start": [-1.2, 1.0], "lower": -5, "upper": 5}},
                "parameters": {"a": 1.0, "b": 100.0},
                "objective": "b*(x[1] - x[0]**2)**2 + (a - x[0])**2",
                "solver": {"method": "L-BFGS-B", "options": {}}}, False


KIND = Minimize()
