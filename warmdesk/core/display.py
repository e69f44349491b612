"""Text for people: dates, durations, numbers and user-provided text, formatted so
that no stored value can crash a display or take over a terminal.

Used by the command line (``cli_output``) and the app's library table and run
details alike. Every function accepts any value (a library may hold rows
written before the run-file reader checked them) and never raises: a value
out of range is shown as ``INVALID`` and the row is flagged (:func:`row_flag`).
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from .run_values import bad_fields, is_time, is_wall

INVALID = "(invalid)"

# C0 and C1 controls (ESC starts ANSI and OSC sequences), DEL, the bidi
# embeddings, overrides and isolates, and the other invisible format characters
# that can disguise text on screen; the line and paragraph separators.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e"
                          r"\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]")
_UNPRINTABLE_KEEP_LINES = re.compile(_UNPRINTABLE.pattern.replace(r"\x00-\x1f",
                                                                  r"\x00-\x08\x0b-\x1f"))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: Any, multiline: bool = False, limit: int | None = None) -> str:
    """``text`` with every control, escape and invisible formatting character written
    as a visible ``\\xNN`` / ``\\uNNNN``, so a name cannot move the cursor, set a
    terminal's title (OSC) or reverse the text around it (bidi). ``multiline``
    keeps newlines and tabs (notes, messages). ``limit`` cuts long text with "…"."""
    text = "" if text is None else str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return (_UNPRINTABLE_KEEP_LINES if multiline else _UNPRINTABLE).sub(_escape, text)


def format_when(stamp: Any, seconds: bool = False, empty: str = "-") -> str:
    """A Unix time as local ``YYYY-MM-DD HH:MM[:SS]``; ``empty`` for None,
    :data:`INVALID` for a time outside 1970-2100 or not a number."""
    if stamp is None:
        return empty
    if not is_time(stamp if type(stamp) is not bool else None):
        return INVALID
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M",
                             time.localtime(float(stamp)))
    except (OverflowError, OSError, ValueError):   # a platform with a narrower time_t
        return INVALID


def format_duration(seconds: Any, empty: str = "") -> str:
    """A wall time for people: ``12 ms``, ``3.4 s``, ``5 min 02 s``, ``2 h 05 min``."""
    if seconds is None:
        return empty
    if not is_wall(seconds if type(seconds) is not bool else None):
        return INVALID
    s = float(seconds)
    if s < 1.0:
        return f"{s * 1000:.0f} ms" if s >= 0.001 else f"{s * 1000:.2f} ms"
    if s < 60.0:
        return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    minutes, sec = divmod(round(s), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {sec:02d} s"


def format_number(value: Any, digits: int = 6, empty: str = "-") -> str:
    """A number in ``g`` format with ``digits`` significant digits (never more than
    about 25 characters, whatever its size); nan/inf as such; not a number: INVALID."""
    if value is None:
        return empty
    if type(value) is bool or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError, OverflowError):
            return INVALID
    try:
        number = float(value)
    except OverflowError:          # an int too large for a float
        return INVALID
    return f"{number:.{digits}g}" if math.isfinite(number) else str(number)


def format_count(value: Any, empty: str = "-", grouped: bool = False) -> str:
    """A count of iterations or evaluations."""
    if value is None:
        return empty
    if type(value) is bool or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0 or value > 2**63:
        return INVALID
    return f"{int(value):,}" if grouped else str(int(value))


def row_flag(values: dict[str, Any]) -> str:
    """Empty for a sound run; else a short note naming the fields out of range,
    e.g. ``invalid created_at, wall_s``, for a display to flag the row with."""
    bad = bad_fields(values)
    return f"invalid {', '.join(bad)}" if bad else ""


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 run``, ``2 runs``, ``0 runs`` (``words``: an irregular plural)."""
    return f"{n} {word if n == 1 else words or word + 's'}"
