"""Vectorised forward-mode differentiation of our own expressions.

A :class:`Dual` carries a value ``v`` and its derivatives ``d`` with respect
to all n unknowns at once (shape ``v.shape + (n,)``). Compiling an expression
with the :data:`DUAL` backend and feeding it duals gives the whole Jacobian in
ONE pass over the tree.

Why our own and not autograd here: autograd's forward mode traces the
expression once per unknown (n passes), and its reverse mode once per output
row; for a fit with 400 rows and 8 parameters that cost 6-8x the wall time of
scipy's finite differences (benchmarks/bench_gradients.py). Gradients of
scalar objectives still come from autograd's reverse mode, where it excels.
The rules below cover exactly the allow-listed functions of the expression
language (warmdesk.core.expressions.FUNCTIONS) and its operators.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Dual:
    __slots__ = ("v", "d")
    __array_ufunc__ = None  # numpy defers to our operators (ndarray - Dual -> Dual.__rsub__)

    def __init__(self, v: Any, d: np.ndarray) -> None:
        self.v = np.asarray(v, dtype=float)
        n = d.shape[-1]
        self.d = d if d.shape[:-1] == self.v.shape else np.broadcast_to(d, self.v.shape + (n,))

    def __getitem__(self, key: Any) -> Dual:
        return Dual(self.v[key], self.d[key])

    @property
    def shape(self) -> tuple[int, ...]:
        return self.v.shape

    def __add__(self, o: Any) -> Any: return add(self, o)
    def __radd__(self, o: Any) -> Any: return add(o, self)
    def __sub__(self, o: Any) -> Any: return subtract(self, o)
    def __rsub__(self, o: Any) -> Any: return subtract(o, self)
    def __mul__(self, o: Any) -> Any: return multiply(self, o)
    def __rmul__(self, o: Any) -> Any: return multiply(o, self)
    def __truediv__(self, o: Any) -> Any: return true_divide(self, o)
    def __rtruediv__(self, o: Any) -> Any: return true_divide(o, self)
    def __pow__(self, o: Any) -> Any: return power(self, o)
    def __rpow__(self, o: Any) -> Any: return power(o, self)
    def __neg__(self) -> Any: return negative(self)


def variables(x: np.ndarray) -> Dual:
    """The unknowns themselves: value x, derivative the identity."""
    x = np.asarray(x, dtype=float)
    return Dual(x, np.eye(x.size))


def jacobian_of(value: Any, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """The Jacobian (rows: outputs, columns: unknowns) of a result."""
    if isinstance(value, Dual):
        return np.broadcast_to(value.d, shape + (n,)).reshape(-1, n)
    return np.zeros((int(np.prod(shape)), n))


def _v(a: Any) -> np.ndarray:
    return a.v if isinstance(a, Dual) else np.asarray(a, dtype=float)


def _chain(a: Any, factor: np.ndarray | float, v: np.ndarray) -> Any:
    """f(a) with value v and f'(a) = factor: d = factor * a.d."""
    if not isinstance(a, Dual):
        return v
    return Dual(v, a.d * np.asarray(factor)[..., None])


def _combine(v: np.ndarray, *terms: tuple[Any, Any]) -> Any:
    """Value v with derivative sum(factor * x.d) over the dual operands x."""
    d = None
    for x, factor in terms:
        if isinstance(x, Dual):
            t = x.d * np.asarray(factor)[..., None]
            d = t if d is None else d + t
    return v if d is None else Dual(v, d)


def add(a: Any, b: Any) -> Any:
    return _combine(_v(a) + _v(b), (a, 1.0), (b, 1.0))


def subtract(a: Any, b: Any) -> Any:
    return _combine(_v(a) - _v(b), (a, 1.0), (b, -1.0))


def multiply(a: Any, b: Any) -> Any:
    av, bv = _v(a), _v(b)
    return _combine(av * bv, (a, bv), (b, av))


def true_divide(a: Any, b: Any) -> Any:
    av, bv = _v(a), _v(b)
    return _combine(av / bv, (a, 1.0 / bv), (b, -av / (bv * bv)))


def mod(a: Any, b: Any) -> Any:
    av, bv = _v(a), _v(b)
    return _combine(np.mod(av, bv), (a, 1.0), (b, -np.floor(av / bv)))


def power(a: Any, b: Any) -> Any:
    av, bv = _v(a), _v(b)
    v = np.power(av, bv)
    terms: list[tuple[Any, Any]] = [(a, bv * np.power(av, bv - 1.0))]
    if isinstance(b, Dual):
        with np.errstate(divide="ignore", invalid="ignore"):
            terms.append((b, np.where(av > 0, v * np.log(np.where(av > 0, av, 1.0)), 0.0)))
    return _combine(v, *terms)


def negative(a: Any) -> Any:
    return _chain(a, -1.0, -_v(a))


def _compare(op: Any) -> Any:
    return lambda a, b: op(_v(a), _v(b))


less, less_equal = _compare(np.less), _compare(np.less_equal)
greater, greater_equal = _compare(np.greater), _compare(np.greater_equal)
equal, not_equal = _compare(np.equal), _compare(np.not_equal)
logical_and, logical_or = _compare(np.logical_and), _compare(np.logical_or)


