"""Generated evaluators for one problem: a scalar objective's value and gradient
(reverse mode), and a vector of expressions' value and Jacobian (forward mode),
each a plain numpy function of the flat vector, compiled once.

Each builder returns None when code generation does not cover the expression
(``dot`` of two matrices, a name without a value, an error at the build point):
the caller keeps the interpreted closures, which also give the positioned
:class:`~warmdesk.core.expressions.ExpressionError` whenever a generated function
raises (see :mod:`warmdesk.core.solvers.compiled`). A build also gives the
program's :class:`~.template.Template`, which :mod:`.cache` keeps to make the same
program for other fixed values without generating code again; the build's own
program is made by the template's factory too, so both are made alike.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..expressions import Expression

from .emit import Unsupported, add_loaded_names, assign, call, compile_function, ref, ret, store
from .cache import Built, cached
from .forward import ValueEmitter
from .ir import Layout, Program
from .jacobian import JacobianEmitter
from .reverse import GradientEmitter
from .template import Binding, Code, Template


T = TypeVar("T")
#: Vector unknowns up to this size get their Jacobian code at once; larger ones at
#: the first Jacobian (their identity block is size x size numbers).
EAGER_IDENTITY = 1024


@dataclass
class ScalarProgram:
    """``value(x)`` and ``value_and_grad(x)``; each is compiled at its first call
    (a gradient method never asks for the value alone, a derivative-free one
    never for the gradient), then replaces its placeholder."""
    value: Callable[[np.ndarray], Any]
    value_and_grad: Callable[[np.ndarray], tuple[Any, np.ndarray]]


@dataclass
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
    """f(x) and (f(x), grad f(x)) for a scalar objective, or None (keep the closures);
    built once per expression, layout and fixed values (:mod:`.cache`)."""
    return cached([expr], layout, "scalar", lambda held: _scalar_program(expr, held, x), x)


def vector_program(outputs: Sequence[tuple[Expression, int | None]], layout: Layout,
                   x: np.ndarray, t: float = 0.0) -> VectorProgram | None:
    """Expressions stacked into one vector (each broadcast to its length, or its own
    size when the length is None), and their Jacobian; or None (keep the closures).
    Built once per expressions, lengths, layout and fixed values (:mod:`.cache`)."""
    return cached([e for e, _ in outputs], layout, ("vector", tuple(n for _, n in outputs)),
                  lambda held: _vector_program(outputs, held, x, t), x, t)


def templated(emitter: ValueEmitter, make: Callable[[Binding], T]) -> Built[T]:
    """The program the build made (by ``make``, from its emitter's globals) and its
    template, for other fixed values."""
    template = Template(emitter.program, emitter.values, emitter.namespace, emitter.folds, make)
    return make(Binding(dict(emitter.namespace))), template if template.complete else None


def _scalar_program(expr: Expression, layout: Layout, x: np.ndarray
                    ) -> Built[ScalarProgram | None]:
    try:
        program, values = _program([expr], layout, x, 0.0)
        root = program.roots[0]
        if program.ops[root].shape:
            raise Unsupported("not one number")
        emitter = GradientEmitter(program, values)
        emitter.emit_values()
        # The value code is the start of the gradient code: emitted once, for both.
        value_body = [*emitter.body, ret(emitter.refs[root])]
        grad = emitter.emit_gradient(root)   # emitted now: Unsupported is raised here
    except Unsupported:
        return None, None
    value_code = Code(["_x"], value_body)
    both_code = Code(["_x"], [*emitter.body, ret(emitter.refs[root], grad)])

    def make(binding: Binding) -> ScalarProgram:
        def first_value(v: np.ndarray) -> Any:
            """Compiled at the first call of any program of this template (once,
            :class:`.template.Code`), then in place of this placeholder. Two threads
            may both replace it: harmless, generated functions are pure."""
            out.value = value_code.function(binding)
            return out.value(v)

        def first_both(v: np.ndarray) -> tuple[Any, np.ndarray]:
            out.value_and_grad = both_code.function(binding)
            return out.value_and_grad(v)
        out = ScalarProgram(first_value, first_both)
        return out
    return templated(emitter, make)


def _vector_program(outputs: Sequence[tuple[Expression, int | None]], layout: Layout,
                    x: np.ndarray, t: float = 0.0) -> Built[VectorProgram | None]:
    try:
        program, values = _program([e for e, _ in outputs], layout, x, t)
        sizes = []
        for root, (_, length) in zip(program.roots, outputs):
            shape = program.ops[root].shape
            if len(shape) > 1 or (length is not None and not _fits(shape, length)):
                raise Unsupported("an output that is not a flat vector of its length")
            sizes.append(length if length is not None else (shape[0] if shape else 1))
        total = sum(sizes)
        args = ["_x"] if layout.time is None else ["_time", "_x"]
        emitter = JacobianEmitter(program, values)
        emitter.emit_values()
        # Not pruned: every operation is part of an output (Program.add_root adds
        # each root's whole tree), so the value code reads every value it computes.
        value_body = [*emitter.body, *_pack_values(emitter, sizes, total)]
        if max((size for _, size, scalar in layout.variables.values() if not scalar),
               default=0) <= EAGER_IDENTITY:
            emitter.emit_derivatives()
            value_code = Code(args, value_body)
            jacobian_code = Code(args, prune([*emitter.body,
                                              *_pack_jacobian(emitter, sizes, total)]))
            return templated(emitter, lambda b: VectorProgram(
                value_code.function(b), jacobian_code.function(b), total))
        value = compile_function(args, value_body, emitter.namespace)

        def build_jacobian() -> Callable[..., np.ndarray]:
            emitter.emit_derivatives()
            return compile_function(args, prune([*emitter.body,
                                                 *_pack_jacobian(emitter, sizes, total)]),
                                    emitter.namespace)
        dry = JacobianEmitter(program, values, identities=False)
        dry.emit_values()
        dry.emit_derivatives()   # raises Unsupported now, not at the first Jacobian
    except Unsupported:
        return None, None
    built: list[Callable[..., np.ndarray]] = []
    lock = threading.Lock()

    def first_jacobian(*args: Any) -> np.ndarray:
        """Jacobian code is built at the first Jacobian: an explicit ODE method never
        asks for one, and a vector unknown's identity block is n x n numbers. Built
        once, under the program's lock: building adds to the emitter, and a cached
        program may serve several threads (:mod:`.cache`)."""
        with lock:
            if not built:
                built.append(build_jacobian())
        out.jacobian = built[0]
        return built[0](*args)
    # No template: its globals are complete only at the first Jacobian (a program
    # this large is built again for other values; its build is small beside its solve).
    out = VectorProgram(value, first_jacobian, total)
    return out, None


def _rows(emitter: JacobianEmitter, root: int, offset: int, size: int) -> int | tuple[int, int]:
    return offset if size == 1 and not emitter.ops[root].shape else (offset, offset + size)


def _pack_values(emitter: JacobianEmitter, sizes: list[int], total: int) -> list[ast.stmt]:
    """A fresh vector with each output's rows stored (broadcast to its length); or
    the one output itself when it is a new float array of that length."""
    (root,) = emitter.program.roots[:1] or (None,)
    if len(sizes) == 1 and root is not None and _fresh_vector(emitter, root, total):
        return [ret(emitter.refs[root])]
    body = [assign("_out", call("_empty", (total,), shape=(total,)))]
    offset = 0
    for root, size in zip(emitter.program.roots, sizes):
        body.append(store("_out", emitter.refs[root], _rows(emitter, root, offset, size)))
        offset += size
    return [*body, ret(ref("_out", (total,)))]


def _pack_jacobian(emitter: JacobianEmitter, sizes: list[int], total: int) -> list[ast.stmt]:
    """Zeros, with each output's derivative blocks stored at their rows and columns."""
    shape = (total, emitter.n)
    body = []
    offset, covered = 0, 0
    for root, size in zip(emitter.program.roots, sizes):
        rows = _rows(emitter, root, offset, size)
        for v, block in (emitter.blocks.get(root, {}) if emitter.ops[root].live else {}).items():
            start, width, scalar = emitter.ops[v].span
            body.append(store("_jac", block, rows, start if scalar else (start, start + width)))
            covered += size * width
        offset += size
    # Every entry stored: no need to zero the array first (a 10k-row fit's Jacobian).
    make = "_empty" if covered == total * emitter.n else "_zeros"
    return [assign("_jac", call(make, shape, shape=shape)), *body, ret(ref("_jac", shape))]


def _fresh_vector(emitter: JacobianEmitter, root: int, total: int) -> bool:
    op = emitter.ops[root]
    value = emitter.values[root]
    return (op.kind in ("op", "call") and not op.static and op.shape == (total,)
            and isinstance(value, np.ndarray) and value.dtype == np.float64)


def prune(body: list[ast.stmt]) -> list[ast.stmt]:
    """Drop assignments whose result is never read (the Jacobian code does not need
    every value the value code computes)."""
    needed: set[str] = set()
    kept: list[ast.stmt] = []
    for stmt in reversed(body):
        if type(stmt) is ast.Assign:
            target = stmt.targets[0]
            name = target.id if type(target) is ast.Name else target.value.id  # type: ignore
            if name not in needed:
                continue
        kept.append(stmt)
        add_loaded_names(stmt, needed)
    return kept[::-1]


def _fits(shape: tuple[int, ...], length: int) -> bool:
    try:
        return np.broadcast_shapes(shape, (length,)) == (length,)
    except ValueError:
        return False
