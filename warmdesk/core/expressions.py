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

import keyword
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType
from typing import Any

import numpy as np

from .expression_lexer import (MAX_LITERAL, MAX_LITERAL_LENGTH, ExpressionError,
                               _quote, _Token, _tokenize)
from .spec_limits import MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH, MAX_EXPRESSION_NODES

__all__ = ["FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH", "MAX_NODES", "MAX_LITERAL", "MAX_LITERAL_LENGTH",
           "Expression", "ExpressionError",
           "parse"]

MAX_LENGTH = MAX_EXPRESSION_LENGTH   # the limits live in spec_limits
MAX_DEPTH = MAX_EXPRESSION_DEPTH
MAX_NODES = MAX_EXPRESSION_NODES
MAX_INDEX = 2**62
# Internal guards of Python's stack: parser recursion (which also counts the right sides
# of left-associative operators) and the height of the tree that compile/evaluate walk.
_MAX_RECURSION = 3 * MAX_DEPTH
_MAX_HEIGHT = 2 * MAX_DEPTH

_UNARY = ("sum", "prod", "mean", "exp", "log", "log10", "log1p", "expm1", "sqrt", "square",
          "abs", "sign", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
          "tanh", "cumsum")
FUNCTIONS: Mapping[str, int | tuple[int, int]] = MappingProxyType({
    **{name: 1 for name in _UNARY},
    "arctan2": 2, "minimum": 2, "maximum": 2, "dot": 2, "hypot": 2, "logaddexp": 2, "power": 2,
    "where": 3, "clip": 3,
})
# Backend attributes are looked up through getters built here from constant
# names only; user text never reaches an attribute lookup.
_FUNCTION_GETTERS = {name: attrgetter(name) for name in FUNCTIONS}
_OPERATOR_GETTERS = {op: attrgetter(attr) for op, attr in {
    "+": "add", "-": "subtract", "*": "multiply", "/": "true_divide", "%": "mod",
    "**": "power", "&": "logical_and", "|": "logical_or", "<": "less", "<=": "less_equal",
    ">": "greater", ">=": "greater_equal", "==": "equal", "!=": "not_equal", "neg": "negative",
}.items()}
CONSTANTS: Mapping[str, np.float64] = MappingProxyType({"pi": np.float64(np.pi),
                                                        "e": np.float64(np.e)})

# Binding powers, low to high; unary +/- sits between '*' and '**'.
_BINARY_BP = {"|": 10, "&": 20, "<": 30, "<=": 30, ">": 30, ">=": 30, "==": 30, "!=": 30,
              "+": 40, "-": 40, "*": 50, "/": 50, "%": 50, "**": 70}
_UNARY_BP = 60
_CHAIN_OPS = frozenset("+-*/%&|")
#: Functions whose result is one number whatever their arguments' sizes.
_REDUCTIONS = frozenset(("sum", "prod", "mean"))
_COMPARISONS = frozenset(("<", "<=", ">", ">=", "==", "!="))
_EVAL_ERRORS = (ValueError, IndexError, TypeError, ArithmeticError)


# ---------------------------------------------------------------------------- nodes

@dataclass(eq=False, kw_only=True)
class _Node:
    start: int  # span of the node in the text
    end: int
    height: int = 1


@dataclass(eq=False)
class _Const(_Node):
    value: Any


@dataclass(eq=False)
class _Name(_Node):
    name: str


@dataclass(eq=False)
class _Neg(_Node):
    operand: _Node


@dataclass(eq=False)
class _Chain(_Node):
    """A left-associative run of same-precedence operators, ``a - b + c``, kept flat so
    a 2,000-term sum does not become a 2,000-deep tree."""
    operands: list[_Node]
    ops: list[str]
    op_positions: list[int]


@dataclass(eq=False)
class _Binary(_Node):
    """``**`` or a comparison."""
    op: str
    left: _Node
    right: _Node
    op_pos: int


@dataclass(eq=False)
class _Call(_Node):
    func: str
    args: tuple[_Node, ...]


@dataclass(eq=False)
class _Index(_Node):
    target: _Node
    key: Any  # an int, a slice or a tuple of two of them
    bracket_pos: int


