"""Python syntax-tree objects for generated evaluators, and the ONE place they are compiled.

Why this is safe (see docs/expressions.md, "The generated path"): the code is built
from :mod:`ast` node constructors only, never from text, so no user string can reach
it. Every identifier is ours (``_t3``, ``_d3``, ``_a3``, ``_x``, ``_time`` and the
backend names of :mod:`.runtime`); user names never become identifiers: a variable
is a slice of the flat vector by integer offsets, a parameter or data column is a
value in the function's globals under a name we chose. :func:`compile_function`
checks the finished tree before compiling it (:mod:`.audit`, one pass by exact
type): only the statement and expression forms we generate, only numeric
constants, only our own identifiers, every loaded name defined; the globals hold
our backend functions and values only, and ``__builtins__`` is empty.
"""

from __future__ import annotations

import ast
import operator
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .audit import audit

Shape = tuple[int, ...]

#: One context object each, shared by every node (the compiler reads only their type).
LOAD = ast.Load()
STORE = ast.Store()
_BINOPS: dict[str, ast.operator] = {"+": ast.Add(), "-": ast.Sub(), "*": ast.Mult(),
                                    "/": ast.Div(), "%": ast.Mod(), "**": ast.Pow()}
_COMPARE: dict[str, ast.cmpop] = {"<": ast.Lt(), "<=": ast.LtE(), ">": ast.Gt(),
                                  ">=": ast.GtE(), "==": ast.Eq(), "!=": ast.NotEq()}


class Unsupported(Exception):
    """Codegen does not cover this expression or layout; the caller keeps the closures."""


class E:
    """An expression under construction: its syntax-tree node and its (static) shape."""

    __slots__ = ("node", "shape", "fixed", "factors")

    def __init__(self, node: ast.expr, shape: Shape, fixed: bool = False) -> None:
        self.node = node
        self.shape = shape
        self.fixed = fixed   # reads fixed values only (globals, numbers)
        #: A product ``a * b``: its two operands (a sum of it can be one dot product).
        self.factors: tuple[E, E] | None = None

    def _bin(self, op: str, other: E | float, swap: bool = False) -> E:
        o = other if isinstance(other, E) else num(other)
        left, right = (o, self) if swap else (self, o)
        if op == "+" and type(right.node) is ast.UnaryOp:   # a + -b is a - b, exactly
            return binop("-", left, E(right.node.operand, right.shape, right.fixed))
        split = _scaled(right)
        if op == "*" and split is not None and not left.shape:
            return (left * split[0]) * split[1]   # number times number first: one array op
        return binop(op, left, right)

    def __add__(self, o: E | float) -> E: return self._bin("+", o)
    def __radd__(self, o: float) -> E: return self._bin("+", o, True)
    def __sub__(self, o: E | float) -> E: return self._bin("-", o)
    def __rsub__(self, o: float) -> E: return self._bin("-", o, True)
    def __mul__(self, o: E | float) -> E: return self._bin("*", o)
    def __rmul__(self, o: float) -> E: return self._bin("*", o, True)
    def __truediv__(self, o: E | float) -> E: return self._bin("/", o)
    def __rtruediv__(self, o: float) -> E: return self._bin("/", o, True)
    def __pow__(self, o: E | float) -> E: return self._bin("**", o)
    def __neg__(self) -> E:
        split = _scaled(self)
        if split is not None:   # -(c*X) is (-c)*X: one array operation, not two
            return num(-split[0].node.value) * split[1]   # type: ignore[attr-defined]
        return E(ast.UnaryOp(ast.USub(), self.node), self.shape, self.fixed)


def _scaled(e: E) -> tuple[E, E] | None:
    """``(c, X)`` when ``e`` is ``c * X`` with a number ``c`` (derivative factors)."""
    node = e.node
    if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
            and isinstance(node.left, ast.Constant) and type(node.left.value) is float):
        return E(node.left, (), True), E(node.right, e.shape, e.fixed)
    return None


