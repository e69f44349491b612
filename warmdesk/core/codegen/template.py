"""A built program made again for other fixed values without generating code: the
second level of :mod:`.cache` (issue 16, warm starts whose only change is a
parameter value).

Generated code reads the fixed values (parameters, data columns) from its globals
only: ``_c{i}``, the value of a fixed operation (computed once, at the build), and
the derivative factors :meth:`.forward.ValueEmitter.fold` computed from them. Every
other global is a backend function or a value of the tree itself (``_key{i}``, an
index key; ``_e{i}``, an identity block). So a program for other values of the same
types, dtypes and shapes is the same code with other globals, except where an
emitter decided something from a value itself: a folded exponent (``x**p`` with a
fixed ``p``, :func:`.rules.local_factors`, :meth:`.hessian._Tangents._power`) and
the ``x**2`` special case of :mod:`.forward`. Those decisions record the operation
they read in :attr:`.ir.Program.pinned`; the fixed values under it are part of the
template's key (:func:`pinned_names`).

:meth:`Template.bind` does what the build does with the values, and checks that it
comes out the same: it evaluates every operation for the new values at the new
point (the build's :meth:`.ir.Program.evaluate`, also for the operations a Hessian
added), checks that each has the type, dtype and shape it had at the build (shapes
and dtypes decide code: broadcasting, the float conversion of ``_c{i}``, a fresh
output array), recomputes the ``_c{i}``, and recomputes each fold, which must
succeed (or fail) as it did. Any difference: None, and the caller builds. Else a
new namespace, and the program is made again by the kind's own factory from the
same code objects (``types.FunctionType(code, globals)``): nothing is generated,
and nothing compiled that the audit (:func:`.emit.compile_function`) did not pass.
"""

from __future__ import annotations

import ast
import re
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Generic, TypeVar

import numpy as np

from ..expression_tree import _EVAL_ERRORS
from .emit import compile_function, interpret
from .ir import Program, _apply
from .runtime import NAMESPACE

T = TypeVar("T")
Signature = tuple[type, str | None, tuple[int, ...]]
#: Globals that are values of the tree itself, not of the fixed values.
_LITERAL = re.compile(r"_(key|e)\d+\Z")


def signature(value: Any) -> Signature:
    """What code generation may have decided from a value: its type, dtype, shape."""
    kind = type(value)
    if kind is np.ndarray:
        return kind, value.dtype.str, value.shape
    if isinstance(value, np.generic):
        return kind, value.dtype.str, ()
    return kind, None, tuple(np.shape(value))


def static_value(value: Any, shape: tuple[int, ...]) -> Any:
    """The global ``_c{i}`` for a fixed operation's value: a number as a numpy float
    (faster than a 0-d array), anything else as it is."""
    if not shape and np.asarray(value).dtype.kind == "f":
        return np.float64(value)
    return value


class Binding:
    """The globals of one program: the namespace (checked by the audit) and the dict
    its functions run with (no builtins), shared by all of them (they only read it)."""

    __slots__ = ("namespace", "globals")

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.globals: dict[str, Any] = {"__builtins__": {}, **namespace}


class Code:
    """One generated function's code, compiled (and audited) at its first use, once
    for every binding, under a lock: a cached template may serve several threads."""

    def __init__(self, args: Sequence[str], body: list[ast.stmt]) -> None:
        self.args = list(args)
        self.body = body
        self._code: types.CodeType | None = None
        self._lock = threading.Lock()

    def function(self, binding: Binding) -> Callable[..., Any]:
        code = self._code
        if code is None:
            with self._lock:
                if self._code is None:
                    self._code = compile_function(self.args, self.body,
                                                  binding.namespace).__code__
                    self.body = []   # compiled: the syntax tree is not needed again
                code = self._code
        return types.FunctionType(code, binding.globals, "_generated")


class Template(Generic[T]):
    """What a build did, free of the fixed values (module docstring). ``make`` gives
    the kind's program from a binding; the build's own program is made by it too."""

    def __init__(self, program: Program, values: Sequence[Any], namespace: Mapping[str, Any],
                 folds: Sequence[tuple[str | None, ast.expr, tuple[int, ...]]],
                 make: Callable[[Binding], T]) -> None:
        ops = program.ops
        self.leaves = {i: name for name, i in program._leaves.items() if ops[i].kind == "const"}
        # The fixed values are not kept: a leaf's value is the binding's.
        self.ops = [replace(op, value=None) if i in self.leaves else op
                    for i, op in enumerate(ops)]
        self.signatures = [signature(v) for v in values]
        self.statics = [(i, f"_c{i}", op.shape) for i, op in enumerate(ops) if op.static]
        self.folds = list(folds)
        derived = {name for _, name, _ in self.statics}
        derived.update(name for name, _, _ in self.folds if name is not None)
        self.literal = {k: v for k, v in namespace.items() if k not in derived}
        self.names = frozenset(namespace)
        self.pinned = pinned_names(program)
        self.make = make
        #: Every global is accounted for (else the cache keeps no template: a global
        #: we do not know how to recompute is never reused for other values).
        self.complete = derived <= self.names and all(k in NAMESPACE or _LITERAL.match(k)
                                                      for k in self.literal)

    def bind(self, env: Mapping[str, Any], x: np.ndarray, t: float = 0.0) -> T | None:
        """The program for the fixed values ``env`` (same names, types, dtypes and
        shapes; same pinned values), or None where the build would differ."""
        values: list[Any] = []
        point = np.asarray(x, dtype=float)
        leaves = self.leaves
        try:
            with np.errstate(all="ignore"):
                for i, op in enumerate(self.ops):
                    name = leaves.get(i)
                    values.append(env[name] if name is not None else
                                  _apply(op, [values[a] for a in op.args], point, t))
        except _EVAL_ERRORS:
            return None   # the build raises there too (and declines)
        if any(signature(v) != s for v, s in zip(values, self.signatures)):
            return None
        namespace = dict(self.literal)
        for i, name, shape in self.statics:
            namespace[name] = static_value(values[i], shape)
        for name, node, shape in self.folds:
            try:
                with np.errstate(all="ignore"):
                    folded = interpret(node, namespace)
            except _EVAL_ERRORS:
                if name is None:
                    continue   # not folded at the build either
                return None
            if name is None or tuple(np.shape(folded)) != shape:
                return None
            namespace[name] = folded
        if namespace.keys() != self.names:
            return None
        return self.make(Binding(namespace))


def pinned_names(program: Program) -> tuple[str, ...]:
    """The fixed values under the operations whose values decided code (sorted)."""
    leaves = {i: name for name, i in program._leaves.items()}
    names: set[str] = set()
    seen: set[int] = set()
    todo = list(program.pinned)
    while todo:
        i = todo.pop()
        if i in seen:
            continue
        seen.add(i)
        if i in leaves:
            names.add(leaves[i])
        todo.extend(program.ops[i].args)
    return tuple(sorted(names))