def _children(node: _Node) -> tuple[_Node, ...]:
    if isinstance(node, _Neg):
        return (node.operand,)
    if isinstance(node, _Chain):
        return tuple(node.operands)
    if isinstance(node, _Binary):
        return (node.left, node.right)
    if isinstance(node, _Call):
        return node.args
    if isinstance(node, _Index):
        return (node.target,)
    return ()


# ---------------------------------------------------------------------------- parser

_KEYWORD_HINTS = {
    "lambda": "lambda is not allowed",
    "and": "'and' is not allowed (use '&' between comparisons)",
    "or": "'or' is not allowed (use '|' between comparisons)",
    "not": "'not' is not allowed (use a comparison such as x == 0)",
    "if": "'if' is not allowed (use where(condition, a, b))",
    "else": "'else' is not allowed (use where(condition, a, b))",
}


class _Parser:
    """Pratt parser. Every recursion goes through :meth:`expr`, which counts nesting and
    recursion, and every node goes through :meth:`finish`, which counts nodes, bounds
    tree height and folds constant subtrees."""

    def __init__(self, text: str, names: frozenset[str]) -> None:
        self.text = text
        self.names = names
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0  # nesting: parentheses, calls, unary operators, right sides of '**'
        self.recursion = 0
        self.node_count = 0
        self.used: set[str] = set()

    def error(self, message: str, pos: int, length: int = 1) -> ExpressionError:
        return ExpressionError(message, self.text, pos, length)

    def peek(self) -> _Token:
        tok = self.tokens[self.i]
        if tok.type == "error":
            raise tok.value
        return tok

    def advance(self) -> _Token:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, *ops: str) -> bool:
        tok = self.peek()
        return tok.type == "op" and tok.text in ops

    def unexpected(self, tok: _Token, expected: str) -> ExpressionError:
        if tok.type == "name" and tok.text not in self.names and keyword.iskeyword(tok.text):
            return self.keyword_error(tok)
        what = {"num": f"number {_quote(tok.text)}", "name": f"name {_quote(tok.text)}",
                "end": "the end of the expression"}.get(tok.type, repr(tok.text))
        return self.error(f"unexpected {what}; expected {expected}", tok.pos, len(tok.text))

    def keyword_error(self, tok: _Token) -> ExpressionError:
        message = _KEYWORD_HINTS.get(
            tok.text, f"{tok.text!r} is not allowed (Python keywords are not part of expressions)")
        return self.error(message, tok.pos, len(tok.text))

    def parse(self) -> _Node:
        node = self.expr(0, nested=False)
        tok = self.peek()
        if tok.type != "end":
            if tok.text in (")", "]"):
                raise self.error(f"unmatched {tok.text!r}", tok.pos)
            raise self.unexpected(tok, "an operator or the end of the expression")
        return node

    def expr(self, min_bp: int, nested: bool = True) -> _Node:
        self.depth += nested
        self.recursion += 1
        if self.depth > MAX_DEPTH or self.recursion > _MAX_RECURSION:
            tok = self.peek()
            raise self.error(f"expression is nested too deeply (more than {MAX_DEPTH} levels)",
                             tok.pos, len(tok.text))
        node = self.binary(self.prefix(), min_bp)
        self.depth -= nested
        self.recursion -= 1
        return node

    def binary(self, left: _Node, min_bp: int) -> _Node:
        chain: _Chain | None = None  # the open run of same-precedence operators
        while True:
            tok = self.peek()
            bp = _BINARY_BP.get(tok.text) if tok.type == "op" else None
            if bp is None or bp <= min_bp:
                break
            self.advance()
            if tok.text in _CHAIN_OPS:
                right = self.expr(bp, nested=False)
                if chain is not None and _BINARY_BP[chain.ops[0]] != bp:
                    left, chain = self.finish(chain), None
                if chain is None:
                    chain = _Chain([left], [], [], start=left.start, end=left.end)
                chain.operands.append(right)
                chain.ops.append(tok.text)
                chain.op_positions.append(tok.pos)
                chain.end = right.end
                continue
            if chain is not None:
                left, chain = self.finish(chain), None
            # '**' is right-associative: its right side may hold another '**'.
            power = tok.text == "**"
            right = self.expr(bp - 1 if power else bp, nested=power)
            left = self.finish(_Binary(tok.text, left, right, tok.pos,
                                          start=left.start, end=right.end))
            if tok.text in _COMPARISONS and self.at(*_COMPARISONS):
                nxt = self.peek()
                raise self.error("chained comparisons are not allowed "
                                 "(write (a < b) & (b < c))", nxt.pos, len(nxt.text))
        return self.finish(chain) if chain is not None else left

    def prefix(self) -> _Node:
        tok = self.peek()
        if tok.type == "op" and tok.text in ("+", "-"):
            self.advance()
            operand = self.expr(_UNARY_BP)
            if tok.text == "+":
                return operand
            return self.finish(_Neg(operand, start=tok.pos, end=operand.end))
        return self.postfix(self.primary())

    def primary(self) -> _Node:
        tok = self.peek()
        if tok.type == "num":
            self.advance()
            return self.finish(_Const(tok.value, start=tok.pos, end=tok.pos + len(tok.text)))
        if tok.type == "name":
            self.advance()
            if tok.text in FUNCTIONS and self.at("("):
                return self.call(tok)
            return self.name(tok)
        if tok.text == "(":
            self.advance()
            inner = self.expr(0)
            self.close(tok, ")")
            return inner
        if tok.text == "[":
            raise self.error("list displays '[...]' are not allowed (index with x[0])", tok.pos)
        raise self.unexpected(tok, "a number, a name or '('")

    def close(self, opener: _Token, closer: str) -> _Token:
        tok = self.peek()
        if tok.type == "end":
            raise self.error(f"{opener.text!r} is never closed", opener.pos)
        if not self.at(closer):
            raise self.unexpected(tok, f"{closer!r} or an operator")
        return self.advance()

    def name(self, tok: _Token) -> _Node:
        name, pos, size = tok.text, tok.pos, len(tok.text)
        if name.startswith("_"):
            raise self.error("names starting with '_' are not allowed", pos, size)
        is_call = self.at("(")
        if is_call and (name in self.names or name in CONSTANTS):
            raise self.error(f"{name!r} is not a function", pos, size)
        if name in self.names:
            self.used.add(name)
            return self.finish(_Name(name, start=pos, end=pos + size))
        if name in CONSTANTS:
            return self.finish(_Const(CONSTANTS[name], start=pos, end=pos + size))
        if name in FUNCTIONS:
            raise self.error(f"function {name!r} must be called directly, as in {name}(...)",
                             pos, size)
        if keyword.iskeyword(name):
            raise self.keyword_error(tok)
        if is_call:
            raise self.error(f"{_quote(name)} is not an allowed function", pos, size)
        known = f" (known: {', '.join(sorted(self.names))})" if 0 < len(self.names) <= 12 else ""
        raise self.error(f"unknown name {_quote(name)}{known}", pos, size)

    def call(self, name: _Token) -> _Node:
        opener = self.advance()
        args: list[_Node] = []
        if not self.at(")"):
            args.append(self.expr(0))
            while self.at(","):
                self.advance()
                args.append(self.expr(0))
        close = self.close(opener, ")")
        low, high = _arity(FUNCTIONS[name.text])
        if not low <= len(args) <= high:
            want = f"{low}" if low == high else f"{low} to {high}"
            raise self.error(f"{name.text}() takes {want} argument{'s' * (high != 1)} "
                             f"({len(args)} given)", name.pos, len(name.text))
        return self.finish(_Call(name.text, tuple(args), start=name.pos, end=close.pos + 1))

    def postfix(self, node: _Node) -> _Node:
        while True:
            tok = self.peek()
            if self.at("["):
                node = self.index(node)
            elif self.at("("):
                raise self.error("only allow-listed functions can be called "
                                 "(cannot call the result of an expression)", tok.pos)
            else:
                return node

    def index(self, target: _Node) -> _Node:
        opener = self.advance()
        keys = [self.subscript()]
        while self.at(","):
            comma = self.advance()
            if len(keys) == 2:
                raise self.error("at most 2 indices are allowed", comma.pos)
            keys.append(self.subscript())
        close = self.close(opener, "]")
        key = keys[0] if len(keys) == 1 else tuple(keys)
        return self.finish(_Index(target, key, opener.pos, start=target.start,
                                      end=close.pos + 1))

    def subscript(self) -> int | slice:
        parts = [self.integer()]
        if not self.at(":"):
            if parts[0] is None:
                raise self.integer_error(self.peek())
            return parts[0]
        while self.at(":"):
            colon = self.advance()
            if len(parts) == 3:
                raise self.error("too many ':' in a slice", colon.pos)
            step_tok = self.peek()
            parts.append(self.integer())
            if len(parts) == 3 and parts[2] == 0:
                raise self.error("slice step cannot be zero", step_tok.pos, len(step_tok.text))
        return slice(*parts)

    def integer(self) -> int | None:
        """An optional integer constant (``3`` or ``-3``); None when the part is empty."""
        tok = self.peek()
        if self.at(":", ",", "]"):
            return None
        sign = 1
        if self.at("-"):
            self.advance()
            sign, tok = -1, self.peek()
        if tok.type != "num" or not tok.text.isdigit():
            raise self.integer_error(tok)
        self.advance()
        value = sign * int(tok.text)
        if abs(value) > MAX_INDEX:
            raise self.error("index is too large", tok.pos, len(tok.text))
        return value

    def integer_error(self, tok: _Token) -> ExpressionError:
        return self.error("index must be an integer constant such as 0, -1 or 1:5",
                          tok.pos, len(tok.text))

    def finish(self, node: _Node) -> _Node:
        """Count, bound and fold a freshly built node."""
        self.node_count += len(node.ops) if isinstance(node, _Chain) else 1
        if self.node_count > MAX_NODES:
            raise self.error(f"expression is too large (more than {MAX_NODES} terms)",
                             node.start)
        children = _children(node)
        if not children:
            return node
        node.height = 1 + max(child.height for child in children)
        if node.height > _MAX_HEIGHT:
            raise self.error(f"expression is nested too deeply (more than {MAX_DEPTH} levels)",
                             _anchor(node)[0])
        if all(isinstance(child, _Const) for child in children):
            return self.fold(node)
        return node

    def fold(self, node: _Node) -> _Const:
        """Evaluate a name-free node now, refusing overflow and non-finite results."""
        span = (node.start, node.end - node.start)
        try:
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                value = _compile(node, np, self.text)({})
        except ExpressionError as exc:
            cause = exc.__cause__
            if isinstance(cause, FloatingPointError) and "overflow" in str(cause):
                raise self.error("constant expression overflows", *span) from None
            if isinstance(cause, FloatingPointError):
                raise self.error("constant expression is not finite "
                                 "(division by zero or invalid value)", *span) from None
            raise
        except RuntimeWarning as exc:  # only when the caller turned warnings into errors
            raise self.error(f"constant expression is not valid: {exc}", *span) from None
        if not np.all(np.isfinite(value)):
            raise self.error("constant expression overflows", *span)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        return _Const(value, start=node.start, end=node.end)


