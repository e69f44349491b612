"""Generated programs found again by content, so solving the same problem again (a
warm start, a resumed ODE, the same spec parsed again: each solve from the editor,
each CLI run, each sweep point) does not generate them again (issue 16); and made
again without generating code when only the values of parameters or data changed
(a warm start from ``a=1.01, b=99`` after ``a=1, b=100``).

A program depends only on the checked trees of its expressions, where the unknowns
sit in the flat vector, the fixed values (parameters, data columns) and ``extra``
(the kind of program, output lengths). Two levels of keys:

1. The program itself, by all of it, by content (an exact hit returns the very
   program built before):

   - an expression by :attr:`~warmdesk.core.expressions.Expression.tree_key` (its
     text and allowed names, which determine its tree);
   - a fixed array by its type, dtype, shape and its bytes, a number by its type
     and value (a float by its bytes: ``-0.0`` is not ``0.0`` to ``1/a``); only the
     values the expressions name (a program never looks up another: a data set's
     other columns are neither copied nor part of the key).

2. Its template (:mod:`.template`), by the same key with each fixed value's type,
   dtype and shape in place of its content, plus the content of the few values
   the generated code itself depends on (those under a folded exponent: the
   template's pinned names, found by the build). The template makes the program
   for other values from the same compiled code with new globals, after checking
   that every value the build computed has the same type, dtype and shape for the
   new values and every precomputed term comes out as it did; where anything
   differs it declines and the program is built. A program so made is kept under
   its key of level 1, like a built one. ``info().rebinds`` counts them.

The bytes themselves are in the keys, not a hash of them: a dictionary look-up
compares a candidate's key with ``==`` after the hashes match, so a hit is proof
that every fixed value (level 1) or pinned value (level 2) equals the held one byte
for byte (stricter than ``np.array_equal``: signed zeros and NaNs compare as
stored). Bytes are immutable, and a program is built (or rebound) from read-only
arrays over those very bytes, not from the caller's arrays: an array changed in
place afterwards (by its owner, at any time) changes neither the program nor its
key; the next look-up with the new content is another key. A template keeps no
fixed values but its pinned ones (its key). Cost for a 10,000-row column: copying
and hashing its 80 kB, ~20 us, and one ``memcmp`` on a hit, ~1.5 us; generating is
milliseconds, rebinding tens of microseconds (it evaluates the operations once, as
the build does).

The cache is one LRU per process, bounded by the number of programs, the number of
templates and by the bytes of fixed values they keep alive (the oldest go first; a
program whose values alone exceed the bound is not kept). It is locked for look-ups
and insertions; building and rebinding happen outside the lock (two threads may
build the same program: both are correct, the first one stored is kept). Generated
functions are pure (they write only into arrays they create), so one program serves
several solves, also in several threads; what a program builds lazily is built once
under its own lock (:mod:`.programs`, :class:`.template.Code`).
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ..expressions import Expression
from .ir import Layout

if TYPE_CHECKING:
    from .template import Template

T = TypeVar("T")
#: What a build gives: the program, and its template (None: not rebindable).
Built = tuple[T, "Template[T] | None"]
_MISSING = object()
#: Programs kept (and as many templates), and bytes of fixed values they may keep alive.
MAX_PROGRAMS = 64
MAX_HELD_BYTES = 64 * 2**20
#: dtype kinds keyed by their bytes: booleans, integers, floats, complex numbers.
_NUMERIC_KINDS = frozenset("biufc")


@dataclass(frozen=True)
class CacheInfo:
    hits: int          # look-ups that found their program
    builds: int        # programs built (not found, or not keyable by content)
    programs: int      # programs kept now
    held_bytes: int    # bytes of fixed values they (and the templates' keys) keep alive
    rebinds: int = 0   # programs made from a template for other fixed values
    templates: int = 0  # templates kept now


@dataclass
class _Entry:
    value: Any
    nbytes: int
    template: bool
    index: Hashable = None   # a template's level-2 key (where its pinned names are noted)


class ProgramCache:
    """An LRU of generated programs and their templates; see the module docstring."""

    def __init__(self, max_programs: int = MAX_PROGRAMS,
                 max_bytes: int = MAX_HELD_BYTES) -> None:
        self.max_programs = max_programs
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        #: The pinned names of the templates kept for a level-2 key, and how many
        #: are kept (one per content of the pinned values).
        self._pins: dict[Hashable, tuple[tuple[str, ...], int]] = {}
        self._lock = threading.Lock()
        self._hits = self._builds = self._rebinds = self._bytes = 0
        self._counts = [0, 0]   # programs, templates

    def get(self, exprs: Sequence[Expression], layout: Layout, extra: Hashable,
            build: Callable[[Layout], Built[T]], x: Any = None, t: float = 0.0) -> T:
        """The program kept for this content; or its template's for these values
        (made at ``x``, ``t``, where the build evaluates); or ``build(layout)``'s,
        with the fixed values in ``layout`` replaced by read-only copies, kept."""
        used = frozenset().union(*(e.names_used for e in exprs))
        frozen = freeze_env({k: v for k, v in layout.env.items() if k in used})
        if frozen is None:   # a value not keyable by content: build, keep nothing
            with self._lock:
                self._builds += 1
            return build(layout)[0]
        env_key, env, nbytes, kinds = frozen
        base = (tuple(e.tree_key for e in exprs), tuple(layout.variables.items()),
                layout.size, layout.time, extra)
        key = (base, env_key)
        level2 = (base, kinds)
        template: Template[T] | None = None
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return entry.value
            pins = self._pins.get(level2)
            if pins is not None and x is not None:
                tkey = _template_key(level2, pins[0], env_key)
                entry = self._entries.get(tkey)
                if entry is not None:
                    self._entries.move_to_end(tkey)
                    template = entry.value
        program: Any = _MISSING
        if template is not None:
            program = template.bind(env, x, t)
            if program is None:   # the build would differ: build
                program, template = _MISSING, None
        if program is _MISSING:
            program, template = build(Layout(layout.variables, layout.size, env, layout.time))
            rebound = False
        else:
            rebound, template = True, None
        with self._lock:
            if rebound:
                self._rebinds += 1
            else:
                self._builds += 1
            entry = self._entries.get(key)
            if entry is not None:   # another thread built it meanwhile: keep one
                self._entries.move_to_end(key)
                return entry.value
            self._put(key, _Entry(program, nbytes, False))
            if template is not None:
                held = sum(copy.nbytes for name, copy in env.items()
                           if name in template.pinned and isinstance(copy, np.ndarray))
                tkey = _template_key(level2, template.pinned, env_key)
                if tkey not in self._entries and held <= self.max_bytes:
                    pins = self._pins.get(level2)
                    count = pins[1] if pins is not None and pins[0] == template.pinned else 0
                    self._pins[level2] = (template.pinned, count + 1)
                    self._put(tkey, _Entry(template, held, True, level2))
            self._evict()
        return program

    def _put(self, key: Hashable, entry: _Entry) -> None:
        if entry.nbytes > self.max_bytes:
            return   # alone above the bound: not kept
        self._entries[key] = entry
        self._bytes += entry.nbytes
        self._counts[entry.template] += 1

    def _evict(self) -> None:
        """Oldest first, down to the bounds (the lock held)."""
        for key in list(self._entries):
            over = self._bytes > self.max_bytes
            if not (over or max(self._counts) > self.max_programs):
                return
            entry = self._entries[key]
            if over or self._counts[entry.template] > self.max_programs:
                del self._entries[key]
                self._bytes -= entry.nbytes
                self._counts[entry.template] -= 1
                pins = self._pins.get(entry.index) if entry.template else None
                if pins is not None and pins[0] == entry.value.pinned:
                    if pins[1] > 1:
                        self._pins[entry.index] = (pins[0], pins[1] - 1)
                    else:
                        del self._pins[entry.index]

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self._hits, self._builds, self._counts[0], self._bytes,
                             self._rebinds, self._counts[1])

    def clear(self) -> None:
        """Forget every program, template and the counts."""
        with self._lock:
            self._entries.clear()
            self._pins.clear()
            self._hits = self._builds = self._rebinds = self._bytes = 0
            self._counts = [0, 0]


def _template_key(level2: Hashable, pins: tuple[str, ...],
                  env_key: tuple[tuple[str, Any], ...]) -> Hashable:
    """A template's key: the level-2 key and the content of its pinned values."""
    return ("template", level2, pins,
            tuple(part for part in env_key if part[0] in pins))


