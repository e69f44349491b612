"""What makes building generated code cheaper (issue 16: build time) keeps it safe
and exact: the one-pass audit still refuses every node, name and constant we never
generate; broadcasting's fast paths agree with numpy; the scalar program's value
code, emitted once for both functions, and its gradient agree with the
interpreted path; adjoints that are only another name are not copied, also when a
value is used several times; repeated subexpressions are computed once; the value
code has nothing to prune."""

from __future__ import annotations

import ast
import itertools
from types import SimpleNamespace
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from warmdesk.core import codegen
from warmdesk.core.codegen import emit, programs
from warmdesk.core.codegen.ir import Program
from warmdesk.core.codegen.jacobian import JacobianEmitter
from warmdesk.core.codegen.reverse import GradientEmitter
from warmdesk.core.expressions import parse

# ----------------------------------------------------------------------------- audit


def _name(name: str, ctx: ast.expr_context | None = None) -> ast.Name:
    return ast.Name(name, ctx or ast.Load())


def _call(fn: str, *args: ast.expr) -> ast.Call:
    return ast.Call(_name(fn), list(args), [])


def _compile(body: list[ast.stmt], args: tuple[str, ...] = ("_x",),
             namespace: dict[str, Any] | None = None) -> Any:
    return emit.compile_function(list(args), body,
                                 {"_exp": np.exp} if namespace is None else namespace)


def _ret(value: ast.expr) -> list[ast.stmt]:
    return [ast.Return(value)]


def _assign(target: ast.expr, value: ast.expr) -> ast.stmt:
    return ast.Assign([target], value)


X = _name("_x")


class _SubName(ast.Name):
    """A subclass of an allowed type: refused (dispatch on the exact type)."""


HOSTILE_STATEMENTS: list[list[ast.stmt]] = [
    [ast.Expr(_call("_exp", X))],
    [ast.Pass()],
    [ast.If(X, [ast.Return(X)], []), ast.Return(X)],
    [ast.For(_name("_i", ast.Store()), X, [ast.Return(X)], []), ast.Return(X)],
    [ast.While(X, [ast.Return(X)], []), ast.Return(X)],
    [ast.Import([ast.alias("os")]), ast.Return(X)],
    [ast.ImportFrom("os", [ast.alias("system")], 0), ast.Return(X)],
    [ast.Global(["_exp"]), ast.Return(X)],
    [ast.Delete([_name("_x", ast.Del())]), ast.Return(X)],
    [ast.Raise(X, None)],
    [ast.Assert(X, None), ast.Return(X)],
    [ast.With([ast.withitem(X, None)], [ast.Return(X)])],
    [ast.Try([ast.Return(X)], [], [], [])],
    [ast.FunctionDef("_f", ast.arguments([], [], None, [], [], None, []), [ast.Return(X)],
                     [], None), ast.Return(X)],
    [ast.Return()],                                                          # no value
    [ast.Assign([_name("_a", ast.Store()), _name("_b", ast.Store())], X),    # two targets
     ast.Return(X)],
    [ast.Assign([ast.Tuple([_name("_a", ast.Store())], ast.Store())], X), ast.Return(X)],
    [ast.Assign([ast.Attribute(X, "real", ast.Store())], X), ast.Return(X)],
    [ast.Assign([ast.Starred(_name("_a", ast.Store()), ast.Store())], X), ast.Return(X)],
    [ast.Assign([_name("_a", ast.Store())], X, type_comment="int"), ast.Return(X)],
    [ast.Assign([_name("x", ast.Store())], X), ast.Return(X)],               # a user name
    [ast.Assign([_name("_A", ast.Store())], X), ast.Return(X)],              # not ours
    [ast.Assign([_name("__class__", ast.Store())], X), ast.Return(X)],
    [ast.Assign([_name("_a", ast.Load())], X), ast.Return(X)],               # wrong context
    [ast.Assign([_SubName("_a", ast.Store())], X), ast.Return(X)],
    [ast.AugAssign(_name("_x", ast.Store()), ast.Add(), X), ast.Return(X)],  # on a name
    [ast.AugAssign(ast.Subscript(X, ast.Constant(0), ast.Store()), ast.MatMult(), X),
     ast.Return(X)],
    [ast.AnnAssign(_name("_a", ast.Store()), _name("_exp"), X, 1), ast.Return(X)],
    [_assign(_name("_a", ast.Store()), _call("_exp", _name("_a"))), ast.Return(X)],  # self
    [ast.Return(_name("_b")), _assign(_name("_b", ast.Store()), X)],        # read before
]