def _arity(spec: int | tuple[int, int]) -> tuple[int, int]:
    return (spec, spec) if isinstance(spec, int) else spec


def _anchor(node: _Node) -> tuple[int, int]:
    """Where to point at for an error raised by this node: its operator, call or bracket."""
    if isinstance(node, _Chain):
        return node.op_positions[0], len(node.ops[0])
    if isinstance(node, _Binary):
        return node.op_pos, len(node.op)
    if isinstance(node, _Index):
        return node.bracket_pos, node.end - node.bracket_pos
    if isinstance(node, _Call):
        return node.start, len(node.func)
    return node.start, max(1, node.end - node.start)


# ---------------------------------------------------------------------------- compile

_Env = Mapping[str, Any]
_Fn = Callable[[_Env], Any]


def _failure(text: str, what: str, pos: int, length: int, exc: Exception) -> ExpressionError:
    return ExpressionError(f"cannot evaluate {what}: {str(exc).strip()}", text, pos, length)


def _compile(node: _Node, backend: Any, text: str) -> _Fn:
    """Turn a node into a closure ``env -> value``; every operation goes through ``backend``.

    Only the operation itself sits inside ``try``, so errors of sub-expressions pass
    through with their own position."""
    if isinstance(node, _Const):
        value = node.value
        return lambda env: value
    if isinstance(node, _Name):
        return _compile_name(node, text)
    if isinstance(node, _Neg):
        return _compile_apply(_OPERATOR_GETTERS["neg"](backend), [node.operand], backend, text,
                              "'-'", (node.start, 1))
    if isinstance(node, _Chain):
        return _compile_chain(node, backend, text)
    if isinstance(node, _Binary):
        return _compile_apply(_OPERATOR_GETTERS[node.op](backend), [node.left, node.right],
                              backend, text, repr(node.op), _anchor(node))
    if isinstance(node, _Call):
        return _compile_apply(_backend_function(node.func, backend), list(node.args), backend,
                              text, f"{node.func}()", _anchor(node))
    if isinstance(node, _Index):
        return _compile_index(node, backend, text)
    raise TypeError(f"no compiler for {type(node).__name__}")   # a parser bug, never input


