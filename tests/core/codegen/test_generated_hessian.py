"""Generated Hessian-vector products (warmdesk.core.codegen.hessian) against autograd's
(tight) and against central differences of the generated gradient (loose), for every
function and operator of the language (the cases of the gradient tests), with user
names that spell our identifiers; and the one declined case, ``prod``."""

from __future__ import annotations

from types import SimpleNamespace

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from warmdesk.core import codegen
from warmdesk.core.expressions import parse

from .test_generated_derivatives import CASES, SETTINGS, _setup, draws

direction = st.lists(st.floats(-1.0, 1.0), min_size=5, max_size=5)


def _hvp_fd(grad: object, x: np.ndarray, p: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """(g(x + h p) - g(x - h p)) / 2h, from the generated gradient (itself tested)."""
    return (grad(x + h * p)[1] - grad(x - h * p)[1]) / (2 * h)   # type: ignore[operator]


def _smooth_along(grad: object, x: np.ndarray, p: np.ndarray) -> bool:
    """The gradient is smooth near x along p (no kink or jump within the FD steps)."""
    g = [grad(x + s * p)[1] for s in (-4e-5, -1e-5, 0.0, 1e-5, 4e-5)]   # type: ignore
    near = (g[3] - g[1]) / 2e-5
    far = (g[4] - g[0]) / 8e-5
    return bool(np.allclose(near, far, rtol=1e-3, atol=1e-4))


@pytest.mark.filterwarnings("ignore:Output seems independent of input")
@SETTINGS
@given(**draws, d=direction)
# Found by CI: one ulp from the kink of abs, autograd's second derivative of abs is
# 1/|a| - 1/|a| in rounding (0.25 off); the generated one is 0, exact off the kink.
@example(template="abs({U} - 0.5)*{V}", names=["x", "x0", "env", "np"],
         u=[0.5, 0.5000000000000001, 0.5, 0.5], v=0.5, p=[1.0] * 4, q=1.0,
         d=[0.0, 1.0, 0.0, 0.0, 0.75])
def test_hessian_vector_product(template: str, names: list[str], u: list[float], v: float,
                                p: list[float], q: float, d: list[float]) -> None:
    text, expr, layout, x, cenv = _setup(f"sum({template})", names, u, v, p, q)
    direction_ = np.array(d)
    program = codegen.scalar_program(expr, layout, x)
    hvp = codegen.hvp_program(expr, layout, x)
    assert program is not None, text
    if "prod(" in template:   # declined: the caller falls back to autograd
        assert hvp is None
        return
    assert hvp is not None, text
    actual = hvp(x, direction_)
    assert actual.shape == x.shape and np.all(np.isfinite(actual)), text
    if not _smooth_along(program.value_and_grad, x, direction_):
        return   # at a kink (abs, minimum, where) the Hessian is a convention, and
        #          autograd's own figure there is rounding (see the example above)
    reference = autograd.hessian_vector_product(
        lambda point: expr.compile(anp)(cenv(point)))(x, direction_)
    np.testing.assert_allclose(actual, reference, rtol=1e-8, atol=1e-10, err_msg=text)
    np.testing.assert_allclose(actual, _hvp_fd(program.value_and_grad, x, direction_),
                               rtol=1e-4, atol=1e-5, err_msg=text)


def test_every_case_but_prod_is_generated() -> None:
    names = ["x", "x0", "p", "q"]
    declined = []
    for template in CASES:
        text, expr, layout, x, _ = _setup(f"sum({template})", names, [0.3, 0.4, 0.6, 0.7],
                                          0.45, [0.9, 1.1, 1.2, 0.8], 0.7)
        if codegen.hvp_program(expr, layout, x) is None:
            declined.append(template)
    assert declined == [c for c in CASES if "prod(" in c]


def test_direction_is_an_argument_not_a_name() -> None:
    """A user variable named ``p`` (or ``_p`` spelled without underscore) is the unknown,
    never the direction."""
    expr = parse("sum(p**3) + x*p[0]", ["p", "x"])
    layout = codegen.layout_of([SimpleNamespace(name="p", size=3, scalar=False),
                                SimpleNamespace(name="x", size=1, scalar=True)], {})
    point = np.array([0.5, -1.0, 2.0, 3.0])
    hvp = codegen.hvp_program(expr, layout, point)
    assert hvp is not None
    hessian = np.diag([6 * 0.5, 6 * -1.0, 6 * 2.0, 0.0])
    hessian[0, 3] = hessian[3, 0] = 1.0
    for k in range(4):
        e = np.eye(4)[k]
        np.testing.assert_allclose(hvp(point, e), hessian @ e, rtol=1e-14)


def test_linear_and_constant_objectives() -> None:
    layout = codegen.layout_of([SimpleNamespace(name="x", size=3, scalar=False)],
                               {"c": np.array([1.0, 2.0, 3.0])})
    for text in ("sum(c*x)", "sum(c)"):
        expr = parse(text, ["x", "c"])
        hvp = codegen.hvp_program(expr, layout, np.ones(3))
        assert hvp is not None
        np.testing.assert_array_equal(hvp(np.ones(3), np.arange(3.0)), np.zeros(3))


@pytest.mark.parametrize("objective, generated", [("sum(x**3) + x[0]*x[2]", True),
                                                  ("prod(x + 2) + sum(x**3)", False)])
def test_scalar_function_hessp(objective: str, generated: bool) -> None:
    """The solvers' H p: generated code, or autograd where codegen declines."""
    from warmdesk.core.problems import problem_from_dict
    from warmdesk.core.solvers.compiled import ScalarFunction
    problem = problem_from_dict({
        "format": "warmdesk.problem/1", "name": "h", "kind": "minimize",
        "variables": {"x": {"size": 3, "start": 0.5}}, "objective": objective,
        "solver": {"method": "Newton-CG", "options": {}}})
    sf = ScalarFunction(problem, problem.objective)
    x, p = np.array([0.3, -0.7, 1.1]), np.array([1.0, 0.5, -2.0])
    actual = sf.hessp(x, p)
    assert (sf._hvp_generated is not None) == generated
    f = problem.objective.compile(anp)
    reference = autograd.hessian_vector_product(lambda v: f({"x": v}))(x, p)
    np.testing.assert_allclose(actual, reference, rtol=1e-12)
