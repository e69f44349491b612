"""The expression tree: the allow-listed node classes, the language's tables
(functions, operators, constants, binding powers) and small walks over a tree.

Built by :mod:`.expression_parser`, turned into closures by
:mod:`.expression_compile`; the public face is :mod:`.expressions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType
from typing import Any

import numpy as np

from .spec_limits import MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH, MAX_EXPRESSION_NODES

MAX_LENGTH = MAX_EXPRESSION_LENGTH   # the limits live in spec_limits
MAX_DEPTH = MAX_EXPRESSION_DEPTH
MAX_NODES = MAX_EXPRESSION_NODES
MAX_INDEX = 2**62
# Internal guards of Python's stack: parser recursion (which also counts the right sides
# of left-associative operators) and the height of the tree that compile/evaluate walk.
_MAX_RECURSION = 3 * MAX_DEPTH
_MAX_HEIGHT = 2 * MAX_DEPTH

_UNARY = ("sum", "prod", "mean", "exp", "log", "log10", "log1p", "expm1", "sqrt", "square",
          "abs", "sign", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
          "tanh", "cumsum")
FUNCTIONS: Mapping[str, int | tuple[int, int]] = MappingProxyType({
    **{name: 1 for name in _UNARY},
    "arctan2": 2, "minimum": 2, "maximum": 2, "dot": 2, "hypot": 2, "logaddexp": 2, "power": 2,
    "where": 3, "clip": 3,
})
# Backend attributes are looked up through getters built here from constant
# names only; user text never reaches an attribute lookup.
_FUNCTION_GETTERS = {name: attrgetter(name) for name in FUNCTIONS}
_OPERATOR_GETTERS = {op: attrgetter(attr) for op, attr in {
    "+": "add", "-": "subtract", "*": "multiply", "/": "true_divide", "%": "mod",
    "**": "power", "&": "logical_and", "|": "logical_or", "<": "less", "<=": "less_equal",
    ">": "greater", ">=": "greater_equal", "==": "equal", "!=": "not_equal", "neg": "negative",
}.items()}
CONSTANTS: Mapping[str, np.float64] = MappingProxyType({"pi": np.float64(np.pi),
                                                        "e": np.float64(np.e)})

# Binding powers, low to high; unary +/- sits between '*' and '**'.
_BINARY_BP = {"|": 10, "&": 20, "<": 30, "<=": 30, ">": 30, ">=": 30, "==": 30, "!=": 30,
              "+": 40, "-": 40, "*": 50, "/": 50, "%": 50, "**": 70}
_UNARY_BP = 60
_CHAIN_OPS = frozenset("+-*/%&|")
#: Functions whose result is one number whatever their arguments' sizes.
_REDUCTIONS = frozenset(("sum", "prod", "mean"))
_COMPARISONS = frozenset(("<", "<=", ">", ">=", "==", "!="))
_EVAL_ERRORS = (ValueError, IndexError, TypeError, ArithmeticError)


# ---------------------------------------------------------------------------- nodes

@dataclass(eq=False, kw_only=True)
class _Node:
    start: int  # span of the node in the text
    end: int
    height: int = 1


@dataclass(eq=False)
class _Const(_Node):
    value: Any


@dataclass(eq=False)
class _Name(_Node):
    name: str


@dataclass(eq=False)
class _Neg(_Node):
    operand: _Node


@dataclass(eq=False)
class _Chain(_Node):
    """A left-associative run of same-precedence operators, ``a - b + c``, kept flat so
    a 2,000-term sum does not become a 2,000-deep tree."""
    operands: list[_Node]
    ops: list[str]
    op_positions: list[int]


@dataclass(eq=False)
class _Binary(_Node):
    """``**`` or a comparison."""
    op: str
    left: _Node
    right: _Node
    op_pos: int


@dataclass(eq=False)
class _Call(_Node):
    func: str
    args: tuple[_Node, ...]


@dataclass(eq=False)
class _Index(_Node):
    target: _Node
    key: Any  # an int, a slice or a tuple of two of them
    bracket_pos: int


def _children(node: _Node) -> tuple[_Node, ...]:
    if isinstance(node, _Neg):
        return (node.operand,)
    if isinstance(node, _Chain):
        return tuple(node.operands)
    if isinstance(node, _Binary):
        return (node.left, node.right)
    if isinstance(node, _Call):
        return node.args
    if isinstance(node, _Index):
        return (node.target,)
    return ()


def _anchor(node: _Node) -> tuple[int, int]:
    """Where to point at for an error raised by this node: its operator, call or bracket."""
    if isinstance(node, _Chain):
        return node.op_positions[0], len(node.ops[0])
    if isinstance(node, _Binary):
        return node.op_pos, len(node.op)
    if isinstance(node, _Index):
        return node.bracket_pos, node.end - node.bracket_pos
    if isinstance(node, _Call):
        return node.start, len(node.func)
    return node.start, max(1, node.end - node.start)
