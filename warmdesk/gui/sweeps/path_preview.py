"""The sweep editor's preview of the path: the points in solving order, one
colour per chain, each chain a line from its first point to its last (a ring
on its first point, where the advisor seeds it). One parameter: its value
against the step in the order; two or more: the first against the second.
Points the spec's errors name are marked with a red cross."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...core.sweeps import SweepSpec
from ..plot.export import PlotView


def chain_colour(n: int) -> pg.QtGui.QColor:
    return pg.intColor(n, hues=9, values=1, maxValue=200)


class PathPreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweep_path_preview")
        self.view = PlotView()
        self.view.setMinimumHeight(180)
        self.caption = QLabel(objectName="sweep_preview_caption", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        #: What is drawn: per chain, the (x, y) of its points in solving order.
        self.drawn: list[list[tuple[float, float]]] = []

    def show_path(self, sweep: SweepSpec | None, chains: list[list[int]],
                  bad_points: set[int] | None = None, why: str = "") -> None:
        plot = self.view.plot_item
        plot.clear()
        self.drawn = []
        if sweep is None or not sweep.points:
            self.caption.setText(why or "No valid sweep to preview.")
            return
        names = sweep.parameters
        one = len(names) == 1
        step = {i: k for k, i in enumerate(i for chain in chains for i in chain)}

        def xy(i: int) -> tuple[float, float]:
            values = sweep.points[i].values
            return ((float(step[i]), values[names[0]]) if one
                    else (values[names[0]], values[names[1]]))

        plot.setLabel("bottom", "step in the solving order" if one else names[0])
        plot.setLabel("left", names[0] if one else names[1])
        for n, chain in enumerate(chains):
            pts = [xy(i) for i in chain]
            self.drawn.append(pts)
            colour = chain_colour(n)
            plot.plot([p[0] for p in pts], [p[1] for p in pts], pen=pg.mkPen(colour, width=1.5),
                      symbol="o", symbolSize=6, symbolBrush=colour, symbolPen=None)
            plot.plot([pts[0][0]], [pts[0][1]], pen=None, symbol="o", symbolSize=12,
                      symbolBrush=None, symbolPen=pg.mkPen(colour, width=2))
        bad = sorted(i for i in (bad_points or set()) if i in step)
        if bad:
            plot.plot([xy(i)[0] for i in bad], [xy(i)[1] for i in bad], pen=None, symbol="x",
                      symbolSize=14, symbolBrush="#d62728", symbolPen=pg.mkPen("#d62728"))
        more = f"; against {names[0]} and {names[1]} only" if len(names) > 2 else ""
        n = len(chains)
        self.caption.setText(
            f"{len(sweep.points)} points in {n} chain{'s' * (n != 1)} "
            f"({'as given' if sweep.ordered else 'nearest neighbour from the lowest corner'}); "
            f"a ring marks each chain's first point{more}." + (f" {why}" if why else ""))
