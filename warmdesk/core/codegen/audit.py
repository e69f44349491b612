"""The check every generated function passes before :func:`.emit.compile_function`
compiles it: one pass over the tree, dispatching on each node's exact type (a
subclass of an allowed type is refused), and visiting exactly the fields the shape
of code we generate has; any other field must be empty. What is allowed:

- statements ``_n = e``, ``_n[key] = e``, ``_n[key] += e`` and ``return e``;
- expressions: our names, numeric constants (and ``None`` and ``...`` in
  subscript keys), arithmetic (``+ - * / % **``, unary ``-``), one comparison,
  a plain call of one of our names (no keywords, no starred arguments), a
  subscript whose key may hold slices, a tuple;
- a name read must be an argument, a global (``namespace``) or assigned by an
  earlier statement; every identifier is ours (``_`` and a lower-case letter).

It also gives every statement and expression its (one-line) location, which
the compiler requires, so the tree is walked once. This runs at each build of a
problem's code (its first solve, a warm start with other fixed values), so it is
kept to one loop with no per-node function calls.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from .runtime import NAMESPACE

OURS = re.compile(r"_[a-z][a-z0-9_]*\Z")
BINOP_TYPES = frozenset((ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Pow))
COMPARE_TYPES = frozenset((ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq))
_NUMBERS = (int, float)
#: The names of the backend functions (:data:`.runtime.NAMESPACE`), checked here once.
BACKEND = frozenset(NAMESPACE)
if not all(type(name) is str and OURS.match(name) for name in BACKEND):
    raise AssertionError("the backend may use our own names only")


def refuse(what: str) -> AssertionError:
    return AssertionError(f"generated code may not contain {what}")


def audit(fn: ast.FunctionDef, namespace: Mapping[str, Any]) -> None:
    """Refuse anything but the code we generate (module docstring); locate every
    statement and expression on line 1. Raises AssertionError."""
    if (type(fn) is not ast.FunctionDef or fn.decorator_list or fn.returns is not None
            or fn.type_comment is not None or not OURS.match(fn.name)):
        raise refuse("a function of another form")
    arguments = fn.args
    if (type(arguments) is not ast.arguments or arguments.posonlyargs or arguments.kwonlyargs
            or arguments.kw_defaults or arguments.defaults or arguments.vararg is not None
            or arguments.kwarg is not None):
        raise refuse("arguments other than plain positional ones")
    defined = set(namespace)
    for arg in arguments.args:
        if (type(arg) is not ast.arg or arg.annotation is not None
                or arg.type_comment is not None):
            raise refuse("an argument of another form")
        arg.lineno, arg.col_offset = 1, 0
        defined.add(arg.arg)
    for name in defined - BACKEND:   # the backend's names: checked once, above
        if type(name) is not str or not OURS.match(name):
            raise AssertionError("generated code may use our own names only")
    fn.lineno, fn.col_offset = 1, 0
    for stmt in fn.body:
        stored = _statement(stmt, defined)
        if stored is not None:
            defined.add(stored)


def _statement(stmt: Any, defined: set[str]) -> str | None:
    """Check one statement (names it reads against ``defined``); the name it
    assigns, if any."""
    t = type(stmt)
    stored = None
    if t is ast.Assign:
        targets = stmt.targets
        if type(targets) is not list or len(targets) != 1 or stmt.type_comment is not None:
            raise refuse("an assignment of another form")
        target = targets[0]
        if type(target) is ast.Name:
            if (type(target.ctx) is not ast.Store or type(target.id) is not str
                    or not OURS.match(target.id)):
                raise refuse("an assignment to another name")
            target.lineno, target.col_offset = 1, 0
            stored = target.id
            todo = [stmt.value]
        else:
            todo = [stmt.value, *_stored_subscript(target)]
    elif t is ast.AugAssign:
        if type(stmt.op) not in BINOP_TYPES:
            raise refuse("an augmented assignment of another form")
        todo = [stmt.value, *_stored_subscript(stmt.target)]
    elif t is ast.Return:
        todo = [stmt.value]
    else:
        raise refuse(t.__name__)
    stmt.lineno, stmt.col_offset = 1, 0
    _expressions(todo, defined)
    return stored


def _stored_subscript(target: Any) -> list[Any]:
    """``_n[key]`` as an assignment target: its parts, to check as expressions."""
    if type(target) is not ast.Subscript or type(target.ctx) is not ast.Store:
        raise refuse("an assignment to anything but a name or a subscript")
    target.lineno, target.col_offset = 1, 0
    return [target.value, *_key(target.slice)]


def _key(key: Any) -> list[Any]:
    """A subscript's key, an expression, a slice or a tuple of them (``...`` and
    ``None`` allowed as its elements): the expressions in it to check. Slices, the
    tuple and those two constants are checked and located here: they are allowed
    in keys only."""
    t = type(key)
    if t is ast.Slice:
        parts = [key]
    elif t is ast.Tuple and type(key.ctx) is ast.Load and type(key.elts) is list:
        parts = key.elts
        key.lineno, key.col_offset = 1, 0
    else:
        return [key]
    out: list[Any] = []
    for part in parts:
        t = type(part)
        if t is ast.Slice:
            part.lineno, part.col_offset = 1, 0
            out.extend(p for p in (part.lower, part.upper, part.step) if p is not None)
        elif t is ast.Constant and (part.value is None or part.value is ...):
            if part.kind is not None:
                raise refuse("a constant of another form")
            part.lineno, part.col_offset = 1, 0
        else:
            out.append(part)
    return out


def _expressions(todo: list[Any], defined: set[str]) -> None:
    """Check (and locate) the expressions in ``todo`` and everything under them. A
    name read must be in ``defined``, whose names are all ours (checked when they
    were defined), so no pattern is matched here."""
    pop, push, extend = todo.pop, todo.append, todo.extend
    while todo:
        node = pop()
        t = type(node)
        if t is ast.Name:
            name = node.id
            if type(name) is not str or name not in defined or type(node.ctx) is not ast.Load:
                raise AssertionError("generated code reads an undefined name")
        elif t is ast.BinOp:
            if type(node.op) not in BINOP_TYPES:
                raise refuse("an operator of another kind")
            push(node.left)
            push(node.right)
        elif t is ast.Constant:
            if type(node.value) not in _NUMBERS or node.kind is not None:
                raise AssertionError("generated code may hold numeric constants only")
        elif t is ast.Call:
            func, args, keywords = node.func, node.args, node.keywords
            if (type(keywords) is not list or keywords or type(args) is not list
                    or type(func) is not ast.Name):
                raise AssertionError("generated calls are plain calls of backend names")
            push(func)
            extend(args)
        elif t is ast.Subscript:
            if type(node.ctx) is not ast.Load:
                raise refuse("a subscript of another form")
            push(node.value)
            extend(_key(node.slice))
        elif t is ast.UnaryOp:
            if type(node.op) is not ast.USub:
                raise refuse("a unary operator other than minus")
            push(node.operand)
        elif t is ast.Tuple:
            if type(node.ctx) is not ast.Load or type(node.elts) is not list:
                raise refuse("a tuple of another form")
            extend(node.elts)
        elif t is ast.Compare:
            ops, comparators = node.ops, node.comparators
            if (type(ops) is not list or len(ops) != 1 or type(ops[0]) not in COMPARE_TYPES
                    or type(comparators) is not list or len(comparators) != 1):
                raise refuse("a comparison of another form")
            push(node.left)
            push(comparators[0])
        else:
            raise refuse(t.__name__)
        node.lineno, node.col_offset = 1, 0   # after the checks: an allowed type