def _backend_function(name: str, backend: Any) -> Callable[..., Any]:
    if name == "clip":
        # Same values as clip (also when low > high), but autograd's clip has no
        # derivative with respect to its bounds and this form does.
        minimum, maximum = backend.minimum, backend.maximum
        return lambda value, low, high: minimum(maximum(value, low), high)
    return _FUNCTION_GETTERS[name](backend)


def _compile_name(node: _Name, text: str) -> _Fn:
    name = node.name

    def load(env: _Env) -> Any:
        try:
            return env[name]
        except KeyError:
            raise ExpressionError(f"no value for name {name!r}", text, node.start,
                                  len(name)) from None
    return load


def _compile_apply(func: Callable[..., Any], operands: list[_Node], backend: Any, text: str,
                   what: str, anchor: tuple[int, int]) -> _Fn:
    fns = [_compile(operand, backend, text) for operand in operands]
    pos, length = anchor

    def apply(env: _Env) -> Any:
        values = [fn(env) for fn in fns]
        try:
            return func(*values)
        except _EVAL_ERRORS as exc:
            raise _failure(text, what, pos, length, exc) from exc
    return apply


def _compile_chain(node: _Chain, backend: Any, text: str) -> _Fn:
    first = _compile(node.operands[0], backend, text)
    steps = [(_OPERATOR_GETTERS[op](backend), _compile(operand, backend, text), op, pos)
             for op, operand, pos in zip(node.ops, node.operands[1:], node.op_positions)]

    def run(env: _Env) -> Any:
        value = first(env)
        for func, operand, op, pos in steps:
            right = operand(env)
            try:
                value = func(value, right)
            except _EVAL_ERRORS as exc:
                raise _failure(text, repr(op), pos, len(op), exc) from exc
        return value
    return run


