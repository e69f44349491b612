"""Generated code made leaner where it was several times hand-written numpy (issue 16:
the logistic loss's Hessian-vector product was 3.6x): terms over data columns fused
into one matrix-vector product (codegen.linear), ``sum(a*b)`` of two vectors as one
dot product, the tangent of ``logaddexp`` without its value (codegen.hessian), and
``sum``/``mean`` without numpy's Python layers (codegen.runtime). Each stays exact:
against autograd, core.dual and central differences, at random points and columns,
on rebinding to other values, and bit for bit where it claims to be."""

from __future__ import annotations

import ast
import warnings
from types import SimpleNamespace
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import expit

from warmdesk.core import codegen, dual
from warmdesk.core.codegen import cache, linear
from warmdesk.core.codegen.hessian import hvp_program
from warmdesk.core.codegen.ir import Program
from warmdesk.core.codegen.reverse import GradientEmitter
from warmdesk.core.codegen.runtime import NAMESPACE
from warmdesk.core.expressions import parse

from .test_rebind import build_of, check

ROWS = 7
COLUMNS = ["f0", "f1", "f2", "f3"]
NAMES = ["w", "c", *COLUMNS, "k"]


def _layout(columns: dict[str, Any], k: float = 0.8) -> Any:
    variables = [SimpleNamespace(name="w", size=5, scalar=False),
                 SimpleNamespace(name="c", size=1, scalar=True)]
    return codegen.layout_of(variables, {**columns, "k": np.float64(k)})


def _columns(seed: int, dtype: Any = float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f: (rng.normal(size=ROWS) * 3).astype(dtype) for f in COLUMNS}


def _fused(text: str, env: dict[str, Any]) -> int:
    """How many stacks of columns the program of ``text`` holds."""
    program = Program(_layout(env))
    program.add_root(parse(text, NAMES)._root)
    return sum(op.kind == "stack" for op in program.ops)


# Fused: three or more consecutive elements of one vector times columns of one length.
FUSED = [
    "sum(logaddexp(0, -k*(w[0]*f0 + w[1]*f1 + w[2]*f2 + w[3]*f3 + c)))",
    "sum((f0*w[1] + w[2]*f1 + f2*w[3] - c)**2)",                 # either order, a slice
    "sum(exp(c + w[2]*f1 + w[3]*f2 + w[4]*f3)*k)",               # after another term
    "sum(sin(w[-3]*f0 + w[-2]*f1 + w[-1]*f2) + w[0]*w[1]*f3)",   # negative indices
    "mean(tanh(w[0]*f0 + w[1]*f1 + w[2]*f2 + w[0]*f3 + w[1]*f0 + w[2]*f1 + w[3]*f2))",
]
# Not fused (left as they are): two terms, a gap, a descending or repeated element,
# a '-' between terms, scalar unknowns, a product of expressions, a variable as column.
NOT_FUSED = [
    "sum((w[0]*f0 + w[1]*f1)**2)", "sum((w[0]*f0 + w[2]*f1 + w[3]*f2)**2)",
    "sum((w[2]*f0 + w[1]*f1 + w[0]*f2)**2)", "sum((w[1]*f0 + w[1]*f1 + w[1]*f2)**2)",
    "sum((w[0]*f0 - w[1]*f1 + w[2]*f2)**2)", "sum((c*f0 + c*f1 + c*f2)**2)",
    "sum((w[0]*f0*k + w[1]*f1*k + w[2]*f2*k)**2)", "sum((w[0]*f0 + w[1]*w + w[2]*f2)**2)",
]


@pytest.mark.parametrize("text", FUSED)
def test_terms_over_columns_are_one_product(text: str) -> None:
    assert _fused(text, _columns(0)) >= 1, text


@pytest.mark.parametrize("text", NOT_FUSED)
def test_other_sums_are_left_as_they_are(text: str) -> None:
    assert _fused(text, _columns(0)) == 0, text


def test_columns_of_two_lengths_are_not_fused() -> None:
    env = {**_columns(0), "f2": np.ones(ROWS + 1)}
    assert _fused("sum(w[0]*f0 + w[1]*f1 + w[2]*f2)", env) == 0   # (and fail as before)
    assert _fused("sum(w[0]*f0 + w[1]*f1 + w[2]*f3)", env) == 1


