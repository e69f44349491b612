"""The tokenizer of the expression language, and its error type.

Our own scanner (no Python tokenizer): numbers, names, a fixed set of
operators; everything else becomes an error token with a message that says why
(strings, attribute access, assignments, ...). See :mod:`warmdesk.core.expressions`.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

import numpy as np

MAX_LITERAL_LENGTH = 40
MAX_LITERAL = 1e300


class ExpressionError(ValueError):
    """A refused or failing expression, with the offending token's place in ``text``."""

    def __init__(self, message: str, text: str = "", position: int = 0, length: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.position = position
        self.length = max(1, length)

    def __reduce__(self) -> Any:
        return (type(self), (self.message, self.text, self.position, self.length))

    def __str__(self) -> str:
        head = f"{self.message} at column {self.position + 1}"
        if not self.text:
            return head
        # Show a window of the text around the error so 10,000-character inputs stay readable.
        start = max(0, self.position - 40)
        end = min(len(self.text), self.position + self.length + 40)
        prefix = "..." if start > 0 else ""
        suffix = "..." if end < len(self.text) else ""
        shown = "".join(c if c.isprintable() else " " for c in self.text[start:end])
        carets = "^" * max(1, min(self.length, end - self.position))
        pad = " " * (len(prefix) + self.position - start)
        return f"{head}\n{prefix}{shown}{suffix}\n{pad}{carets}"


# ---------------------------------------------------------------------------- tokens

class _Token(NamedTuple):
    type: str  # "num", "name", "op", "end" or "error"
    text: str
    pos: int
    value: Any = None  # float for numbers, ExpressionError for "error"


_WHITESPACE = frozenset(" \t\r\n\f\v")
_DIGITS = frozenset("0123456789")
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NUMBER_RE = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GLUED_RE = re.compile(r"[A-Za-z0-9_.]+")
_OPERATORS = frozenset(("**", "<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "<", ">", "&",
                        "|", "(", ")", "[", "]", ",", ":"))
_STRINGS = "strings are not allowed"
_REFUSED = {
    "//": "'//' (floor division) is not allowed",
    ":=": "':=' (assignment) is not allowed",
    "=": "'=' is not allowed (no assignments or keyword arguments; use '==' to compare)",
    "!": "'!' is not allowed (use '!=' to compare)",
    ".": "attribute access with '.' is not allowed",
    "'": _STRINGS, '"': _STRINGS,
    "`": "backticks are not allowed",
    "@": "'@' is not allowed (use dot(a, b) for matrix products)",
    "~": "'~' is not allowed",
    "^": "'^' is not allowed (use '**' for powers)",
    ";": "';' is not allowed: write a single expression",
    "{": "braces are not allowed", "}": "braces are not allowed",
    "#": "comments are not allowed",
    "\\": "backslashes are not allowed",
}


def _tokenize(text: str) -> list[_Token]:
    """All tokens; a lexical error becomes a final "error" token that the parser raises
    when it gets there, so errors are reported in reading order."""
    tokens: list[_Token] = []
    pos, n = 0, len(text)
    while pos < n:
        ch = text[pos]
        if ch in _WHITESPACE:
            pos += 1
            continue
        if ch in _DIGITS or (ch == "." and text[pos + 1:pos + 2] in _DIGITS):
            tok = _number(text, pos)
        elif ch in _NAME_START:
            tok = _Token("name", _NAME_RE.match(text, pos).group(), pos)  # type: ignore[union-attr]
        else:
            tok = _symbol(text, pos)
        tokens.append(tok)
        if tok.type == "error":
            return tokens
        pos += len(tok.text)
    tokens.append(_Token("end", "", n))
    return tokens


def _number(text: str, pos: int) -> _Token:
    match = _NUMBER_RE.match(text, pos)  # matches: text[pos] is a digit or '.' and a digit
    literal = match.group()  # type: ignore[union-attr]
    glued = _GLUED_RE.match(text, match.end())  # type: ignore[union-attr]
    if glued:
        bad = literal + glued.group()
        return _error_token(f"invalid number {_quote(bad)} (use '*' to multiply)", text, pos,
                            len(bad))
    if len(literal) > MAX_LITERAL_LENGTH:
        return _error_token(f"number literal is longer than {MAX_LITERAL_LENGTH} characters",
                            text, pos, len(literal))
    value = float(literal)
    if not math.isfinite(value) or abs(value) > MAX_LITERAL:
        return _error_token(f"number {literal!r} is out of range (at most {MAX_LITERAL:g})",
                            text, pos, len(literal))
    return _Token("num", literal, pos, np.float64(value))


def _symbol(text: str, pos: int) -> _Token:
    for size in (2, 1):
        sym = text[pos:pos + size]
        if len(sym) < size:
            continue
        if sym in _REFUSED:
            return _error_token(_REFUSED[sym], text, pos, size)
        if sym in _OPERATORS:
            return _Token("op", sym, pos)
    ch = text[pos]
    if not ch.isascii():
        return _error_token(f"non-ASCII character {ch!r} is not allowed", text, pos, 1)
    return _error_token(f"unexpected character {ch!r}", text, pos, 1)


def _quote(token: str) -> str:
    """repr of a token, shortened: names and numbers can be thousands of characters."""
    return repr(token if len(token) <= 40 else token[:37] + "...")


def _error_token(message: str, text: str, pos: int, length: int) -> _Token:
    return _Token("error", text[pos:pos + length], pos, ExpressionError(message, text, pos, length))
