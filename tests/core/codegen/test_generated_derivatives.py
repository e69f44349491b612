"""Generated evaluators (warmdesk.core.codegen) against the references: values against
the interpreted closures, gradients against autograd, Jacobians against core.dual (all
tight), and both against central finite differences (loose); for every function and
operator of the language, with broadcasting, indexing and slicing, and with user
names that spell our generated identifiers without the underscore (the sympy trap:
temporaries named like user variables gave a wrong Jacobian)."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warmdesk.core import codegen, dual
from warmdesk.core.expressions import FUNCTIONS, ExpressionError, parse

# {U}: vector variable (4), {V}: scalar variable, {P}: vector parameter, {Q}: scalar
# parameter. Variables are drawn in (0.1, 0.9), parameters in (0.5, 1.5), so every
# case stays inside its function's domain and away from kinks.
CASES = [
    "{U} + {V}*{P} - {Q}", "{U} - {P} - {V}", "{U}*{V}*{P}", "{U}/(2 + {Q} + {V}*{V})",
    "{U} % (3 + {V}*{V})", "-{U}*{V}", "+{U}", "{U}**2", "{U}**3", "{U}**{V}", "{Q}**{U}",
    "({U}*{U} + 1)**-1.5", "2**{V}",
    "where({U} > {V}, {U}*{U}, {V}*{U})",
    "where({U} >= 0.5, {U}, 1) + where({U} < {V}, 1, {U}) + where({U} <= {V}, {U}, 2)",
    "({U} == {V}) + ({U} != {V}) * {U}",
    "where(({U} > 0.2) & ({V} < 0.5) | ({U} > 0.8), {U}, {V}*{P})",
    "sum({U}*{P})", "prod({U} + 2)", "mean({U}*{U}*{V})", "cumsum({U})*{P}",
    "cumsum({U}*{V})[2]", "dot({U}, {P})", "dot({U}, {U})*{V}", "dot({V}, {U})",
    "exp({U}*{V})", "log({U} + {Q})", "log10({U}*{V})", "log1p({U})", "expm1({U}*{V})",
    "sqrt({U} + {V})", "square({U} - {V})", "abs({U} - 0.5)*{V}", "sign({U} - 0.5)*{U}",
    "sin({U}*{V})", "cos({U}*{P})", "tan({U})", "arcsin({U}*{V})", "arccos({U})",
    "arctan({U}/{V})", "sinh({U})", "cosh({U}*{V})", "tanh({U} - {V})",
    "arctan2({U}, {V} + {P})", "minimum({U}, {V})", "maximum({U}, {P}*{V})",
    "hypot({U}, {V})", "logaddexp({U}, {V}*{P})", "power({U}*{U} + 1, {V})",
    "clip({U}, {V} - 1, 0.55)", "clip({U}*{P}, 0.2, {V} + 0.3)",
    "{U}[0]*{U}[-1] + {U}[1:]*{U}[:-1]*{V}", "{U}[::2]*{U}[1::2]", "{U}[::-1]*{P} + {V}",
    "({U} + {V})[2] * {U}", "{U}[1:3][0]*{V}", "sum({U}[:3] * {P}[1:]) + {V}",
    "{V}*{Q} + {V}**2", "exp(-{V}*{P}) + {U}",
    "sum({V}*{P} + {U}) * {Q} + pi*e*{V}",
    # terms over a fixed vector, fused into one matrix-vector product (codegen.linear)
    "{U}[0]*{P} + {P}*{U}[1] + {U}[2]*{P} + {U}[3]*{P}*{V}",
    "exp(-({V} + {U}[1]*{P} + {U}[2]*{P} + {U}[3]*{P}))",
]
# User names that look like generated identifiers without their underscore, and
# like the backend's names.
NAMES = ["x", "x0", "env", "np", "t0", "t1", "a1", "d2_1", "c3", "e1", "f4_1", "g", "jac",
         "out", "time", "key0", "exp", "sum", "where", "y"]


def test_every_function_is_covered() -> None:
    used = set(re.findall(r"([a-z][a-z0-9]*)\(", " ".join(CASES)))
    assert set(FUNCTIONS) <= used


def test_generated_identifiers_cannot_be_user_names() -> None:
    for name in ("_t0", "_x", "_a1", "_exp"):
        with pytest.raises(ExpressionError):
            parse(f"{name} + 1", [name])


def _setup(template: str, names: list[str], u: list[float], v: float,
           p: list[float], q: float) -> tuple[Any, ...]:
    un, vn, pn, qn = names
    text = template.format(U=un, V=vn, P=pn, Q=qn)
    expr = parse(text, names)
    env = {pn: np.array(p), qn: np.array(q)}
    variables = [SimpleNamespace(name=un, size=4, scalar=False),
                 SimpleNamespace(name=vn, size=1, scalar=True)]
    layout = codegen.layout_of(variables, env)
    x = np.array([*u, v])

    def closure_env(point: Any) -> dict[str, Any]:
        return {**env, un: point[0:4], vn: point[4]}
    return text, expr, layout, x, closure_env


def _fd(fun: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray | None:
    """Central differences; None at a kink (the one-sided differences disagree), where
    only the tight comparison with autograd / core.dual applies."""
    cols = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step[k] = h
        here, up, down, up4, down4 = (np.asarray(fun(point), dtype=float) for point in
                                      (x, x + step, x - step, x + 4 * step, x - 4 * step))
        central = (up - down) / (2 * h)
        if not (np.allclose((up - here) / h, (here - down) / h, rtol=1e-3, atol=1e-4)
                and np.allclose(central, (up4 - down4) / (8 * h), rtol=1e-3, atol=1e-4)):
            return None   # a kink or a jump
        cols.append(central)
    return np.stack(cols, axis=-1)


def _close_to_fd(actual: np.ndarray, fd: np.ndarray | None, text: str) -> None:
    if fd is not None:
        np.testing.assert_allclose(actual, fd.reshape(actual.shape), rtol=1e-4, atol=1e-5,
                                   err_msg=text)


unit = st.floats(0.1, 0.9)
params = st.floats(0.5, 1.5)
draws = dict(template=st.sampled_from(CASES),
             names=st.permutations(NAMES).map(lambda ns: list(ns[:4])),
             u=st.lists(unit, min_size=4, max_size=4), v=unit,
             p=st.lists(params, min_size=4, max_size=4), q=params)
SETTINGS = settings(max_examples=600, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(**draws)
def test_scalar_value_and_gradient(template: str, names: list[str], u: list[float], v: float,
                                   p: list[float], q: float) -> None:
    text, expr, layout, x, cenv = _setup(f"sum({template})", names, u, v, p, q)
    program = codegen.scalar_program(expr, layout, x)
    assert program is not None, text
    value, grad = program.value_and_grad(x)
    closure = expr.compile(np)
    np.testing.assert_allclose(program.value(x), closure(cenv(x)), rtol=1e-13, err_msg=text)
    np.testing.assert_allclose(value, closure(cenv(x)), rtol=1e-13, err_msg=text)
    reference = autograd.grad(lambda point: expr.compile(anp)(cenv(point)))(x)
    np.testing.assert_allclose(grad, reference, rtol=1e-9, atol=1e-12, err_msg=text)
    _close_to_fd(grad, _fd(lambda point: closure(cenv(point)), x), text)


@SETTINGS
@given(**draws, length=st.sampled_from([None, 4]))
def test_vector_value_and_jacobian(template: str, names: list[str], u: list[float], v: float,
                                   p: list[float], q: float, length: int | None) -> None:
    text, expr, layout, x, cenv = _setup(template, names, u, v, p, q)
    closure = expr.compile(np)
    shape = (length,) if length else np.atleast_1d(closure(cenv(x))).shape
    program = codegen.vector_program([(expr, length)], layout, x)
    try:
        fits = np.broadcast_shapes(np.shape(closure(cenv(x))), shape[:1]) == shape
    except ValueError:
        fits = False
    if not fits:
        assert program is None   # e.g. 3 values for 4 rows: the closures raise
        return
    assert program is not None, text
    expected = np.broadcast_to(closure(cenv(x)), shape)
    np.testing.assert_allclose(program.value(x), expected, rtol=1e-13, err_msg=text)
    out = dual.add(expr.compile(dual.DUAL)(cenv(dual.variables(x))), np.zeros(shape))
    reference = dual.jacobian_of(out, x.size, shape)
    jac = program.jacobian(x)
    np.testing.assert_allclose(jac, reference, rtol=1e-9, atol=1e-12, err_msg=text)
    fd = _fd(lambda point: np.broadcast_to(closure(cenv(point)), shape), x)
    _close_to_fd(jac, fd, text)


def test_stacked_outputs_with_time() -> None:
    """An ODE right-hand side: several outputs, the time argument, scalar variables."""
    names = ["y1", "y2", "k", "t"]
    rhs = [parse(text, names) for text in ("-k*y1 + sin(t)*y2", "k*y1*y2 - t*y2**2")]
    variables = [SimpleNamespace(name="y1", size=1, scalar=True),
                 SimpleNamespace(name="y2", size=1, scalar=True)]
    layout = codegen.layout_of(variables, {"k": np.array(0.7)}, time="t")
    y, t = np.array([0.4, 1.3]), 2.5
    program = codegen.vector_program([(e, 1) for e in rhs], layout, y, 0.0)
    assert program is not None

    def f(point: np.ndarray) -> np.ndarray:
        return np.array([e.evaluate({"k": 0.7, "t": t, "y1": point[0], "y2": point[1]})
                         for e in rhs])
    np.testing.assert_allclose(program.value(t, y), f(y), rtol=1e-14)
    fd = _fd(f, y)
    assert fd is not None
    np.testing.assert_allclose(program.jacobian(t, y), fd, rtol=1e-6)


def test_uncovered_dot_of_matrices_keeps_the_closures() -> None:
    expr = parse("sum(dot(A * x, A))", ["A", "x"])
    layout = codegen.layout_of([SimpleNamespace(name="x", size=2, scalar=False)],
                               {"A": np.eye(2)})
    assert codegen.scalar_program(expr, layout, np.ones(2)) is None


def test_reference_dual_dot_with_a_number() -> None:
    """core.dual (the Jacobian reference) once failed on dot(number, vector)."""
    x = np.array([0.3, 0.7, 1.1])
    expr = parse("dot(x[0], x)", ["x"])
    out = expr.compile(dual.DUAL)({"x": dual.variables(x)})
    expected = np.diag(np.full(3, x[0]))
    expected[:, 0] += x
    np.testing.assert_allclose(dual.jacobian_of(out, 3, (3,)), expected)