def freeze_env(env: Mapping[str, Any]) -> tuple[tuple[tuple[str, Any], ...], dict[str, Any],
                                                int, tuple[Hashable, ...]] | None:
    """``(key, read-only copies, bytes held, kinds)`` of fixed values, or None when one
    is not a plain number or numeric array (a subclass may compute differently).
    ``kinds`` is the key without the contents: types, dtypes and shapes."""
    key: list[tuple[str, Any]] = []
    kinds: list[Hashable] = []
    copies: dict[str, Any] = {}
    total = 0
    for name, value in env.items():
        frozen = _freeze(value)
        if frozen is None:
            return None
        part, copies[name], size = frozen
        key.append((name, part))
        kinds.append((name, part[:-1]))   # the content is last
        total += size
    return tuple(key), copies, total, tuple(kinds)


def _freeze(value: Any) -> tuple[tuple[Any, ...], Any, int] | None:
    """A value's key part (its content last), its private immutable copy (a number
    is its own) and the bytes that copy holds."""
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
           build: Callable[[Layout], Built[T]], x: Any = None, t: float = 0.0) -> T:
    """``build(layout)``'s program, or the one built before for the same expressions,
    layout, fixed values (by content) and ``extra`` (output lengths, the kind of
    program), or one made from its template for these values at ``x``, ``t``:
    :meth:`ProgramCache.get` of :data:`PROGRAMS`."""
    return PROGRAMS.get(exprs, layout, extra, build, x, t)


def info() -> CacheInfo:
    """Hits, builds, rebinds, programs and templates kept and bytes held by
    :data:`PROGRAMS`."""
    return PROGRAMS.info()


def clear() -> None:
    """Forget :data:`PROGRAMS`' programs (benchmarks: the first build of a problem)."""
    PROGRAMS.clear()
