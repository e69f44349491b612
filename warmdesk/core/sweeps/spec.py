"""The sweep spec, ``warmdesk.sweep/1`` (JSON): a base problem, the parameters
to vary, per-point overrides, how to chain and how to check each point.

::

    {"format": "warmdesk.sweep/1", "name": "bratu-lambda",
     "problem": "bratu.json",                      # a problem file (relative) or inline spec
     "vary": {"lam": {"from": 0.2, "to": 3.6, "num": 18}},   # grid: the product of
                                                   # ranges and lists ({"lam": [1, 2]})
     # or "path": [{"lam": 0.2}, {"lam": 0.4}, ...]   points in the order given
     # or "csv": "points.csv"                         one point per row, columns = parameters
     "overrides": [{"points": [3, 4], "set": {"solver": {"options": {"gtol": 1e-10}}}}],
     "chaining": {"chain_length": 12, "max_halvings": 3, "predictor": "secant"},
     "check": {"max_fun": 1e-10, "max_optimality": 1e-5}}

Everything is checked at once: every bad field is named (``vary.lam.num: must be
an integer from 1 to 10000``), and every point's problem is validated as a
problem spec, its errors prefixed with the point (``points[7].solver.method``).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..problem_types import Problem
from ..problems import problem_from_dict, read_spec_file

FORMAT = "warmdesk.sweep/1"
MAX_POINTS = 10_000
PREDICTORS = ("secant", "previous")
_TOP_FIELDS = frozenset({"format", "name", "description", "problem", "vary", "path", "csv",
                         "overrides", "chaining", "check"})
_CHAINING_FIELDS = frozenset({"chain_length", "max_halvings", "predictor"})
_CHECK_FIELDS = frozenset({"max_fun", "max_optimality"})


@dataclass(frozen=True)
class Check:
    """What a point must reach beyond the solver's own ``converged``."""

    max_fun: float | None = None         # the objective (a residual's squares) at most this
    max_optimality: float | None = None  # the first-order optimality the kind reports


@dataclass
class SweepPoint:
    index: int                   # its place in the spec (the grid's, the path's, the row's)
    values: dict[str, float]     # the varied parameters' values
    spec: dict[str, Any]         # the point's whole problem spec (overrides applied)


@dataclass
class SweepSpec:
    name: str
    points: list[SweepPoint]
    base_dir: Path | None
    #: a path or a csv keeps its order; a grid is ordered by nearest neighbour
    ordered: bool
    chain_length: int | None = None
    max_halvings: int = 3
    predictor: str = "secant"
    check: Check = field(default_factory=Check)
    source: str | None = None

    @property
    def parameters(self) -> list[str]:
        return list(self.points[0].values) if self.points else []

    def problem(self, index: int) -> Problem:
        """The validated problem of point ``index`` (a place in ``points``)."""
        return problem_from_dict(self.points[index].spec, base_dir=self.base_dir)


