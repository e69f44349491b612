"""Linear combinations of data columns, fused into one matrix-vector product.

A model written term by term over data columns, ``w[0]*f0 + w[1]*f1 + ... + w[4]*f4``
(``w`` a vector of unknowns, each ``f`` a fixed vector of one length), is as many
array products and sums in the value code, as many again in a Hessian-vector
product's tangent, and as many dot products and scatters in the gradient. As
``dot(M, w[0:5])``, with ``M`` the columns side by side (computed once, a fixed
value like any other), each of those is one BLAS call: a logistic loss over five
columns of 1,000 rows goes from 35 µs a Hessian-vector product to ~22 (issue 16:
the generated evaluator within 1.5x of hand-written numpy, which uses a matrix).

What is fused: a run of at least :data:`MIN_TERMS` consecutive terms of one ``+``
chain, each the product of ``v[k]`` (an element of a vector variable, by an integer
index) and the name of a fixed one-dimensional array, in either order, the ``k``
consecutive and ascending, the arrays all of one length (a long run is fused in
parts of at most :data:`MAX_MATRIX_BYTES`). Nothing else changes
(a ``-`` between terms, separate scalar unknowns, a product of expressions: the
terms stay as they are). The sum is then a dot product, so it may differ from the
term-by-term sum in the last bits, as any two summation orders do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..expression_tree import _Chain, _Index, _Name, _Node

#: Fewer terms are cheaper as they are (two products and a sum: ~2.5 µs at 1,000 rows).
MIN_TERMS = 3
#: The most one matrix of columns may hold (it is a copy of them, kept with the
#: program): a longer run is fused in parts of at most this size, and columns too
#: long for :data:`MIN_TERMS` of them are not fused at all.
MAX_MATRIX_BYTES = 16 * 2**20


def stack_columns(*columns: Any) -> np.ndarray:
    """The fixed arrays as the columns of one matrix, each column contiguous (both
    ``M @ w`` and ``g @ M`` are then one fast BLAS call)."""
    return np.stack([np.asarray(c) for c in columns]).T


class Term:
    """``v[k] * column``: the variable's name, the element and the column's name."""

    __slots__ = ("variable", "element", "column")

    def __init__(self, variable: str, element: int, column: str) -> None:
        self.variable = variable
        self.element = element
        self.column = column


def term_of(node: _Node, variables: Mapping[str, tuple[int, int, bool]],
            env: Mapping[str, Any]) -> Term | None:
    """The term ``node`` is, or None."""
    if not (isinstance(node, _Chain) and node.ops == ["*"]):
        return None
    for element, column in (node.operands, node.operands[::-1]):
        if not (isinstance(element, _Index) and isinstance(element.target, _Name)
                and isinstance(column, _Name)):
            continue
        span = variables.get(element.target.name)
        key = element.key
        if span is None or span[2] or type(key) is not int:
            continue
        size = span[1]
        if not -size <= key < size:
            continue   # out of range: the usual path reports it
        value = env.get(column.name)
        if (column.name in variables or not isinstance(value, np.ndarray) or value.ndim != 1
                or value.dtype.kind not in "fiu" or value.size < 2):
            continue
        return Term(element.target.name, key % size, column.name)
    return None


Run = tuple[int, int, list[Term]]


def linear_runs(node: _Chain, variables: Mapping[str, tuple[int, int, bool]],
                env: Mapping[str, Any]) -> list[Run]:
    """``(first, stop, terms)``: the operands of ``node`` to fuse, by range, with
    their terms (see the module docstring)."""
    terms = [term_of(o, variables, env) for o in node.operands]
    runs: list[Run] = []
    i = 0
    while i < len(terms):
        first = terms[i]
        if first is None or (i > 0 and node.ops[i - 1] != "+"):
            i += 1
            continue
        length = len(env[first.column])
        stop = i + 1
        while stop < len(terms):
            t = terms[stop]
            if (t is None or node.ops[stop - 1] != "+" or t.variable != first.variable
                    or t.element != first.element + (stop - i)
                    or len(env[t.column]) != length):
                break
            stop += 1
        most = MAX_MATRIX_BYTES // (8 * length)   # terms a matrix may hold
        for part in range(i, stop, max(most, 1)):
            end = min(part + most, stop)
            if end - part >= MIN_TERMS:
                runs.append((part, end, terms[part:end]))   # type: ignore[arg-type]
        i = stop
    return runs


def fused_operands(node: _Chain, runs: Sequence[Run],
                   variables: Mapping[str, tuple[int, int, bool]],
                   dot: Callable[[str, slice | None, list[str]], int],
                   add: Callable[[_Node], int]) -> tuple[list[int], list[str]]:
    """The chain's operands as operations, each run one ``dot``; and the operators
    between them. ``dot(variable, element slice or None for all, column names)``
    makes the fused operation, ``add(node)`` any other operand."""
    operands: list[int] = []
    ops: list[str] = []
    at = 0
    end = len(node.operands)
    for first, stop, terms in [*runs, (end, end, [])]:
        for j in range(at, first):
            if j > 0:
                ops.append(node.ops[j - 1])
            operands.append(add(node.operands[j]))
        if not terms:
            break
        name, start = terms[0].variable, terms[0].element
        whole = start == 0 and len(terms) == variables[name][1]
        if first > 0:
            ops.append("+")
        operands.append(dot(name, None if whole else slice(start, start + len(terms)),
                            [t.column for t in terms]))
        at = stop
    return operands, ops
