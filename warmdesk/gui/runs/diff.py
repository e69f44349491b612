"""What changed from a warm-start source to the run it seeded (pure Python, no Qt).

``diff_runs(source, target)`` compares two runs' problems and results:
parameters, solver method and options, the data file, other parts of the spec
(variables, expressions, time span), and the figures of the outcome side by
side. Rows for the spec list only what changed; result rows are always there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.runs import Run

#: Sections in the order they are shown.
SECTIONS = ("parameter", "solver", "option", "data", "spec", "result")
SECTION_TITLES = {"parameter": "Parameters", "solver": "Solver", "option": "Options",
                  "data": "Data", "spec": "Problem", "result": "Results"}
#: Spec keys with their own section or of no interest in a diff.
_OWN_KEYS = frozenset({"parameters", "solver", "data", "name", "description", "tags", "format"})
_RESULTS = ("status", "fun", "nit", "nfev", "njev", "wall_s")
#: The sections the headline names as "changed" or "same", with their words.
_HEADLINE_SECTIONS = (("solver", "method"), ("option", "options"), ("data", "data"))
MAX_TEXT = 60


@dataclass(frozen=True)
class DiffRow:
    """One compared item: ``old`` is the source's value, ``new`` the run's."""

    section: str                   # one of SECTIONS
    name: str
    old: str
    new: str
    relative: float | None = None  # (new - old) / |old| for numbers (norm ratio for vectors)
    changed: bool = True

    def change_text(self) -> str:
        """The relative change as a short text ("+5%", "-0.1%"), or ""."""
        if self.relative is None or not self.changed:
            return ""
        if not math.isfinite(self.relative):
            return "from 0"
        if abs(self.relative) >= 10:     # a ratio reads better than +2.1e+15%
            return f"×{1 + self.relative:.2g}"
        return f"{100 * self.relative:+.3g}%"


def format_value(value: Any) -> str:
    """A compact text for a spec or result value ("" for missing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(np.ravel(np.asarray(value, dtype=object)))
        shown = ", ".join(format_value(v) for v in items[:6])
        text = f"[{shown}{', ...' if len(items) > 6 else ''}]"
        return text if len(items) <= 6 else f"{text} ({len(items)} values)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."


def relative_change(old: Any, new: Any) -> float | None:
    """``(new - old) / |old|`` for numbers, ``|new - old| / |old|`` for vectors of one
    size; None when they are not numbers (or differ in size)."""
    try:
        a = np.asarray(old, dtype=float)
        b = np.asarray(new, dtype=float)
    except (TypeError, ValueError):
        return None
    if a.shape != b.shape or a.size == 0 or isinstance(old, bool) or isinstance(new, bool):
        return None
    if a.ndim == 0:
        old_f, new_f = float(a), float(b)
        if not (math.isfinite(old_f) and math.isfinite(new_f)):
            return None
        if old_f == 0.0:
            return 0.0 if new_f == 0.0 else math.inf
        return (new_f - old_f) / abs(old_f)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return None
    base = float(np.linalg.norm(a))
    gap = float(np.linalg.norm(b - a))
    if base == 0.0:
        return 0.0 if gap == 0.0 else math.inf
    return gap / base


def _same(old: Any, new: Any) -> bool:
    return json.dumps(old, sort_keys=True, default=str) == json.dumps(new, sort_keys=True,
                                                                       default=str)


def _compare(section: str, old: dict[str, Any], new: dict[str, Any],
             relative: bool = True) -> list[DiffRow]:
    """Rows for the keys whose values differ (a missing key shows as ""), with
    their relative change when ``relative`` and both are there."""
    rows = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if _same(a, b):
            continue
        numeric = relative and a is not None and b is not None
        rows.append(DiffRow(section, str(key), format_value(a), format_value(b),
                            relative_change(a, b) if numeric else None))
    return rows


def _data_rows(source: Run, target: Run) -> list[DiffRow]:
    old_spec, new_spec = source.problem.get("data") or {}, target.problem.get("data") or {}
    old_file, new_file = old_spec.get("file"), new_spec.get("file")
    old_sha = (source.info.get("data") or {}).get("sha256")
    new_sha = (target.info.get("data") or {}).get("sha256")
    rows = []
    if old_file != new_file:
        rows.append(DiffRow("data", "file", format_value(old_file), format_value(new_file)))
    if old_sha != new_sha and (old_sha or new_sha):
        rows.append(DiffRow("data", "content (sha256)", (old_sha or "")[:12],
                            (new_sha or "")[:12]))
    return rows


def _flat_rest(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without its own-section keys, objects opened one level
    (``variables.x``), so a change names what changed."""
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if key in _OWN_KEYS:
            continue
        if isinstance(value, dict) and value:
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def _result_rows(source: Run, target: Run) -> list[DiffRow]:
    rows = []
    for key in _RESULTS:
        a, b = getattr(source, key), getattr(target, key)
        numeric = key != "status" and a is not None and b is not None
        rows.append(DiffRow("result", key, format_value(a), format_value(b),
                            relative_change(a, b) if numeric else None, not _same(a, b)))
    return rows


def diff_headline(rows: list[DiffRow]) -> str:
    """One line on what changed, e.g. "1 parameter changed; same method, options and data"."""
    count = {section: sum(1 for r in rows if r.section == section) for section in SECTIONS}
    parts = [f"{count['parameter']} parameter{'s' * (count['parameter'] != 1)} changed"
             if count["parameter"] else "no parameter changed"]
    same = [label for section, label in _HEADLINE_SECTIONS if not count[section]]
    parts += [f"{label} changed" for section, label in _HEADLINE_SECTIONS if count[section]]
    if count["spec"]:
        parts.append(f"{count['spec']} other part{'s' * (count['spec'] != 1)} of the problem "
                     "changed")
    if same:
        parts.append("same " + (", ".join(same[:-1]) + " and " + same[-1] if len(same) > 1
                                else same[0]))
    return "; ".join(parts)


def diff_runs(source: Run, target: Run) -> list[DiffRow]:
    """What changed from ``source`` (the warm-start source) to ``target``, in
    ``SECTIONS`` order: parameters, solver method, options, data, the rest of
    the spec (only changed items), then the results side by side (all)."""
    old, new = source.problem, target.problem
    rows = _compare("parameter", old.get("parameters") or {}, new.get("parameters") or {})
    old_solver, new_solver = old.get("solver") or {}, new.get("solver") or {}
    old_method = old_solver.get("method", source.method)
    new_method = new_solver.get("method", target.method)
    if old_method != new_method:
        rows.append(DiffRow("solver", "method", str(old_method), str(new_method)))
    rows += _compare("option", old_solver.get("options") or {}, new_solver.get("options") or {})
    rows += _data_rows(source, target)
    rows += _compare("spec", _flat_rest(old), _flat_rest(new), relative=False)
    rows += _result_rows(source, target)
    return rows
