"""The checked expression tree turned into nested closures ``env -> value``:
every operation goes through a backend (numpy, or autograd.numpy for exact
derivatives) looked up by constant names only; and the element bounds of one
evaluation, computed from the tree without evaluating it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .expression_lexer import ExpressionError
from .expression_tree import (_anchor, _Binary, _Call, _Chain, _children, _Const, _EVAL_ERRORS,
                              _FUNCTION_GETTERS, _Index, _Name, _Neg, _Node, _OPERATOR_GETTERS,
                              _REDUCTIONS)


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
