"""A sweep's result: the objective (or one value of the solution) of each
point against the first swept parameter, drawn as points finish.

With a second parameter of few values, one curve per value (``b = 80``);
with more, or more parameters, the points stand alone (no line pretends an
order). Failed points (the check's verdict) are red crosses at the value
their run ended with; a point with no value to draw is only counted. A
chained and a cold sweep of the same spec are drawn together (cold dashed,
hollow), so the two can be compared point by point. Clicking a point emits
``run_clicked`` with its run's id. The objective's axis is logarithmic when
every drawn value is positive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.sweeps import PointResult
from ..plot.export import PlotView

#: A solution of at most this many values offers each as what to draw.
MAX_PLOTTED_VARIABLES = 20

OBJECTIVE = "objective"
#: A second parameter with at most this many values gets a curve per value.
MAX_SERIES = 8
#: Points arriving within this long are drawn together (a redraw draws them all).
REDRAW_MS = 200
FAILED_BRUSH = pg.mkBrush("#d62728")
#: One colour per curve (no red: red marks the failed points).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f")


@dataclass
class Drawn:
    """One drawn point: where, and which run it is."""

    x: float
    y: float
    run_id: str
    ok: bool
    mode: str       # "chained" or "cold"


def point_value(point: PointResult, what: str) -> float | None:
    """The objective of a point's final run, or one value of its solution
    (``u[3]``, ``x``); None when the run has none."""
    run = point.run
    if what == OBJECTIVE:
        return float(run.fun) if run.fun is not None and math.isfinite(run.fun) else None
    name, _, index = what.partition("[") if what.endswith("]") else (what, "", "")
    values = run.solution.get(name)
    if values is None:
        return None
    flat = np.asarray(values, dtype=float).ravel()
    i = int(index.rstrip("]")) if index else 0
    return float(flat[i]) if i < flat.size and math.isfinite(flat[i]) else None


class SweepResultPlot(QWidget):
    run_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweep_result_plot")
        self.view = PlotView()
        self.what = QComboBox(objectName="sweep_plot_what")
        self.what.addItem(OBJECTIVE)
        self.what.setToolTip("What is drawn against the swept parameter")
        self.what.currentTextChanged.connect(lambda _text: self.redraw())
        self.caption = QLabel(objectName="sweep_plot_caption", wordWrap=True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Plot"))
        top.addWidget(self.what)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        self._parameters: list[str] = []
        self._points: dict[str, dict[int, PointResult]] = {"chained": {}, "cold": {}}
        self._total = 0
        self.drawn: list[Drawn] = []
        self._scatters: list[pg.ScatterPlotItem] = []
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._timer.timeout.connect(self.redraw)

    # ------------------------------------------------------------------ data
    def begin(self, parameters: list[str], total: int,
              keep: dict[str, dict[int, PointResult]] | None = None) -> None:
        """A new sweep: its parameters and number of points; ``keep``: points
        already known for this spec (the other mode's finished sweep)."""
        self._parameters, self._total = list(parameters), total
        self._points = {"chained": {}, "cold": {}}
        for mode, points in (keep or {}).items():
            self._points[mode] = dict(points)
        self.what.blockSignals(True)
        self.what.clear()
        self.what.addItem(OBJECTIVE)
        for points in self._points.values():
            for point in list(points.values())[:1]:
                self._offer_values(point)
        self.what.blockSignals(False)
        self.redraw()

    def add_point(self, point: PointResult, cold: bool) -> None:
        """A finished point: drawn with the others that arrive within REDRAW_MS."""
        self._points["cold" if cold else "chained"][point.index] = point
        if self.what.count() == 1:
            self._offer_values(point)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Draw the points received and not drawn yet, now."""
        if self._timer.isActive():
            self._timer.stop()
            self.redraw()

    def _offer_values(self, point: PointResult) -> None:
        """The solution's values as choices of what to draw, from the first run that
        has them (an ode's final state too), when there are at most
        MAX_PLOTTED_VARIABLES of them."""
        names: list[str] = []
        for name, values in point.run.solution.items():
            size = np.asarray(values).size
            names += [name] if size == 1 else [f"{name}[{i}]" for i in range(size)]
            if len(names) > MAX_PLOTTED_VARIABLES:
                return
        self.what.blockSignals(True)
        self.what.addItems(names)
        self.what.blockSignals(False)

    def points(self, mode: str) -> dict[int, PointResult]:
        return dict(self._points[mode])

    # ------------------------------------------------------------------ drawing
    def redraw(self) -> None:
        self._timer.stop()
        plot = self.view.plot_item
        for item in self._scatters:
            plot.removeItem(item)
        plot.clear()
        self.view.legend.clear()
        self._scatters, self.drawn = [], []
        what = self.what.currentText() or OBJECTIVE
        drawn = [(mode, p, point_value(p, what)) for mode in ("chained", "cold")
                 for p in self._points[mode].values()]
        values = [v for _, _, v in drawn if v is not None]
        log = what == OBJECTIVE and bool(values) and all(v > 0 for v in values)
        plot.getAxis("left").setLogMode(log)
        x_name = self._parameters[0] if self._parameters else ""
        plot.setLabel("bottom", x_name)
        plot.setLabel("left", what + (" (log)" if log else ""))
        groups = self._series()
        both = all(self._points[m] for m in ("chained", "cold"))
        for mode in ("chained", "cold"):
            for n, (label, member) in enumerate(groups):
                pts = sorted((p.values[x_name], v, p) for p in self._points[mode].values()
                             if member(p) and (v := point_value(p, what)) is not None)
                if pts:
                    self._draw(pts, n, mode, label, log, line=len(groups) <= MAX_SERIES,
                               name_mode=both)
        missing = sum(1 for _, _, v in drawn if v is None)
        if any(not p.ok for _, p, v in drawn if v is not None):
            red = FAILED_BRUSH.color()
            self.view.legend.addItem(_sample(None, "x", red, red), "failed the check")
        self.view.fit_legend()
        self._caption(missing)

    def _series(self) -> list[tuple[str, Callable[[PointResult], bool]]]:
        """(label, membership) per curve: one per value of the second parameter
        when it has few, else one for every point."""
        if len(self._parameters) == 2:
            second = self._parameters[1]
            seen = sorted({p.values[second] for pts in self._points.values()
                           for p in pts.values()})
            if 1 < len(seen) <= MAX_SERIES:
                return [(f"{second} = {v:g}", lambda p, v=v: p.values[second] == v)
                        for v in seen]
        return [("", lambda p: True)]

    def _draw(self, pts: list, n: int, mode: str, label: str, log: bool, line: bool,
              name_mode: bool) -> None:
        plot = self.view.plot_item
        colour = pg.mkColor(PALETTE[n % len(PALETTE)])
        cold = mode == "cold"
        xs = np.array([x for x, _, _ in pts])
        ys = np.array([math.log10(y) if log else y for _, y, _ in pts])
        name = " ".join(s for s in (label, mode if name_mode else "") if s) or None
        # a line only where it means something: one point per value of x (a path
        # that comes back over its values is drawn as points)
        if line and len(self._parameters) <= 2 and len(set(xs.tolist())) == len(xs):
            pen = pg.mkPen(colour, width=1.5,
                           style=pg.QtCore.Qt.PenStyle.DashLine if cold else
                           pg.QtCore.Qt.PenStyle.SolidLine)
            plot.plot(xs, ys, pen=pen)
        else:
            pen = None
        if name:   # a legend-only sample: the line and the marker as drawn
            self.view.legend.addItem(_sample(pen, "o", colour, None if cold else colour), name)
        ok = np.array([p.ok for _, _, p in pts], dtype=bool)
        ids = np.array([p.run.id for _, _, p in pts], dtype=object)
        self.drawn += [Drawn(float(x), float(y), p.run.id, p.ok, mode)
                       for (x, _y, p), y in zip(pts, ys)]
        # one uniformly styled scatter per kind of marker: far cheaper than a
        # style per spot (a redraw of 400 points took 80 ms that way)
        for good in (True, False):
            keep = ok == good
            if not keep.any():
                continue
            red = FAILED_BRUSH.color()
            scatter = pg.ScatterPlotItem(
                x=xs[keep], y=ys[keep], data=ids[keep], size=9 if good else 12,
                symbol="o" if good else "x", pen=pg.mkPen(colour if good else red, width=1.5),
                brush=(pg.mkBrush(None) if cold else pg.mkBrush(colour)) if good
                else FAILED_BRUSH, hoverable=True, tip=self._tip)
            scatter.sigClicked.connect(self._clicked)
            plot.addItem(scatter)
            self._scatters.append(scatter)

    def _tip(self, x: float, y: float, data: object) -> str:
        return f"{self._parameters[0] if self._parameters else 'x'} = {x:g}\nrun {str(data)[:8]} " \
               "(click: show it)"

    def _clicked(self, _item: object, spots: list, event: object = None) -> None:
        """A click on a marker: the point whose centre is nearest to the pointer,
        of every drawn point (markers of close points overlap, and the topmost
        scatter gets the click even over another series' point)."""
        if not len(spots):
            return
        scene_pos = getattr(event, "scenePos", None)
        if scene_pos is None or not self.drawn:
            self.run_clicked.emit(str(spots[0].data()))
            return
        vb, at = self.view.plot_item.vb, scene_pos()
        nearest = min(self.drawn, key=lambda d: (
            vb.mapViewToScene(pg.Point(d.x, d.y)) - at).manhattanLength())
        self.run_clicked.emit(nearest.run_id)

    def _caption(self, missing: int) -> None:
        parts = []
        for mode in ("chained", "cold"):
            pts = self._points[mode]
            if pts:
                failed = sum(1 for p in pts.values() if not p.ok)
                evals = sum(p.evaluations for p in pts.values())
                parts.append(f"{mode}: {len(pts)} of {self._total} points, "
                             f"{failed} failed{' (red ×)' if failed else ''}, "
                             f"{evals} evaluations")
        if missing:
            parts.append(f"{missing} point{'s' * (missing != 1)} without a value to draw")
        if len(self._parameters) > 2:
            parts.append(f"against {self._parameters[0]} only; the other parameters vary too")
        self.caption.setText("; ".join(parts) + ("" if not parts else
                                                 ". Click a point to show its run."))

    def view_position(self, drawn: Drawn) -> tuple[float, float]:
        """A drawn point's position in the plot's widget (for a click)."""
        vb = self.view.plot_item.vb
        scene = vb.mapViewToScene(pg.Point(drawn.x, drawn.y))
        widget = self.view.mapFromScene(scene)
        return widget.x(), widget.y()


def _sample(pen: object, symbol: str, edge: object, fill: object) -> pg.PlotDataItem:
    """A legend entry's sample: no data, the line and the marker as drawn."""
    item = pg.PlotDataItem()
    item.setPen(pen)
    item.setSymbol(symbol)
    item.setSymbolSize(9)
    item.setSymbolPen(pg.mkPen(edge, width=1.5))
    item.setSymbolBrush(pg.mkBrush(fill) if fill is not None else None)
    # the legend draws the marker from the (empty) scatter's own options
    item.scatter.setPen(pg.mkPen(edge, width=1.5))
    item.scatter.setBrush(pg.mkBrush(fill) if fill is not None else pg.mkBrush(None))
    item.scatter.setSize(9)
    return item
