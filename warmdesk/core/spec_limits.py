"""Every size limit of a problem spec, in one place, and the checks that need
more than one field to decide.

The limits keep validating a spec linear in its size and well under a second,
and keep one evaluation of its expressions (which a solve repeats thousands of
times) bounded. They are documented in ``docs/problem-format.md`` (spec) and
``docs/expressions.md`` (expressions); ``benchmarks/bench_validation.py``
measures validation at the limits.

Why the evaluation bound is sound: every value an expression handles is a
number or a flat array (variables, parameters and data columns are flat;
indexing with two indices fails on them), and flat arrays broadcast only
against numbers or arrays of their own length. So no node of an expression
produces more elements than the largest name it uses; see
:meth:`warmdesk.core.expressions.Expression.element_bounds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .expressions import Expression
    from .problem_types import Problem

# ---------------------------------------------------------------- one expression
MAX_EXPRESSION_LENGTH = 10_000      # characters of one expression
MAX_EXPRESSION_DEPTH = 64           # nesting: parentheses, calls, unary signs, '**'
MAX_EXPRESSION_NODES = 5_000        # terms and operators of one expression

# ---------------------------------------------------------------- one spec
MAX_SPEC_BYTES = 5_000_000          # a spec file
MAX_SPEC_EXPRESSION_CHARS = 200_000  # all expressions of a spec, together
MAX_SPEC_NODES = 20_000             # terms and operators of all expressions, together
MAX_VARIABLES = 1_000               # variables (or ode states)
MAX_VARIABLE_SIZE = 100_000         # elements of one variable, and of all together
MAX_CONSTRAINTS = 1_000             # entries of "constraints"
#: Constraint rows (at most) times unknowns: the dense constraint Jacobian
#: SLSQP and trust-constr are given (10 million entries are 80 MB).
MAX_CONSTRAINT_ENTRIES = 10_000_000
#: Numbers one evaluation of all the spec's expressions may produce (each
#: operation counted at the size of the largest array it can give): about
#: 10-20 ms of numpy work, which a solve repeats for every step.
MAX_EVALUATION_ELEMENTS = 20_000_000

Problems = list[tuple[str, str]]


class ExpressionBudget:
    """What the expressions of one spec may cost to read, spent as they are read.

    :meth:`refuse` is asked before an expression is parsed, :meth:`spend` after;
    once the budget is gone every later expression is refused unparsed, so
    reading a spec never parses more than one expression past the budget, and
    the reason is given once (for the first expression past it)."""

    def __init__(self) -> None:
        self.chars = 0
        self.nodes = 0
        self.reported = False

    def refuse(self, text: str) -> str | None:
        """None: parse ``text``. Else do not; the reason, or "" if given already."""
        if self.chars + len(text) > MAX_SPEC_EXPRESSION_CHARS:
            return self._report(f"the spec's expressions hold more than "
                                f"{MAX_SPEC_EXPRESSION_CHARS:,} characters in all; shorten "
                                "them or split the problem")
        if self.nodes > MAX_SPEC_NODES:
            return self._report(_TOO_MANY_NODES)
        self.chars += len(text)
        return None

    def spend(self, expression: Expression) -> str | None:
        """Count a parsed expression; why it overdraws the budget, or None."""
        self.nodes += expression.node_count
        return self._report(_TOO_MANY_NODES) if self.nodes > MAX_SPEC_NODES else None

    def _report(self, reason: str) -> str:
        said, self.reported = self.reported, True
        return "" if said else reason


_TOO_MANY_NODES = (f"the spec's expressions hold more than {MAX_SPEC_NODES:,} terms and "
                   "operators in all; simplify them (vector expressions such as sum(x) "
                   "instead of x[0] + x[1] + ..., bounds instead of one constraint per element)")


def evaluation_problems(expressions: Iterable[tuple[str, Expression]],
                        sizes: Mapping[str, int], unknowns: int,
                        constraints: Iterable[tuple[str, Expression]] = ()) -> Problems:
    """The limits on one evaluation of a spec's expressions.

    ``expressions``: ``(field, expression)`` of everything evaluated each step
    (objective, model, right-hand sides); ``constraints``: likewise for the
    constraints, whose rows times ``unknowns`` bound the constraint Jacobian;
    ``sizes``: elements of each name (variables, parameters, data columns)."""
    problems: Problems = []
    work, rows, heaviest = 0, 0, ("", 0)
    for fld, expr in expressions:
        _, cost = expr.element_bounds(sizes)
        work += cost
        heaviest = max(heaviest, (fld, cost), key=lambda item: item[1])
    constraint_rows = []
    for fld, expr in constraints:
        out, cost = expr.element_bounds(sizes)
        work += cost
        rows += out
        constraint_rows.append((fld, out))
        heaviest = max(heaviest, (fld, cost), key=lambda item: item[1])
    if work > MAX_EVALUATION_ELEMENTS:
        share = f" (this one {heaviest[1]:,})" if heaviest[1] < work else ""
        problems.append((heaviest[0], (
            f"one evaluation of the spec's expressions can produce {work:,} numbers{share}; "
            f"at most {MAX_EVALUATION_ELEMENTS:,} are allowed: use fewer operations on the "
            "large arrays, or smaller arrays")))
    if rows * unknowns > MAX_CONSTRAINT_ENTRIES:
        biggest = max(constraint_rows, key=lambda item: item[1])
        problems.append(("constraints", (
            f"up to {rows:,} constraint rows over {unknowns:,} unknowns make a constraint "
            f"Jacobian of {rows * unknowns:,} entries ({biggest[0]} alone gives up to "
            f"{biggest[1]:,} rows); at most {MAX_CONSTRAINT_ENTRIES:,} are allowed: use "
            "fewer or smaller constraints, or bounds instead of element-wise constraints")))
    return problems


def cost_problems(problem: Problem) -> Problems:
    """:func:`evaluation_problems` for a read problem: its objective and
    constraints, fit model or ode right-hand sides, with the sizes of its names."""
    sizes = {v.name: v.size for v in problem.variables}
    sizes.update((k, int(v.size)) for k, v in problem.parameters.items())
    if problem.dataset is not None:
        sizes.update((c, problem.dataset.rows) for c in problem.dataset.columns)
    each_step = [("objective", problem.objective), ("model", problem.model),
                 *((f"rhs.{k}", e) for k, e in problem.rhs.items())]
    constraints = [(f"constraints[{i}].expr", c.expression)
                   for i, c in enumerate(problem.constraints)]
    return evaluation_problems([(f, e) for f, e in each_step if e is not None], sizes,
                               problem.size, constraints)