def broadcast(*shapes: Shape) -> Shape:
    """The broadcast shape (as :func:`numpy.broadcast_shapes`; ValueError where
    they do not broadcast). Code generation asks this of two shapes at a time,
    mostly equal ones or a number and anything: answered here without numpy's
    general machinery (issue 16: build time)."""
    if len(shapes) != 2:
        return shapes[0] if len(shapes) == 1 else tuple(np.broadcast_shapes(*shapes))
    a, b = shapes
    if a == b or not b:
        return a
    if not a:
        return b
    if len(a) != len(b):   # align on the right: missing leading axes have length 1
        a, b = (1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b
    out = []
    for p, q in zip(a, b):
        if p == q or q == 1:
            out.append(p)
        elif p == 1:
            out.append(q)
        else:
            raise ValueError(f"shape mismatch: {shapes[0]} and {shapes[1]} do not broadcast")
    return tuple(out)


def num(value: float | int) -> E:
    """A numeric literal (only numbers ever become constants in generated code)."""
    return E(ast.Constant(float(value)), (), True)


def ref(name: str, shape: Shape, fixed: bool = False) -> E:
    return E(ast.Name(name, LOAD), shape, fixed)


def binop(op: str, left: E, right: E) -> E:
    made = E(ast.BinOp(left.node, _BINOPS[op], right.node), broadcast(left.shape, right.shape),
             left.fixed and right.fixed)
    if op == "*":
        made.factors = (left, right)
    return made


def sum_of(e: E) -> E:
    """``sum(e)``, one number. The sum of a product of two vectors of one length is
    their dot product: one BLAS call instead of a temporary array and a sum (a reverse
    adjoint ``sum(g * c)`` of a number times a vector: 0.5 µs against 3 for 1,000)."""
    pair = e.factors
    if pair is not None and len(e.shape) == 1 and pair[0].shape == pair[1].shape == e.shape:
        return call("_dot", pair[0], pair[1], shape=())
    return call("_sum", e, shape=())


def compare(op: str, left: E, right: E) -> E:
    return E(ast.Compare(left.node, [_COMPARE[op]], [right.node]),
             broadcast(left.shape, right.shape), left.fixed and right.fixed)


def call(fn: str, *args: E | Shape, shape: Shape | None = None) -> E:
    """A call of the backend function ``fn`` (one of our names); a tuple argument is a
    literal shape."""
    nodes = [a.node if isinstance(a, E) else shape_literal(a) for a in args]
    if shape is None:
        shape = broadcast(*(a.shape for a in args if isinstance(a, E)))
    fixed = all(a.fixed for a in args if isinstance(a, E))
    return E(ast.Call(ast.Name(fn, LOAD), nodes, []), shape, fixed)


def shape_literal(shape: Sequence[int]) -> ast.expr:
    return ast.Tuple([ast.Constant(int(s)) for s in shape], LOAD)


def expand(e: E) -> E:
    """``e[..., None]``: a factor lined up against a derivative's trailing axis."""
    if not e.shape:
        return e
    key = ast.Tuple([ast.Constant(...), ast.Constant(None)], LOAD)
    return E(ast.Subscript(e.node, key, LOAD), e.shape + (1,), e.fixed)


def subscript(e: E, key: E | int | tuple[int, int], shape: Shape) -> E:
    """``e[key]``: ``key`` a global holding an index key, an int, or an ``(a, b)`` slice."""
    if isinstance(key, E):
        node: ast.expr = key.node
    elif isinstance(key, int):
        node = ast.Constant(int(key))
    else:
        node = ast.Slice(ast.Constant(int(key[0])), ast.Constant(int(key[1])))
    return E(ast.Subscript(e.node, node, LOAD), shape,
             e.fixed and (not isinstance(key, E) or key.fixed))


def assign(name: str, value: E) -> ast.stmt:
    return ast.Assign([ast.Name(name, STORE)], value.node)


def _index_part(part: int | tuple[int, int]) -> ast.expr:
    if isinstance(part, tuple):
        return ast.Slice(ast.Constant(int(part[0])), ast.Constant(int(part[1])))
    return ast.Constant(int(part))


def store(target: str, value: E | float, *parts: int | tuple[int, int]) -> ast.stmt:
    """``target[parts] = value``, parts an int or a ``(start, stop)`` slice each
    (broadcasting into a fresh output array)."""
    key = (_index_part(parts[0]) if len(parts) == 1 else
           ast.Tuple([_index_part(p) for p in parts], LOAD))
    node = value.node if isinstance(value, E) else ast.Constant(float(value))
    return ast.Assign([ast.Subscript(ast.Name(target, LOAD), key, STORE)], node)


def ret(*values: E) -> ast.stmt:
    if len(values) == 1:
        return ast.Return(values[0].node)
    return ast.Return(ast.Tuple([v.node for v in values], LOAD))


_PY_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_PY_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne}


