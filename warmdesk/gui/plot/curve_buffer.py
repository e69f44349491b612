"""Curve data for the live convergence plot: growable per-run history columns,
what a curve draws from them, and the plot's axis and label vocabulary.

A live run receives its history a batch of rows at a time (what a solver child
process sends). :class:`CurveBuffer` keeps those rows column by column in one
``(len(HISTORY_COLUMNS), capacity)`` float64 array that doubles when full, so an
append costs amortised O(rows) and a column is a contiguous view (no copy)
that pyqtgraph can draw directly. Alongside, it keeps running per-column
figures (smallest and largest finite value, whether any value is non-finite)
updated from each batch only, so the plot can choose a log transform and a
line-connection mode without rescanning 100,000 points per frame.

The values are stored as received (``inf`` stays ``inf``): the CSV export
writes them back exactly; drawing breaks the line at non-finite points.
"""

from __future__ import annotations

import numpy as np

from ...core.kinds.registry import curve_is_time
from ...core.runs import HISTORY_COLUMNS, Run

X_AXES = {"iter": "Iterations", "nfev": "Evaluations", "wall_s": "Wall time (s)"}
Y_AXES = {"fun": "Objective", "grad_norm": "Gradient norm (optimality)",
          "constr_viol": "Constraint violation", "t": "Time reached (ode)"}
#: Log y is on by default for the quantities that fall over decades.
LOG_Y_DEFAULT = {"fun": True, "grad_norm": True, "constr_viol": True, "t": False}
N_COLUMNS = len(HISTORY_COLUMNS)
_INDEX = {name: i for i, name in enumerate(HISTORY_COLUMNS)}


def default_label(run: Run) -> str:
    warm = " warm" if run.warm_source else ""
    return f"{run.name} {run.method}{warm} {run.id[:6]}"


def undrawn_reason(buffer: "CurveBuffer", kind: str, y: str, log_y: bool, shift: float = 0.0,
                   live: bool = False) -> str | None:
    """Why a run's curve draws nothing for the y quantity ``y``, in words for
    the user (what to do included); None when it draws something. O(1): from
    the buffer's running figures."""
    if len(buffer) == 0:
        return ("still running: waiting for its first iteration" if live
                else "no iterations recorded (it ended before its first one)")
    if not buffer.has_finite(y):
        if y == "fun" and curve_is_time(kind):
            return "ode runs record Time reached, not an objective: choose y: Time reached"
        if y == "t":
            return "only ode runs record Time reached: choose y: Objective"
        if y == "constr_viol":
            return "no constraints, so no constraint violation to show"
        if y == "grad_norm":
            return f"its method records no gradient norm: choose y: {Y_AXES['fun']}"
        return f"no {Y_AXES[y]} values recorded"
    if log_y and buffer.finite_max(y) - shift <= 0:
        values = "f − f* is 0 everywhere" if shift else "every value is ≤ 0"
        return f"{values}, which a log axis cannot show: untick log y"
    return None


def column_index(name: str) -> int:
    """Position of a history column; ValueError for an unknown name."""
    try:
        return _INDEX[name]
    except KeyError:
        raise ValueError(f"unknown history column {name!r}; expected one of "
                         f"{', '.join(HISTORY_COLUMNS)}") from None


