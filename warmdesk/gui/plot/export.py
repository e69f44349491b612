"""The convergence plot's picture and its exports.

:class:`PlotView` is the pyqtgraph widget the plot draws in, styled to render
fast and clean: nothing is drawn with transparency (Qt's raster engine blends
each pixel slowly; 100 alpha grid lines cost ~15 ms a frame), so the grid is
opaque light grey drawn under the curves, and the legend sits in its own
column right of the axes (it never hides a curve) and is cached as a pixmap.

Exports: the picture (PNG, SVG) and the data (CSV).

The picture is rendered from the plot's scene on the GUI thread (a QImage or
SVG text; tens of milliseconds); writing it to disk, and formatting and writing
the CSV (up to millions of rows), run in the background pool
(:func:`warmdesk.gui.background.run_in_background`).

CSV layout ("long" format, one line per history row of every plotted run)::

    run_id,label,iter,nfev,njev,wall_s,fun,grad_norm,constr_viol,step,t

Numbers are written with ``repr`` so they read back exactly; NaN and infinity
are written ``nan``, ``inf`` and ``-inf`` (what ``float()`` parses).
"""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPaintEvent
from PySide6.QtWidgets import QFileDialog, QGraphicsItem, QMenu, QToolButton, QWidget

from ...core.runs import HISTORY_COLUMNS
from ...core.solvers.network import EPOCH_COLUMNS
from ..background import run_in_background
from .log_axis import PlotAxis

GRID_COLOR, TEXT_COLOR = "#e6e6e6", "#222222"
CSV_HEADER = ("run_id", "label", *HISTORY_COLUMNS)
#: The training curves' CSV: each network run's epoch table.
EPOCHS_CSV_HEADER = ("run_id", "label", *EPOCH_COLUMNS)
#: Export formats offered by the Export menu: key -> (menu text, suffix, file filter).
FORMATS = {"png": ("Image (PNG)…", ".png", "PNG image (*.png)"),
           "svg": ("Vector image (SVG)…", ".svg", "SVG image (*.svg)"),
           "csv": ("Data (CSV)…", ".csv", "CSV table (*.csv)")}


class PlotView(pg.PlotWidget):
    """The plot's widget: styled axes, grid and legend, the comparison's end
    markers, and a signal after each painted frame."""

    painted = Signal()

    def __init__(self) -> None:
        super().__init__(background="w", axisItems={"left": PlotAxis("left"),
                                                    "bottom": PlotAxis("bottom")})
        plot = self.plot_item = self.getPlotItem()
        # Applied by the PlotItem to every curve it holds (and shown in its menu).
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        # Log axes are the caller's (curves get log10 values): the menu would log twice.
        for check in (plot.ctrl.logXCheck, plot.ctrl.logYCheck):
            check.setEnabled(False)
        # pyqtgraph's two context menus are top-level QMenus owned only by their
        # Python wrappers, which sit in reference cycles: a garbage collection, run
        # by whatever thread triggers it, would destroy them off the GUI thread (a
        # worker in ~QMenu while the GUI thread held a Qt lock hung a test run).
        # Children of the view, Qt deletes them with it, on the GUI thread.
        for menu in (plot.ctrlMenu, plot.vb.menu):
            menu.setParent(self, menu.windowFlags())
        plot.showGrid(x=True, y=True)
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setZValue(-200)  # under the view box: grid lines pass under the curves
            axis.setStyle(tickAlpha=255, maxTickLevel=1)  # opaque; no finest lines
            axis.setPen(pg.mkPen("#444"))
            axis.setTickPen(pg.mkPen(GRID_COLOR))
            axis.setTextPen(pg.mkPen(TEXT_COLOR))
            axis.enableAutoSIPrefix(False)  # "(x0.001)" next to a log axis misleads
        self._legend_column = pg.GraphicsWidget()
        plot.layout.addItem(self._legend_column, 2, 3)
        # The title spans the curves' and the legend's columns; a long title must
        # not widen the curves' column and push the legend out of the picture.
        plot.layout.removeItem(plot.titleLabel)
        plot.layout.addItem(plot.titleLabel, 0, 1, 1, 3)
        # offset=None: not anchored to the column. An anchor listens to the column's
        # geometryChanged, which fires while the window is being destroyed and then
        # touches the already-deleted column (RuntimeError in Qt's event loop).
        self.legend = pg.LegendItem(offset=None, labelTextColor=TEXT_COLOR,
                                    labelTextSize="8pt")  # (negative spacing: it balloons)
        self.legend.setParentItem(self._legend_column)
        self.legend.setPos(1, 1)
        self.legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.end_line = pg.InfiniteLine(angle=90, movable=False,
                                        pen=pg.mkPen("#555", width=1, style=Qt.PenStyle.DashLine))
        self.end_marks = pg.ScatterPlotItem(size=10, pen=pg.mkPen(TEXT_COLOR))
        for item in (self.end_line, self.end_marks):
            item.setVisible(False)
            item.setZValue(50)
            plot.addItem(item, ignoreBounds=True)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted.emit()

    def fit_legend(self) -> None:
        """Make the legend's column as wide as the legend (none when empty)."""
        width = self.legend.width() + 4 if self.legend.items else 0
        if width != self._legend_column.maximumWidth():
            self._legend_column.setMinimumWidth(width)
            self._legend_column.setMaximumWidth(width)

    def set_title(self, html_text: str | None) -> None:
        """The title above the axes (None: none), as tall as its lines (pyqtgraph
        fixes the title row at 30 px: one line)."""
        plot = self.plot_item
        plot.setTitle(html_text, color=TEXT_COLOR, size="9pt")
        if html_text is not None:
            height = int(plot.titleLabel.itemRect().height()) + 2
            plot.titleLabel.setMaximumHeight(height)
            plot.titleLabel.setMinimumWidth(0)   # (see __init__)
            plot.layout.setRowFixedHeight(0, height)
        plot.layout.activate()   # now: an export right after must see the new row

    def set_end_marks(self, spots: list[dict], line_x: float | None) -> None:
        """Markers (ScatterPlotItem spots) and a dashed vertical line at ``line_x``."""
        self.end_marks.setData(spots)
        self.end_marks.setVisible(bool(spots))
        if line_x is not None:
            self.end_line.setValue(line_x)
        self.end_line.setVisible(line_x is not None)


