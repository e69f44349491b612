"""The backend of generated evaluators: the only functions generated code can call.

The expression language's functions and operators come from numpy through the
expression tree's own tables (constant attribute names); the helpers below do the
few derivative steps that are not one numpy call. Every name starts with ``_``, so
it can never be spelled by a user (user names are refused if they start with
``_``, and they never become identifiers in generated code anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.special import expit

from ..expression_tree import _FUNCTION_GETTERS, _OPERATOR_GETTERS

Shape = tuple[int, ...]


#: Functions generated code uses that the language does not offer (no user can
#: write them): ``expit(d) = 1 / (1 + exp(-d))`` without overflow, the derivative
#: of ``logaddexp`` in a Hessian-vector product (:mod:`.hessian`).
INTERNAL: Mapping[str, Any] = MappingProxyType({"expit": expit})


def function_name(func: str) -> str:
    """The generated code's name for a language function (``exp`` -> ``_exp``)."""
    return "_" + func


def _reduce_to(g: Any, shape: Shape) -> Any:
    """Sum an adjoint over the axes broadcasting added, back to an operand's shape."""
    g = np.asarray(g)
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def _scatter(g: Any, shape: Shape, key: Any) -> np.ndarray:
    """The adjoint of ``a[key]``: zeros of a's shape with ``g`` at ``key``."""
    out = np.zeros(shape)
    out[key] = g
    return out


def _rcumsum(g: Any, shape: Shape) -> np.ndarray:
    """The adjoint of ``cumsum(a)`` (flattened): reversed cumulative sums."""
    return np.cumsum(np.ravel(g)[::-1])[::-1].reshape(shape)


def _prod_partials(a: Any) -> np.ndarray:
    """d prod(a) / d a_i = product of the others, without dividing (zeros are fine)."""
    flat = np.ravel(a)
    before = np.concatenate(([1.0], np.cumprod(flat)[:-1]))
    after = np.concatenate((np.cumprod(flat[::-1])[::-1][1:], [1.0]))
    return (before * after).reshape(np.shape(a))


def _dprod(a: Any, d: np.ndarray) -> np.ndarray:
    return _prod_partials(a).ravel() @ d.reshape(-1, d.shape[-1])


def _dsum(d: np.ndarray) -> np.ndarray:
    return d.reshape(-1, d.shape[-1]).sum(axis=0)


def _dcumsum(d: np.ndarray) -> np.ndarray:
    return np.cumsum(d.reshape(-1, d.shape[-1]), axis=0)


def _dpow_exponent(a: Any, v: Any) -> Any:
    """d(a**b)/db = a**b log(a) where a > 0, else 0 (as autograd and core.dual)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, v * np.log(np.where(a > 0, a, 1.0)), 0.0)


def _share(x: Any, value: Any, other: Any) -> Any:
    """The share of minimum/maximum's adjoint that goes to ``x``: 1 where ``x`` gave the
    value, 0.5 at a tie, else 0 (autograd's rule, so gradients are unchanged)."""
    return (x == value) / (1.0 + (x == other))


_add_reduce = np.add.reduce
_FLOAT64 = np.dtype(np.float64)


def _mean(a: Any) -> Any:
    """``np.mean(a)``, bit for bit: for float64 numbers it is the same pairwise sum
    (``np.add.reduce``) divided by the count, without np.mean's Python layers
    (1.3 µs against 3.2 for 1,000 numbers); other inputs (integers and booleans,
    which np.mean sums as float64; nothing) go to np.mean itself."""
    a = np.asarray(a)
    if a.dtype == _FLOAT64 and a.size:
        return _add_reduce(a, None) / a.size
    return np.mean(a)


def _tdot0(a: Any, b: Any) -> np.ndarray:
    return np.tensordot(a, b, axes=([0], [0]))


def _tdot1(a: Any, b: Any) -> np.ndarray:
    return np.tensordot(a, b, axes=([1], [0]))


def _namespace() -> Mapping[str, Any]:
    ns: dict[str, Any] = {function_name(f): get(np) for f, get in _FUNCTION_GETTERS.items()}
    # sum and mean without the Python layers of np.sum and np.mean (issue 16): the same
    # reduction, so the same bits (a sum of 1,000 numbers: 1.0 µs against 2.3)
    ns["_sum"] = partial(_add_reduce, axis=None)
    ns["_mean"] = _mean
    ns.update({function_name(f): fn for f, fn in INTERNAL.items()})
    ns.update({"_logical_and": _OPERATOR_GETTERS["&"](np),
               "_logical_or": _OPERATOR_GETTERS["|"](np),
               "_floor": np.floor, "_float64": np.float64, "_broadcast_to": np.broadcast_to,
               "_zeros": np.zeros,
               "_empty": np.empty, "_outer": np.outer, "_sum0": _add_reduce,
               "_reduce_to": _reduce_to, "_scatter": _scatter, "_rcumsum": _rcumsum,
               "_prod_partials": _prod_partials, "_dprod": _dprod, "_dsum": _dsum,
               "_dcumsum": _dcumsum, "_dpow_exponent": _dpow_exponent, "_tdot0": _tdot0,
               "_tdot1": _tdot1, "_share": _share})
    return MappingProxyType(ns)


#: Everything generated code may call, by our own names.
NAMESPACE = _namespace()
