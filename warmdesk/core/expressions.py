"""A small, safe expression language for user-typed math.

Text is split by our own tokenizer and read by our own Pratt parser into a few
allow-listed node classes, which are then turned into nested closures that call
numpy (or autograd.numpy, for exact derivatives). No Python evaluation of text,
no Python parser, no attribute access: a name is either a caller-given variable,
the constant ``pi``/``e`` or an allow-listed function, and every operator maps
to a fixed backend function. Sizes, nesting depth and literal magnitudes are
bounded while parsing, so hostile text yields an :class:`ExpressionError` and
never a hang or a RecursionError. See ``docs/expressions.md``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from typing import Any

import numpy as np

from .expression_compile import _compile, _element_bounds, _Fn
from .expression_lexer import MAX_LITERAL, MAX_LITERAL_LENGTH, ExpressionError
from .expression_parser import _Parser
from .expression_tree import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, MAX_NODES, _Const, _Node

__all__ = ["FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH", "MAX_NODES", "MAX_LITERAL", "MAX_LITERAL_LENGTH",
           "Expression", "ExpressionError",
           "parse"]

class Expression:
    """A parsed, validated expression. Build it with :func:`parse`."""

    def __init__(self, text: str, root: _Node, names_used: frozenset[str],
                 allowed: frozenset[str], node_count: int = 0) -> None:
        self.text = text
        self.names_used = names_used
        #: Terms and operators read (constant parts counted before folding).
        self.node_count = node_count
        self._root = root
        self._allowed = allowed
        self._cache: dict[int, tuple[Any, _Fn]] = {}
        self._bounds: dict[tuple[int, ...], tuple[int, int]] = {}

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    @property
    def tree_key(self) -> tuple[str, frozenset[str]]:
        """What determines the checked tree: the text and the allowed names. Parsing
        is deterministic in them: a name is a leaf when allowed, else the constant
        ``pi``/``e`` or an error; constant subtrees are folded from literals and those
        constants only, never from a name's value. Equal keys, equal trees (the
        generated-program cache, :mod:`warmdesk.core.codegen.cache`, relies on it)."""
        return (self.text, self._allowed)

    def __reduce__(self) -> Any:
        # Closures do not pickle; parsing again is cheap and re-checks everything.
        return (parse, (self.text, self._allowed))

    def element_bounds(self, sizes: Mapping[str, int]) -> tuple[int, int]:
        """Upper bounds ``(elements of the result, elements computed by all
        operations together)`` of one evaluation, given the number of elements
        of each name (a name not in ``sizes`` counts as one number).

        Sound for flat inputs (all a problem has): broadcasting flat arrays never
        makes one larger than the largest operand, indexing never enlarges, and
        sum/prod/mean give one number. Linear in the tree's size; no evaluation.
        Remembered per sizes of the names used (a few per expression)."""
        key = tuple(int(sizes.get(name, 1)) for name in sorted(self.names_used))
        bounds = self._bounds.get(key)
        if bounds is None:
            bounds = _element_bounds(self._root, sizes)
            if len(self._bounds) < _BOUNDS_KEPT:
                self._bounds[key] = bounds
        return bounds

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """Evaluate with numpy. ``env`` maps names to floats or arrays; a missing name or a
        numpy error (shapes, index out of range) raises :class:`ExpressionError`."""
        return self.compile(np)(env)

    def compile(self, backend: Any = np) -> Callable[[Mapping[str, Any]], Any]:
        """A closure ``env -> value`` doing every operation with ``backend`` (numpy or
        autograd.numpy), so autograd can differentiate it. Cached per backend."""
        cached = self._cache.get(id(backend))
        if cached is not None and cached[0] is backend:
            return cached[1]
        fn = _compile(self._root, backend, self.text)
        if isinstance(self._root, _Const) and isinstance(self._root.value, np.ndarray):
            value = self._root.value  # read-only and shared: hand out copies
            fn = lambda env: value.copy()  # noqa: E731
        self._cache[id(backend)] = (backend, fn)
        return fn


def parse(text: str, names: Collection[str]) -> Expression:
    """Parse and validate ``text``; ``names`` are the allowed variable/parameter/column
    names (they take precedence over the constants ``pi`` and ``e``).

    Raises :class:`ExpressionError` for anything outside the language or its limits."""
    if not isinstance(text, str):
        raise TypeError(f"expression must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is too long ({len(text)} characters; at most "
                              f"{MAX_LENGTH})", text, MAX_LENGTH, 1)
    if not text.strip():
        raise ExpressionError("expression is empty", text, 0, 1)
    allowed = frozenset(names)
    key = (text, allowed)
    with _PARSED_LOCK:
        found = _PARSED.get(key)
        if found is not None:
            _PARSED.move_to_end(key)
            return found
    parser = _Parser(text, allowed)
    root = parser.parse()
    expr = Expression(text, root, frozenset(parser.used), allowed, parser.node_count)
    _remember(key, expr)
    return expr


#: Parsed expressions by ``(text, allowed names)`` (:attr:`Expression.tree_key`),
#: so a spec parsed again (each solve from the editor, a warm start whose
#: parameters changed, a sweep point, ``suggest`` reading a library run) does not
#: tokenize, parse and check its text again: ~0.2 ms of a small problem's solve
#: (issue 16). Sharing is safe: parsing is deterministic in the key, an Expression
#: and its tree are never changed after parsing (its closures and bounds are
#: memos of pure functions), and text that fails to parse is never kept, so its
#: error is raised, with its position, every time. Bounded by entries and by the
#: nodes kept: at the bound, with their numpy closures made, ~10 MB (measured with
#: tracemalloc on 800-term sums); a typical objective is tens of nodes.
_PARSED: OrderedDict[tuple[str, frozenset[str]], Expression] = OrderedDict()
_PARSED_LOCK = threading.Lock()
_PARSED_MAX = 256
_PARSED_MAX_NODES = 20_000
_parsed_nodes = [0]
#: Element bounds kept per expression (one per distinct sizes of its names).
_BOUNDS_KEPT = 8


def _remember(key: tuple[str, frozenset[str]], expr: Expression) -> None:
    with _PARSED_LOCK:
        if key in _PARSED or expr.node_count > _PARSED_MAX_NODES:
            return
        _PARSED[key] = expr
        _parsed_nodes[0] += expr.node_count
        while len(_PARSED) > _PARSED_MAX or _parsed_nodes[0] > _PARSED_MAX_NODES:
            _, old = _PARSED.popitem(last=False)
            _parsed_nodes[0] -= old.node_count