def _compile_index(node: _Index, backend: Any, text: str) -> _Fn:
    target = _compile(node.target, backend, text)
    key = node.key
    pos, length = _anchor(node)

    def index(env: _Env) -> Any:
        value = target(env)
        try:
            return value[key]
        except _EVAL_ERRORS as exc:
            raise _failure(text, "indexing", pos, length, exc) from exc
    return index


def _element_bounds(root: _Node, sizes: Mapping[str, int]) -> tuple[int, int]:
    """See :meth:`Expression.element_bounds`; iterative, children before parents."""
    out: dict[int, int] = {}
    work = 0
    stack: list[tuple[_Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready and children:
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        if isinstance(node, _Const):
            size = int(np.size(node.value))
        elif isinstance(node, _Name):
            size = max(1, int(sizes.get(node.name, 1)))
        elif isinstance(node, _Call) and node.func in _REDUCTIONS:
            size = 1
        elif isinstance(node, _Index) and isinstance(node.key, int):
            size = 1
        else:  # element-wise, dot, cumsum, where, clip, slices: at most the largest operand
            size = max(out[id(child)] for child in children)
        out[id(node)] = size
        if isinstance(node, _Chain):     # one new array per operator
            work += size * len(node.ops)
        elif isinstance(node, (_Neg, _Binary, _Call)):
            work += size                 # names, constants and indexing compute nothing
    return out[id(root)], work


# ---------------------------------------------------------------------------- public API

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

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def __reduce__(self) -> Any:
        # Closures do not pickle; parsing again is cheap and re-checks everything.
        return (parse, (self.text, self._allowed))

    def element_bounds(self, sizes: Mapping[str, int]) -> tuple[int, int]:
        """Upper bounds ``(elements of the result, elements computed by all
        operations together)`` of one evaluation, given the number of elements
        of each name (a name not in ``sizes`` counts as one number).

        Sound for flat inputs (all a problem has): broadcasting flat arrays never
        makes one larger than the largest operand, indexing never enlarges, and
        sum/prod/mean give one number. Linear in the tree's size; no evaluation."""
        return _element_bounds(self._root, sizes)

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
    parser = _Parser(text, allowed)
    root = parser.parse()
    return Expression(text, root, frozenset(parser.used), allowed, parser.node_count)
