"""Validating a spec is linear in its size and bounded (issue 13 item 6).

A spec of many long expressions (500 constraints of 10,000 characters over a
9,999-element variable) was parsed whole: millions of nodes, seconds and a
gigabyte. Now the expressions of one spec share a budget of characters and
terms, and one evaluation of them (which a solve repeats) is bounded; past a
limit the spec is refused with a reason naming the field. Tests count nodes
and elements, never time (the figures come from benchmarks/bench_validation.py).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from warmdesk.core.errors import SpecError
from warmdesk.core.expressions import parse
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.spec_limits import (MAX_CONSTRAINT_ENTRIES, MAX_EVALUATION_ELEMENTS,
                                       MAX_EXPRESSION_NODES, MAX_SPEC_EXPRESSION_CHARS,
                                       MAX_SPEC_NODES)

from .factories import ROSENBROCK

SIZE = 9_999


def many_constraints(n: int, expr: Any, size: int = SIZE, method: str = "SLSQP") -> dict[str, Any]:
    return {"format": "warmdesk.problem/1", "name": "many", "kind": "minimize",
            "variables": {"x": {"size": size, "start": 0.5, "lower": 0, "upper": 1}},
            "objective": "sum(x**2)",
            "constraints": [{"type": "ineq", "expr": expr(i) if callable(expr) else expr}
                            for i in range(n)],
            "solver": {"method": method}}


def long_sum(i: int, terms: int = 1_300) -> str:
    """~9,300 characters, ~3,900 terms and operators: just under one expression's limits."""
    return "+".join(f"x[{(i * 7 + j) % SIZE}]" for j in range(terms))


def problems_of(spec: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SpecError) as exc:
        problem_from_dict(spec)
    return dict(exc.value.problems)


class CountingParse:
    """Counts what the spec reader parses (wraps the real parser, changes nothing)."""

    def __init__(self) -> None:
        self.calls = 0
        self.nodes = 0
        self.chars = 0

    def __call__(self, text: str, names: Any) -> Any:
        expr = parse(text, names)
        self.calls += 1
        self.nodes += expr.node_count
        self.chars += len(text)
        return expr


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingParse:
    counter = CountingParse()
    monkeypatch.setattr("warmdesk.core.spec_reader.parse", counter)
    return counter


def test_the_issue_spec_is_refused_after_parsing_a_bounded_part(counting: CountingParse) -> None:
    """500 constraints of ~9,300 characters each: refused, naming the first constraint
    past the budget, with at most one expression parsed beyond it."""
    problems = problems_of(many_constraints(500, long_sum))
    [(field, message)] = [(f, m) for f, m in problems.items() if "in all" in m]
    assert field.startswith("constraints[") and "terms and operators in all" in message
    assert counting.nodes <= MAX_SPEC_NODES + MAX_EXPRESSION_NODES
    assert counting.calls < 10                  # not 500
    assert len(problems) == 1                   # said once, not once per constraint


def test_the_characters_of_all_expressions_are_bounded_before_any_parsing(
        counting: CountingParse) -> None:
    padded = "x[0]" + " " * 9_000           # few terms, many characters to scan
    problems = problems_of(many_constraints(500, padded))
    assert any("characters in all" in m for m in problems.values())
    assert counting.chars <= MAX_SPEC_EXPRESSION_CHARS


def test_a_spec_within_the_budget_is_read_whole(counting: CountingParse) -> None:
    problem = problem_from_dict(many_constraints(400, lambda i: f"x[{i}] - 0.1*{i % 7}"))
    assert len(problem.constraints) == 400 and counting.calls == 401
    assert counting.nodes <= MAX_SPEC_NODES


def test_one_evaluation_is_bounded_by_the_sizes_of_the_names() -> None:
    """2,400 operations over a 9,999-element variable compute ~24 million numbers per
    call (5,000 operations: 35 ms a call): refused, naming the field and the count."""
    heavy = "+".join(["x*2"] * 1_200)       # 2,399 operations on whole vectors
    spec = copy.deepcopy(ROSENBROCK)
    spec["variables"]["x"]["size"] = SIZE
    spec["objective"] = f"sum({heavy})"
    problems = problems_of(spec)
    assert set(problems) == {"objective"}
    assert f"at most {MAX_EVALUATION_ELEMENTS:,}" in problems["objective"]
    spec["variables"]["x"]["size"] = 1_000  # the same text over smaller arrays is fine
    assert problem_from_dict(spec).objective is not None


def test_the_element_bounds_hold_for_real_evaluations() -> None:
    """The bounds are upper bounds of what numpy really produces, and tight for the
    common shapes (reductions and indexing give one number)."""
    sizes = {"x": 50, "w": 8, "a": 1}
    env = {"x": np.linspace(0, 1, 50), "w": np.ones(8), "a": 2.0}
    for text, expected_out in [("sum(x**2)", 1), ("x[0] - 0.1", 1), ("0.6 - w", 8),
                               ("x[1:] - x[:-1]**2", 50), ("dot(w, w) + a", 8),
                               ("cumsum(x) * a", 50), ("where(x > 0.5, x, a)", 50),
                               ("mean(w) + x[3]", 1), ("-x", 50), ("clip(w, 0, a)", 8)]:
        expr = parse(text, list(sizes))
        out, work = expr.element_bounds(sizes)
        value = np.asarray(expr.evaluate(env))
        assert value.size <= out == expected_out, text
        assert work <= expr.node_count * 50, text


def test_constraint_rows_times_unknowns_are_bounded() -> None:
    """500 element-wise constraints over 9,999 unknowns would make a dense Jacobian of
    5e10 entries: refused with the rows, the unknowns and what to do instead."""
    problems = problems_of(many_constraints(500, lambda i: f"x - 0.{i % 9 + 1}"))
    assert "constraints" in problems
    assert "Jacobian" in problems["constraints"] and "bounds instead" in problems["constraints"]
    rows_ok = MAX_CONSTRAINT_ENTRIES // SIZE
    scalar = problem_from_dict(many_constraints(rows_ok, lambda i: f"x[{i}] - 0.1"))
    assert len(scalar.constraints) == rows_ok       # scalar constraints count one row each


def test_too_many_constraints_and_variables_name_the_field() -> None:
    problems = problems_of(many_constraints(1_001, "x[0]", size=10))
    assert "at most 1000" in problems["constraints"]
    spec = copy.deepcopy(ROSENBROCK)
    spec["variables"] = {f"v{i}": 0.0 for i in range(1_001)}
    spec["objective"] = "v0**2"
    assert "at most 1000" in problems_of(spec)["variables"]
