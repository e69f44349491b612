"""Turn a problem's expressions into numeric functions of a flat vector, with
exact derivatives: autograd's reverse mode for gradients (and Hessian-vector
products) of scalar objectives, our vectorised forward mode
(:mod:`warmdesk.core.dual`) for Jacobians. Expressions are our own parsed trees;
nothing is evaluated as text.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

import autograd
import autograd.numpy as anp
import numpy as np

from ..errors import SpecError
from ..expressions import Expression, ExpressionError
from ..problem_types import Problem
from .. import dual

Vector = np.ndarray


class ScalarObjective(Protocol):
    """What the scalar solver (:func:`~warmdesk.core.solvers.minimize.solve_scalar`)
    asks of an objective: :class:`ScalarFunction`, or a model's loss
    (:class:`~warmdesk.core.solvers.train.TrainObjective`)."""

    def value(self, x: Vector) -> float: ...

    def value_and_grad(self, x: Vector) -> tuple[float, Vector]: ...

    def hessp(self, x: Vector, p: Vector) -> Vector: ...

    def check_scalar(self, x: Vector) -> None: ...


class ScalarFunction:
    """f(x) of a flat vector, with exact value-and-gradient and Hessian-vector product."""

    def __init__(self, problem: Problem, expr: Expression, extra: dict[str, Any] | None = None,
                 field: str = "objective") -> None:
        self.problem = problem
        self._np = expr.compile(np)
        self._ad = expr.compile(anp)
        self._env = {**problem.parameters, **(extra or {})}
        self.field = field
        self._value_and_grad = autograd.value_and_grad(self._ad_value)
        self._hvp = autograd.hessian_vector_product(self._ad_value)

    def _ad_value(self, x: Vector) -> Any:
        env = dict(self._env)
        env.update(self.problem.split(x))
        return self._ad(env)

    def value(self, x: Vector) -> float:
        env = dict(self._env)
        env.update(self.problem.split(x))
        return float(self._np(env))

    def value_and_grad(self, x: Vector) -> tuple[float, Vector]:
        f, g = self._value_and_grad(x)
        return float(f), np.asarray(g, dtype=float).reshape(x.shape)

    def hessp(self, x: Vector, p: Vector) -> Vector:
        return np.asarray(self._hvp(x, p), dtype=float)

    def check_scalar(self, x: Vector) -> None:
        """Refuse (as a spec error) an objective that is not a single number."""
        env = dict(self._env)
        env.update(self.problem.split(x))
        try:
            value = self._np(env)
        except ExpressionError as exc:
            raise SpecError([(self.field, f"cannot be evaluated at the start point: "
                                          f"{exc.message}")]) from exc
        if np.ndim(value) != 0:
            raise SpecError([(self.field, f"must give a single number, but gives shape "
                                          f"{np.shape(value)} (wrap it in sum(...)?)")])


class VectorFunction:
    """r(x) of a flat vector giving a vector, with its exact Jacobian in one
    vectorised forward pass (:mod:`warmdesk.core.dual`)."""

    def __init__(self, problem: Problem, fun: Callable[[dict[str, Any]], Any],
                 dual_fun: Callable[[dict[str, Any]], Any], extra: dict[str, Any] | None = None
                 ) -> None:
        self.problem = problem
        self._np = fun
        self._dual = dual_fun
        self._env = {**problem.parameters, **(extra or {})}

    def value(self, x: Vector) -> Vector:
        env = dict(self._env)
        env.update(self.problem.split(x))
        return np.atleast_1d(np.asarray(self._np(env), dtype=float))

    def jacobian(self, x: Vector) -> Vector:
        env = dict(self._env)
        env.update(self.problem.split(dual.variables(x)))
        out = self._dual(env)
        shape = np.shape(out.v if isinstance(out, dual.Dual) else out)
        return dual.jacobian_of(out, x.size, shape if shape else (1,))


def expression_vector(problem: Problem, expr: Expression, length: int | None = None,
                      extra: dict[str, Any] | None = None) -> VectorFunction:
    """A vector function from one expression; broadcast to ``length`` when given."""
    fnp, fdual = expr.compile(np), expr.compile(dual.DUAL)
    if length is None:
        return VectorFunction(problem, fnp, fdual, extra)
    shape = (length,)
    return VectorFunction(problem, lambda env: np.broadcast_to(fnp(env), shape),
                          lambda env: dual.add(fdual(env), np.zeros(shape)), extra)
