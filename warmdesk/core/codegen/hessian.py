"""Hessian-vector products of a scalar objective, generated: reverse over forward.

``H(x) p`` is the gradient of the directional derivative ``t(x) = grad f(x) . p``.
This module writes ``t`` as more operations of the same checked program: for each
operation that carries derivatives, its tangent (forward mode in the direction
``p``), built from the language's own operators and functions, with the direction
as new leaves (``dir``: slices of a second argument ``_p``, never differentiated).
The reverse-mode emitter (:mod:`.reverse`, property-tested for every rule) then
gives ``grad t = H p`` as straight-line numpy code, compiled once by
:func:`.emit.compile_function` like every generated evaluator (and rebound to
other fixed values like them, :mod:`.template`). The code is
syntax-tree objects only and no user name becomes an identifier.

Reverse over forward rather than forward over the generated reverse code: the
tangent is written in the language's operations, so the reverse emitter (and
its rules, tests and audit) serve unchanged, and no derivative rules are needed
for the backend's own helpers.

Declined (``None``: the caller falls back to autograd over the closures): what
:func:`.programs.scalar_program` declines (``dot`` of two matrices, a name without
a value, an error at the build point), and ``prod`` of an argument that depends on
the unknowns (its tangent needs the products of all other elements, which the
language has no operation for).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..expression_tree import _EVAL_ERRORS
from ..expressions import Expression
from .cache import Built, cached
from .emit import Unsupported, ret
from .ir import Layout, Op, Program, apply_op
from .programs import prune, templated
from .reverse import GradientEmitter
from .template import Code

Hvp = Callable[[np.ndarray, np.ndarray], np.ndarray]
_LN10 = math.log(10.0)


def hvp_program(expr: Expression, layout: Layout, x: np.ndarray) -> Hvp | None:
    """``hvp(x, p) = H(x) p`` of a scalar objective, or None (keep autograd); built
    once per expression, layout and fixed values (:mod:`.cache`)."""
    return cached([expr], layout, "hvp", lambda held: _hvp_program(expr, held, x), x)


def _hvp_program(expr: Expression, layout: Layout, x: np.ndarray) -> Built[Hvp | None]:
    try:
        program = Program(layout)
        root = program.add_root(expr._root)   # the checked tree of our own parser
        values = program.evaluate(np.asarray(x, dtype=float))
        if program.ops[root].shape:
            raise Unsupported("not one number")
        tangent = _Tangents(program, values, x.size).build()[root]
        if tangent is None:   # f does not depend on the unknowns: H = 0 (no template)
            n = x.size
            return (lambda x, p: np.zeros(n)), None
        emitter = GradientEmitter(program, values)
        emitter.emit_values()
        grad = emitter.emit_gradient(tangent)
        code = Code(["_x", "_p"], prune([*emitter.body, ret(grad)]))
        return templated(emitter, code.function)
    except Unsupported:
        return None, None


class _Tangents:
    """Appends to ``program`` the tangent operations of its live operations."""

    def __init__(self, program: Program, values: list[Any], n: int) -> None:
        self.program = program
        self.ops = program.ops
        self.values = values
        self.n = n

    def build(self) -> list[int | None]:
        tangents: list[int | None] = []
        try:
            with np.errstate(all="ignore"):   # once, not per operation pushed
                for i in range(len(self.ops)):
                    op = self.ops[i]
                    tangents.append(self._tangent(i, op, tangents) if op.live else None)
        except _EVAL_ERRORS as exc:
            raise Unsupported(str(exc)) from None
        return tangents

    # ---------------------------------------------------------------- building blocks

    def push(self, op: Op) -> int:
        i = self.program._push(op)
        self.values.append(apply_op(op, [self.values[a] for a in op.args]))
        op.shape = tuple(np.shape(self.values[i]))
        return i

    def const(self, value: float) -> int:
        return self.push(Op("const", value=np.float64(value)))

    def op(self, name: str, *args: int) -> int:
        return self.push(Op("op", name, args))

    def call(self, name: str, *args: int) -> int:
        return self.push(Op("call", name, args))

    def add(self, a: int | None, b: int | None) -> int | None:
        if a is None or b is None:
            return a if b is None else b
        return self.op("+", a, b)

    def sub(self, a: int | None, b: int | None) -> int | None:
        if b is None:
            return a
        return self.op("neg", b) if a is None else self.op("-", a, b)

    def mul(self, factor: int, t: int | None) -> int | None:
        return None if t is None else self.op("*", factor, t)

    def div(self, t: int | None, by: int) -> int | None:
        return None if t is None else self.op("/", t, by)

    def zero_or(self, t: int | None) -> int:
        return self.const(0.0) if t is None else t

    def full(self, t: int, like: int) -> int:
        """``t`` broadcast to the shape of op ``like`` (a reduction, an index or a
        dot of a smaller tangent would be wrong)."""
        shape = self.ops[like].shape
        if self.ops[t].shape == shape:
            return t
        zeros = self.push(Op("const", value=np.zeros(shape)))
        return self.op("+", t, zeros)

    # ---------------------------------------------------------------- the rules

    def _tangent(self, i: int, op: Op, tangents: Sequence[int | None]) -> int | None:
        if op.kind == "var":
            offset, size, scalar = op.span
            value = np.float64(1.0) if scalar else np.ones(size)
            return self.push(Op("dir", span=op.span, value=value, static=False))
        args = op.args
        t = [tangents[a] if self.ops[a].live else None for a in args]
        if op.kind == "index":
            if t[0] is None:
                return None
            return self.push(Op("index", args=(self.full(t[0], args[0]),), value=op.value))
        name = op.name
        if name in ("sum", "mean", "cumsum"):
            if t[0] is None:
                return None
            return self.call(name, self.full(t[0], args[0]))
        if name == "prod":
            raise Unsupported("the Hessian of prod")
        if name == "dot":
            a, b = args
            return self.add(None if t[0] is None else self.call("dot", self.full(t[0], a), b),
                            None if t[1] is None else self.call("dot", a, self.full(t[1], b)))
        if name in ("minimum", "maximum", "where"):
            if name == "where":
                mask, first, second = args[0], t[1], t[2]
            else:
                mask = self.op("<=" if name == "minimum" else ">=", args[0], args[1])
                first, second = t
            return self.call("where", mask, self.zero_or(first), self.zero_or(second))
        if name in ("**", "power"):
            return self._power(i, args, t)
        return self._elementwise(i, name, args, t)

    def _power(self, i: int, args: tuple[int, ...], t: list[int | None]) -> int | None:
        """As :func:`.rules.power_rule`: a fixed number ``c`` gives ``c a**(c-1)``;
        otherwise ``b a**where(b, b-1, 1)`` and, for the exponent, ``v log(a)``
        where a > 0, else 0."""
        a, b = args
        out: int | None = None
        ops = self.ops
        if t[0] is not None:
            if ops[b].static and not ops[b].shape:
                self.program.pinned.add(b)   # the code depends on the exponent's value
                c = float(self.values[b])
                factor = (None if c == 0.0 else self.const(1.0) if c == 1.0 else
                          self.op("*", self.const(2.0), a) if c == 2.0 else
                          self.op("*", self.const(c), self.op("**", a, self.const(c - 1.0))))
            else:
                exponent = self.call("where", b, self.op("-", b, self.const(1.0)),
                                     self.const(1.0))
                factor = self.op("*", b, self.op("**", a, exponent))
            out = None if factor is None else self.mul(factor, t[0])
        if t[1] is not None:
            positive = self.op(">", a, self.const(0.0))
            safe = self.call("where", positive, a, self.const(1.0))
            factor = self.call("where", positive, self.op("*", i, self.call("log", safe)),
                               self.const(0.0))
            out = self.add(out, self.mul(factor, t[1]))
        return out

    def _elementwise(self, i: int, name: str, args: tuple[int, ...],
                     t: list[int | None]) -> int | None:
        a = args[0]
        ta = t[0]
        if name == "+":
            return self.add(ta, t[1])
        if name == "-":
            return self.sub(ta, t[1])
        if name == "neg":
            return None if ta is None else self.op("neg", ta)
        if name == "*":
            return self.add(self.mul(args[1], ta), self.mul(a, t[1]))
        if name == "/":   # (da - v db) / b
            return self.div(self.sub(ta, self.mul(i, t[1])), args[1])
        if name == "%":   # da - floor(a/b) db, floor(a/b) = (a - v) / b
            floor = self.op("/", self.op("-", a, i), args[1])
            return self.sub(ta, self.mul(floor, t[1]))
        if name in ("arctan2", "hypot", "logaddexp"):
            b, tb = args[1], t[1]
            if name == "arctan2":   # (b da - a db) / (a^2 + b^2)
                norm = self.op("+", self.op("*", a, a), self.op("*", b, b))
                return self.div(self.sub(self.mul(b, ta), self.mul(a, tb)), norm)
            if name == "hypot":
                return self.div(self.add(self.mul(a, ta), self.mul(b, tb)), i)
            # exp(a - v) = expit(a - b): the tangent needs no value of logaddexp
            # itself, so a Hessian-vector product never computes it (11 µs for 1,000
            # numbers, against 6 for expit)
            return self.add(self.mul(self.call("expit", self.op("-", a, b)), ta),
                            self.mul(self.call("expit", self.op("-", b, a)), tb))
        return None if ta is None else self.mul(self._unary_factor(name, a, i), ta)

    def _unary_factor(self, name: str, a: int, v: int) -> int:
        """d f(a) / da as operations (the rules of :mod:`.rules`)."""
        op, call, one = self.op, self.call, self.const
        if name == "exp":
            return v
        if name == "log":
            return op("/", one(1.0), a)
        if name == "log10":
            return op("/", one(1.0), op("*", a, one(_LN10)))
        if name == "log1p":
            return op("/", one(1.0), op("+", one(1.0), a))
        if name == "expm1":
            return call("exp", a)
        if name == "sqrt":
            return op("/", one(0.5), v)
        if name == "square":
            return op("*", one(2.0), a)
        if name == "abs":
            return call("sign", a)
        if name == "sin":
            return call("cos", a)
        if name == "cos":
            return op("neg", call("sin", a))
        if name == "tan":
            return op("/", one(1.0), op("**", call("cos", a), one(2.0)))
        if name in ("arcsin", "arccos"):
            root = call("sqrt", op("-", one(1.0), op("*", a, a)))
            return op("/", one(1.0 if name == "arcsin" else -1.0), root)
        if name == "arctan":
            return op("/", one(1.0), op("+", one(1.0), op("*", a, a)))
        if name == "sinh":
            return call("cosh", a)
        if name == "cosh":
            return call("sinh", a)
        if name == "tanh":
            return op("-", one(1.0), op("*", v, v))
        raise Unsupported(f"no tangent rule for {name}")