class CurveBuffer:
    """The history rows of one run, stored column-major and growable."""

    __slots__ = ("_data", "_logs", "_max", "_min", "_nonfinite", "_size")

    def __init__(self, rows: np.ndarray | None = None, capacity: int = 1024) -> None:
        self._data = np.empty((N_COLUMNS, max(16, int(capacity))))
        self._size = 0
        self._min = np.full(N_COLUMNS, np.inf)
        self._max = np.full(N_COLUMNS, -np.inf)
        self._nonfinite = np.zeros(N_COLUMNS, dtype=bool)
        self._logs: dict[str, _LogColumn] = {}
        if rows is not None:
            self.append(rows)

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        return self._data.shape[1]

    def append(self, rows: np.ndarray) -> None:
        """Add rows of HISTORY_COLUMNS (shape ``(k, 9)`` or one row of 9)."""
        block = np.asarray(rows, dtype=float)
        if block.ndim == 1:
            block = block.reshape(1, -1)
        if block.ndim != 2 or block.shape[1] != N_COLUMNS:
            raise ValueError(f"history rows must have {N_COLUMNS} columns "
                             f"({', '.join(HISTORY_COLUMNS)}); got shape {block.shape}")
        count = block.shape[0]
        if count == 0:
            return
        end = self._size + count
        if end > self.capacity:
            self._grow(end)
        self._data[:, self._size:end] = block.T
        self._size = end
        self._update_stats(self._data[:, end - count:end])

    def _grow(self, needed: int) -> None:
        capacity = self.capacity
        while capacity < needed:
            capacity *= 2
        data = np.empty((N_COLUMNS, capacity))
        data[:, :self._size] = self._data[:, :self._size]
        # The old array stays alive as long as a plotted view still points into it.
        self._data = data

    def _update_stats(self, new: np.ndarray) -> None:
        finite = np.isfinite(new)
        self._nonfinite |= ~finite.all(axis=1)
        self._min = np.minimum(self._min, np.where(finite, new, np.inf).min(axis=1))
        self._max = np.maximum(self._max, np.where(finite, new, -np.inf).max(axis=1))

    def column(self, name: str) -> np.ndarray:
        """A read-only view of one column (valid even after later appends)."""
        view = self._data[column_index(name), :self._size]
        view.flags.writeable = False
        return view

    def rows(self) -> np.ndarray:
        """A copy of the history as rows, shape ``(len, 9)``."""
        return self._data[:, :self._size].T.copy()

    def drawable(self, name: str, log: bool = False, shift: float = 0.0
                 ) -> tuple[np.ndarray, bool]:
        """What a curve draws for a column, and whether it has gaps (points
        that are not drawn). On a log axis: ``log10(value - shift)``, with
        values <= 0 and non-finite ones as NaN, computed only for the rows
        added since the last call (the plot asks every frame)."""
        if not log:
            values = self.column(name)
            return (values - shift if shift else values), self.has_nonfinite(name)
        cached = self._logs.get(name)
        if cached is None or cached.shift != shift:
            cached = self._logs[name] = _LogColumn(shift, self.capacity)
        return cached.update(self.column(name)), cached.gaps

    def finite_min(self, name: str) -> float:
        """Smallest finite value of a column (``inf`` if it has none)."""
        return float(self._min[column_index(name)])

    def finite_max(self, name: str) -> float:
        """Largest finite value of a column (``-inf`` if it has none)."""
        return float(self._max[column_index(name)])

    def has_finite(self, name: str) -> bool:
        return bool(np.isfinite(self._min[column_index(name)]))

    def has_nonfinite(self, name: str) -> bool:
        """Whether any value of the column is NaN or +-inf."""
        return bool(self._nonfinite[column_index(name)])


class _LogColumn:
    """``log10(column - shift)`` of one column, extended incrementally."""

    __slots__ = ("gaps", "shift", "size", "values")

    def __init__(self, shift: float, capacity: int) -> None:
        self.shift = shift
        self.values = np.empty(capacity)
        self.size = 0
        self.gaps = False

    def update(self, column: np.ndarray) -> np.ndarray:
        count = column.shape[0]
        if count > self.values.shape[0]:
            grown = np.empty(max(count, 2 * self.values.shape[0]))
            grown[:self.size] = self.values[:self.size]
            self.values = grown  # views handed out earlier keep the old array
        if count > self.size:
            new = column[self.size:count] - self.shift if self.shift else column[self.size:count]
            with np.errstate(divide="ignore", invalid="ignore"):
                logged = np.log10(new)
            bad = ~np.isfinite(logged)
            if bad.any():
                logged[bad] = np.nan
                self.gaps = True
            self.values[self.size:count] = logged
            self.size = count
        view = self.values[:count]
        view.flags.writeable = False
        return view


