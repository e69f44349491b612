"""Text <-> JSON values for the problem editor, with no widgets in it.

The editor shows spec values as text (``1.5``, ``[1, 2]``) and turns the text
back into JSON values. Text that is not a number (or list of numbers) is kept
as the raw string, so the core's validation names the field and the user's
text is never lost. :class:`FieldMemo` remembers what each widget showed when
a spec was loaded: a field the user did not touch keeps its original value
exactly (``0`` stays ``0``, a scalar shorthand stays a number), which makes
load -> spec() a round trip.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

_INT_RE = re.compile(r"^[+-]?[0-9]{1,300}$")
_MISSING = object()


def format_value(value: Any) -> str:
    """How a spec value is shown in a cell or field: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return str(value)


def parse_number(text: str) -> int | float | None:
    """A finite number written as ``3``, ``-2.5``, ``.5``, ``1e-3``; None otherwise."""
    t = text.strip()
    if _INT_RE.match(t):
        return int(t)
    if not t or "_" in t:
        return None
    try:
        value = float(t)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_numbers(text: str) -> Any:
    """A number, or a list written ``[1, 2]`` or ``1, 2``. Anything else comes back as
    the stripped text (the core then reports it as "must be a number (got ...)")."""
    t = text.strip()
    inner = None
    if t.startswith("[") and t.endswith("]"):
        inner = t[1:-1]
    elif "," in t:
        inner = t
    if inner is None:
        number = parse_number(t)
        return t if number is None else number
    if not inner.strip():
        return []
    items = [parse_number(part) for part in inner.split(",")]
    if any(item is None for item in items):
        return t
    return items


def is_numbers(value: Any) -> bool:
    """Whether parsed cell text is usable (a number or a list of numbers)."""
    return not isinstance(value, str)


def parse_scalar_or_text(text: str) -> Any:
    """A number if the text is one, else the text (for ``sigma``: a column or a number)."""
    number = parse_number(text)
    return text.strip() if number is None else number


def parse_flag(text: str) -> Any:
    """``true``/``false`` (any case) as a bool, a number as a number, else the text."""
    t = text.strip().lower()
    if t in ("true", "false"):
        return t == "true"
    return parse_scalar_or_text(text)


def split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


class FieldMemo:
    """What each field showed when the spec was loaded, to tell untouched fields apart."""

    def __init__(self) -> None:
        self._shown: dict[str, Any] = {}

    def reset(self, shown: dict[str, Any]) -> None:
        """Forget what was remembered and remember ``shown`` (field key -> what it shows)."""
        self._shown = dict(shown)

    def changed(self, key: str, state: Any) -> bool:
        return self._shown.get(key, _MISSING) != state


def put_text(spec: dict[str, Any], key: str, text: str, convert: Any = None) -> None:
    """Write an edited field: an empty field removes the key (the default applies)."""
    if not text.strip():
        spec.pop(key, None)
    else:
        spec[key] = convert(text) if convert is not None else text


def rebase_data_file(file: str, old_dir: Path | None, new_dir: Path) -> str:
    """The ``data.file`` text to use once the spec lives in ``new_dir``.

    Absolute paths stay. A relative path is rewritten relative to the new folder
    when the data lies inside it, else made absolute (no ``..`` chains)."""
    path = Path(file)
    if path.is_absolute() or old_dir is None:
        return file
    full = Path(os.path.normpath(old_dir / path))
    if old_dir.resolve() == new_dir.resolve():
        return file
    try:
        relative = os.path.relpath(full, new_dir)
    except ValueError:  # another drive (Windows)
        return str(full)
    if relative.startswith(".."):
        return str(full)
    return Path(relative).as_posix()


def resolve_data_file(file: str, base_dir: Path | None) -> Path | None:
    """The file a ``data.file`` text points at (None when a relative path has no folder)."""
    text = file.strip()
    if not text:
        return None
    path = Path(text)
    if path.is_absolute():
        return path
    return None if base_dir is None else base_dir / path


def error_lines(problems: list[tuple[str, str]]) -> str:
    """The validity message: one ``field: message`` per line, like the core prints them."""
    return "\n".join(f"{field}: {message}" for field, message in problems)
