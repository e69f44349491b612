"""Straight-line value code: one assignment per operation that depends on the
variables (or time); fixed parts are values in the function's globals, computed
once. The same numpy operations as the closures, in the same order, so the values
agree with :meth:`Expression.evaluate` (to the last bit, up to numpy's own fast
paths such as ``x**2``)."""

from __future__ import annotations

from typing import Any

import ast

import numpy as np

from ..expression_tree import _EVAL_ERRORS
from .emit import STORE, E, binop, call, compare, interpret, ref, subscript
from .ir import Program
from .runtime import NAMESPACE, function_name
from .template import static_value

_COMPARISONS = frozenset(("<", "<=", ">", ">=", "==", "!="))
_ARITHMETIC = frozenset(("+", "-", "*", "/", "%", "**"))


class ValueEmitter:
    """Emits the value of every operation of ``program`` into ``body``; ``refs[i]`` is
    the expression that reads operation i's value in the generated code."""

    def __init__(self, program: Program, values: list[Any]) -> None:
        self.program = program
        self.ops = program.ops
        self.values = values
        self.n = program.layout.size
        self.namespace: dict[str, Any] = dict(NAMESPACE)
        self.body: list[ast.stmt] = []
        self.refs: dict[int, E] = {}
        self.x = ref("_x", (self.n,))
        self.folding = True   # off in a dry run, whose fixed values are placeholders
        #: Each fold tried: the global it became (None: it raised, not folded), the
        #: expression and its value's shape; redone for other values (:mod:`.template`).
        self.folds: list[tuple[str | None, ast.expr, tuple[int, ...]]] = []

    def constant(self, name: str, value: Any, shape: tuple[int, ...] = ()) -> E:
        """A value fixed for the whole solve, read from the globals under our ``name``."""
        self.namespace[name] = value
        return ref(name, shape, fixed=True)

    def fold(self, e: E, name: str) -> E:
        """``e`` itself, or, when it reads fixed values only, its value computed once now
        (a derivative factor such as ``-t`` in a fit) and read from the globals."""
        if not self.folding or not e.fixed or isinstance(e.node, (ast.Name, ast.Constant)):
            return e
        try:
            with np.errstate(all="ignore"):
                value = interpret(e.node, self.namespace)
        except _EVAL_ERRORS:
            self.folds.append((None, e.node, ()))
            return e
        shape = tuple(np.shape(value))
        self.folds.append((name, e.node, shape))
        return self.constant(name, value, shape)

    def emit_values(self) -> None:
        for i, op in enumerate(self.ops):
            if op.static:   # a numpy scalar for a number: faster than a 0-d array
                value = static_value(self.values[i], op.shape)
                self.refs[i] = self.constant(f"_c{i}", value, op.shape)
            elif op.kind == "time":   # numpy semantics for t too (1/0, powers of negatives)
                self.body.append(_assign(f"_t{i}", call("_float64", ref("_time", ()))))
                self.refs[i] = ref(f"_t{i}", ())
            else:
                self.body.append(_assign(f"_t{i}", self._value(i)))
                self.refs[i] = ref(f"_t{i}", op.shape)

    def _value(self, i: int) -> E:
        op = self.ops[i]
        args = [self.refs[a] for a in op.args]
        if op.kind == "var" or op.kind == "dir":   # a direction: the argument _p
            offset, size, scalar = op.span
            vector = self.x if op.kind == "var" else ref("_p", (self.n,))
            return subscript(vector, offset if scalar else (offset, offset + size), op.shape)
        if op.kind == "index":
            return subscript(args[0], self.constant(f"_key{i}", op.value), op.shape)
        if op.kind == "call":
            return call(function_name(op.name), *args, shape=op.shape)
        if op.name == "neg":
            return -args[0]
        if op.name in _COMPARISONS:
            return compare(op.name, *args)
        b = op.args[1] if op.name == "**" else -1
        if b >= 0 and self.ops[b].static and not self.ops[b].shape:
            self.program.pinned.add(b)   # the code depends on the exponent's value
            if self.values[b] is not None and float(self.values[b]) == 2.0:
                return args[0] * args[0]   # what numpy does for arrays, and fast for numbers
        if op.name in _ARITHMETIC:
            return binop(op.name, *args)
        return call("_logical_and" if op.name == "&" else "_logical_or", *args, shape=op.shape)


def _assign(name: str, value: E) -> ast.stmt:
    return ast.Assign([ast.Name(name, STORE)], value.node)
