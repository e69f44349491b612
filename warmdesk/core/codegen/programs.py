"""Generated evaluators for one problem: a scalar objective's value and gradient
(reverse mode), and a vector of expressions' value and Jacobian (forward mode),
each a plain numpy function of the flat vector, compiled once.

Each builder returns None when code generation does not cover the expression
(``dot`` of two matrices, a name without a value, an error at the build point):
the caller keeps the interpreted closures, which also give the positioned
:class:`~warmdesk.core.expressions.ExpressionError` whenever a generated function
raises (see :mod:`warmdesk.core.solvers.compiled`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..expressions import Expression
from .emit import E, Unsupported, compile_function, ret, store, assign, call, ref
from .ir import Layout, Program
from .jacobian import JacobianEmitter
from .reverse import GradientEmitter


@dataclass(frozen=True)
class ScalarProgram:
    value: Callable[[np.ndarray], Any]
    value_and_grad: Callable[[np.ndarray], tuple[Any, np.ndarray]]


@dataclass(frozen=True)
class VectorProgram:
    """``value(x)`` / ``jacobian(x)``, or ``(t, x)`` when the layout has a time name."""
    value: Callable[..., np.ndarray]
    jacobian: Callable[..., np.ndarray]
    size: int


def _program(exprs: Sequence[Expression], layout: Layout, x: np.ndarray, t: float
             ) -> tuple[Program, list[Any]]:
    program = Program(layout)
    for expr in exprs:
        program.add_root(expr._root)   # the checked tree of our own parser
    return program, program.evaluate(np.asarray(x, dtype=float), t)


def scalar_program(expr: Expression, layout: Layout, x: np.ndarray) -> ScalarProgram | None:
    """f(x) and (f(x), grad f(x)) for a scalar objective, or None (keep the closures)."""
    try:
        program, values = _program([expr], layout, x, 0.0)
        root = program.roots[0]
        if program.ops[root].shape:
            raise Unsupported("not one number")
        plain = GradientEmitter(program, values)
        plain.emit_values()
        value = compile_function(["_x"], [*plain.body, ret(plain.refs[root])], plain.namespace)
        emitter = GradientEmitter(program, values)
        emitter.emit_values()
        grad = emitter.emit_gradient(root)
        both = compile_function(["_x"], [*emitter.body, ret(emitter.refs[root], grad)],
                                emitter.namespace)
    except Unsupported:
        return None
    return ScalarProgram(value, both)


def vector_program(outputs: Sequence[tuple[Expression, int | None]], layout: Layout,
                   x: np.ndarray, t: float = 0.0) -> VectorProgram | None:
    """Expressions stacked into one vector (each broadcast to its length, or its own
    size when the length is None), and their Jacobian; or None (keep the closures)."""
    try:
        program, values = _program([e for e, _ in outputs], layout, x, t)
        sizes = []
        for root, (_, length) in zip(program.roots, outputs):
            shape = program.ops[root].shape
            if len(shape) > 1 or (length is not None and
                                  np.broadcast_shapes(shape, (length,)) != (length,)):
                raise Unsupported("an output that is not a flat vector of its length")
            sizes.append(length if length is not None else (shape[0] if shape else 1))
        total = sum(sizes)
        args = ["_x"] if layout.time is None else ["_time", "_x"]
        emitter = JacobianEmitter(program, values)
        emitter.emit_values()
        value_body = [*emitter.body, *_pack(emitter.refs, program.roots, sizes, total,
                                             "_out", "_empty", ())]
        value = compile_function(args, value_body, emitter.namespace)
        emitter.emit_derivatives()
        live = {r: emitter.drefs[r] for r in program.roots if program.ops[r].live}
        jac_body = [*emitter.body, *_pack(live, program.roots, sizes, total, "_jac", "_zeros",
                                          (layout.size,))]
        jacobian = compile_function(args, jac_body, emitter.namespace)
    except Unsupported:
        return None
    return VectorProgram(value, jacobian, total)


def _pack(refs: dict[int, E], roots: list[int], sizes: list[int], total: int, name: str,
          make: str, tail: tuple[int, ...]) -> list[Any]:
    """``name = make((total,) + tail)``, then each root's rows stored (broadcasting)."""
    shape = (total, *tail)
    body = [assign(name, call(make, shape, shape=shape))]
    offset = 0
    for root, size in zip(roots, sizes):
        if root in refs:
            body.append(store(name, offset, offset + size, refs[root]))
        offset += size
    body.append(ret(ref(name, shape)))
    return body