@dataclass(frozen=True)
class CurveData:
    """A snapshot of one plotted run for the CSV (rows are a private copy)."""

    run_id: str
    label: str
    rows: np.ndarray


def image_suffix(path: Path) -> str:
    """``'.png'`` or ``'.svg'``; ValueError for any other suffix."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError(f"export the plot as .png or .svg, not {suffix or 'no suffix'!r}")
    return suffix


def render_image(plot_item: pg.PlotItem, suffix: str) -> QImage | bytes:
    """Render the plot (GUI thread): a QImage for PNG, SVG document bytes for SVG."""
    if suffix == ".svg":
        _fix_svg_closed_paths()
        return bytes(SVGExporter(plot_item).export(toBytes=True))
    exporter = ImageExporter(plot_item)
    exporter.parameters()["antialias"] = True
    image = exporter.export(toBytes=True)
    if not isinstance(image, QImage) or image.isNull():
        raise RuntimeError("the plot could not be rendered to an image")
    return image


def _fix_svg_closed_paths() -> None:
    """pyqtgraph 0.14's SVG exporter reads every token of a path as "x,y"; Qt
    6.11 writes a closed path's "Z" (the ViewBox frame), so every export fails
    (pyqtgraph issue #3485). Before the exporter rewrites a path, its "Z" is
    replaced by the line back to the subpath's start, which draws the same.
    Installed once, for every SVG export of the app (the plot menu's too)."""
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates
    if getattr(original, "closes_paths", False):
        return

    def correct_coordinates(node: Any, defs: Any, item: Any, options: Any) -> Any:
        for path in node.getElementsByTagName("path"):
            d = path.getAttribute("d")
            if "Z" in d or "z" in d:
                path.setAttribute("d", _close_explicitly(d))
        return original(node, defs, item, options)

    correct_coordinates.closes_paths = True  # type: ignore[attr-defined]
    module.correctCoordinates = correct_coordinates


def _close_explicitly(d: str) -> str:
    tokens, start = [], ""
    for token in d.replace("Z", " Z ").replace("z", " Z ").split():
        if token.startswith("M"):
            start = token[1:]
        tokens.append(f"L{start}" if token == "Z" else token)
    return " ".join(t for t in tokens if t != "L")


def write_image(rendered: QImage | bytes, path: Path) -> str:
    """Write what :func:`render_image` returned (any thread); returns the path."""
    if isinstance(rendered, QImage):
        if not rendered.save(str(path), "PNG"):
            raise OSError(f"could not write the image {path}")
    else:
        path.write_bytes(rendered)
    return str(path)


def write_csv(path: Path, curves: list[CurveData],
              header: tuple[str, ...] = CSV_HEADER) -> str:
    """Write the long-format CSV (any thread): ``header``, then per curve its
    rows, each prefixed with the run id and label; returns the path."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(header) + "\n")
        for curve in curves:
            prefix = _csv_prefix(curve.run_id, curve.label)
            lines = [prefix + ",".join(map(repr, row)) for row in curve.rows.tolist()]
            if lines:
                handle.write("\n".join(lines) + "\n")
    return str(path)


def _csv_prefix(run_id: str, label: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([run_id, label, ""])
    return buffer.getvalue()  # "run_id,label," (quoted as needed), then the numbers


def read_csv(path: Path, expected: tuple[str, ...] | None = None
             ) -> list[tuple[str, str, list[float]]]:
    """Read a CSV written by :func:`write_csv` (for tests and re-import); its
    header must be ``expected`` (default: the convergence plot's, or the training
    curves' epoch table's)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        allowed = [expected] if expected else [CSV_HEADER, EPOCHS_CSV_HEADER]
        if tuple(header) not in allowed:
            raise ValueError(f"unexpected CSV header {header}")
        return [(r[0], r[1], [float(v) for v in r[2:]]) for r in reader]


def with_suffix(path: str, suffix: str) -> Path:
    """The chosen file name, with ``suffix`` added if the user typed none."""
    chosen = Path(path)
    return chosen if chosen.suffix.lower() == suffix else chosen.with_name(chosen.name + suffix)


def export_button(parent: QWidget, on_path: Callable[[str, Path], None],
                  what: str = "convergence plot") -> QToolButton:
    """An "Export" button whose menu asks for a file (non-blocking dialog) and
    calls ``on_path(format_key, path)`` with the chosen path."""
    button = QToolButton(parent)
    button.setText("Export")
    button.setToolTip("Save the plot as an image or its data as CSV")
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    for key, (text, _suffix, _filter) in FORMATS.items():
        action = menu.addAction(text)
        action.setObjectName(f"export_{key}")
        action.triggered.connect(lambda _checked=False, k=key: ask_path(parent, [k], on_path,
                                                                       what))
    button.setMenu(menu)
    return button


def ask_path(parent: QWidget, keys: list[str], on_path: Callable[[str, Path], None],
             what: str = "convergence plot") -> QFileDialog:
    """A non-blocking save dialog offering the formats ``keys``; the chosen
    file's suffix (else the chosen filter) picks the format. ``what`` names
    the plot in the title and the proposed file name."""
    filters = [FORMATS[k][2] for k in keys]
    stem = what.split()[0] if what == "convergence plot" else what.replace(" ", "_")
    dialog = QFileDialog(parent, f"Export {what}", f"{stem}{FORMATS[keys[0]][1]}",
                         ";;".join(filters))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)

    def chosen(name: str) -> None:
        by_suffix = [k for k in keys if Path(name).suffix.lower() == FORMATS[k][1]]
        picked = dialog.selectedNameFilter()
        key = by_suffix[0] if by_suffix else keys[filters.index(picked)] if picked in filters \
            else keys[0]
        on_path(key, with_suffix(name, FORMATS[key][1]))

    dialog.fileSelected.connect(chosen)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog


class PlotExports:
    """A plot's export methods (mixed into the convergence plot and the
    training curves, which provide ``plot_item``, ``export_snapshot()``,
    ``_update_note(text)`` and the ``exported``/``export_failed`` signals)."""

    #: the plot's name in the export dialog's title and the file it proposes
    export_what = "convergence plot"
    #: the CSV's header: run id, label, then the columns of each snapshot's rows
    csv_header: tuple[str, ...] = CSV_HEADER

    def export_image(self, path: Path) -> None:
        """Save the plot as PNG or SVG (by suffix). Rendered now; the file is
        written in the background: ``exported(path)`` or ``export_failed(message)``."""
        path = Path(path)
        rendered = render_image(self.plot_item, image_suffix(path))
        self._in_background(lambda: write_image(rendered, path))

    def export_csv(self, path: Path) -> None:
        """Save every plotted run's history (long format) in the background:
        ``exported(path)`` or ``export_failed(message)`` follows."""
        path = Path(path)
        snapshot = self.export_snapshot()
        header = self.csv_header
        self._in_background(lambda: write_csv(path, snapshot, header))

    def export_dialog(self) -> QFileDialog:
        """Ask for a file (PNG, SVG or CSV) and export to it (non-blocking)."""
        return ask_path(self, list(FORMATS), self._export_chosen,
                        self.export_what)

    def _export_chosen(self, key: str, path: Path) -> None:
        try:
            if key == "csv":
                self.export_csv(path)
            else:
                self.export_image(path)
        except (OSError, ValueError, RuntimeError) as exc:
            self._export_error(str(exc))

    def _in_background(self, job: Callable[[], str]) -> None:
        run_in_background(job, self._exported, self._export_error, owner=self)

    def _exported(self, path: str) -> None:
        self._update_note(f"Saved {path}.")
        self.exported.emit(path)

    def _export_error(self, message: str) -> None:
        self._update_note(f"Export failed: {message}")
        self.export_failed.emit(message)
