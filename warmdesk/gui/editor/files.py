"""File work of the problem editor, all run in the background: validating a
spec (it may read a CSV), reading a problem file, and writing one atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...core.atomic_file import write_atomically
from ...core.errors import SpecError
from ...core.problems import Problem, problem_from_dict
from ...core.problems import read_spec_file as read_spec_text


def check_spec(spec: dict[str, Any], base_dir: Path | None) -> tuple[Problem | None, list]:
    """The problem, or the core's ``(field, message)`` list when the spec is invalid."""
    try:
        return problem_from_dict(spec, base_dir=base_dir), []
    except SpecError as exc:
        return None, list(exc.problems)


def read_spec_file(path: Path) -> dict[str, Any]:
    """A problem file's JSON object. A :class:`SpecError` names why there is none."""
    try:
        data = read_spec_text(path)
    except SpecError as exc:   # the editor names the file itself: the problems alone
        raise SpecError(exc.problems) from exc
    if not isinstance(data, dict):
        raise SpecError([("(top level)", "a problem spec must be a JSON object")])
    return data


def spec_json(spec: dict[str, Any]) -> str:
    """The text of a problem file (ValueError for NaN or infinite numbers)."""
    return json.dumps(spec, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8): a reader sees the old file or the
    new one, never half of one (``core.atomic_file``)."""
    data = text.encode("utf-8")
    write_atomically(path, lambda fh: fh.write(data))
