"""Forward-mode Jacobian code, by variable blocks: operation i keeps one derivative
per variable it depends on, ``_d{i}_{v}``. For a scalar variable the block has the
value's shape (a fit's column, one number in an ODE Jacobian), as hand-written code
would compute it; for a vector variable it has a trailing axis over the variable's
elements, vectorised like :mod:`warmdesk.core.dual`. A block may be smaller than that
where broadcasting makes it exact, or the number 1.0 (a scalar variable itself).
Which blocks exist, and every shape, are known when the code is generated, so the
code has no type tests and no dual-number objects."""

from __future__ import annotations

import math
from ast import Name as _Name
from typing import Any

import numpy as np

from .emit import E, Unsupported, assign, call, expand, num, ref, subscript
from .forward import ValueEmitter
from .ir import Program
from .rules import Factor, local_factors, select_mask

Block = E | float


class JacobianEmitter(ValueEmitter):
    """Values (inherited) and derivative blocks; ``blocks[i][v]`` for variable op v.
    ``identities=False``: a dry run that checks coverage without the n x n identity
    blocks of vector unknowns."""

    def __init__(self, program: Program, values: list[Any], identities: bool = True) -> None:
        super().__init__(program, values)
        self.identities = self.folding = identities

    def emit_derivatives(self) -> None:
        self.blocks: dict[int, dict[int, Block]] = {}
        for i, op in enumerate(self.ops):
            if not op.live:
                continue
            if op.kind == "var":
                _, size, scalar = op.span
                eye = np.eye(size) if self.identities else None
                self.blocks[i] = {i: 1.0 if scalar else
                                  self.constant(f"_e{i}", eye, (size, size))}
                continue
            blocks = self._derivative(i)
            for v, block in blocks.items():
                if isinstance(block, E) and not isinstance(block.node, _Name):
                    block = blocks[v] = self.fold(block, f"_f{i}_{v}")
                if isinstance(block, E) and not isinstance(block.node, _Name):
                    self.body.append(assign(f"_d{i}_{v}", block))
                    blocks[v] = ref(f"_d{i}_{v}", block.shape)
            self.blocks[i] = blocks

    def tail(self, v: int) -> tuple[int, ...]:
        _, size, scalar = self.ops[v].span
        return () if scalar else (size,)

    def full(self, j: int, v: int) -> E:
        """Op j's block for variable v broadcast to its full shape."""
        block, target = self.blocks[j].get(v, 0.0), self.ops[j].shape + self.tail(v)
        if isinstance(block, E) and block.shape == target:
            return block
        b = block if isinstance(block, E) else num(block)
        return call("_broadcast_to", b, target, shape=target)

    def _variables(self, args: tuple[int, ...]) -> list[int]:
        """The variables any live argument depends on, in first-seen order."""
        ops, blocks = self.ops, self.blocks
        live = [j for j in args if ops[j].live]
        if len(live) == 1:
            return list(blocks[live[0]])
        seen: dict[int, Any] = {}
        for j in live:
            seen.update(blocks[j])   # the keys (and their order) are what counts
        return list(seen)

    def _scale(self, block: Block, factor: Factor, v: int) -> Block:
        if not isinstance(factor, E):
            assert factor is not None
            if factor == 1.0:
                return block
            return block * factor if isinstance(block, float) else (
                -block if factor == -1.0 else block * factor)
        f = expand(factor) if self.tail(v) else factor
        if isinstance(block, float):
            return f if block == 1.0 else block * f
        return block * f

    def _derivative(self, i: int) -> dict[int, Block]:
        op = self.ops[i]
        a = [self.refs[j] for j in op.args]
        name = op.name
        variables = self._variables(op.args)
        if name in ("minimum", "maximum", "where"):
            mask = a[0] if name == "where" else select_mask(name, a[0], a[1])
            first, second = (op.args[1:] if name == "where" else op.args)
            out: dict[int, Block] = {}
            for v in variables:
                pick = [self.blocks[j].get(v, 0.0) if self.ops[j].live else 0.0
                        for j in (first, second)]
                out[v] = call("_where", expand(mask) if self.tail(v) else mask,
                              *(p if isinstance(p, E) else num(p) for p in pick))
            return out
        if op.kind == "index":
            j = op.args[0]
            key = ref(f"_key{i}", (), fixed=True)   # a global: folded with a fixed block
            return {v: subscript(self.full(j, v), key, op.shape + self.tail(v))
                    for v in variables}
        if name in ("sum", "mean", "prod", "cumsum"):
            return {v: self._reduction(i, v) for v in variables}
        if name == "dot":
            return {v: self._dot(i, v) for v in variables}
        factors = local_factors(name, a, self.refs[i], op.args, self.ops, self.values,
                                self.program.pinned)
        out = {}
        for v in variables:
            total: Block | None = None
            for j, factor in zip(op.args, factors):
                if factor is None or not self.ops[j].live or v not in self.blocks[j]:
                    continue
                term = self._scale(self.blocks[j][v], factor, v)
                total = term if total is None else _add(total, term)
            if total is not None:
                out[v] = total
        return out

    def _reduction(self, i: int, v: int) -> Block:
        op = self.ops[i]
        j = op.args[0]
        shape, tail = self.ops[j].shape, self.tail(v)
        if op.name in ("sum", "mean"):
            block = self.blocks[j].get(v, 0.0)
            size = math.prod(shape)
            lead = block.shape[:len(block.shape) - len(tail)] if isinstance(block, E) else ()
            if not shape:
                total = block
            elif not lead:                       # the same derivative for every element
                total = block * float(size)
            elif not tail:
                total = call("_sum", self.full(j, v), shape=())
            elif len(shape) == 1:
                total = call("_sum0", self.full(j, v), shape=tail)
            else:
                total = call("_dsum", self.full(j, v), shape=tail)
            return total * (1.0 / max(size, 1)) if op.name == "mean" else total
        if op.name == "prod":
            if not tail:
                partials = call("_prod_partials", self.refs[j], shape=shape)
                return call("_sum", partials * self.full(j, v), shape=())
            return call("_dprod", self.refs[j], self.full(j, v), shape=tail)
        if not tail:
            return call("_cumsum", self.full(j, v), shape=op.shape)
        return call("_dcumsum", self.full(j, v), shape=op.shape + tail)

    def _dot(self, i: int, v: int) -> Block:
        op = self.ops[i]
        ja, jb = op.args
        sa, sb = self.ops[ja].shape, self.ops[jb].shape
        a, b = self.refs[ja], self.refs[jb]
        out = op.shape + self.tail(v)
        has = [self.ops[j].live and v in self.blocks[j] for j in (ja, jb)]
        terms: list[Block] = []
        if not sa or not sb:                       # a number times an array
            for j, factor, ok in ((ja, b, has[0]), (jb, a, has[1])):
                if ok:
                    terms.append(self._scale(self.blocks[j][v], factor, v))
        elif len(sa) == 1 and len(sb) <= 2:        # a . b and a . B: contract a's axis
            if has[0]:
                terms.append(call("_tdot0" if len(sb) == 2 else "_dot", b, self.full(ja, v),
                                  shape=out))
            if has[1]:
                terms.append(call("_tdot0", a, self.full(jb, v), shape=out))
        elif len(sa) == 2 and len(sb) == 1:        # A . b
            if has[0]:
                terms.append(call("_tdot1", self.full(ja, v), b, shape=out))
            if has[1]:
                terms.append(call("_dot", a, self.full(jb, v), shape=out))
        else:
            raise Unsupported("dot of matrices")
        total = terms[0]
        for term in terms[1:]:
            total = _add(total, term)
        return total


def _add(x: Block, y: Block) -> Block:
    if isinstance(x, float) and isinstance(y, float):
        return x + y
    return (x if isinstance(x, E) else num(x)) + y
