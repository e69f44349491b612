"""Reading a problem spec: every field checked, every error collected in one pass
and raised together (:class:`SpecError`), the :class:`Problem` built only from a
sound spec. :func:`problems.problem_from_dict` is the way in.

The common fields are read here; each kind reads its own (``Kind.read``, in
:mod:`warmdesk.core.kinds`) with the field readers of :class:`SpecReader`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from .datasets import Dataset, load_csv
from .errors import DataError, FormatVersionError, SpecError
from .expressions import Expression, ExpressionError, parse
from .kinds.base import Kind
from .kinds.registry import KIND_NAMES, find_kind
from .memory_estimate import memory_problems
from .method_capabilities import refusals
from .problem_types import (COMMON_FIELDS, FORMAT, FORMAT_PREFIX, FORMAT_VERSION, NAME_RE,
                            NUMBER, RESERVED_NAMES, Problem, Variable)
from .solvers.options import check_options, coerce_options
from .spec_limits import MAX_VARIABLE_SIZE, MAX_VARIABLES, ExpressionBudget, cost_problems
from .text_rules import DESCRIPTION_LIMIT, check_label, check_notes, check_tags


class SpecReader:
    """Collects every field error in one pass, then raises them together."""

    def __init__(self, data: Any, base_dir: Path | None, source: str | None,
                 record: bool = False) -> None:
        self.data = data
        self.record = record  # a stored run's spec: no rules for new solves
        self.base_dir = base_dir
        self.source = source
        self.errors: list[tuple[str, str]] = []
        #: Well-named variables refused for their values: expressions may still use
        #: them (one error, at the variable, not a second "unknown name" after it).
        self.refused_variables: list[str] = []
        #: ``solver.method`` names no method of the kind (then nothing more is said of it).
        self.method_unknown = False
        self.budget = ExpressionBudget()  # what all expressions together may cost to read

    @staticmethod
    def show(value: Any) -> str:
        """A value as messages quote it (JSON, at most 60 characters)."""
        return show(value)

    def fail(self, fld: str, message: str) -> None:
        self.errors.append((fld, message))

    def raise_if_failed(self) -> None:
        if self.errors:
            raise SpecError(self.errors, self.source)

    # -- top level
    def read(self) -> Problem:
        d = self.data
        if not isinstance(d, dict):
            raise SpecError([("(top level)", "a problem spec must be a JSON object")], self.source)
        self._check_format(d.get("format"))
        name = self._name(d.get("name"))
        kind = d.get("kind")
        plugin = find_kind(kind) if isinstance(kind, str) else None
        if plugin is None:
            self.fail("kind", f"must be one of {', '.join(KIND_NAMES)} (got {show(kind)})")
            raise SpecError(self.errors, self.source)
        known = COMMON_FIELDS | plugin.fields
        for k in d:
            if k not in known:
                self.fail(str(k)[:80], f"unknown field for kind '{kind}'")
        method, options = self._solver(plugin, d.get("solver", {}))
        parameters = self._parameters(d.get("parameters", {}))
        problem = Problem(name=name, kind=plugin.name, method=method, options=options,
                          parameters=parameters, variables=[], spec={}, base_dir=self.base_dir,
                          description=self._text(d, "description", DESCRIPTION_LIMIT),
                          tags=self._tags(d.get("tags", [])))
        plugin.read(self, d, problem)
        if not self.record:
            self._method_takes_the_spec(problem)
        if not self.errors and not self.record:  # the sizes are sound: will the solve fit?
            for fld, message in memory_problems(problem, plugin):
                self.fail(fld, message)
        self.raise_if_failed()
        self.errors.extend(cost_problems(problem))  # spec_limits: one evaluation's bounds
        self.raise_if_failed()
        problem.spec = self._normalised(d, problem)
        return problem

    def _check_format(self, fmt: Any) -> None:
        if fmt == FORMAT:
            return
        if isinstance(fmt, str) and fmt.startswith(FORMAT_PREFIX):
            version = fmt[len(FORMAT_PREFIX):]
            if version.isdigit() and int(version) > FORMAT_VERSION:
                raise FormatVersionError(
                    [("format", f"'{fmt}' was made by a newer WarmDesk; this one reads "
                                f"up to {FORMAT}")], self.source)
        raise SpecError([("format", f"must be '{FORMAT}' (got {show(fmt)})")], self.source)

    def _name(self, value: Any) -> str:
        problem = check_label(value, "the name")
        if problem:
            self.fail("name", problem)
        return value if isinstance(value, str) and value.strip() else "?"

    def _text(self, d: dict[str, Any], key: str, limit: int) -> str:
        value = d.get(key, "")
        problem = check_notes(value, f"the {key}", limit)
        if problem:
            self.fail(key, problem)
        return value if isinstance(value, str) else ""

    def _tags(self, value: Any) -> list[str]:
        problem = check_tags(value, "the tags")
        if problem:
            self.fail("tags", problem)
            return []
        return list(value)

    def _solver(self, kind: Kind, solver: Any) -> tuple[str, dict[str, Any]]:
        if not isinstance(solver, dict):
            self.fail("solver", "must be an object with 'method' and 'options'")
            return kind.default_method, {}
        for k in solver:
            if k not in ("method", "options"):
                self.fail(f"solver.{str(k)[:80]}", "unknown field")
        method = solver.get("method", kind.default_method)
        if method not in kind.methods:
            self.fail("solver.method",
                      f"must be one of {', '.join(kind.methods)} for kind '{kind.name}' "
                      f"(got {show(method)})")
            method = kind.default_method
            self.method_unknown = True
        options = solver.get("options", {})
        if not isinstance(options, dict):
            self.fail("solver.options", "must be an object")
            return method, {}
        allowed = dict(kind.options(method))  # the table lives with the solvers
        problems = check_options(allowed, method, options)
        for fld, message in problems:
            self.fail(f"solver.options.{fld}", message)
        return method, (dict(options) if problems else coerce_options(allowed, options))

    def _parameters(self, params: Any) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if not isinstance(params, dict):
            self.fail("parameters", "must be an object of name: number or list of numbers")
            return out
        for key, value in params.items():
            fld = f"parameters.{str(key)[:80]}"
            if not self._check_name(fld, key):
                continue
            arr = self._numbers(fld, value, allow_inf=False)
            if arr is not None:
                out[key] = arr
        return out

    def _check_name(self, fld: str, key: Any) -> bool:
        if not isinstance(key, str) or not NAME_RE.match(key):
            self.fail(fld, "names must start with a letter and hold only letters, digits and "
                           "'_' (at most 64 characters)")
            return False
        if key in RESERVED_NAMES:
            self.fail(fld, f"'{key}' is reserved")
            return False
        return True

    def _numbers(self, fld: str, value: Any, allow_inf: bool,
                 size: int | None = None) -> np.ndarray | None:
        """A number or a flat list of numbers; bools and strings are refused."""
        items = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) == 0:
            self.fail(fld, "must not be an empty list")
            return None
        if len(items) > MAX_VARIABLE_SIZE:
            self.fail(fld, f"at most {MAX_VARIABLE_SIZE} values")
            return None
        for i, item in enumerate(items):
            where = f"{fld}[{i}]" if isinstance(value, list) else fld
            if isinstance(item, bool) or not isinstance(item, NUMBER):
                self.fail(where, f"must be a number (got {show(item)})")
                return None
            if not math.isfinite(float(item)) and not allow_inf:
                self.fail(where, "must be finite")
                return None
        arr = np.asarray(items, dtype=float)
        if not isinstance(value, list):
            arr = arr.reshape(())
        if size is not None and arr.ndim == 1 and arr.size != size:
            self.fail(fld, f"has {arr.size} values but size is {size}")
            return None
        return arr

    def variables(self, fld: str, variables: Any, need_start: bool = True) -> list[Variable]:
        out: list[Variable] = []
        if not isinstance(variables, dict) or not variables:
            self.fail(fld, "must be a non-empty object of name: {size, start, lower, upper}")
            return out
        if len(variables) > MAX_VARIABLES:
            self.fail(fld, f"{len(variables)} variables; at most {MAX_VARIABLES}")
            return out
        total = 0
        for key, var in variables.items():
            vf = f"{fld}.{str(key)[:80]}"
            if not self._check_name(vf, key):
                continue
            self.refused_variables.append(key)  # until it is read whole, below
            if isinstance(var, (int, float)) and not isinstance(var, bool):
                var = {"start": var}
            if not isinstance(var, dict):
                self.fail(vf, "must be an object {size, start, lower, upper} or a number")
                continue
            for k in var:
                if k not in ("size", "start", "lower", "upper"):
                    self.fail(f"{vf}.{str(k)[:80]}", "unknown field")
            size = var.get("size")
            scalar = size is None and not isinstance(var.get("start"), list)
            if size is None:
                size = len(var["start"]) if isinstance(var.get("start"), list) else 1
            elif isinstance(size, bool) or not isinstance(size, int) or not (
                    1 <= size <= MAX_VARIABLE_SIZE):
                self.fail(f"{vf}.size", f"must be a whole number from 1 to {MAX_VARIABLE_SIZE}")
                continue
            total += size
            if "start" not in var and need_start:
                self.fail(f"{vf}.start", "is required")
                continue
            start = self._numbers(f"{vf}.start", var.get("start", 0.0), False, size)
            lower = self._numbers(f"{vf}.lower", var.get("lower", -math.inf), True, size)
            upper = self._numbers(f"{vf}.upper", var.get("upper", math.inf), True, size)
            if start is None or lower is None or upper is None:
                continue
            start, lower, upper = (np.broadcast_to(a, (size,)).astype(float).copy()
                                   for a in (start, lower, upper))
            crossed = np.flatnonzero(lower > upper)
            if crossed.size:
                i = int(crossed[0])
                self.fail(f"{vf}.lower", f"{_element(key, i, scalar)} has lower "
                                         f"{lower[i]:g} greater than upper {upper[i]:g}"
                                         f"{_more(crossed.size)}; swap or correct them")
            else:
                outside = np.flatnonzero((start < lower) | (start > upper))
                if outside.size:
                    i = int(outside[0])
                    self.fail(f"{vf}.start",
                              f"{_element(key, i, scalar)} starts at {start[i]:g}, "
                              f"outside its bounds [{lower[i]:g}, {upper[i]:g}]"
                              f"{_more(outside.size)}; move the start inside the bounds "
                              "or widen them")
            self.refused_variables.remove(key)  # read whole (its bounds are checked above)
            out.append(Variable(key, size, start, lower, upper, scalar=scalar and size == 1))
        if total > MAX_VARIABLE_SIZE:
            self.fail(fld, f"{total} values in all; at most {MAX_VARIABLE_SIZE}")
        return out

    def expression(self, fld: str, text: Any, names: list[str]) -> Expression | None:
        if not isinstance(text, str):
            self.fail(fld, "must be an expression string")
            return None
        over = self.budget.refuse(text)
        if over is not None:  # "" when the spent budget was reported already
            if over:
                self.fail(fld, over)
            return None
        try:
            expr = parse(text, names)
        except ExpressionError as exc:
            self.fail(fld, f"{exc.message} at column {exc.position + 1}")
            return None
        over = self.budget.spend(expr)
        if over:
            self.fail(fld, over)
        return expr

    def dataset(self, d: dict[str, Any]) -> Dataset | None:
        data = d.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("file"), str):
            self.fail("data.file", "is required: the path of a CSV file with a header row")
            return None
        for k in data:
            if k != "file":
                self.fail(f"data.{str(k)[:80]}", "unknown field")
        path = Path(data["file"])
        if not path.is_absolute():
            if self.base_dir is None:
                self.fail("data.file", "is relative, but the spec has no folder to resolve it")
                return None
            path = self.base_dir / path
        try:
            return load_csv(path)
        except DataError as exc:
            self.fail("data.file", str(exc))
            return None

    def column(self, fld: str, value: Any, dataset: Dataset) -> str:
        if not isinstance(value, str) or value not in dataset.columns:
            self.fail(fld, f"must name a column of {dataset.path.name} "
                           f"({', '.join(dataset.columns[:12])}) (got {show(value)})")
            return ""
        return value

    def number_field(self, d: dict[str, Any], key: str, default: float, low: float,
                      high: float = math.inf, low_open: bool = False) -> float:
        value = d.get(key, default)
        if isinstance(value, bool) or not isinstance(value, NUMBER) or not math.isfinite(value):
            self.fail(key, f"must be a finite number (got {show(value)})")
            return default
        if value < low or value > high or (low_open and value == low):
            self.fail(key, f"must be {'>' if low_open else '>='} {low}"
                           + (f" and <= {high}" if math.isfinite(high) else ""))
            return default
        return float(value)

    def _method_takes_the_spec(self, p: Problem) -> None:
        """Refuse bounds or constraints the method would silently ignore (one rule:
        :mod:`.method_capabilities`)."""
        if self.method_unknown:
            return  # the method itself is wrong: that is the one thing to say about it
        bounded = [v.name for v in p.variables if v.bounded]
        raw = self.data.get("constraints")
        count = len(raw) if isinstance(raw, list) else 0
        for fld, message in refusals(p.kind, p.method, bounded, count):
            self.fail(fld, message)

    def all_names(self, p: Problem) -> list[str]:
        names = [v.name for v in p.variables] + self.refused_variables
        for k in p.parameters:
            if k in names:
                self.fail(f"parameters.{k}", "has the same name as a variable")
        return names + list(p.parameters)

    def no_clash(self, p: Problem, columns: list[str]) -> None:
        taken = {v.name for v in p.variables} | set(p.parameters)
        for c in columns:
            if c in taken:
                self.fail("data.file", f"column '{c}' has the same name as a variable or parameter")

    def _normalised(self, d: dict[str, Any], p: Problem) -> dict[str, Any]:
        """The spec as stored with a run: defaults filled in, so it round-trips."""
        spec = json.loads(json.dumps(d))
        spec["format"] = FORMAT
        spec["solver"] = {"method": p.method, "options": p.options}
        return spec


def _element(name: str, index: int, scalar: bool) -> str:
    """How a message names one value of a variable: ``x[3]``, or ``x`` for a scalar."""
    return f"'{name}'" if scalar else f"'{name}[{index}]'"


def _more(count: int) -> str:
    return f" (and {count - 1} more element{'s' if count > 2 else ''})" if count > 1 else ""


def show(value: Any) -> str:
    try:
        text = json.dumps(value, allow_nan=False, default=str)
    except (ValueError, TypeError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