def sweep_key(sweep: SweepSpec) -> str:
    """The identity of what a sweep solves and checks: its points' problems
    (where their files are read from) and its check. A chained and a cold run
    of one spec share it (how it chains does not count), so the library pairs
    them (``library.list_sweeps(spec_key=...)``)."""
    content = {"points": [[p.index, p.values, p.spec] for p in sweep.points],
               "base_dir": str(sweep.base_dir) if sweep.base_dir is not None else None,
               "check": [sweep.check.max_fun, sweep.check.max_optimality]}
    text = json.dumps(content, sort_keys=True, allow_nan=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (relative paths are read from its folder)."""
    path = Path(path)
    return sweep_from_dict(read_spec_file(path), path.parent, str(path))


def sweep_from_dict(data: Any, base_dir: Path | None = None,
                    source: str | None = None) -> SweepSpec:
    """Validate parsed JSON as a sweep; a :class:`SpecError` names every bad field."""
    errors: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        raise SpecError([("sweep", "must be a JSON object")], source)
    if data.get("format") != FORMAT:
        errors.append(("format", f"must be {FORMAT!r}"))
    errors += [(k, "unknown field") for k in sorted(set(data) - _TOP_FIELDS)]
    name = data.get("name", "sweep")
    if not isinstance(name, str) or not name.strip():
        errors.append(("name", "must be a non-empty text"))
        name = "sweep"
    base, problem_dir = _base_problem(data.get("problem"), base_dir, errors)
    rows = _points(data, base, problem_dir if problem_dir is not None else base_dir, errors)
    spec = SweepSpec(name=name, points=[], base_dir=problem_dir, ordered="vary" not in data,
                     source=source)
    _chaining(data.get("chaining", {}), spec, errors)
    spec.check = _check(data.get("check", {}), errors)
    if base is not None and rows is not None:
        specs = [_with_values(base, values) for values in rows]
        _overrides(data.get("overrides", []), specs, errors)
        for i, (values, point_spec) in enumerate(zip(rows, specs)):
            spec.points.append(SweepPoint(i, values, point_spec))
        if not errors:
            _validate_points(spec, errors)
    if errors:
        raise SpecError(errors, source)
    return spec


def _base_problem(value: Any, base_dir: Path | None, errors: list[tuple[str, str]]
                  ) -> tuple[dict[str, Any] | None, Path | None]:
    """The base problem spec and the folder its relative data paths point from."""
    if isinstance(value, dict):
        return value, base_dir
    if isinstance(value, str) and value:
        path = Path(value) if base_dir is None else base_dir / value
        try:
            spec = read_spec_file(path)
        except SpecError as exc:
            errors += [(f"problem ({value}).{f}", m) for f, m in exc.problems]
            return None, None
        if not isinstance(spec, dict):
            errors.append(("problem", f"{value} does not hold a JSON object"))
            return None, None
        return spec, path.parent
    errors.append(("problem", "must be a problem file's path or an inline problem spec"))
    return None, None


def _points(data: dict[str, Any], base: dict[str, Any] | None, folder: Path | None,
            errors: list[tuple[str, str]]) -> list[dict[str, float]] | None:
    given = [k for k in ("vary", "path", "csv") if k in data]
    if len(given) != 1:
        errors.append(("vary", "give exactly one of vary (a grid), path or csv"
                       + (f" (found {', '.join(given)})" if given else "")))
        return None
    key = given[0]
    start = len(errors)
    if key == "vary":
        rows = _grid(data["vary"], errors)
    elif key == "path":
        rows = _path(data["path"], errors)
    else:
        rows = _csv(data["csv"], folder, errors)
    if rows is None or len(errors) > start:
        return None
    if not 1 <= len(rows) <= MAX_POINTS:
        errors.append((key, f"gives {len(rows)} points; from 1 to {MAX_POINTS} are allowed"))
        return None
    known = base.get("parameters", {}) if base is not None else None
    for name in rows[0]:
        if isinstance(known, dict) and name not in known:
            errors.append((f"{key}.{name}", "no such parameter in the problem"))
    return None if len(errors) > start else rows


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value)


def _grid(vary: Any, errors: list[tuple[str, str]]) -> list[dict[str, float]] | None:
    if not isinstance(vary, dict) or not vary:
        errors.append(("vary", "must map parameter names to a range or a list of numbers"))
        return None
    axes: list[list[float]] = []
    for name, axis in vary.items():
        where = f"vary.{name}"
        if isinstance(axis, list):
            if not axis or not all(_number(v) for v in axis):
                errors.append((where, "must be a non-empty list of finite numbers"))
                continue
            axes.append([float(v) for v in axis])
        elif isinstance(axis, dict):
            axes.append(_range(axis, where, errors))
        else:
            errors.append((where, 'must be {"from": a, "to": b, "num": n} or a list'))
    if len(axes) != len(vary):
        return None
    return [dict(zip(vary, combo)) for combo in itertools.product(*axes)]


def _range(axis: dict[str, Any], where: str, errors: list[tuple[str, str]]) -> list[float]:
    bad = sorted(set(axis) - {"from", "to", "num"})
    errors += [(f"{where}.{k}", "unknown field (from, to, num)") for k in bad]
    for k in ("from", "to"):
        if not _number(axis.get(k)):
            errors.append((f"{where}.{k}", "must be a finite number"))
    num = axis.get("num")
    if not isinstance(num, int) or isinstance(num, bool) or not 1 <= num <= MAX_POINTS:
        errors.append((f"{where}.num", f"must be an integer from 1 to {MAX_POINTS}"))
        return []
    if not (_number(axis.get("from")) and _number(axis.get("to"))):
        return []
    a, b = float(axis["from"]), float(axis["to"])
    return [a] if num == 1 else [a + (b - a) * i / (num - 1) for i in range(num)]


def _path(path: Any, errors: list[tuple[str, str]]) -> list[dict[str, float]] | None:
    if not isinstance(path, list) or not path:
        errors.append(("path", "must be a non-empty list of {parameter: value} objects"))
        return None
    names = list(path[0]) if isinstance(path[0], dict) else []
    for i, point in enumerate(path):
        if not isinstance(point, dict) or list(point) != names or not names:
            errors.append((f"path[{i}]", f"must give the same parameters as path[0] "
                           f"({', '.join(names) or 'none'})"))
            continue
        for k, v in point.items():
            if not _number(v):
                errors.append((f"path[{i}].{k}", "must be a finite number"))
    return [{k: float(v) for k, v in p.items()} for p in path] if names else None


def _csv(name: Any, folder: Path | None, errors: list[tuple[str, str]]
         ) -> list[dict[str, float]] | None:
    if not isinstance(name, str) or not name:
        errors.append(("csv", "must be a CSV file's path"))
        return None
    path = Path(name) if folder is None else folder / name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(("csv", f"cannot read {path}: {exc}"))
        return None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if not header or not all(header):
        errors.append(("csv", f"{path}: the first line must name the parameters"))
        return None
    rows: list[dict[str, float]] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(("csv", f"{path}, line {line}: {len(row)} values for "
                           f"{len(header)} columns"))
            return None
        try:
            values = [float(cell) for cell in row]
        except ValueError:
            errors.append(("csv", f"{path}, line {line}: not a number"))
            return None
        if not all(math.isfinite(v) for v in values):
            errors.append(("csv", f"{path}, line {line}: numbers must be finite"))
            return None
        rows.append(dict(zip(header, values)))
    if not rows:
        errors.append(("csv", f"{path} has no rows"))
        return None
    return rows


def values_label(values: dict[str, float]) -> str:
    """``lam=0.725, h2=0.003``: how a point's values read in its run's name."""
    return ", ".join(f"{k}={v:.6g}" for k, v in values.items())


def _with_values(base: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """The base spec at these values, its run named by them ("bratu lam=0.725"), so
    the library tells the points apart (the name is not part of any hash)."""
    spec = copy.deepcopy(base)
    spec.setdefault("parameters", {}).update(values)
    spec["name"] = f"{base.get('name') or 'problem'} {values_label(values)}"
    return spec


def _overrides(overrides: Any, specs: list[dict[str, Any]],
               errors: list[tuple[str, str]]) -> None:
    if not isinstance(overrides, list):
        errors.append(("overrides", 'must be a list of {"points": [...], "set": {...}}'))
        return
    for i, item in enumerate(overrides):
        where = f"overrides[{i}]"
        if not isinstance(item, dict) or set(item) != {"points", "set"}:
            errors.append((where, 'must be {"points": [indexes], "set": {fields}}'))
            continue
        points, changes = item["points"], item["set"]
        if not isinstance(points, list) or not points or not all(
                isinstance(p, int) and not isinstance(p, bool) and 0 <= p < len(specs)
                for p in points):
            errors.append((f"{where}.points", f"must list point indexes from 0 to "
                           f"{len(specs) - 1}"))
            continue
        if not isinstance(changes, dict) or not changes:
            errors.append((f"{where}.set", "must be an object of problem fields"))
            continue
        for k in ("format", "kind"):
            if k in changes:
                errors.append((f"{where}.set.{k}", "cannot change within a sweep"))
        for p in points:
            _merge(specs[p], copy.deepcopy(changes))


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    """Objects merge field by field; anything else is replaced."""
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            _merge(target[k], v)
        else:
            target[k] = v


def _chaining(data: Any, spec: SweepSpec, errors: list[tuple[str, str]]) -> None:
    if not isinstance(data, dict):
        errors.append(("chaining", "must be an object"))
        return
    errors += [(f"chaining.{k}", "unknown field (chain_length, max_halvings, predictor)")
               for k in sorted(set(data) - _CHAINING_FIELDS)]
    length = data.get("chain_length")
    if length is not None:
        if isinstance(length, int) and not isinstance(length, bool) and length >= 1:
            spec.chain_length = length
        else:
            errors.append(("chaining.chain_length", "must be an integer of at least 1"))
    halvings = data.get("max_halvings", 3)
    if isinstance(halvings, int) and not isinstance(halvings, bool) and 0 <= halvings <= 10:
        spec.max_halvings = halvings
    else:
        errors.append(("chaining.max_halvings", "must be an integer from 0 to 10"))
    predictor = data.get("predictor", "secant")
    if predictor in PREDICTORS:
        spec.predictor = predictor
    else:
        errors.append(("chaining.predictor", f"must be one of {', '.join(PREDICTORS)}"))


def _check(data: Any, errors: list[tuple[str, str]]) -> Check:
    if not isinstance(data, dict):
        errors.append(("check", "must be an object"))
        return Check()
    errors += [(f"check.{k}", "unknown field (max_fun, max_optimality)")
               for k in sorted(set(data) - _CHECK_FIELDS)]
    out: dict[str, float] = {}
    for k in ("max_fun", "max_optimality"):
        v = data.get(k)
        if v is None:
            continue
        if _number(v) and v >= 0:
            out[k] = float(v)
        else:
            errors.append((f"check.{k}", "must be a finite number >= 0"))
    return Check(**out)


def _validate_points(spec: SweepSpec, errors: list[tuple[str, str]]) -> None:
    """Every point's problem, validated as a spec; the kind may not change."""
    kinds = set()
    for i, point in enumerate(spec.points):
        try:
            kinds.add(spec.problem(i).kind)
        except SpecError as exc:
            errors += [(f"points[{i}].{f}", m) for f, m in exc.problems]
    if len(kinds) > 1:
        errors.append(("points", f"all points must be of one kind (found {sorted(kinds)})"))

