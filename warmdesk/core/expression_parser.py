"""The Pratt parser of the expression language: tokens (from
:mod:`.expression_lexer`) to a checked tree of :mod:`.expression_tree` nodes,
with every limit (length, depth, nodes, literal sizes) enforced while reading."""

from __future__ import annotations

import keyword

import numpy as np

from .expression_lexer import ExpressionError, _quote, _Token, _tokenize
from .expression_compile import _compile
from .expression_tree import (_anchor, _Binary, _BINARY_BP, _Call, _Chain, _CHAIN_OPS, _children,
                              _COMPARISONS, _Const, CONSTANTS, FUNCTIONS, _Index, MAX_DEPTH,
                              _MAX_HEIGHT, MAX_INDEX, MAX_NODES, _MAX_RECURSION, _Name, _Neg,
                              _Node, _UNARY_BP)


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
