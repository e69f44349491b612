"""Reverse-mode gradient code for a scalar objective: the value code, then one
adjoint ``_a{i}`` per operation that carries derivatives, from the result back to
the variables (operations are in children-first order, so walking them backwards
meets every use of a value before the value itself). An adjoint may be kept
smaller than its value's shape where broadcasting makes that exact (the adjoint of
``sum(v)`` is one number); it is summed back to an operand's shape where
broadcasting made the operand larger."""

from __future__ import annotations

import ast
import math

from .emit import (LOAD, STORE, E, Unsupported, assign, broadcast, call, num, ref, store,
                   sum_of)
from .forward import ValueEmitter
from .rules import local_factors


Adjoint = E | float


def reduce_to(g: Adjoint, represented: tuple[int, ...], shape: tuple[int, ...]) -> Adjoint:
    """A contribution standing for an array of shape ``represented`` (``g`` itself may
    be smaller, broadcasting to it), summed back to an operand's ``shape``."""
    if broadcast(represented, shape) == shape:
        return g
    if not shape:
        if isinstance(g, float) or not g.shape:
            return g * float(math.prod(represented))
        total = sum_of(g)
        count = math.prod(represented) // math.prod(g.shape)
        return total if count == 1 else total * float(count)
    if isinstance(g, float) or g.shape != represented:
        g = call("_broadcast_to", _e(g), represented, shape=represented)
    return call("_reduce_to", g, shape, shape=shape)


def _e(g: Adjoint) -> E:
    return g if isinstance(g, E) else num(g)