def interpret(node: ast.expr, namespace: Mapping[str, Any]) -> Any:
    """The value of a fixed expression we built (a derivative factor of parameters and
    data only), walking our own nodes: nothing is compiled for it."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return namespace[node.id]
    if isinstance(node, ast.BinOp):
        return _PY_BINOPS[type(node.op)](interpret(node.left, namespace),
                                         interpret(node.right, namespace))
    if isinstance(node, ast.UnaryOp):
        return -interpret(node.operand, namespace)
    if isinstance(node, ast.Compare):
        return _PY_COMPARE[type(node.ops[0])](interpret(node.left, namespace),
                                              interpret(node.comparators[0], namespace))
    if isinstance(node, ast.Call):
        fn = namespace[node.func.id]   # type: ignore[attr-defined]
        return fn(*(interpret(a, namespace) for a in node.args))
    if isinstance(node, ast.Subscript):
        return interpret(node.value, namespace)[interpret(node.slice, namespace)]
    if isinstance(node, ast.Tuple):
        return tuple(interpret(e, namespace) for e in node.elts)
    if isinstance(node, ast.Slice):
        return slice(*(None if part is None else interpret(part, namespace)
                       for part in (node.lower, node.upper, node.step)))
    raise AssertionError(f"not a node we generate: {type(node).__name__}")


#: Where the sub-nodes are, per node type we generate (a field holds a node or a list).
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    ast.Constant: (), ast.BinOp: ("left", "right"), ast.Call: ("func", "args"),
    ast.Subscript: ("value", "slice"), ast.Assign: ("targets", "value"),
    ast.UnaryOp: ("operand",), ast.Tuple: ("elts",), ast.Return: ("value",),
    ast.AugAssign: ("target", "value"), ast.Compare: ("left", "comparators")}


def add_loaded_names(stmt: ast.stmt, names: set[str]) -> None:
    """Add the names ``stmt`` reads to ``names`` (one of our statements: the fields
    of the types we generate; anything else, such as a slice, by all its fields)."""
    todo: list[Any] = [stmt]
    while todo:
        node = todo.pop()
        t = type(node)
        if t is ast.Name:
            if type(node.ctx) is ast.Load:
                names.add(node.id)
            continue
        for field in _CHILD_FIELDS.get(t, node._fields):
            value = node.__dict__.get(field)   # the fields we set (no getattr)
            if type(value) is list:
                todo.extend(value)
            elif isinstance(value, ast.AST):
                todo.append(value)


def compile_function(args: Sequence[str], body: list[ast.stmt],
                     namespace: Mapping[str, Any]) -> types.FunctionType:
    """The one ``compile()`` of WarmDesk: a function from our own checked syntax tree.

    ``namespace`` (backend functions and precomputed values, all under our names)
    becomes the function's globals, with empty ``__builtins__``; the function object
    is made from the compiled code object, so nothing is executed here. The audit
    checks every name (arguments, globals, those assigned) and gives the nodes
    their locations."""
    fn = ast.FunctionDef(name="_generated",
                         args=ast.arguments(posonlyargs=[], args=[ast.arg(a) for a in args],
                                            kwonlyargs=[], kw_defaults=[], defaults=[]),
                         body=body, decorator_list=[], returns=None)
    module = ast.Module(body=[fn], type_ignores=[])
    audit(fn, namespace)   # the one check before compiling (:mod:`.audit`)
    code = compile(module, "<warmdesk-generated>", "exec", dont_inherit=True)
    inner = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    return types.FunctionType(inner, {"__builtins__": {}, **namespace}, "_generated")
