"""Turn a problem's expressions into numeric functions of a flat vector, with
exact derivatives. The fast path is numpy code generated once per problem from the
checked tree (:mod:`warmdesk.core.codegen`): reverse mode for gradients of scalar
objectives, forward mode for Jacobians, reverse over forward for Hessian-vector
products. The interpreted closures stay: autograd's reverse mode for the gradients
and Hessian-vector products codegen does not cover,
our vectorised forward mode (:mod:`warmdesk.core.dual`) for such Jacobians, and
the closures again whenever generated code raises, so an error is reported with its
position in the text. Nothing is evaluated as text.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

import autograd
import autograd.numpy as anp
import numpy as np

from .. import codegen, dual
from ..errors import SpecError
from ..expression_tree import _EVAL_ERRORS
from ..expressions import Expression, ExpressionError
from ..problem_types import Problem

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
        self._env = {**problem.parameters, **(extra or {})}
        self.field = field
        self._expr = expr
        self._generated: codegen.ScalarProgram | None | bool = False   # False: not built yet
        self._hvp_generated: codegen.Hvp | None | bool = False   # built when asked
        self._hvp_autograd: Callable[[Vector, Vector], Any] | None = None
        # The interpreted closures are made when first needed: the generated code
        # serves a solve unless it declines or raises (~0.15 ms saved per problem).
        self._closure: Callable[[dict[str, Any]], Any] | None = None
        self._autograd: Callable[[Vector], Any] | None = None

    def _np(self, env: dict[str, Any]) -> Any:
        """The numpy closure of the expression (positions in its errors)."""
        if self._closure is None:
            self._closure = self._expr.compile(np)
        return self._closure(env)

    def _value_and_grad(self, x: Vector) -> Any:
        """autograd over the closures: where codegen declines or its code raises."""
        if self._autograd is None:
            ad = self._expr.compile(anp)

            def ad_value(v: Vector) -> Any:
                env = dict(self._env)
                env.update(self.problem.split(v))
                return ad(env)
            self._ad_value = ad_value
            self._autograd = autograd.value_and_grad(ad_value)
        return self._autograd(x)

    def _program(self, x: Vector) -> codegen.ScalarProgram | None:
        """The generated value and gradient, built at the first evaluation."""
        if self._generated is False:
            layout = codegen.layout_of(self.problem.variables, self._env)
            self._generated = codegen.scalar_program(self._expr, layout, x)
        assert self._generated is not True
        return self._generated

    def value(self, x: Vector) -> float:
        program = self._program(x)
        if program is not None:
            try:
                return float(program.value(x))
            except _EVAL_ERRORS:
                pass   # the closures below raise it with its position in the text
        env = dict(self._env)
        env.update(self.problem.split(x))
        return float(self._np(env))

    def value_and_grad(self, x: Vector) -> tuple[float, Vector]:
        program = self._program(x)
        if program is not None:
            try:
                fg, gg = program.value_and_grad(x)
                return float(fg), gg
            except _EVAL_ERRORS:
                pass
        f, g = self._value_and_grad(x)
        return float(f), np.asarray(g, dtype=float).reshape(x.shape)

    def hessp(self, x: Vector, p: Vector) -> Vector:
        """H(x) p: generated code (reverse over forward, :mod:`..codegen.hessian`), or
        autograd over the closures where codegen declines (``prod`` of the unknowns,
        ``dot`` of matrices) or the generated code raises."""
        if self._hvp_generated is False:
            layout = codegen.layout_of(self.problem.variables, self._env)
            self._hvp_generated = codegen.hvp_program(self._expr, layout, x)
        generated = self._hvp_generated
        if generated is not None and generated is not True:
            try:
                return generated(x, p)
            except _EVAL_ERRORS:
                pass
        if self._hvp_autograd is None:
            if self._autograd is None:
                self._value_and_grad(x)   # makes the autograd closure, _ad_value
            self._hvp_autograd = autograd.hessian_vector_product(self._ad_value)
        return np.asarray(self._hvp_autograd(x, p), dtype=float)

    def check_scalar(self, x: Vector) -> None:
        """Refuse (as a spec error) an objective that is not a single number. A
        generated program built at ``x`` already proves it (codegen evaluates the
        expression there while building, and builds none for a non-scalar)."""
        if self._program(x) is not None:
            return
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
                 dual_fun: Callable[[dict[str, Any]], Any], extra: dict[str, Any] | None = None,
                 generate: Callable[[Vector], codegen.VectorProgram | None] | None = None
                 ) -> None:
        self.problem = problem
        self._np = fun
        self._dual = dual_fun
        self._env = {**problem.parameters, **(extra or {})}
        self._generate = generate
        self._generated: codegen.VectorProgram | None | bool = False   # False: not built yet

    def _program(self, x: Vector) -> codegen.VectorProgram | None:
        if self._generated is False:
            self._generated = self._generate(x) if self._generate is not None else None
        assert self._generated is not True
        return self._generated

    def scaled(self, shift: Any, scale: Any) -> VectorFunction:
        """``(r(x) - shift) / scale``, on every path (the fit's weighted residuals)."""
        base_np, base_dual, generate = self._np, self._dual, self._generate
        factor = 1.0 / np.asarray(scale, dtype=float)
        column = factor[..., None] if factor.ndim else factor

        def scaled_program(x: Vector) -> codegen.VectorProgram | None:
            inner = generate(x) if generate is not None else None
            if inner is None:
                return None
            value = inner.value   # (inner.jacobian is replaced once built: look it up)
            if np.ndim(scale) == 0 and float(scale) == 1.0:   # no sigma: nothing to divide
                return codegen.VectorProgram(lambda v: value(v) - shift,
                                             lambda v: inner.jacobian(v), inner.size)
            return codegen.VectorProgram(lambda v: (value(v) - shift) / scale,
                                         lambda v: inner.jacobian(v) * column, inner.size)
        out = VectorFunction(self.problem, lambda env: (base_np(env) - shift) / scale,
                             lambda env: (base_dual(env) - shift) / scale, generate=scaled_program)
        out._env = self._env
        return out

    def value(self, x: Vector) -> Vector:
        program = self._program(x)
        if program is not None:
            try:
                return program.value(x)
            except _EVAL_ERRORS:
                pass   # the closures below raise it with its position in the text
        env = dict(self._env)
        env.update(self.problem.split(x))
        return np.atleast_1d(np.asarray(self._np(env), dtype=float))

    def jacobian(self, x: Vector) -> Vector:
        program = self._program(x)
        if program is not None:
            try:
                return program.jacobian(x)
            except _EVAL_ERRORS:
                pass
        env = dict(self._env)
        env.update(self.problem.split(dual.variables(x)))
        out = self._dual(env)
        shape = np.shape(out.v if isinstance(out, dual.Dual) else out)
        return dual.jacobian_of(out, x.size, shape if shape else (1,))


def _when_needed(expr: Expression, backend: Any) -> Callable[[dict[str, Any]], Any]:
    """``expr.compile(backend)``, made at its first call: the interpreted closures
    serve only where the generated code declines or raises."""
    made: list[Callable[[dict[str, Any]], Any]] = []

    def closure(env: dict[str, Any]) -> Any:
        if not made:
            made.append(expr.compile(backend))
        return made[0](env)
    return closure


def expression_vector(problem: Problem, expr: Expression, length: int | None = None,
                      extra: dict[str, Any] | None = None) -> VectorFunction:
    """A vector function from one expression; broadcast to ``length`` when given."""
    fnp, fdual = _when_needed(expr, np), _when_needed(expr, dual.DUAL)
    env = {**problem.parameters, **(extra or {})}

    def generate(x: Vector) -> codegen.VectorProgram | None:
        return codegen.vector_program([(expr, length)], codegen.layout_of(problem.variables, env),
                                      x)
    if length is None:
        return VectorFunction(problem, fnp, fdual, extra, generate)
    shape = (length,)
    return VectorFunction(problem, lambda env: np.broadcast_to(fnp(env), shape),
                          lambda env: dual.add(fdual(env), np.zeros(shape)), extra, generate)
