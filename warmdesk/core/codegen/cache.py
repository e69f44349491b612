"""Generated programs kept with their expressions, so solving the same problem again
(a warm start in the same session, a resumed ODE) does not generate them again.

A program depends on the expressions, where the unknowns sit in the flat vector and
the fixed values (parameters, data columns): the key holds the layout and the
identity and content of every fixed value (the precomputed parts must not go
stale if an array is changed in place), and the entry keeps those values alive,
so an identity can't be reused by another array while the entry exists. Generated
functions are pure (they write only into arrays they create), so one program can
serve several solves, also in several threads."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import numpy as np

from ..expressions import Expression
from .ir import Layout

T = TypeVar("T")
_MISSING = object()
_ENTRIES_PER_EXPRESSION = 4
_cache: weakref.WeakKeyDictionary[Expression, dict[Hashable, tuple[Any, Any]]] = (
    weakref.WeakKeyDictionary())
_lock = threading.Lock()


def cached(exprs: Sequence[Expression], layout: Layout, extra: Hashable,
           build: Callable[[], T]) -> T:
    """``build()``'s program, or the one built before for the same expressions, layout,
    fixed values (by identity) and ``extra`` (output lengths, the kind of program)."""
    held = tuple(layout.env.values())
    key = (tuple(id(e) for e in exprs), tuple(layout.variables.items()), layout.size,
           layout.time, tuple((name, _fingerprint(value)) for name, value in layout.env.items()),
           extra)
    with _lock:
        entry = _cache.get(exprs[0], {}).get(key, _MISSING)
    if entry is not _MISSING:
        return entry[1]   # type: ignore[index]
    program = build()
    with _lock:
        entries = _cache.setdefault(exprs[0], {})
        if len(entries) >= _ENTRIES_PER_EXPRESSION:
            entries.pop(next(iter(entries)))
        entries[key] = ((held, tuple(exprs)), program)
    return program


def _fingerprint(value: Any) -> Hashable:
    """Identity and content: a parameter changed in place is a different program. A
    view (a data set's column: a new view object at every look-up) is identified by
    the array that owns its memory, where it starts and its strides, so solving the
    same fit again finds its program (issue 16); the entry keeps the view, hence its
    owner, alive, so that identity can't be reused meanwhile."""
    array = np.asarray(value)
    if not isinstance(value, np.ndarray):   # a number: its own identity
        return (id(value), array.shape, array.dtype.str, hash(array.tobytes()))
    owner = value if value.base is None else value.base
    return (id(owner), value.__array_interface__["data"][0], value.shape, value.strides,
            value.dtype.str, hash(value.tobytes()))
