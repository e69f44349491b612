"""The checked expression tree flattened into a list of operations (children first),
with what code generation needs to know of each: whether it is fixed for the whole
solve (names only of parameters and data: computed once, here), whether derivatives
flow through it, and its shape (shapes never depend on values in this language, so
one evaluation at build time gives them all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..expression_tree import (_Binary, _Call, _Chain, _Const, _EVAL_ERRORS, _FUNCTION_GETTERS,
                               _Index, _Name, _Neg, _Node, _OPERATOR_GETTERS)
from .emit import Unsupported
from .linear import fused_operands, linear_runs, stack_columns
from .runtime import INTERNAL

Shape = tuple[int, ...]
#: Operations whose result carries no derivative (booleans, steps).
NOT_DIFFERENTIABLE = frozenset(("<", "<=", ">", ">=", "==", "!=", "&", "|", "sign"))


@dataclass(eq=False)
class Op:
    kind: str                 # "var", "time", "const", "op" (operator), "call", "index",
    #                           "dir" (a direction: Hessian-vector products, .hessian),
    #                           "stack" (fixed columns as one matrix, .linear)
    name: str = ""            # operator symbol or function name
    args: tuple[int, ...] = ()
    value: Any = None         # a constant's value, an index key
    span: tuple[int, int, bool] = (0, 0, False)   # a variable: offset, size, scalar
    static: bool = True       # no variable and no time below it: computed once
    live: bool = False        # derivatives with respect to the variables flow through it
    shape: Shape = field(default=())


@dataclass
class Layout:
    """Where each variable sits in the flat vector, and the fixed names' values."""
    variables: Mapping[str, tuple[int, int, bool]]   # name -> (offset, size, scalar)
    size: int
    env: Mapping[str, Any]
    time: str | None = None   # the name of the time argument (ODE right-hand sides)


class Program:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.ops: list[Op] = []
        self._leaves: dict[str, int] = {}
        self._memo: dict[tuple[Any, ...], int] = {}
        self.roots: list[int] = []
        #: Operations whose value (not only type and shape) decided the code: a folded
        #: exponent; the fixed values under them key a template (:mod:`.template`).
        self.pinned: set[int] = set()

    def add_root(self, node: _Node) -> int:
        root = self._add(node)
        self.roots.append(root)
        return root

    def _push(self, op: Op) -> int:
        if op.args:
            op.static = all(self.ops[a].static for a in op.args)
            op.live = (op.name not in NOT_DIFFERENTIABLE
                       and any(self.ops[a].live for a in op.args))
        self.ops.append(op)
        return len(self.ops) - 1

    def _intern(self, op: Op) -> int:
        """The index of an equal operation already in the program, or ``op``'s, new:
        a repeated subexpression (``k3*y2`` in two right-hand sides, ``x[:-1]`` twice
        in Rosenbrock) is computed, differentiated and compiled once. Equal means the
        same operation of the same arguments (same literal, same index key), so it
        has the same value: numpy is deterministic."""
        key = _signature(op)
        if key is None:
            return self._push(op)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._push(op)
        return found

    def _add(self, node: _Node) -> int:
        if isinstance(node, _Const):
            return self._intern(Op("const", value=node.value))
        if isinstance(node, _Name):
            return self._name(node.name)
        if isinstance(node, _Neg):
            return self._intern(Op("op", "neg", (self._add(node.operand),)))
        if isinstance(node, _Chain):
            layout = self.layout
            runs = linear_runs(node, layout.variables, layout.env) if "+" in node.ops else []
            if runs:   # terms over data columns as one matrix-vector product (.linear)
                made, ops = fused_operands(node, runs, layout.variables, self._columns_dot,
                                           self._add)
                total = made[0]
                for op, term in zip(ops, made[1:]):
                    total = self._intern(Op("op", op, (total, term)))
                return total
            acc = self._add(node.operands[0])
            for op, operand in zip(node.ops, node.operands[1:]):
                acc = self._intern(Op("op", op, (acc, self._add(operand))))
            return acc
        if isinstance(node, _Binary):
            return self._intern(Op("op", node.op, (self._add(node.left), self._add(node.right))))
        if isinstance(node, _Call):
            args = tuple(self._add(a) for a in node.args)
            if node.func == "clip":   # as the closures compute it: minimum(maximum(x, lo), hi)
                low = self._intern(Op("call", "maximum", args[:2]))
                return self._intern(Op("call", "minimum", (low, args[2])))
            return self._intern(Op("call", node.func, args))
        if isinstance(node, _Index):
            return self._intern(Op("index", args=(self._add(node.target),), value=node.key))
        raise Unsupported(type(node).__name__)

    def _columns_dot(self, variable: str, part: slice | None, columns: list[str]) -> int:
        """``dot(M, v[part])``, ``M`` the fixed ``columns`` side by side (a "stack")."""
        vector = self._name(variable)
        if part is not None:
            vector = self._intern(Op("index", args=(vector,), value=part))
        matrix = self._intern(Op("stack", args=tuple(self._name(c) for c in columns)))
        return self._intern(Op("call", "dot", (matrix, vector)))

    def _name(self, name: str) -> int:
        if name in self._leaves:
            return self._leaves[name]
        layout = self.layout
        if name == layout.time:
            op = Op("time", static=False)
        elif name in layout.variables:
            op = Op("var", span=layout.variables[name], static=False, live=True)
        elif name in layout.env:
            op = Op("const", value=layout.env[name])
        else:
            raise Unsupported("a name without a value")   # the closures say where
        self._leaves[name] = self._push(op)
        return self._leaves[name]

    def evaluate(self, x: np.ndarray, t: float = 0.0) -> list[Any]:
        """Every operation's value, with numpy as the closures compute it; fills in the
        shapes. Raises :class:`Unsupported` where the closures would raise."""
        values: list[Any] = []
        try:
            with np.errstate(all="ignore"):
                for op in self.ops:
                    values.append(_apply(op, [values[a] for a in op.args], x, t))
        except _EVAL_ERRORS as exc:
            raise Unsupported(str(exc)) from None
        for op, value in zip(self.ops, values):
            op.shape = tuple(np.shape(value))
        return values


