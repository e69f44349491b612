"""Forward-mode Jacobian code, vectorised like :mod:`warmdesk.core.dual`: operation i
that depends on the variables gets ``_d{i}``, its derivative with respect to all n
unknowns at once (shape: the value's shape + (n,), or anything that broadcasts to
it). Which operations carry derivatives, and every shape, are known when the code is
generated, so the code has no type tests and no dual-number objects."""

from __future__ import annotations

import math

import numpy as np

from .emit import E, Unsupported, assign, call, expand, num, ref, subscript
from .forward import ValueEmitter
from .rules import RULES, Factor, power_rule, select_mask


class JacobianEmitter(ValueEmitter):
    """Values (inherited) and derivatives; ``drefs[i]`` reads op i's derivative."""

    def emit_derivatives(self) -> None:
        self.drefs: dict[int, E] = {}
        eye = np.eye(self.n)
        for i, op in enumerate(self.ops):
            if not op.live:
                continue
            if op.kind == "var":
                offset, size, scalar = op.span
                rows = eye[offset] if scalar else eye[offset:offset + size]
                self.drefs[i] = self.constant(f"_e{i}", rows, rows.shape)
                continue
            d = self._derivative(i)
            self.body.append(assign(f"_d{i}", d))
            self.drefs[i] = ref(f"_d{i}", d.shape)

    def full(self, j: int) -> E:
        """Op j's derivative broadcast to its full shape (value shape + (n,))."""
        d, target = self.drefs[j], self.ops[j].shape + (self.n,)
        return d if d.shape == target else call("_broadcast_to", d, target, shape=target)

    def _d(self, j: int) -> E | None:
        return self.drefs[j] if self.ops[j].live else None

    def _derivative(self, i: int) -> E:
        op = self.ops[i]
        a = [self.refs[j] for j in op.args]
        name = op.name
        if name in ("minimum", "maximum", "where"):
            mask = a[0] if name == "where" else select_mask(name, a[0], a[1])
            first, second = (op.args[1:] if name == "where" else op.args)
            return call("_where", expand(mask), self._d(first) or num(0.0),
                        self._d(second) or num(0.0))
        if op.kind == "index":
            return subscript(self.full(op.args[0]), ref(f"_key{i}", ()), op.shape + (self.n,))
        if name in ("sum", "mean", "prod", "cumsum", "dot"):
            return self._reduction(i)
        if name == "**":
            b = op.args[1]
            exponent = (float(self.values[b]) if self.ops[b].static and not self.ops[b].shape
                        else None)
            factors: list[Factor] = power_rule(a, self.refs[i], exponent,
                                               (self.ops[op.args[0]].live, self.ops[b].live))
        else:
            factors = RULES[name](a, self.refs[i])
        terms = []
        for j, factor in zip(op.args, factors):
            dj = self._d(j)
            if dj is None or factor is None:
                continue
            if isinstance(factor, E):
                terms.append(dj * expand(factor))
            else:
                terms.append(dj if factor == 1.0 else (-dj if factor == -1.0 else dj * factor))
        if not terms:
            return num(0.0)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def _reduction(self, i: int) -> E:
        op = self.ops[i]
        j = op.args[0]
        shape, n = self.ops[j].shape, self.n
        if op.name in ("sum", "mean"):
            d = self.drefs[j]
            size = math.prod(shape)
            if not shape:
                total = d
            elif not d.shape[:-1]:
                total = d * float(size)
            elif len(shape) == 1:
                total = call("_sum0", self.full(j), shape=(n,))
            else:
                total = call("_dsum", self.full(j), shape=(n,))
            return total * (1.0 / max(size, 1)) if op.name == "mean" else total
        if op.name == "prod":
            return call("_dprod", self.refs[j], self.full(j), shape=(n,))
        if op.name == "cumsum":
            return call("_dcumsum", self.full(j), shape=op.shape + (n,))
        return self._dot(i)

    def _dot(self, i: int) -> E:
        op = self.ops[i]
        ja, jb = op.args
        sa, sb = self.ops[ja].shape, self.ops[jb].shape
        a, b = self.refs[ja], self.refs[jb]
        out = op.shape + (self.n,)
        terms = []
        if not sa or not sb:                       # a number times an array
            for j, factor in ((ja, b), (jb, a)):
                if self.ops[j].live:
                    terms.append(self.drefs[j] * expand(factor))
        elif len(sa) == 1 and len(sb) <= 2:        # a . b and a . B: contract a's axis
            if self.ops[ja].live:
                terms.append(call("_tdot0", b, self.full(ja), shape=out) if len(sb) == 2
                             else call("_dot", b, self.full(ja), shape=out))
            if self.ops[jb].live:
                terms.append(call("_tdot0", a, self.full(jb), shape=out))
        elif len(sa) == 2 and len(sb) == 1:        # A . b
            if self.ops[ja].live:
                terms.append(call("_tdot1", self.full(ja), b, shape=out))
            if self.ops[jb].live:
                terms.append(call("_dot", a, self.full(jb), shape=out))
        else:
            raise Unsupported("dot of matrices")
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total
