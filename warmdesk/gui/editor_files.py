"""File work of the problem editor, all run in the background: validating a
spec (it may read a CSV), reading a problem file, and writing one atomically."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from ..core.errors import SpecError
from ..core.problems import Problem, problem_from_dict
from ..core.problems import read_spec_file as read_spec_text


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
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``:
    a reader sees the old file or the new one, never half of one."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
