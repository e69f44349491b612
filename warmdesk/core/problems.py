"""Problem specs: the JSON format ``warmdesk.problem/1`` and its Python model.

A spec is validated as a whole; every malformed field is reported with its
dotted path (``variables.x.lower``) in one :class:`SpecError`. Expressions are
parsed with the safe expression language (never evaluated as Python).
Data files are read by :mod:`warmdesk.core.datasets` relative to the spec's
folder.

This module is the way in for callers above the core (GUI, CLI, tests): the
types live in :mod:`.problem_types` (the bottom layer), each kind's fields and
methods in its plug-in (:mod:`warmdesk.core.kinds`), and the names below
(``KINDS``, ``METHODS``, ...) are views of the kind registry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SpecError
from .kinds.fit import LOSSES as FIT_LOSSES
from .kinds.registry import KIND_NAMES, kind, kinds
from .kinds.train import MODELS as TRAIN_MODELS
from .method_facts import methods_with
from .problem_types import (COMMON_FIELDS, FORMAT, FORMAT_PREFIX, FORMAT_VERSION,
                            MAX_NAME_LENGTH, NAME_RE, NUMBER, RESERVED_NAMES, Constraint, Flat,
                            Problem, Variable, fit_target_columns)
from .spec_limits import MAX_SPEC_BYTES
from .spec_reader import SpecReader

__all__ = ["BOUNDED_METHODS", "COMMON_FIELDS", "CONSTRAINED_METHODS", "DEFAULT_METHOD",
           "FIT_LOSSES", "FIT_METHODS", "FORMAT", "FORMAT_PREFIX", "FORMAT_VERSION",
           "IMPLICIT_ODE_METHODS", "KINDS", "KIND_FIELDS", "MAX_NAME_LENGTH", "METHODS",
           "MINIMIZE_METHODS", "NAME_RE", "NUMBER", "ODE_METHODS", "RESERVED_NAMES",
           "TRAIN_METHODS", "TRAIN_MODELS", "Constraint", "Flat", "Problem", "Variable",
           "fit_target_columns", "load_problem", "problem_from_dict", "problem_from_json",
           "read_spec_file", "spec_from_json", "with_parameters"]

KINDS = KIND_NAMES
#: kind -> its methods, in the order offered to users (each kind's own table).
METHODS = {k.name: k.method_names for k in kinds()}
DEFAULT_METHOD = {k.name: k.default_method for k in kinds()}
KIND_FIELDS = {k.name: k.fields for k in kinds()}
MINIMIZE_METHODS = METHODS["minimize"]
FIT_METHODS = METHODS["fit"]
TRAIN_METHODS = METHODS["train"]
ODE_METHODS = METHODS["ode"]
#: The ode methods for stiff problems (they use the exact Jacobian of the right-hand side).
IMPLICIT_ODE_METHODS = methods_with(kind("ode").methods, stiff=True)
BOUNDED_METHODS = methods_with(kind("minimize").methods, bounds=True)
CONSTRAINED_METHODS = methods_with(kind("minimize").methods, constraints=True)


def with_parameters(problem: Problem, **values: float) -> Problem:
    """A copy of ``problem`` with some parameters changed (validated again)."""
    spec = json.loads(json.dumps(problem.spec))
    for k, v in values.items():
        if k not in spec.get("parameters", {}):
            raise SpecError([(f"parameters.{k}", "no such parameter")])
        spec["parameters"][k] = v.tolist() if isinstance(v, np.ndarray) else v
    return problem_from_dict(spec, base_dir=problem.base_dir)


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
    return SpecReader(data, base_dir, source, record).read()