class PeakDecimator:
    """The min/max envelope of a growing curve, extended with the new rows only.

    What is drawn while the whole curve is in view: rows are grouped in chunks
    of a power-of-two size (chosen so that there are at most ``target`` chunks,
    about one per pixel column) and each chunk draws its max and min at its
    first x, as pyqtgraph's "peak" downsampling does, so a one-row spike
    stays visible. Unlike a fresh downsampling of all rows each frame, a frame
    costs O(new rows + chunks). NaN inside a chunk is ignored (fmin/fmax);
    an all-NaN chunk is a gap. The caller makes a new decimator whenever the
    data it is fed changes other than by growing (other axes, a new f*).
    """

    __slots__ = ("cmax", "cmin", "count", "cx", "done", "size")

    def __init__(self) -> None:
        self.size = 1           # rows per chunk
        self.done = 0           # rows folded into complete chunks
        self.count = 0          # complete chunks
        self.cx = self.cmin = self.cmax = np.empty(0)

    def envelope(self, xs: np.ndarray, ys: np.ndarray, target: int
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Points to draw for ``xs``/``ys`` (which only grew since the last call)."""
        rows = xs.shape[0]
        if rows <= 2 * target:
            return xs, ys
        if self.count == 0 or rows / self.size <= target / 4:
            self.__init__()
            self.size = 1 << int(np.ceil(np.log2(rows / target)))
        while rows / self.size > target:
            self._coarsen()
        self._fold(xs, ys, (rows // self.size) * self.size)
        parts_x = [self.cx[:self.count]]
        parts_lo, parts_hi = [self.cmin[:self.count]], [self.cmax[:self.count]]
        if self.done < rows:  # the partial chunk at the live end
            tail = ys[self.done:]
            parts_x.append(xs[self.done:self.done + 1])
            parts_lo.append(np.fmin.reduce(tail, keepdims=True))
            parts_hi.append(np.fmax.reduce(tail, keepdims=True))
        cx, lo, hi = (np.concatenate(p) for p in (parts_x, parts_lo, parts_hi))
        out_y = np.empty(2 * cx.shape[0])
        out_y[0::2], out_y[1::2] = hi, lo
        return np.repeat(cx, 2), out_y

    def _fold(self, xs: np.ndarray, ys: np.ndarray, end: int) -> None:
        if end <= self.done:
            return
        new = (end - self.done) // self.size
        needed = self.count + new
        if needed > self.cx.shape[0]:
            capacity = max(needed, 2 * self.cx.shape[0], 64)
            for name in ("cx", "cmin", "cmax"):
                grown = np.empty(capacity)
                grown[:self.count] = getattr(self, name)[:self.count]
                setattr(self, name, grown)
        block = ys[self.done:end].reshape(new, self.size)
        self.cx[self.count:needed] = xs[self.done:end:self.size]
        self.cmin[self.count:needed] = np.fmin.reduce(block, axis=1)
        self.cmax[self.count:needed] = np.fmax.reduce(block, axis=1)
        self.count, self.done = needed, end

    def _coarsen(self) -> None:
        """Double the chunk size: merge chunks pairwise (an odd last one is refolded)."""
        pairs = self.count // 2
        self.cx[:pairs] = self.cx[0:2 * pairs:2]
        self.cmin[:pairs] = np.fmin(self.cmin[0:2 * pairs:2], self.cmin[1:2 * pairs:2])
        self.cmax[:pairs] = np.fmax(self.cmax[0:2 * pairs:2], self.cmax[1:2 * pairs:2])
        self.size *= 2
        self.count, self.done = pairs, pairs * self.size
