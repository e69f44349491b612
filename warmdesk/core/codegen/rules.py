"""Local partial derivatives of the element-wise operators and functions, as
syntax-tree builders: ``rule(args, value) -> one factor per argument``, where a
factor is an :class:`~.emit.E`, the number 1.0 or -1.0 (no multiplication), or
None (no derivative). Forward mode multiplies a derivative by the factor, reverse
mode an adjoint; so one table serves both. The rules are those of
:mod:`warmdesk.core.dual` (the reference); ``minimum``, ``maximum``, ``where``,
reductions, indexing and ``dot`` are handled by the emitters themselves.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .emit import E, call, compare, num

Factor = E | float | None
Rule = Callable[[list[E], E], list[Factor]]
_LN10 = math.log(10.0)


def _f(name: str, a: E) -> E:
    return call("_" + name, a)


RULES: dict[str, Rule] = {
    "+": lambda a, v: [1.0, 1.0],
    "-": lambda a, v: [1.0, -1.0],
    "neg": lambda a, v: [-1.0],
    "*": lambda a, v: [a[1], a[0]],
    "/": lambda a, v: [1.0 / a[1], -v / a[1]],
    "%": lambda a, v: [1.0, -_f("floor", a[0] / a[1])],
    "exp": lambda a, v: [v],
    "log": lambda a, v: [1.0 / a[0]],
    "log10": lambda a, v: [1.0 / (a[0] * _LN10)],
    "log1p": lambda a, v: [1.0 / (1.0 + a[0])],
    "expm1": lambda a, v: [_f("exp", a[0])],
    "sqrt": lambda a, v: [0.5 / v],
    "square": lambda a, v: [2.0 * a[0]],
    "abs": lambda a, v: [_f("sign", a[0])],
    "sin": lambda a, v: [_f("cos", a[0])],
    "cos": lambda a, v: [-_f("sin", a[0])],
    "tan": lambda a, v: [1.0 / _f("cos", a[0]) ** 2.0],
    "arcsin": lambda a, v: [1.0 / _f("sqrt", 1.0 - a[0] * a[0])],
    "arccos": lambda a, v: [-1.0 / _f("sqrt", 1.0 - a[0] * a[0])],
    "arctan": lambda a, v: [1.0 / (1.0 + a[0] * a[0])],
    "sinh": lambda a, v: [_f("cosh", a[0])],
    "cosh": lambda a, v: [_f("sinh", a[0])],
    "tanh": lambda a, v: [1.0 - v * v],
    "arctan2": lambda a, v: [a[1] / (a[1] * a[1] + a[0] * a[0]),
                             -a[0] / (a[1] * a[1] + a[0] * a[0])],
    "hypot": lambda a, v: [a[0] / v, a[1] / v],
    "logaddexp": lambda a, v: [_f("exp", a[0] - v), _f("exp", a[1] - v)],
    "expit": lambda a, v: [v * (1.0 - v)],   # internal: .runtime.INTERNAL
}


def power_rule(a: list[E], v: E, exponent: float | None, live: tuple[bool, bool]) -> list[Factor]:
    """``a ** b``. A fixed number ``exponent`` gives ``b * a ** (b - 1)`` folded
    (``2*a`` for squares); otherwise autograd's ``b * a ** where(b, b - 1, 1)``, which
    is 0 rather than nan where b = 0."""
    base: Factor = None
    if live[0]:
        if exponent is None:
            base = a[1] * a[0] ** call("_where", a[1], a[1] - 1.0, num(1.0))
        elif exponent == 0.0:
            base = None
        elif exponent == 1.0:
            base = 1.0
        elif exponent == 2.0:
            base = 2.0 * a[0]
        else:
            base = exponent * a[0] ** (exponent - 1.0)
    top: Factor = call("_dpow_exponent", a[0], v) if live[1] else None
    return [base, top]


def select_mask(func: str, a: E, b: E) -> E:
    """Where ``minimum``/``maximum`` takes its first argument (ties: the first, as
    :mod:`warmdesk.core.dual`)."""
    return compare("<=" if func == "minimum" else ">=", a, b)


def local_factors(name: str, a: list[E], result: E, args: Sequence[int], ops: Sequence[Any],
                  values: Sequence[Any], pinned: set[int]) -> list[Factor]:
    """The local derivative of op ``name`` (its value ``result``) with respect to
    each of its arguments ``a`` (None where there is none), for the forward
    (Jacobian) and reverse (gradient) emitters alike: a power with a fixed
    number as exponent is folded by :func:`power_rule` (its operation is added to
    ``pinned``: the code depends on its value), the rest come from RULES."""
    if name in ("**", "power"):
        b = args[1]
        exponent = None
        if ops[b].static and not ops[b].shape:
            pinned.add(b)
            exponent = float(values[b])
        return power_rule(a, result, exponent, (ops[args[0]].live, ops[b].live))
    return RULES[name](a, result)
