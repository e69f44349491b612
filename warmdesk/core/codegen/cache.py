"""Generated programs found again by content, so solving the same problem again (a
warm start, a resumed ODE, the same spec parsed again: each solve from the editor,
each CLI run, each sweep point) does not generate them again (issue 16).

A program depends only on the checked trees of its expressions, where the unknowns
sit in the flat vector, the fixed values (parameters, data columns) and ``extra``
(the kind of program, output lengths). The key holds exactly these, by content:

- an expression by :attr:`~warmdesk.core.expressions.Expression.tree_key` (its text
  and allowed names, which determine its tree);
- a fixed array by its type, dtype, shape and its bytes, a number by its type and
  value (a float by its bytes: ``-0.0`` is not ``0.0`` to ``1/a``); only the values
  the expressions name (a program never looks up another: a data set's other
  columns are neither copied nor part of the key).

The bytes themselves are in the key, not a hash of them: a dictionary look-up
compares a candidate's key with ``==`` after the hashes match, so a hit is proof
that every fixed value equals the held one byte for byte (stricter than
``np.array_equal``: signed zeros and NaNs compare as stored). Bytes are
immutable, and the program is built from read-only arrays over those very bytes,
not from the caller's arrays: an array changed in place afterwards (by its owner,
at any time) changes neither the program nor its key; the next look-up with the
new content is another key. Cost for a 10,000-row column: copying and hashing its
80 kB, ~20 us, and one ``memcmp`` on a hit, ~1.5 us; generating is milliseconds.

The cache is one LRU per process, bounded by the number of programs and by the
bytes of fixed values it keeps alive (the oldest go first; a program whose values
alone exceed the bound is not kept). It is locked for look-ups and insertions;
building happens outside the lock (two threads may build the same program: both
are correct, the first one stored is kept). Generated functions are pure (they
write only into arrays they create), so one program serves several solves, also
in several threads; what a program builds lazily is built once under its own lock
(:mod:`.programs`).
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..expressions import Expression
from .ir import Layout

T = TypeVar("T")
_MISSING = object()
#: Programs kept, and bytes of fixed values they may keep alive (data columns).
MAX_PROGRAMS = 64
MAX_HELD_BYTES = 64 * 2**20
#: dtype kinds keyed by their bytes: booleans, integers, floats, complex numbers.
_NUMERIC_KINDS = frozenset("biufc")


@dataclass(frozen=True)
class CacheInfo:
    hits: int          # look-ups that found their program
    builds: int        # programs built (not found, or not keyable by content)
    programs: int      # programs kept now
    held_bytes: int    # bytes of fixed values they keep alive


class ProgramCache:
    """An LRU of generated programs keyed by content; see the module docstring."""

    def __init__(self, max_programs: int = MAX_PROGRAMS,
                 max_bytes: int = MAX_HELD_BYTES) -> None:
        self.max_programs = max_programs
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._builds = self._bytes = 0

    def get(self, exprs: Sequence[Expression], layout: Layout, extra: Hashable,
            build: Callable[[Layout], T]) -> T:
        """The program kept for this content, or ``build(layout)``'s, with the
        fixed values in ``layout`` replaced by read-only copies, kept."""
        used = frozenset().union(*(e.names_used for e in exprs))
        frozen = freeze_env({k: v for k, v in layout.env.items() if k in used})
        if frozen is None:   # a value not keyable by content: build, keep nothing
            with self._lock:
                self._builds += 1
            return build(layout)
        env_key, env, nbytes = frozen
        key = (tuple(e.tree_key for e in exprs), tuple(layout.variables.items()),
               layout.size, layout.time, env_key, extra)
        with self._lock:
            entry = self._entries.get(key, _MISSING)
            if entry is not _MISSING:
                self._entries.move_to_end(key)
                self._hits += 1
                return entry[0]   # type: ignore[index]
        program = build(Layout(layout.variables, layout.size, env, layout.time))
        with self._lock:
            self._builds += 1
            entry = self._entries.get(key, _MISSING)
            if entry is not _MISSING:   # another thread built it meanwhile: keep one
                self._entries.move_to_end(key)
                return entry[0]   # type: ignore[index]
            if nbytes <= self.max_bytes:
                self._entries[key] = (program, nbytes)
                self._bytes += nbytes
                self._evict()
        return program

    def _evict(self) -> None:
        """Oldest first, down to both bounds (the lock held)."""
        while self._entries and (len(self._entries) > self.max_programs
                                 or self._bytes > self.max_bytes):
            _, (_, nbytes) = self._entries.popitem(last=False)
            self._bytes -= nbytes

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self._hits, self._builds, len(self._entries), self._bytes)

    def clear(self) -> None:
        """Forget every program and the counts."""
        with self._lock:
            self._entries.clear()
            self._hits = self._builds = self._bytes = 0


def freeze_env(env: Mapping[str, Any]
               ) -> tuple[tuple[Hashable, ...], dict[str, Any], int] | None:
    """``(key, read-only copies, bytes held)`` of fixed values, or None when one is
    not a plain number or numeric array (a subclass may compute differently)."""
    key: list[Hashable] = []
    copies: dict[str, Any] = {}
    total = 0
    for name, value in env.items():
        frozen = _freeze(value)
        if frozen is None:
            return None
        part, copies[name], size = frozen
        key.append((name, part))
        total += size
    return tuple(key), copies, total


def _freeze(value: Any) -> tuple[Hashable, Any, int] | None:
    """A value's key part, its private immutable copy (a number is its own) and the
    bytes that copy holds."""
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.kind not in _NUMERIC_KINDS:
            return None
        data = value.tobytes()   # C order: the copy
        copy = np.frombuffer(data, dtype=value.dtype).reshape(value.shape)   # read-only
        return (kind, value.dtype.str, value.shape, data), copy, len(data)
    if kind is bool or kind is int:
        return (kind, value), value, 0
    if kind is float:
        return (kind, struct.pack("<d", value)), value, 0
    if kind is complex:
        return (kind, struct.pack("<dd", value.real, value.imag)), value, 0
    if isinstance(value, np.generic) and value.dtype.kind in _NUMERIC_KINDS:
        return (kind, value.dtype.str, value.tobytes()), value, 0
    return None


#: The process's programs (:func:`cached`); tests may put a smaller one in its place.
PROGRAMS = ProgramCache()


def cached(exprs: Sequence[Expression], layout: Layout, extra: Hashable,
           build: Callable[[Layout], T]) -> T:
    """``build(layout)``'s program, or the one built before for the same expressions,
    layout, fixed values (by content) and ``extra`` (output lengths, the kind of
    program): :meth:`ProgramCache.get` of :data:`PROGRAMS`."""
    return PROGRAMS.get(exprs, layout, extra, build)


def info() -> CacheInfo:
    """Hits, builds, programs kept and bytes held by :data:`PROGRAMS`."""
    return PROGRAMS.info()


def clear() -> None:
    """Forget :data:`PROGRAMS`' programs (benchmarks: the first build of a problem)."""
    PROGRAMS.clear()
