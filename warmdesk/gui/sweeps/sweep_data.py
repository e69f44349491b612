"""The sweep editor's data, without widgets: a sweep file's JSON object as the
editor holds it, its validation and path preview (run in a pool thread: a
sweep of many points validates each point's problem), and which form field
each of the core's error names points at.

The editor keeps the whole JSON object it opened (``overrides``, ``path``,
``csv`` and unknown fields included) and changes only what its forms model,
so a file opened and saved unchanged stays the same object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.errors import SpecError
from ...core.problems import read_spec_file
from ...core.sweeps import SweepSpec, sweep_from_dict
from ...core.sweeps.chaining import cut_chains, order_points
from ...core.sweeps.spec import FORMAT
from ..editor.values import rebase_data_file

__all__ = ["FORMAT", "Axis", "Preview", "axes_of", "error_target", "is_sweep_file", "new_sweep",
           "preview", "read_sweep_file", "rebase_problem", "sweep_file_data", "typed_number",
           "with_axes"]


@dataclass
class Axis:
    """One varied parameter of a grid, as the editor's table shows it: a range
    (``start``, ``stop``, ``num``) or a list of values (``values``: its text).
    Cells hold what was typed; the core names what is wrong with it."""

    name: str
    start: str = ""
    stop: str = ""
    num: str = ""
    values: str = ""        # "1, 2, 5": a list instead of a range

    def to_json(self) -> Any:
        if self.values.strip():
            return [typed_number(v) for v in re.split(r"[,\s;]+", self.values.strip()) if v]
        return {"from": typed_number(self.start), "to": typed_number(self.stop),
                "num": typed_number(self.num)}


def typed_number(text: str) -> Any:
    """A typed number as JSON: an int, a float, else the text as typed (so the
    core's error names the field)."""
    text = text.strip()
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        return value if value == value and abs(value) != float("inf") else text
    return text


def _text(value: Any) -> str:
    return "" if value is None else (repr(value) if isinstance(value, float) else str(value))


def axes_of(data: dict[str, Any]) -> list[Axis] | None:
    """The grid's axes, or None when the sweep is a ``path`` or a ``csv`` (not
    edited in the table)."""
    vary = data.get("vary")
    if "vary" not in data and ("path" in data or "csv" in data):
        return None
    axes = []
    for name, axis in (vary.items() if isinstance(vary, dict) else []):
        if isinstance(axis, list):
            axes.append(Axis(name, values=", ".join(_text(v) for v in axis)))
        elif isinstance(axis, dict):
            axes.append(Axis(name, _text(axis.get("from")), _text(axis.get("to")),
                             _text(axis.get("num"))))
        else:
            axes.append(Axis(name, values=_text(axis)))
    return axes


def with_axes(data: dict[str, Any], axes: list[Axis] | None) -> dict[str, Any]:
    """``data`` with its grid replaced by ``axes`` (None: a path or csv, kept)."""
    out = dict(data)
    if axes is not None:
        out["vary"] = {a.name.strip(): a.to_json() for a in axes}
    return out


def new_sweep(problem: dict[str, Any] | str, name: str) -> dict[str, Any]:
    """A new sweep over ``problem`` (an inline spec or a file's path): its first
    numeric parameter from its value to twice it, in 11 points."""
    params = problem.get("parameters", {}) if isinstance(problem, dict) else {}
    first = next(((k, v) for k, v in params.items()
                  if isinstance(v, (int, float)) and not isinstance(v, bool)), None)
    vary: dict[str, Any] = {}
    if first is not None:
        k, v = first
        vary[k] = {"from": float(v), "to": float(v) * 2 if v else 1.0, "num": 11}
    return {"format": FORMAT, "name": name, "problem": problem, "vary": vary}


def read_sweep_file(path: Path) -> dict[str, Any]:
    """A sweep file's JSON object (a pool thread). SpecError when it is none."""
    data = read_spec_file(path)
    if not isinstance(data, dict):
        raise SpecError([("file", "does not hold a JSON object")], str(path))
    return data


def sweep_file_data(path: Path) -> dict[str, Any] | None:
    """A .json file's JSON object when it is a sweep (``"format":
    "warmdesk.sweep/1"``), read once in a pool thread; None for anything else,
    unreadable or unparseable files too (the problem editor then says why)."""
    try:
        data = read_spec_file(path)
    except (SpecError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def is_sweep_file(path: Path) -> bool:
    return sweep_file_data(path) is not None


def rebase_problem(data: dict[str, Any], old_dir: Path | None, new_dir: Path
                   ) -> dict[str, Any]:
    """``data`` to be saved in ``new_dir``: a relative problem path or csv read
    from ``old_dir``, and an inline problem's relative data file, rewritten as
    the problem editor rewrites a moved problem's data file."""
    out = dict(data)
    for key in ("problem", "csv"):
        value = out.get(key)
        if isinstance(value, str) and value:
            out[key] = Path(rebase_data_file(value, old_dir, new_dir)).as_posix()
    problem = out.get("problem")
    if isinstance(problem, dict) and isinstance(problem.get("data"), dict):
        file = problem["data"].get("file")
        if isinstance(file, str) and file:
            out["problem"] = {**problem, "data": {**problem["data"],
                                                 "file": rebase_data_file(file, old_dir,
                                                                          new_dir)}}
    return out


@dataclass
class Preview:
    """A validated sweep and its solving path, or every error the core named."""

    sweep: SweepSpec | None
    errors: list[tuple[str, str]] = field(default_factory=list)
    order: list[int] = field(default_factory=list)
    chains: list[list[int]] = field(default_factory=list)
    #: the points and their values to draw (the sweep, or it without its
    #: overrides when only overridden points are bad)
    shape: SweepSpec | None = None

    def bad_points(self) -> set[int]:
        return {int(target[1]) for target in map(error_target, (f for f, _ in self.errors))
                if target[0] == "point"}


def preview(data: dict[str, Any], base_dir: Path | None, workers: int) -> Preview:
    """Validate ``data`` and cut its points into chains as a run on ``workers``
    workers would (0: this process, one chain after another). A pool thread."""
    try:
        sweep = sweep_from_dict(data, base_dir)
    except SpecError as exc:
        errors = list(exc.problems)
        shape = None
        if "overrides" in data and all(f.startswith("points[") for f, _ in errors):
            # only some points' problems are bad (overrides): the path is still
            # drawn, without the overrides, and the bad points marked on it
            try:
                shape = sweep_from_dict({k: v for k, v in data.items() if k != "overrides"},
                                        base_dir)
            except SpecError:
                shape = None
        if shape is None:
            return Preview(None, errors)
        order = order_points(shape)
        chains = [c.points for c in cut_chains(shape, order, max(1, workers))]
        return Preview(None, errors, order, chains, shape)
    order = order_points(sweep)
    chains = [c.points for c in cut_chains(sweep, order, max(1, workers))]
    return Preview(sweep, [], order, chains, sweep)


#: Where an error's field path points, in the editor's forms: "vary.lam.num"
#: -> ("vary", "lam", "num"); "points[7].solver.method" -> ("point", "7", ...).
_POINT = re.compile(r"^points\[(\d+)\]")


def error_target(field_path: str) -> tuple[str, str, str]:
    """(form, name, part) an error names: ``("vary", "lam", "num")``,
    ``("chaining", "chain_length", "")``, ``("point", "7", "solver.method")``,
    ``("name"|"problem"|"other", "", "")``."""
    m = _POINT.match(field_path)
    if m:
        return ("point", m.group(1), field_path[m.end():].lstrip("."))
    head, _, rest = field_path.partition(".")
    if head in ("vary", "path", "csv"):
        name, _, part = rest.partition(".")
        return ("vary", name, part)
    if head in ("chaining", "check"):
        return (head, rest.split(".")[0], "")
    if head.startswith("problem"):
        return ("problem", "", "")
    if head == "name":
        return ("name", "", "")
    return ("other", "", "")
