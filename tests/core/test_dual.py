"""The vectorised forward mode gives the same Jacobians as finite differences,
for every allow-listed function and operator, in one pass."""

from __future__ import annotations

import numpy as np
import pytest

from warmdesk.core import dual
from warmdesk.core.expressions import FUNCTIONS, parse

CASES = [
    "a*x**2 + sin(x)*y - x/y + 3", "exp(-(t - x)**2 / (2*y**2)) * a", "sum(x*t) + prod(t*y)",
    "mean(log(t + x**2)) + log10(y**2 + 1) + log1p(x**2)", "expm1(x*t) - sqrt(y**2 + t)",
    "square(x - t) + abs(y - t) * sign(t - 0.5)", "tan(x*0.1) + arcsin(t*0.5) + arccos(t*0.3)",
    "arctan(x*t) + sinh(y*t) + cosh(x) + tanh(y*t)", "arctan2(y + t, x + 2)",
    "where(t > 0.5, x*t, y**3)", "minimum(x*t, y) + maximum(x, y*t)", "clip(x*t, 0.2, y)",
    "dot(t, t*x) + hypot(x, y*t) + logaddexp(x*t, y)", "power(t + 1, x) + (t + 2)**y",
    "cumsum(x*t)[-1] + (x*t) % 0.7", "-x*t + (t < 0.3) * 2 + y",
]


@pytest.mark.parametrize("text", CASES)
def test_dual_jacobian_matches_central_differences(text: str) -> None:
    expr = parse(text, ["x", "y", "a", "t"])
    t = np.linspace(0.05, 0.95, 7)
    params = {"a": 1.3, "t": t}
    xy = np.array([0.7, 1.1])

    def f(v: np.ndarray):
        return np.broadcast_to(expr.evaluate({**params, "x": v[0], "y": v[1]}), t.shape)

    var = dual.variables(xy)
    out = expr.compile(dual.DUAL)({**params, "x": var[0], "y": var[1]})
    jac = dual.jacobian_of(out, 2, np.shape(f(xy)))
    eps = 1e-6
    fd = np.stack([(f(xy + eps * e) - f(xy - eps * e)) / (2 * eps) for e in np.eye(2)], axis=-1)
    assert np.allclose(jac, fd.reshape(-1, 2), rtol=1e-5, atol=1e-6)


def test_every_function_has_a_rule() -> None:
    for name in FUNCTIONS:
        assert callable(getattr(dual.DUAL, name)), name


def test_vector_variables_and_indexing() -> None:
    expr = parse("x[1:] - x[:-1]**2 + sum(x)", ["x"])
    x = np.array([0.5, -1.0, 2.0, 0.3])
    out = expr.compile(dual.DUAL)({"x": dual.variables(x)})
    jac = dual.jacobian_of(out, 4, (3,))
    expected = np.zeros((3, 4))
    for i in range(3):
        expected[i, i + 1] += 1
        expected[i, i] -= 2 * x[i]
    expected += 1
    assert np.allclose(jac, expected)
