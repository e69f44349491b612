"""The plot's axes: on a log scale, always a few labelled ticks that say their value.

pyqtgraph's log axis labels decades and, over a short range, the 2..9
multiples of a decade, with one significant digit. A range inside one decade
(an objective settling between 1.0001 and 1.0005, or between 0.12 and 0.18)
holds none of those ticks, and the axis shows no label at all; a label for a
tick at 1.5 would read "2". :class:`PlotAxis` instead picks, for a span of up
to :data:`FINE_SPAN` decades, the first of these tick sets that gives at least
:data:`MIN_LABELS` ticks and fits the axis' length: decades; 1, 2, 5 times a
decade; 1, 2, 3, 5; 1..9; else evenly spaced "nice" values (1, 2 or 5 times a
power of ten apart). The 2..9 sub-decade lines stay as unlabelled grid lines
up to 3 decades (over more they are a grey wash). Labels carry as many digits
as it takes to tell neighbours apart, powers of ten written 10⁻⁵.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

#: Over more decades than this pyqtgraph's own decade ticks are used.
FINE_SPAN = 3.0
MIN_LABELS = 3
#: Pixels a label needs along the axis (vertical: a text line; horizontal: a number).
LABEL_PITCH = {"left": 28, "right": 28, "top": 70, "bottom": 70}
#: The "spacing" of the unlabelled sub-decade grid level (pyqtgraph passes it to tickStrings).
_GRID_ONLY = -1.0
_MANTISSA_SETS = ((1,), (1, 2, 5), (1, 2, 3, 5), tuple(range(1, 10)))
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def log_ticks(low: float, high: float, max_count: int) -> list[float]:
    """Tick values (data units, not log10) between ``10**low`` and ``10**high``:
    at least :data:`MIN_LABELS` of them when ``max_count`` allows."""
    max_count = max(2, max_count)
    first, last = math.floor(low), math.ceil(high)
    for mantissas in _MANTISSA_SETS:
        values = [m * 10.0 ** e for e in range(first, last + 1) for m in mantissas
                  if low <= math.log10(m) + e <= high]
        if len(values) > max_count:
            break   # finer sets only add more
        if len(values) >= min(MIN_LABELS, max_count):
            return values
    return nice_ticks(10.0 ** low, 10.0 ** high, max_count)


def nice_ticks(low: float, high: float, max_count: int) -> list[float]:
    """Evenly spaced values 1, 2 or 5 times a power of ten apart, inside
    ``[low, high]``: as many as fit, up to ``max_count`` (at least 2 when the
    range is not empty)."""
    if not (high > low > 0):
        return [low] if low > 0 else []
    want = max(2, min(max_count, 5))
    raw = (high - low) / want
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * power
        start = math.ceil(low / step - 1e-9)
        stop = math.floor(high / step + 1e-9)
        if stop - start + 1 <= max(2, max_count):
            break
    values = [k * step for k in range(start, stop + 1)]
    if len(values) < 2:   # a step too coarse for a very narrow range: halve it
        step /= 2
        values = [k * step for k in range(math.ceil(low / step - 1e-9),
                                          math.floor(high / step + 1e-9) + 1)]
    return values


def format_values(values: list[float]) -> list[str]:
    """Each value with as many significant digits as it takes to differ from its
    neighbours (``1.0002``, ``0.14``); powers of ten and their multiples far from 1
    as ``10⁻⁵``, ``2·10⁻⁵``."""
    numbers = np.asarray(values, dtype=float)
    order = np.argsort(numbers)
    gaps = np.full(numbers.shape, np.inf)
    if numbers.size > 1:
        diffs = np.diff(numbers[order])
        left = np.concatenate(([np.inf], diffs))
        right = np.concatenate((diffs, [np.inf]))
        gaps[order] = np.minimum(left, right)
    return [_format(float(v), float(g)) for v, g in zip(numbers, gaps)]


def _format(value: float, gap: float) -> str:
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    digits = 1 if not math.isfinite(gap) or gap <= 0 else \
        magnitude - math.floor(math.log10(gap)) + 1
    # one digit more when rounding to `digits` would move the label off its value
    digits = min(15, max(1, digits))
    while digits < 15 and abs(float(f"{value:.{digits}g}") - value) > 1e-9 * abs(value):
        digits += 1
    text = f"{value:.{digits}g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return power if mantissa == "1" else f"{mantissa}·{power}"


class PlotAxis(pg.AxisItem):
    """An axis whose log scale always shows a few labelled ticks (see the top)."""

    def logTickValues(self, minVal: float, maxVal: float, size: float,
                      stdTicks: list) -> list:
        span = maxVal - minVal
        if not (math.isfinite(span) and span > 0):
            return super().logTickValues(minVal, maxVal, size, stdTicks)
        if span > FINE_SPAN:
            ticks = super().logTickValues(minVal, maxVal, size, stdTicks)
            return [t for t in ticks if t[0] is not None]   # decades only
        max_count = max(2, int(size / LABEL_PITCH.get(self.orientation, 40)))
        labelled = [math.log10(v) for v in log_ticks(minVal, maxVal, max_count)]
        grid = [e + math.log10(m) for e in range(math.floor(minVal), math.ceil(maxVal) + 1)
                for m in range(1, 10) if minVal < e + math.log10(m) < maxVal]
        grid = [g for g in grid if all(abs(g - t) > 1e-9 for t in labelled)]
        return [(None, labelled), (_GRID_ONLY, grid)]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list:
        if spacing == _GRID_ONLY:
            return [None] * len(values)   # grid lines only: pyqtgraph skips None labels
        if not values:
            return []
        return format_values([10.0 ** float(v) * scale for v in values])

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.logMode:
            return self.logTickStrings(values, scale, spacing)
        return super().tickStrings(values, scale, spacing)
