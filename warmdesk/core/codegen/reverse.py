"""Reverse-mode gradient code for a scalar objective: the value code, then one
adjoint ``_a{i}`` per operation that carries derivatives, from the result back to
the variables (operations are in children-first order, so walking them backwards
meets every use of a value before the value itself). An adjoint may be kept
smaller than its value's shape where broadcasting makes that exact (the adjoint of
``sum(v)`` is one number); it is summed back to an operand's shape where
broadcasting made the operand larger."""

from __future__ import annotations

from .emit import E, Unsupported, assign, broadcast, call, num, ref, store
from .forward import ValueEmitter
from .rules import RULES, Factor, power_rule, select_mask


def reduce_to(g: E, shape: tuple[int, ...]) -> E:
    if broadcast(g.shape, shape) == shape:
        return g
    if not shape:
        return call("_sum", g, shape=())
    return call("_reduce_to", g, shape, shape=shape)


class GradientEmitter(ValueEmitter):

    def emit_gradient(self, root: int) -> E:
        """Statements computing the gradient into ``_g``; returns its reference."""
        if self.ops[root].shape:
            raise Unsupported("the objective is not one number")
        adj: dict[int, E] = {root: num(1.0)}
        for i in range(len(self.ops) - 1, -1, -1):
            op = self.ops[i]
            if i not in adj or not op.live or op.kind == "var":
                continue
            for j, contribution in self._contributions(i, adj[i]):
                contribution = reduce_to(contribution, self.ops[j].shape)
                total = adj[j] + contribution if j in adj else contribution
                self.body.append(assign(f"_a{j}", total))
                adj[j] = ref(f"_a{j}", total.shape)
        self.body.append(assign("_g", call("_zeros", (self.n,), shape=(self.n,))))
        for i, op in enumerate(self.ops):
            if op.kind == "var" and i in adj:
                offset, size, _ = op.span
                self.body.append(store("_g", offset, offset + size, adj[i]))
        return ref("_g", (self.n,))

    def _contributions(self, i: int, g: E) -> list[tuple[int, E]]:
        op = self.ops[i]
        live = [j for j in op.args if self.ops[j].live]
        a = [self.refs[j] for j in op.args]
        name = op.name
        if name in ("minimum", "maximum", "where"):
            mask = a[0] if name == "where" else select_mask(name, a[0], a[1])
            first, second = op.args[1:] if name == "where" else op.args
            out = []
            if self.ops[first].live:
                out.append((first, call("_where", mask, g, num(0.0))))
            if self.ops[second].live:
                out.append((second, call("_where", mask, num(0.0), g)))
            return out
        if op.kind == "index":
            j = op.args[0]
            return [(j, call("_scatter", g, self.ops[j].shape, ref(f"_key{i}", ()),
                             shape=self.ops[j].shape))]
        if name in ("sum", "mean", "prod", "cumsum"):
            return [(op.args[0], self._reduction(i, g))]
        if name == "dot":
            return self._dot(i, g)
        if name == "**":
            b = op.args[1]
            exponent = (float(self.values[b]) if self.ops[b].static and not self.ops[b].shape
                        else None)
            factors: list[Factor] = power_rule(a, self.refs[i], exponent,
                                               (self.ops[op.args[0]].live, self.ops[b].live))
        else:
            factors = RULES[name](a, self.refs[i])
        out = []
        for j, factor in zip(op.args, factors):
            if j not in live or factor is None:
                continue
            if isinstance(factor, E):
                out.append((j, g * factor))
            else:
                out.append((j, g if factor == 1.0 else (-g if factor == -1.0 else g * factor)))
        return out

    def _full(self, g: E, shape: tuple[int, ...]) -> E:
        return g if g.shape == shape else call("_broadcast_to", g, shape, shape=shape)

    def _reduction(self, i: int, g: E) -> E:
        op = self.ops[i]
        j = op.args[0]
        shape = self.ops[j].shape
        if op.name == "sum":
            return g
        if op.name == "mean":
            size = 1
            for s in shape:
                size *= s
            return g * (1.0 / max(size, 1))
        if op.name == "prod":
            return g * call("_prod_partials", self.refs[j], shape=shape)
        return call("_rcumsum", self._full(g, op.shape), shape, shape=shape)

    def _dot(self, i: int, g: E) -> list[tuple[int, E]]:
        op = self.ops[i]
        ja, jb = op.args
        sa, sb = self.ops[ja].shape, self.ops[jb].shape
        a, b = self.refs[ja], self.refs[jb]
        if not sa or not sb or (len(sa) == 1 and len(sb) == 1):
            pairs = [(ja, g * b), (jb, g * a)]
        elif len(sa) == 2 and len(sb) == 1:
            g = self._full(g, op.shape)
            pairs = [(ja, call("_outer", g, b, shape=sa)), (jb, call("_dot", g, a, shape=sb))]
        elif len(sa) == 1 and len(sb) == 2:
            g = self._full(g, op.shape)
            pairs = [(ja, call("_dot", b, g, shape=sa)), (jb, call("_outer", a, g, shape=sb))]
        else:
            raise Unsupported("dot of matrices")
        return [(j, c) for j, c in pairs if self.ops[j].live]