HOSTILE_EXPRESSIONS: list[ast.expr] = [
    ast.Constant("text"), ast.Constant(b"bytes"), ast.Constant(True), ast.Constant(1j),
    ast.Constant((1, 2)), ast.Constant(None), ast.Constant(...), ast.Constant(1.0, kind="u"),
    _name("x"), _name("_y"), _name("__import__"), _name("_X"), _name("_"),
    _name("_x", ast.Store()), _name("_x", ast.Del()), _SubName("_x", ast.Load()),
    ast.Attribute(X, "__class__", ast.Load()),
    ast.Lambda(ast.arguments([], [], None, [], [], None, []), ast.Constant(1)),
    ast.Call(_name("_exp"), [], [ast.keyword("out", ast.Constant(1))]),
    ast.Call(ast.Attribute(X, "sum", ast.Load()), [], []),
    ast.Call(ast.Subscript(_name("_exp"), ast.Constant(0), ast.Load()), [], []),
    ast.Call(_call("_exp", X), [], []),
    ast.Call(_name("_exp"), [ast.Starred(X, ast.Load())], []),
    ast.Call(_name("_exp", ast.Store()), [X], []),
    ast.BinOp(X, ast.MatMult(), X), ast.BinOp(X, ast.BitOr(), X), ast.BinOp(X, ast.LShift(), X),
    ast.BinOp(X, ast.FloorDiv(), X),
    ast.UnaryOp(ast.Not(), X), ast.UnaryOp(ast.Invert(), X), ast.UnaryOp(ast.UAdd(), X),
    ast.BoolOp(ast.And(), [X, X]), ast.IfExp(X, X, X),
    ast.Compare(X, [ast.Lt(), ast.Lt()], [X, X]), ast.Compare(X, [ast.In()], [X]),
    ast.Compare(X, [ast.Is()], [X]),
    ast.Subscript(X, ast.Constant(0), ast.Store()),
    ast.Subscript(X, ast.Constant(None), ast.Load()),
    ast.Subscript(X, ast.Constant("key"), ast.Load()),
    ast.Subscript(X, ast.Slice(ast.Constant("a"), None), ast.Load()),
    ast.Subscript(X, ast.Tuple([ast.Constant(...), ast.Constant(None, kind="u")], ast.Load()),
                  ast.Load()),
    ast.Subscript(X, ast.Tuple([ast.Slice(None, _name("_nope"))], ast.Load()), ast.Load()),
    ast.Slice(ast.Constant(0), ast.Constant(1)),          # a slice outside a subscript
    ast.Tuple([X], ast.Store()),
    ast.List([X], ast.Load()), ast.Set([X]), ast.Dict([ast.Constant(1)], [X]),
    ast.ListComp(X, [ast.comprehension(_name("_i", ast.Store()), X, [], 0)]),
    ast.GeneratorExp(X, [ast.comprehension(_name("_i", ast.Store()), X, [], 0)]),
    ast.JoinedStr([ast.Constant("a")]), ast.NamedExpr(_name("_a", ast.Store()), X),
    ast.Starred(X, ast.Load()),
    ast.BinOp(X, ast.Add(), ast.Attribute(X, "T", ast.Load())),   # deep inside
    ast.Tuple([X, ast.Call(_name("_exp"), [ast.Constant("s")], [])], ast.Load()),
]


@pytest.mark.parametrize("body", HOSTILE_STATEMENTS, ids=lambda b: type(b[0]).__name__)
def test_the_audit_refuses_statements_we_never_generate(body: list[ast.stmt]) -> None:
    with pytest.raises(AssertionError):
        _compile(body)


