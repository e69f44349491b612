"""Problem specs: the JSON format ``warmdesk.problem/1`` and its Python model.

A spec is validated as a whole; every malformed field is reported with its
dotted path (``variables.x.lower``) in one :class:`SpecError`. Expressions are
parsed with the safe expression language (never evaluated as Python).
Data files are read by :mod:`warmdesk.core.datasets` relative to the spec's
folder.
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
from .errors import SpecError
from .expressions import Expression, ExpressionError, parse
from .method_capabilities import methods as methods_of
from .method_capabilities import methods_with
from .spec_limits import (MAX_SPEC_BYTES)

if TYPE_CHECKING:
    from .dual import Dual

#: What :meth:`Problem.split` splits: plain values, or dual numbers for a Jacobian.
Flat = TypeVar("Flat", np.ndarray, "Dual")

FORMAT = "warmdesk.problem/1"
FORMAT_PREFIX = "warmdesk.problem/"
FORMAT_VERSION = 1
KINDS = ("minimize", "fit", "train", "ode")

# The methods and what each can do live in one table (method_capabilities);
# these names are views of it.
MINIMIZE_METHODS = methods_of("minimize")
FIT_METHODS = methods_of("fit")
TRAIN_METHODS = methods_of("train")
ODE_METHODS = methods_of("ode")
#: The ode methods for stiff problems (they use the exact Jacobian of the right-hand side).
IMPLICIT_ODE_METHODS = methods_with("ode", stiff=True)
METHODS = {"minimize": MINIMIZE_METHODS, "fit": FIT_METHODS, "train": TRAIN_METHODS,
           "ode": ODE_METHODS}
DEFAULT_METHOD = {"minimize": "BFGS", "fit": "trf", "train": "L-BFGS-B", "ode": "RK45"}
BOUNDED_METHODS = methods_with("minimize", bounds=True)
CONSTRAINED_METHODS = methods_with("minimize", constraints=True)
FIT_LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")
TRAIN_MODELS = ("logistic", "multinomial", "linear")

MAX_NAME_LENGTH = 64
#: Anchored with \Z: "$" would match before a final newline ("x\n" was a name).
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}\Z")
RESERVED_NAMES = frozenset({"pi", "e", "t"})
NUMBER = (int, float)
COMMON_FIELDS = frozenset({"format", "name", "kind", "description", "tags", "parameters",
                           "solver"})
KIND_FIELDS = {
    "minimize": frozenset({"variables", "objective", "constraints"}),
    "fit": frozenset({"variables", "data", "model", "target", "sigma", "loss", "f_scale"}),
    "train": frozenset({"data", "target", "features", "model", "l2", "fit_intercept"}),
    "ode": frozenset({"state", "rhs", "t_span", "t_eval", "checkpoints"}),
}


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
        if self.kind == "train":
            keys["train_model"] = self.train_model
        if self.dataset is not None:
            keys["columns"] = list(self.dataset.columns)
        return _hash(keys)

    def with_parameters(self, **values: float) -> Problem:
        """A copy of this problem with some parameters changed (validated again)."""
        spec = json.loads(json.dumps(self.spec))
        for k, v in values.items():
            if k not in spec.get("parameters", {}):
                raise SpecError([(f"parameters.{k}", "no such parameter")])
            spec["parameters"][k] = v.tolist() if isinstance(v, np.ndarray) else v
        return problem_from_dict(spec, base_dir=self.base_dir)


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


# --------------------------------------------------------------------------- loading

def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem JSON file."""
    path = Path(path)
    return problem_from_dict(read_spec_file(path), base_dir=path.parent, source=str(path))


def read_spec_file(path: str | Path) -> Any:
    """A problem file's parsed JSON, not yet validated (the editor shows an invalid
    spec to be fixed). Size-limited; a :class:`SpecError` says why it cannot be read."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SpecError([("file", f"cannot read {path}: {exc.strerror or exc}")]) from exc
    if size > MAX_SPEC_BYTES:
        raise SpecError([("file", f"{size} bytes is larger than the {MAX_SPEC_BYTES} allowed")],
                        source=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([("file", f"cannot read {path}: {exc}")]) from exc
    return spec_from_json(text, source=str(path))


def problem_from_json(text: str, base_dir: Path | None = None,
                      source: str | None = None) -> Problem:
    return problem_from_dict(spec_from_json(text, source), base_dir=base_dir, source=source)


def spec_from_json(text: str, source: str | None = None) -> Any:
    """Parse a spec's JSON: no NaN/Infinity constants, bounded nesting."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise SpecError([("file", "JSON is nested too deeply")], source) from exc
    except (json.JSONDecodeError, ValueError) as exc:
        raise SpecError([("file", f"not valid JSON: {exc}")], source) from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a problem spec (numbers must be finite)")


def problem_from_dict(data: Any, base_dir: Path | None = None,
                      source: str | None = None, record: bool = False) -> Problem:
    """Validate ``data`` (parsed JSON) and build a :class:`Problem`.

    ``record=True`` reads the spec a stored run was solved from (run-file import and
    export): it must be a sound, safe spec, but the rules that refuse a *new* solve
    (a method that would ignore the bounds, a solve too large for this machine's
    memory) do not apply to a record of what was solved, else an older run, or a
    colleague's from a larger machine, could no longer be exported or imported."""
    from .spec_reader import SpecReader  # the reader builds these types: imported late

    return SpecReader(data, base_dir, source, record).read()
