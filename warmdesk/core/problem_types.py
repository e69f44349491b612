"""The problem model at the bottom of the core: :class:`Problem`, its
:class:`Variable` and :class:`Constraint`, and the constants of the spec format.

Nothing here knows a kind: the kinds (:mod:`warmdesk.core.kinds`) read their
fields into a :class:`Problem`, and :mod:`warmdesk.core.problems` (above the
kinds) reads and loads specs. Solvers and kinds import this module, never
:mod:`.problems`, so the layers have no import cycle.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .datasets import Dataset
from .expressions import Expression, ExpressionError, parse

if TYPE_CHECKING:
    from .dual import Dual

#: What :meth:`Problem.split` splits: plain values, or dual numbers for a Jacobian.
Flat = TypeVar("Flat", np.ndarray, "Dual")

FORMAT = "warmdesk.problem/1"
FORMAT_PREFIX = "warmdesk.problem/"
FORMAT_VERSION = 1

MAX_NAME_LENGTH = 64
#: Anchored with \Z: "$" would match before a final newline ("x\n" was a name).
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}\Z")
RESERVED_NAMES = frozenset({"pi", "e", "t"})
NUMBER = (int, float)
COMMON_FIELDS = frozenset({"format", "name", "kind", "description", "tags", "parameters",
                           "solver"})


@dataclass
class Variable:
    """A named scalar (size 1, ``scalar=True``) or vector with start and bounds."""

    name: str
    size: int
    start: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    scalar: bool = False

    @property
    def bounded(self) -> bool:
        return bool(np.any(np.isfinite(self.lower)) or np.any(np.isfinite(self.upper)))


@dataclass
class Constraint:
    type: str  # "ineq" (expr >= 0) or "eq" (expr == 0)
    expression: Expression
    name: str


@dataclass
class Problem:
    """A validated problem. ``spec`` is the normalised JSON form (round-trips)."""

    name: str
    kind: str
    method: str
    options: dict[str, Any]
    parameters: dict[str, np.ndarray]
    variables: list[Variable]
    spec: dict[str, Any]
    base_dir: Path | None = None
    description: str = ""
    tags: list[str] = field(default_factory=list)
    # minimize
    objective: Expression | None = None
    constraints: list[Constraint] = field(default_factory=list)
    # fit
    model: Expression | None = None
    target: str = ""                         # a column, or an expression of columns (fit)
    target_expression: Expression | None = None  # fit, when the target is not a bare column
    sigma: str | float | None = None
    loss: str = "linear"
    f_scale: float = 1.0
    dataset: Dataset | None = None
    # train
    train_model: str = ""
    features: list[str] = field(default_factory=list)
    l2: float = 0.0
    fit_intercept: bool = True
    # ode
    rhs: dict[str, Expression] = field(default_factory=dict)
    t_span: tuple[float, float] = (0.0, 1.0)
    t_eval_points: int = 0
    checkpoints: int = 10
    #: What the kind adds to :meth:`structure_hash` (set by its reader: train's model).
    structure_extra: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(v.size for v in self.variables)

    @property
    def layout(self) -> list[tuple[str, int]]:
        return [(v.name, v.size) for v in self.variables]

    def start_vector(self) -> np.ndarray:
        if not self.variables:
            return np.zeros(0)
        return np.concatenate([v.start for v in self.variables]).astype(float)

    @property
    def target_columns(self) -> frozenset[str]:
        """The data columns the target reads (the model may not use them)."""
        return fit_target_columns(self.target, self.dataset.columns if self.dataset else [])

    def target_values(self) -> np.ndarray:
        """The target, one value per data row: a column, or its expression evaluated."""
        assert self.dataset is not None
        if self.target_expression is None:
            return self.dataset.column(self.target)
        env = {**self.parameters, **{c: self.dataset.column(c) for c in self.target_columns}}
        with np.errstate(all="ignore"):
            value = np.asarray(self.target_expression.evaluate(env), dtype=float)
        if value.shape != (self.dataset.rows,):
            raise ValueError(f"it gives shape {value.shape}")
        return value

    def bounds_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.variables:
            return np.zeros(0), np.zeros(0)
        return (np.concatenate([v.lower for v in self.variables]),
                np.concatenate([v.upper for v in self.variables]))

    def split(self, flat: Flat) -> dict[str, Flat]:
        """Split a flat vector into named variables (scalars stay 0-d arrays)."""
        out: dict[str, Flat] = {}
        offset = 0
        for v in self.variables:
            part = flat[offset:offset + v.size]
            out[v.name] = part[0] if v.scalar else part
            offset += v.size
        return out

    def content_hash(self) -> str:
        """sha256 over the normalised spec and the data's fingerprint."""
        return _hash({"spec": _without(self.spec, ("name", "description", "tags")),
                      "data": self.dataset.fingerprint if self.dataset else None})

    def structure_hash(self) -> str:
        """What must agree for two problems to be 'the same problem, other numbers':
        kind, variable names and sizes, expressions, model, state names."""
        s = self.spec
        keys = {"kind": self.kind, "layout": self.layout}
        for k in ("objective", "constraints", "model", "target", "rhs", "features"):
            if k in s:
                keys[k] = s[k]
        keys.update(self.structure_extra)  # the kind's own (train: its model)
        if self.dataset is not None:
            keys["columns"] = list(self.dataset.columns)
        return _hash(keys)


def fit_target_columns(target: str, columns: list[str]) -> frozenset[str]:
    """The columns a fit's ``target`` reads: the column it names, or those its
    expression (``log(y)``) uses; none when it is neither."""
    if target in columns:
        return frozenset({target})
    try:
        return frozenset(columns) & parse(target, columns).names_used
    except (ExpressionError, TypeError):
        return frozenset()


def _without(d: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in keys}


def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()