class GradientEmitter(ValueEmitter):

    def emit_gradient(self, root: int) -> E:
        """Statements computing the gradient; returns its reference. An adjoint that is
        a fresh array of its operand's full shape is "owned": index adjoints are then
        added into it in place instead of into a new array of zeros each."""
        if self.ops[root].shape:
            raise Unsupported("the objective is not one number")
        adj: dict[int, Adjoint] = {root: 1.0}
        self.owned: set[int] = set()
        for i in range(len(self.ops) - 1, -1, -1):
            op = self.ops[i]
            if i not in adj or not op.live or op.kind == "var":
                continue
            if op.kind == "index":
                self._scatter(i, adj[i], adj)
                continue
            elementwise = op.name not in _NOT_ELEMENTWISE or (
                op.name == "dot" and not all(self.ops[j].shape for j in op.args))
            for j, contribution in self._contributions(i, adj[i]):
                shape = self.ops[j].shape
                contribution = reduce_to(contribution, op.shape if elementwise else shape, shape)
                total = _add(adj[j], contribution) if j in adj else contribution
                self._set(j, total, adj)
        return self._assemble(adj)

    def _set(self, j: int, total: Adjoint, adj: dict[int, Adjoint]) -> None:
        """Op j's adjoint is now ``total``: assigned to ``_a{j}``, unless it is a
        number or just a name (another adjoint, a value, a constant): that name is
        used in its place, no copy is emitted. Sound because a name an adjoint
        refers to is never assigned again: an operation's own adjoint is complete
        (and stays as it is) before contributions from it to its operands are
        made, and values and constants are assigned once."""
        if isinstance(total, float) or type(total.node) is ast.Name:
            adj[j] = total
            self.owned.discard(j)
            return
        self.body.append(assign(f"_a{j}", total))
        adj[j] = ref(f"_a{j}", total.shape)
        fresh = isinstance(total.node, (ast.BinOp, ast.UnaryOp)) or (
            isinstance(total.node, ast.Call) and total.node.func.id in _FRESH)  # type: ignore
        if fresh and total.shape == self.ops[j].shape and self.ops[j].shape:
            self.owned.add(j)
        else:
            self.owned.discard(j)

    def _scatter(self, i: int, g: Adjoint, adj: dict[int, Adjoint]) -> None:
        """The adjoint of ``a[key]``: ``g`` added at ``key`` of a's adjoint."""
        j = self.ops[i].args[0]
        shape = self.ops[j].shape
        key = ref(f"_key{i}", ())
        if j not in adj:
            self._set(j, call("_zeros", shape, shape=shape), adj)
            self.body.append(_store(f"_a{j}", key, _e(g)))
            return
        if j in self.owned:   # _a{j}[key] += g
            sub = ast.Subscript(ast.Name(f"_a{j}", LOAD), key.node, STORE)
            self.body.append(ast.AugAssign(sub, ast.Add(), _e(g).node))
            return
        self._set(j, _add(adj[j], call("_scatter", _e(g), shape, key, shape=shape)), adj)

    def _assemble(self, adj: dict[int, Adjoint]) -> E:
        variables = [(i, op) for i, op in enumerate(self.ops) if op.kind == "var" and i in adj]
        if (len(variables) == 1 and variables[0][0] in self.owned
                and variables[0][1].span[1] == self.n and not variables[0][1].span[2]):
            return _e(adj[variables[0][0]])   # a fresh array of the whole gradient
        self.body.append(assign("_g", call("_zeros", (self.n,), shape=(self.n,))))
        for i, op in variables:
            offset, size, _ = op.span
            self.body.append(store("_g", adj[i], (offset, offset + size)))
        return ref("_g", (self.n,))

    def _contributions(self, i: int, g: Adjoint) -> list[tuple[int, Adjoint]]:
        op = self.ops[i]
        live = [j for j in op.args if self.ops[j].live]
        a = [self.refs[j] for j in op.args]
        name = op.name
        if name in ("minimum", "maximum"):   # ties share the adjoint, as in autograd
            v = self.refs[i]
            return [(j, _times(g, call("_share", a[k], v, a[1 - k])))
                    for k, j in enumerate(op.args) if self.ops[j].live]
        if name == "where":
            mask = a[0]
            first, second = op.args[1:]
            out: list[tuple[int, Adjoint]] = []
            if self.ops[first].live:
                out.append((first, call("_where", mask, _e(g), num(0.0))))
            if self.ops[second].live:
                out.append((second, call("_where", mask, num(0.0), _e(g))))
            return out
        if name in ("sum", "mean", "prod", "cumsum"):
            return [(op.args[0], self._reduction(i, g))]
        if name == "dot":
            return self._dot(i, g)
        factors = local_factors(name, a, self.refs[i], op.args, self.ops, self.values,
                                self.program.pinned)
        out = []
        for j, factor in zip(op.args, factors):
            if j not in live or factor is None:
                continue
            out.append((j, _times(g, factor)))
        return out

    def _full(self, g: Adjoint, shape: tuple[int, ...]) -> E:
        if isinstance(g, E) and g.shape == shape:
            return g
        return call("_broadcast_to", _e(g), shape, shape=shape)

    def _reduction(self, i: int, g: Adjoint) -> Adjoint:
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
            return _times(g, call("_prod_partials", self.refs[j], shape=shape))
        return call("_rcumsum", self._full(g, op.shape), shape, shape=shape)

    def _dot(self, i: int, g: Adjoint) -> list[tuple[int, Adjoint]]:
        op = self.ops[i]
        ja, jb = op.args
        sa, sb = self.ops[ja].shape, self.ops[jb].shape
        a, b = self.refs[ja], self.refs[jb]
        if not sa or not sb or (len(sa) == 1 and len(sb) == 1):
            pairs: list[tuple[int, Adjoint]] = [(ja, _times(g, b)), (jb, _times(g, a))]
        elif len(sa) == 2 and len(sb) == 1:
            g = self._full(g, op.shape)
            pairs = [(ja, call("_outer", g, b, shape=sa)), (jb, call("_dot", g, a, shape=sb))]
        elif len(sa) == 1 and len(sb) == 2:
            g = self._full(g, op.shape)
            pairs = [(ja, call("_dot", b, g, shape=sa)), (jb, call("_outer", a, g, shape=sb))]
        else:
            raise Unsupported("dot of matrices")
        return [(j, c) for j, c in pairs if self.ops[j].live]


def _times(g: Adjoint, factor: E | float) -> Adjoint:
    if isinstance(factor, E):
        return factor if isinstance(g, float) and g == 1.0 else g * factor
    if factor == 1.0:
        return g
    return -g if factor == -1.0 else g * factor


def _add(x: Adjoint, y: Adjoint) -> Adjoint:
    if isinstance(x, float) and isinstance(y, float):
        return x + y
    return _e(x) + y


def _store(target: str, key: E, value: E) -> ast.stmt:
    sub = ast.Subscript(ast.Name(target, LOAD), key.node, STORE)
    return ast.Assign([sub], value.node)


#: Operations whose contributions already have their operand's shape (or broadcast to it).
_NOT_ELEMENTWISE = frozenset(("sum", "mean", "prod", "cumsum", "dot"))
#: Backend calls whose result is a new array (an adjoint we may then write into).
_FRESH = frozenset(("_zeros", "_scatter", "_outer", "_rcumsum", "_where", "_reduce_to"))
