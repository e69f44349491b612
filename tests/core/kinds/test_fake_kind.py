"""Adding a kind is one new module: a fifth kind, defined in this file alone,
is registered, and a spec of it is read, solved, stored, warm-started and
advised on without an edit anywhere else (issue 15's proof)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from warmdesk.core.advisor import suggest
from warmdesk.core.engine import solve
from warmdesk.core.kinds import mapping, registry
from warmdesk.core.kinds.base import FieldReader, Kind, Merit, OptionRules, Words
from warmdesk.core.library import Library
from warmdesk.core.method_facts import MethodFacts
from warmdesk.core.problem_types import Problem
from warmdesk.core.problems import problem_from_dict, with_parameters
from warmdesk.core.runs import Run
from warmdesk.core.saving_text import evaluation_unit
from warmdesk.core.solvers import minimize as minimize_solver
from warmdesk.core.solvers.base import SolveContext, WarmStart
from warmdesk.core.solvers.compiled import ScalarFunction
from warmdesk.core.warmstart import warm_start_from_run


class Simplex(Kind):
    """A derivative-free minimize: one method, its own words."""

    name = "simplex"
    tip = "Minimise an objective without derivatives"
    fields = frozenset({"points", "objective"})
    methods = {"Nelder-Mead": MethodFacts(bounds=True, gradient=False)}
    default_method = "Nelder-Mead"
    words = Words(unknowns="points", unknown="point", tab="Points", size_field="points")

    def options(self, method: str) -> OptionRules:
        return {"maxiter": ("int", 1, 10_000_000), "xatol": ("float", 0.0, float("inf"))}

    def payloads(self, method: str) -> tuple[str, ...]:
        return minimize_solver.PAYLOADS[method]

    def read(self, reader: FieldReader, d: dict[str, Any], p: Problem) -> None:
        p.variables = reader.variables("points", d.get("points"))
        p.objective = reader.expression("objective", d.get("objective"), reader.all_names(p))

    def solve(self, ctx: SolveContext) -> None:
        minimize_solver.solve_minimize(ctx)

    def warm_start(self, problem: Problem, run: Run) -> WarmStart:
        report = mapping.new_report(run)
        x0 = mapping.map_by_name(problem, run.solution, report)
        return mapping.restart(problem, run, report, x0, source_honours_bounds=True,
                               start_payload="x0", accepted=self.payloads(problem.method),
                               same_layout=mapping.layout_of(run) == problem.layout,
                               say_no_state=True)

    def merit(self, problem: Problem) -> Merit:
        assert problem.objective is not None
        fn = ScalarFunction(problem, problem.objective)
        return lambda x: (fn.value(x), 0.0)


@pytest.fixture
def simplex() -> Iterator[Kind]:
    kind = Simplex()
    registry.register(kind)
    try:
        yield kind
    finally:
        registry.unregister(kind.name)
    assert registry.find_kind("simplex") is None


def spec(a: float = 1.0) -> dict[str, Any]:
    return {"format": "warmdesk.problem/1", "name": "bowl", "kind": "simplex",
            "points": {"p": {"size": 2, "start": [0.0, 0.0], "lower": -5, "upper": 5}},
            "parameters": {"a": a},
            "objective": "(p[0] - a)**2 + 2*(p[1] + a)**2",
            "solver": {"method": "Nelder-Mead", "options": {"xatol": 1e-8}}}


def test_a_spec_of_a_new_kind_is_read_with_its_own_fields(simplex: Kind) -> None:
    problem = problem_from_dict(spec())
    assert problem.kind == "simplex" and problem.layout == [("p", 2)]
    with pytest.raises(Exception, match="unknown field for kind 'simplex'"):
        problem_from_dict({**spec(), "variables": {"x": 1.0}})
    with pytest.raises(Exception, match="must be one of Nelder-Mead for kind 'simplex'"):
        problem_from_dict({**spec(), "solver": {"method": "BFGS"}})
    with pytest.raises(Exception, match="is not an option of Nelder-Mead"):
        problem_from_dict({**spec(), "solver": {"method": "Nelder-Mead",
                                                "options": {"gtol": 1.0}}})
    assert evaluation_unit("simplex") == "evaluations"


def test_a_new_kind_is_solved_stored_warm_started_and_advised(simplex: Kind,
                                                               tmp_path: Path) -> None:
    problem = problem_from_dict(spec())
    cold = solve(problem)
    assert cold.status == "converged", cold.message
    assert np.allclose(cold.solution["p"], [1.0, -1.0], atol=1e-5)
    near = with_parameters(problem, a=1.05)
    warm = warm_start_from_run(near, cold)
    assert warm.report["matched"] == ["p"]
    assert set(warm.payload) <= {"x0", "initial_simplex"}
    run = solve(near, warm)
    assert run.status == "converged" and run.warm is not None
    with Library(tmp_path / "lib") as lib:
        lib.save_run(cold)
        advice = suggest(lib, with_parameters(problem, a=1.1))
        assert [s.run_id for s in advice.suggestions][:1] == [cold.id]