def _signature(op: Op) -> tuple[Any, ...] | None:
    """What makes two operations equal (:meth:`Program._intern`), or None: not
    shared (a value we do not compare exactly)."""
    if op.kind == "const":
        value, kind = op.value, type(op.value)
        if kind is np.float64 or kind is float:   # by its bits: -0.0 is not 0.0 to 1/a
            return ("const", kind, float(value).hex())
        return ("const", kind, value) if kind is int else None
    if op.kind == "index":
        key = _key_signature(op.value)
        return None if key is None else ("index", op.args, key)
    return (op.kind, op.name, op.args)


def _key_signature(key: Any) -> tuple[Any, ...] | None:
    if type(key) is int:
        return ("int", key)
    if type(key) is slice:
        parts = (key.start, key.stop, key.step)
        return ("slice", *parts) if all(p is None or type(p) is int for p in parts) else None
    if type(key) is tuple:
        inner = [_key_signature(k) for k in key]
        return None if None in inner else ("tuple", *inner)
    return None


def apply_op(op: Op, args: Sequence[Any]) -> Any:
    """One operation's value from its arguments' (no variables: those are leaves),
    inside the caller's ``np.errstate``; raises what numpy raises."""
    return _apply(op, args, _NO_X, 0.0)


_NO_X = np.zeros(0)


def _apply(op: Op, args: Sequence[Any], x: np.ndarray, t: float) -> Any:
    if op.kind == "const" or op.kind == "dir":   # a direction's value: a placeholder
        return op.value
    if op.kind == "time":
        return t
    if op.kind == "var":
        offset, size, scalar = op.span
        return x[offset] if scalar else x[offset:offset + size]
    if op.kind == "index":
        return args[0][op.value]
    if op.kind == "stack":
        return stack_columns(*args)
    if op.kind == "op":
        return _OPERATOR_GETTERS[op.name](np)(*args)
    internal = INTERNAL.get(op.name)
    if internal is not None:
        return internal(*args)
    return _FUNCTION_GETTERS[op.name](np)(*args)


def layout_of(variables: Sequence[Any], env: Mapping[str, Any], time: str | None = None
              ) -> Layout:
    """A layout from a problem's variables (objects with name, size, scalar)."""
    spans: dict[str, tuple[int, int, bool]] = {}
    offset = 0
    for v in variables:
        spans[v.name] = (offset, int(v.size), bool(v.scalar))
        offset += int(v.size)
    return Layout(spans, offset, env, time)