def where(c: Any, a: Any, b: Any) -> Any:
    cv, av, bv = _v(c).astype(bool), _v(a), _v(b)
    v = np.where(cv, av, bv)
    if not isinstance(a, Dual) and not isinstance(b, Dual):
        return v
    n = (a if isinstance(a, Dual) else b).d.shape[-1]
    ad = a.d if isinstance(a, Dual) else np.zeros(np.shape(av) + (n,))
    bd = b.d if isinstance(b, Dual) else np.zeros(np.shape(bv) + (n,))
    return Dual(v, np.where(cv[..., None], ad, bd))


def minimum(a: Any, b: Any) -> Any:
    return where(_v(a) <= _v(b), a, b)


def maximum(a: Any, b: Any) -> Any:
    return where(_v(a) >= _v(b), a, b)


def clip(a: Any, low: Any, high: Any) -> Any:
    return minimum(maximum(a, low), high)


def _unary(f: Any, df: Any) -> Any:
    def apply(a: Any) -> Any:
        av = _v(a)
        return _chain(a, df(av), f(av)) if isinstance(a, Dual) else f(av)
    return apply


exp = _unary(np.exp, np.exp)
log = _unary(np.log, lambda x: 1.0 / x)
log10 = _unary(np.log10, lambda x: 1.0 / (x * np.log(10.0)))
log1p = _unary(np.log1p, lambda x: 1.0 / (1.0 + x))
expm1 = _unary(np.expm1, np.exp)
sqrt = _unary(np.sqrt, lambda x: 0.5 / np.sqrt(x))
square = _unary(np.square, lambda x: 2.0 * x)
abs = _unary(np.abs, np.sign)  # noqa: A001 - the expression language's name
absolute = abs
sign = _unary(np.sign, np.zeros_like)
sin = _unary(np.sin, np.cos)
cos = _unary(np.cos, lambda x: -np.sin(x))
tan = _unary(np.tan, lambda x: 1.0 / np.cos(x) ** 2)
arcsin = _unary(np.arcsin, lambda x: 1.0 / np.sqrt(1.0 - x * x))
arccos = _unary(np.arccos, lambda x: -1.0 / np.sqrt(1.0 - x * x))
arctan = _unary(np.arctan, lambda x: 1.0 / (1.0 + x * x))
sinh = _unary(np.sinh, np.cosh)
cosh = _unary(np.cosh, np.sinh)
tanh = _unary(np.tanh, lambda x: 1.0 - np.tanh(x) ** 2)


def arctan2(y: Any, x: Any) -> Any:
    yv, xv = _v(y), _v(x)
    r2 = xv * xv + yv * yv
    return _combine(np.arctan2(yv, xv), (y, xv / r2), (x, -yv / r2))


def hypot(a: Any, b: Any) -> Any:
    av, bv = _v(a), _v(b)
    v = np.hypot(av, bv)
    return _combine(v, (a, av / v), (b, bv / v))


def logaddexp(a: Any, b: Any) -> Any:
    av, bv = _v(a), _v(b)
    v = np.logaddexp(av, bv)
    return _combine(v, (a, np.exp(av - v)), (b, np.exp(bv - v)))


def sum(a: Any) -> Any:  # noqa: A001
    if not isinstance(a, Dual):
        return np.sum(a)
    return Dual(np.sum(a.v), a.d.reshape(-1, a.d.shape[-1]).sum(axis=0))


def mean(a: Any) -> Any:
    size = max(_v(a).size, 1)
    return true_divide(sum(a), float(size))


def prod(a: Any) -> Any:
    if not isinstance(a, Dual):
        return np.prod(a)
    flat = a.v.ravel()
    d = a.d.reshape(-1, a.d.shape[-1])
    # d prod = sum_i (prod of the others) d_i, without dividing (zeros are fine)
    before = np.concatenate([[1.0], np.cumprod(flat)[:-1]])
    after = np.concatenate([np.cumprod(flat[::-1])[::-1][1:], [1.0]])
    return Dual(np.prod(flat), (before * after) @ d)


def cumsum(a: Any) -> Any:
    if not isinstance(a, Dual):
        return np.cumsum(a)
    return Dual(np.cumsum(a.v), np.cumsum(a.d.reshape(-1, a.d.shape[-1]), axis=0))


def dot(a: Any, b: Any) -> Any:
    av, bv = _v(a), _v(b)
    if av.ndim == 0 or bv.ndim == 0:   # dot with a number is a product
        return multiply(a, b)
    v = np.dot(av, bv)
    d = None
    if isinstance(a, Dual):  # sum over a's last axis against b
        d = np.moveaxis(np.dot(np.moveaxis(a.d, -1, 0), bv), 0, -1)
    if isinstance(b, Dual):
        bd = np.moveaxis(b.d, -1, 0)  # (n, ...b)
        t = np.moveaxis(np.stack([np.dot(av, bd[k]) for k in range(bd.shape[0])]), 0, -1)
        d = t if d is None else d + t
    return v if d is None else Dual(v, d)


class _Backend:
    """The namespace Expression.compile looks functions up in."""

    def __init__(self) -> None:
        g = globals()
        for name in ("add", "subtract", "multiply", "true_divide", "mod", "power", "negative",
                     "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
                     "logical_and", "logical_or", "where", "minimum", "maximum", "clip", "exp",
                     "log", "log10", "log1p", "expm1", "sqrt", "square", "abs", "absolute",
                     "sign", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
                     "tanh", "arctan2", "hypot", "logaddexp", "sum", "mean", "prod", "cumsum",
                     "dot"):
            setattr(self, name, g[name])


DUAL = _Backend()