def test_a_long_run_is_fused_in_parts_of_bounded_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The matrix is a copy of its columns: at most MAX_MATRIX_BYTES each, the rest
    of the run in further parts, and none where three columns would exceed it."""
    text = "sum(w[0]*f0 + w[1]*f1 + w[2]*f2 + w[3]*f3 + w[4]*f0 + c)"
    env = _columns(0)
    monkeypatch.setattr(linear, "MAX_MATRIX_BYTES", 8 * ROWS * 3)   # three columns
    program = Program(_layout(env))
    program.add_root(parse(text, NAMES)._root)
    stacks = [op for op in program.ops if op.kind == "stack"]
    assert [len(op.args) for op in stacks] == [3]   # then two terms: left as they are
    x = np.linspace(0.1, 0.6, 6)
    value = program.evaluate(x)[program.roots[0]]
    np.testing.assert_allclose(value, parse(text, NAMES).evaluate(
        {**env, "k": 0.8, "w": x[0:5], "c": x[5]}), rtol=1e-14)
    monkeypatch.setattr(linear, "MAX_MATRIX_BYTES", 8 * ROWS * 2)
    assert _fused(text, env) == 0
    # six terms, three columns a matrix: two matrices, and the same sum
    monkeypatch.setattr(linear, "MAX_MATRIX_BYTES", 8 * ROWS * 3)
    six = "sum(" + " + ".join(f"v[{j}]*f{j % 4}" for j in range(6)) + ")"
    layout = codegen.layout_of([SimpleNamespace(name="v", size=6, scalar=False)], env)
    program = Program(layout)
    program.add_root(parse(six, ["v", *COLUMNS])._root)
    assert [len(op.args) for op in program.ops if op.kind == "stack"] == [3, 3]
    v = np.linspace(-1.0, 1.0, 6)
    np.testing.assert_allclose(program.evaluate(v)[program.roots[0]],
                               parse(six, ["v", *COLUMNS]).evaluate({**env, "v": v}),
                               rtol=1e-13)


def _reference(text: str, env: dict[str, Any]) -> tuple[Any, Any]:
    expr = parse(text, NAMES)

    def f(point: Any) -> Any:
        return expr.compile(anp)({**env, "k": 0.8, "w": point[0:5], "c": point[5]})
    return f, expr


point = st.lists(st.floats(-1.5, 1.5), min_size=6, max_size=6).map(np.array)


@settings(max_examples=60, deadline=None, database=None)
@given(text=st.sampled_from(FUSED), seed=st.integers(0, 10_000), x=point, d=point,
       integer=st.booleans())
def test_fused_values_and_derivatives_match_the_references(
        text: str, seed: int, x: np.ndarray, d: np.ndarray, integer: bool) -> None:
    env = _columns(seed, np.int64 if integer else float)
    f, expr = _reference(text, env)
    layout = _layout(env)
    program = codegen.scalar_program(expr, layout, x)
    hvp = hvp_program(expr, layout, x)
    assert program is not None and hvp is not None, text
    value, grad = program.value_and_grad(x)
    np.testing.assert_allclose(value, f(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, autograd.grad(f)(x), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(hvp(x, d), autograd.hessian_vector_product(f)(x, d),
                               rtol=1e-9, atol=1e-9)
    h = 1e-6   # and central differences of the generated gradient
    fd = (program.value_and_grad(x + h * d)[1] - program.value_and_grad(x - h * d)[1]) / (2 * h)
    np.testing.assert_allclose(hvp(x, d), fd, rtol=1e-4, atol=1e-4 * (1 + np.abs(fd).max()))


@pytest.mark.parametrize("text", ["w[0]*f0 + w[1]*f1 + w[2]*f2 + c",
                                  "exp(-(w[1]*f1 + w[2]*f2 + w[3]*f3))*c"])
def test_a_fused_model_has_the_exact_jacobian(text: str) -> None:
    """A fit's residual model: value and Jacobian against core.dual."""
    env = _columns(3)
    expr = parse(text, NAMES)
    x = np.array([0.3, -0.7, 1.1, 0.4, -0.2, 0.9])
    program = codegen.vector_program([(expr, ROWS)], _layout(env), x)
    assert program is not None
    reference = {**env, "k": 0.8}
    value = expr.compile(np)({**reference, "w": x[0:5], "c": x[5]})
    point = dual.variables(x)
    out = dual.add(expr.compile(dual.DUAL)({**reference, "w": point[0:5], "c": point[5]}),
                   np.zeros(ROWS))
    jac = dual.jacobian_of(out, x.size, (ROWS,))
    np.testing.assert_allclose(program.value(x), value, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(program.jacobian(x), jac, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("kind", ["scalar", "hvp", "vector"])
def test_a_fused_program_rebinds_to_other_columns(kind: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Other columns of the same shapes: the stacked matrix is made from them (bit for
    bit what a fresh build gives), not kept from the first build."""
    programs = cache.ProgramCache()
    monkeypatch.setattr(cache, "PROGRAMS", programs)
    text = "w[0]*f0 + w[1]*f1 + w[2]*f2 + w[3]*f3 + c"
    expr = parse(f"sum(({text})**2)" if kind != "vector" else text, NAMES)
    x = np.array([0.3, -0.7, 1.1, 0.4, -0.2, 0.9])
    check(kind, build_of(kind, [expr], ROWS if kind == "vector" else None),
          _layout(_columns(1)), _layout(_columns(2)), x, monkeypatch, programs, rebound=True)


def _gradient_body(text: str, env: dict[str, Any]) -> list[str]:
    program = Program(_layout(env))
    root = program.add_root(parse(text, NAMES)._root)
    emitter = GradientEmitter(program, program.evaluate(np.linspace(0.1, 0.6, 6)))
    emitter.emit_values()
    start = len(emitter.body)
    emitter.emit_gradient(root)
    return [ast.unparse(ast.fix_missing_locations(s)) for s in emitter.body[start:]]


def test_the_sum_of_a_product_of_vectors_is_one_dot_product() -> None:
    """The adjoint of a number times a vector, ``sum(g * v)``: ``_dot(g, v)``."""
    body = "\n".join(_gradient_body("sum(exp(c*f1)) + sum(log1p(w[0]*f0*f0))", _columns(0)))
    assert body.count("_dot(") == 2 and "_sum(" not in body, body


def test_the_hessian_of_logaddexp_needs_not_its_value() -> None:
    env = _columns(0)
    text = "sum(logaddexp(0, -k*(w[0]*f0 + w[1]*f1 + w[2]*f2)) + logaddexp(c, w[3]))"
    expr = parse(text, NAMES)
    x = np.array([0.3, -0.7, 1.1, 0.4, -0.2, 0.9])
    made: list[str] = []
    real = codegen.emit.compile_function

    def spy(args: Any, body: Any, namespace: Any) -> Any:
        made.append(ast.unparse(ast.fix_missing_locations(ast.Module(list(body), []))))
        return real(args, body, namespace)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(cache, "PROGRAMS", cache.ProgramCache())
        m.setattr(codegen.template, "compile_function", spy)
        hvp = hvp_program(expr, _layout(env), x)
        assert hvp is not None
        hvp(x, np.ones(6))
    assert made and "_logaddexp" not in made[-1] and "_expit" in made[-1], made


@pytest.mark.parametrize("a, b", [(800.0, 0.0), (-800.0, 0.0), (0.0, 745.5), (1e-300, 0.0),
                                  (40.0, -40.0), (np.inf, 1.0), (-np.inf, 1.0)])
def test_the_hessian_of_logaddexp_at_extreme_arguments(a: float, b: float) -> None:
    """expit(a - b) is exp(a - logaddexp(a, b)) without overflow: finite where the
    arguments are, and the limit where one is infinite."""
    variables = [SimpleNamespace(name="u", size=1, scalar=True),
                 SimpleNamespace(name="v", size=1, scalar=True)]
    expr = parse("logaddexp(u, v)", ["u", "v"])
    x = np.array([a, b])
    with np.errstate(all="ignore"):
        hvp = hvp_program(expr, codegen.layout_of(variables, {}), x)
        assert hvp is not None
        got = hvp(x, np.array([1.0, -1.0]))
    # d2/da2 = s(1 - s) = expit(a - b) expit(b - a), d2/dadb = -s(1 - s); where s(1 - s)
    # is below the rounding of 1 - s (|a - b| > 37), the figure may be off by its size
    curvature = expit(a - b) * expit(b - a)
    np.testing.assert_allclose(got, [2 * curvature, -2 * curvature], rtol=1e-12, atol=1e-30)


arrays = st.sampled_from([np.float64, np.int64, np.float32, np.float16]).flatmap(
    lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                      max_side=5),
                             elements=st.integers(-1000, 1000))) | hnp.arrays(
    np.bool_, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=5))


@settings(max_examples=200, deadline=None, database=None)
@given(a=arrays)
def test_sum_and_mean_are_numpys_bit_for_bit(a: np.ndarray) -> None:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # np.mean of nothing: nan, warned
        for ours, theirs in ((NAMESPACE["_sum"], np.sum), (NAMESPACE["_mean"], np.mean)):
            got, want = ours(a), theirs(a)
            assert type(got) is type(want) and np.asarray(got).dtype == np.asarray(want).dtype
            assert np.asarray(got).tobytes() == np.asarray(want).tobytes(), (ours, a)


def test_the_columns_matrix_is_made_once_with_contiguous_columns() -> None:
    columns = _columns(0)
    m = linear.stack_columns(*columns.values())
    assert m.shape == (ROWS, len(COLUMNS)) and m.flags.f_contiguous
    assert all(np.array_equal(m[:, j], c) for j, c in enumerate(columns.values()))
