"""The sane range of each number a run carries: its times, its wall time, its counts.

One home for these limits: the run-file reader refuses a run outside them
(``runfile``), and every display flags a stored run outside them instead of
crashing on it (``display``), since rows written before the reader checked
them may still be in a library.
"""

from __future__ import annotations

import math
from typing import Any

#: Unix times a run can carry: from 1970 to the start of 2100 (UTC). Wider
#: values overflow date formatting ("year -31686769 is out of range").
TIME_MIN = 0.0
TIME_MAX = 4_102_444_800.0
#: The longest wall time a run can report: 100 years, in seconds.
WALL_MAX = 3_155_760_000.0
#: The largest count (iterations, evaluations) kept exact by a float.
COUNT_MAX = 2**53

TIME_WANTED = "a Unix time between 1970 and 2100"
WALL_WANTED = f"a number of seconds from 0 to {WALL_MAX:.0f} (100 years)"
COUNT_WANTED = f"a whole number from 0 to {COUNT_MAX}"


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return (type(value) is float or type(value) is int) and math.isfinite(value)


def is_time(value: Any) -> bool:
    return is_number(value) and TIME_MIN <= value <= TIME_MAX


def is_wall(value: Any) -> bool:
    return is_number(value) and 0 <= value <= WALL_MAX


def is_count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= COUNT_MAX


#: field: (check, what it must be, whether None is allowed)
CHECKS = {
    "created_at": (is_time, TIME_WANTED, False),
    "started_at": (is_time, TIME_WANTED, True),
    "finished_at": (is_time, TIME_WANTED, True),
    "wall_s": (is_wall, WALL_WANTED, False),
    "fun": (is_number, "a finite number", True),
    "nit": (is_count, COUNT_WANTED, False),
    "nfev": (is_count, COUNT_WANTED, False),
    "njev": (is_count, COUNT_WANTED, False),
}


def bad_fields(values: dict[str, Any]) -> list[str]:
    """The fields of ``values`` (a run's metadata or a library row) outside their
    range, in a fixed order. Fields absent from ``values`` are not judged."""
    out = []
    for key, (check, _, nullable) in CHECKS.items():
        if key not in values:
            continue
        value = values[key]
        if isinstance(value, float) and value.is_integer() and key in ("nit", "nfev", "njev"):
            value = int(value)
        if not (value is None and nullable) and not check(value):
            out.append(key)
    return out