@pytest.mark.parametrize("node", HOSTILE_EXPRESSIONS, ids=lambda n: type(n).__name__)
def test_the_audit_refuses_expressions_we_never_generate(node: ast.expr) -> None:
    with pytest.raises(AssertionError):
        _compile(_ret(node))
    with pytest.raises(AssertionError):   # the same in an assignment, and as a call argument
        _compile([_assign(_name("_a", ast.Store()), node), ast.Return(_name("_a"))])
    with pytest.raises(AssertionError):
        _compile(_ret(_call("_exp", node)))


@pytest.mark.parametrize("args, namespace", [
    (("x",), {"_exp": np.exp}), (("_x",), {"exp": np.exp}), (("_x",), {"__builtins__": {}}),
    (("_X",), {}), (("_x",), {"_Exp": np.exp}),
])
def test_the_audit_refuses_names_not_ours_in_arguments_and_globals(
        args: tuple[str, ...], namespace: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        _compile(_ret(ast.Constant(1.0)), args, namespace)


def test_the_audit_accepts_every_form_we_generate() -> None:
    """Each statement and expression form of the generated code, compiled and run."""
    key = ast.Tuple([ast.Slice(ast.Constant(0), ast.Constant(2)), ast.Constant(...),
                     ast.Constant(None)], ast.Load())
    body = [
        _assign(_name("_t0", ast.Store()), ast.Subscript(X, ast.Slice(ast.Constant(0),
                                                                       ast.Constant(3)),
                                                          ast.Load())),
        _assign(_name("_t1", ast.Store()), ast.BinOp(
            ast.UnaryOp(ast.USub(), _name("_t0")), ast.Pow(), ast.Constant(2))),
        _assign(_name("_t2", ast.Store()), ast.Compare(_name("_t1"), [ast.GtE()],
                                                       [ast.Constant(1.0)])),
        _assign(_name("_g", ast.Store()), _call("_zeros", ast.Tuple([ast.Constant(3)],
                                                                     ast.Load()))),
        ast.Assign([ast.Subscript(_name("_g"), ast.Constant(0), ast.Store())],
                   _call("_exp", ast.Subscript(_name("_t1"), ast.Constant(1), ast.Load()))),
        ast.AugAssign(ast.Subscript(_name("_g"), ast.Slice(ast.Constant(1), ast.Constant(3)),
                                    ast.Store()), ast.Add(), _name("_c")),
        _assign(_name("_t3", ast.Store()), ast.Subscript(_name("_m"), key, ast.Load())),
        ast.Return(ast.Tuple([_name("_g"), _name("_t2"), _name("_t3")], ast.Load())),
    ]
    m = np.arange(12.0).reshape(3, 4)
    fn = _compile(body, namespace={"_exp": np.exp, "_zeros": np.zeros, "_c": 0.5, "_m": m})
    g, t2, t3 = fn(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [np.exp(4.0), 0.5, 0.5])
    np.testing.assert_array_equal(t2, [True, True, True])
    np.testing.assert_array_equal(t3, m[0:2, ..., None])
    assert fn.__code__.co_filename == "<warmdesk-generated>"


# ----------------------------------------------------------------------------- broadcast

SHAPES = [(), (1,), (2,), (3,), (1, 1), (1, 3), (3, 1), (2, 3), (3, 3), (4, 1), (2, 1, 3),
          (1, 2, 1), (0,), (0, 3), (5, 0)]


def _numpy(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _ours(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    try:
        return emit.broadcast(*shapes)
    except ValueError:
        return None


@pytest.mark.parametrize("a, b", itertools.product(SHAPES, SHAPES))
def test_broadcast_agrees_with_numpy_on_pairs(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    assert _ours(a, b) == _numpy(a, b)


def test_broadcast_agrees_with_numpy_on_one_and_three_shapes() -> None:
    for a in SHAPES:
        assert _ours(a) == _numpy(a)
    for a, b, c in itertools.product(SHAPES[:9], repeat=3):
        assert _ours(a, b, c) == _numpy(a, b, c), (a, b, c)
    assert emit.broadcast() == ()


# ----------------------------------------------------------------------------- programs

EXPRESSIONS = [
    "sum(x*x)", "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)",
    "sum(exp(-x*c) + x) * s", "s*s*s + s*sum(x)", "sum(x + x + x) + s",
    "sum((x + 1)*(x + 1)*exp(x + 1))", "sum(((x + 1) + 2) * (x + 1))",
    "x[0] + x[0] + x[1]*x[0] + sum(x[1:]*x[1:])", "sum(where(x > 0.5, x, s*x)) + s",
    "sum(-(-x))", "prod(x + 2) + mean(x*c)", "dot(x, x)*s + dot(c, x)",
    "sum(cumsum(x*s)*c)", "sum(minimum(x, s) + maximum(x, c*s))",
    "sum(sin(x)*cos(x) + tanh(x*s))", "log(s) + sum(sqrt(x + s))", "s**x[0] + x[1]**s",
    "sum(clip(x, 0.2, s))", "x[-1]*x[::2][0] + sum(x[::-1]*c)", "sum(x*0.0 + x*-0.0) + s",
    "sum(1/(x + 0.0)) + sum(1/(x - -0.0))",
]


def _layout() -> tuple[Any, np.ndarray, dict[str, Any]]:
    env = {"a": 1.0, "b": 100.0, "c": np.array([0.5, 1.5, -0.5, 2.0])}
    variables = [SimpleNamespace(name="x", size=4, scalar=False),
                 SimpleNamespace(name="s", size=1, scalar=True)]
    return codegen.layout_of(variables, env), np.array([0.3, 0.7, 0.45, 0.9, 0.6]), env


def _interpreted(text: str) -> tuple[Any, Any, float, np.ndarray]:
    layout, point, env = _layout()
    expr = parse(text, ["x", "s", "a", "b", "c"])

    def f(v: Any) -> Any:
        return expr.compile(anp)({**env, "x": v[0:4], "s": v[4]})
    value = expr.evaluate({**env, "x": point[0:4], "s": point[4]})
    return expr, layout, value, autograd.grad(f)(point)


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_scalar_program_matches_the_interpreted_path(text: str) -> None:
    expr, layout, value, grad = _interpreted(text)
    point = _layout()[1]
    program = codegen.scalar_program(expr, layout, point)
    assert program is not None, text
    f, g = program.value_and_grad(point)
    np.testing.assert_allclose(program.value(point), value, rtol=1e-14, err_msg=text)
    np.testing.assert_allclose(f, value, rtol=1e-14, err_msg=text)
    np.testing.assert_allclose(g, grad, rtol=1e-12, atol=1e-14, err_msg=text)
    other = point[::-1].copy()   # and away from the build point
    np.testing.assert_allclose(program.value(other), expr.evaluate(
        {**_layout()[2], "x": other[0:4], "s": other[4]}), rtol=1e-14, err_msg=text)


def _gradient_code(text: str) -> tuple[GradientEmitter, list[ast.stmt]]:
    layout, point, _ = _layout()
    program = Program(layout)
    root = program.add_root(parse(text, ["x", "s", "a", "b", "c"])._root)
    values = program.evaluate(point)
    emitter = GradientEmitter(program, values)
    emitter.emit_values()
    start = len(emitter.body)
    emitter.emit_gradient(root)
    return emitter, emitter.body[start:]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_no_adjoint_is_a_copy_of_a_name(text: str) -> None:
    """``_a3 = _a5`` is never emitted: the name itself stands for the adjoint."""
    _, gradient = _gradient_code(text)
    for stmt in gradient:
        assert not (isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Name)), text


@pytest.mark.parametrize("text", [
    "sum(x + x + x)", "sum(((x + 1) + 2) * (x + 1))", "s + s + s*s",
    "sum((x + s) + (x + s)*(x + s))", "x[0] + x[0] + x[1] + sum(x + 0.0)",
    "sum(x[1:] + x[1:]) + x[1] + x[1]", "sum(+x) + sum(x) * sum(x)",
])
def test_gradients_without_adjoint_copies_where_values_are_used_several_times(
        text: str) -> None:
    """Adjoints that pass through ``+`` unchanged are the same name for several
    operands; each use of a value still adds its contribution exactly once."""
    expr, layout, value, grad = _interpreted(text)
    point = _layout()[1]
    program = codegen.scalar_program(expr, layout, point)
    assert program is not None
    f, g = program.value_and_grad(point)
    np.testing.assert_allclose(f, value, rtol=1e-14)
    np.testing.assert_allclose(g, grad, rtol=1e-13, atol=1e-15)
    g2 = program.value_and_grad(point)[1]   # pure: the same again
    np.testing.assert_array_equal(g, g2)


def test_repeated_subexpressions_are_computed_once() -> None:
    layout, point, _ = _layout()
    shared = Program(layout)   # x, s, x*s, 1, x*s + 1, its square, sum, x[0], x[0]*x[0], +
    shared.add_root(parse("sum((x*s + 1)*(x*s + 1)) + x[0]*x[0]", ["x", "s"])._root)
    assert len(shared.ops) == 10
    assert [op.kind for op in shared.ops].count("index") == 1
    signs = Program(layout)   # equal literals merge; 0.0 and -0.0 do not (1/a differs)
    signs.add_root(parse("sum(x*0.0 + x*0.0 + x*-0.0)", ["x"])._root)
    constants = [op.value for op in signs.ops if op.kind == "const"]
    assert len(constants) == 2 and {np.copysign(1.0, c) for c in constants} == {1.0, -1.0}


def test_shared_outputs_of_an_ode_stay_exact() -> None:
    """A right-hand side whose outputs share products (Robertson's ``k3*y2*y3``)."""
    names = ["y1", "y2", "y3", "k1", "k2", "k3"]
    rhs = [parse(t, names) for t in ("-k1*y1 + k3*y2*y3", "k1*y1 - k3*y2*y3 - k2*y2**2",
                                     "k2*y2**2")]
    variables = [SimpleNamespace(name=n, size=1, scalar=True) for n in names[:3]]
    env = {"k1": 0.04, "k2": 3e7, "k3": 1e4}
    layout = codegen.layout_of(variables, env, time="t")
    y = np.array([0.9, 3e-5, 0.1])
    program = codegen.vector_program([(e, 1) for e in rhs], layout, y, 0.0)
    assert program is not None
    y1, y2, y3 = y
    np.testing.assert_array_equal(program.value(0.0, y), [
        -0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 ** 2, 3e7 * y2 ** 2])
    np.testing.assert_allclose(program.jacobian(0.0, y), [
        [-0.04, 1e4 * y3, 1e4 * y2], [0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2],
        [0.0, 6e7 * y2, 0.0]], rtol=1e-15, atol=0.0)


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_value_code_has_nothing_to_prune(text: str) -> None:
    """The vector value code is compiled unpruned: every value it computes is read."""
    layout, point, _ = _layout()
    program = Program(layout)
    program.add_root(parse(text, ["x", "s", "a", "b", "c"])._root)
    emitter = JacobianEmitter(program, program.evaluate(point))
    emitter.emit_values()
    body = [*emitter.body, *programs._pack_values(emitter, [1], 1)]
    assert programs.prune(body) == body


def test_identical_outputs_share_one_operation() -> None:
    """Two right-hand sides with the same text are one operation (one root twice)."""
    names = ["y1", "y2", "k"]
    rhs = [parse("k*y1*y2 - y1", names), parse("k*y1*y2 - y1", names), parse("y2", names)]
    variables = [SimpleNamespace(name=n, size=1, scalar=True) for n in names[:2]]
    layout = codegen.layout_of(variables, {"k": 2.0}, time="t")
    y = np.array([0.3, 0.8])
    program = codegen.vector_program([(e, 1) for e in rhs], layout, y, 0.0)
    assert program is not None
    value = 2.0 * 0.3 * 0.8 - 0.3
    np.testing.assert_allclose(program.value(0.0, y), [value, value, 0.8], rtol=1e-15)
    row = [2.0 * 0.8 - 1.0, 2.0 * 0.3]
    np.testing.assert_allclose(program.jacobian(0.0, y), [row, row, [0.0, 1.0]], rtol=1e-15)
