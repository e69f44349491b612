"""Live convergence plots: any selection of runs overlaid, finished or running.

x: iterations, evaluations (RHS evaluations for ``ode``) or wall time; y: the
objective, the gradient norm (optimality), the constraint violation, or for
``ode`` the time reached. Log scales on either axis.

Log y and non-positive values: a log axis cannot show zero or negative
numbers. For the objective, when every plotted value is > 0 it is drawn as
is; otherwise the plot shows ``f - f*`` with ``f*`` the lowest objective of
all plotted runs (the axis label and the note above the plot say so, with
the value). Any value that is still <= 0 (the best point itself, a zero
gradient norm, a feasible point's zero constraint violation) is not drawn on
a log axis: the line breaks there rather than inventing a value.

Speed: :meth:`ConvergencePlot.append_rows` only appends to the run's
:class:`~warmdesk.gui.plot.curve_buffer.CurveBuffer` and marks it dirty; one timer
(about 30 Hz) hands the dirty curves to pyqtgraph. The buffer keeps log10 of
its columns and the min/max envelope (PeakDecimator: spikes stay visible)
extended with the new rows only, so a frame costs no pass over 100,000 rows.
While the view follows the data it draws envelopes, and pyqtgraph's own
downsampling is off: it drops each curve's last partial chunk, so a finished
run of 63 rows beside a live run of 5,000 lost its end (and the auto-range,
computed from what is drawn, cut it off). Once the user zooms or pans, all
rows, clipped to the view and peak-downsampled by pyqtgraph. The plot's "A"
button follows again. No transparency: see plot_export.PlotView.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.runs import Run
from ...core.saving_text import comparison_sentence
from . import export as plot_export
from .curve_buffer import (
    LOG_Y_DEFAULT,
    X_AXES,
    Y_AXES,
    CurveBuffer,
    PeakDecimator,
    default_label,
    undrawn_reason,
)
from .legend import elide_label, legend_fit, legend_metrics

#: Distinguishable line colours (Okabe-Ito and Tableau hues), most distinct first.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F3C8D",
           "#3B3B3B", "#B8860B", "#1F9E89", "#E7298A", "#8C564B", "#17BECF", "#BCBD22",
           "#9467BD", "#D62728")
FRAME_INTERVAL_MS = 30
#: Peak downsampling draws 2 points (min, max) per chunk of rows. One chunk
#: per 2 pixel columns keeps every spike and draws ~1/3 faster than one per
#: column (pyqtgraph's default is 5 per column: 10 points a pixel column).
DOWNSAMPLE_PER_PIXEL = 0.5
#: Pen widths; FADE: how far the colour of a not-selected run moves towards white.
NORMAL_WIDTH, HIGHLIGHT_WIDTH, FADE = 1.0, 2.5, 0.5
TEXT_COLOR = plot_export.TEXT_COLOR

@dataclass
class _Curve:
    run_id: str
    label: str
    kind: str
    color: QColor
    buffer: CurveBuffer
    item: pg.PlotDataItem
    live: bool = False
    dirty: bool = True
    decimator: PeakDecimator = field(default_factory=PeakDecimator)

    def invalidate(self) -> None:  # drawn data to rebuild, not just extend
        self.dirty = True
        self.decimator = PeakDecimator()


class ConvergencePlot(plot_export.PlotExports, QWidget):
    """Overlaid convergence curves with axis controls, legend, comparison, export."""

    frame_drawn = Signal()
    axes_changed = Signal()
    exported = Signal(str)        # path written (exports finish in the background)
    export_failed = Signal(str)   # the error's text (also shown in the note line)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._curves: dict[str, _Curve] = {}
        self._colors: dict[str, QColor] = {}
        self._x, self._y, self._log_x, self._log_y = "iter", "fun", False, True
        self._shift, self._following = 0.0, True  # f* (see top); x auto-range on
        self._highlighted: set[str] = set()
        self._comparison: tuple[str, str] | None = None
        self._comparison_text = self._message = ""
        self._legend_fit: tuple[int, int] = (1, 10_000)   # columns, label width (px)
        self._build_controls()
        self._build_plot()
        # over the view, not in its scene: never part of an export
        self._empty_hint = QLabel("Select runs in the library to plot them;\n"
                                  "running solves appear here live.", self.view)
        self._empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_hint.setStyleSheet("color: #777; background: transparent;")
        self._empty_hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._timer = QTimer(self, interval=FRAME_INTERVAL_MS, timeout=self._push_dirty)
        self._apply_axes()

    # ------------------------------------------------------------------ building
    def _build_controls(self) -> None:
        self.x_combo, self.y_combo = QComboBox(), QComboBox()
        for combo, names in ((self.x_combo, X_AXES), (self.y_combo, Y_AXES)):
            for key, text in names.items():
                combo.addItem(text, key)
        self.log_x_check, self.log_y_check = QCheckBox("log x"), QCheckBox("log y")
        self.x_combo.currentIndexChanged.connect(lambda _i: self._controls_changed(False))
        self.y_combo.currentIndexChanged.connect(lambda _i: self._controls_changed(True))
        self.log_x_check.toggled.connect(lambda _c: self._controls_changed(False))
        self.log_y_check.toggled.connect(lambda _c: self._controls_changed(False))
        self.export_button = plot_export.export_button(self, self._export_chosen)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        row = QHBoxLayout()
        for widget in (QLabel("x:"), self.x_combo, QLabel("y:"), self.y_combo,
                       self.log_x_check, self.log_y_check):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.note)

    def _build_plot(self) -> None:
        self.view = plot_export.PlotView()
        self.view.painted.connect(self.frame_drawn)
        self.plot_item: pg.PlotItem = self.view.getPlotItem()
        self.legend = self.view.legend
        self.layout().addWidget(self.view, 1)
        self.plot_item.vb.sigStateChanged.connect(self._view_state_changed)

    # ------------------------------------------------------------------ runs
    def show_run(self, run: Run, label: str | None = None) -> None:
        """Add (or replace) the curve of a finished run with its whole history."""
        rows = run.history.array
        self._fill(self._curve(run.id, label or default_label(run), run.kind),
                   CurveBuffer(rows, capacity=len(rows)), live=False)

    def begin_live(self, run_id: str, label: str, kind: str = "") -> None:
        """An empty curve for a running solve; rows arrive with append_rows."""
        self._fill(self._curve(run_id, label, kind), CurveBuffer(), live=True)

    def _fill(self, curve: _Curve, buffer: CurveBuffer, live: bool) -> None:
        curve.buffer, curve.live = buffer, live
        curve.invalidate()
        self._push_dirty()

    def append_rows(self, run_id: str, rows: np.ndarray) -> None:
        """New history rows of a live run (drawn at the next frame). Rows for a
        run that is not plotted (removed meanwhile) are not kept."""
        curve = self._curves.get(run_id)
        if curve is None:
            return
        curve.buffer.append(rows)
        curve.dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def finish_live(self, run: Run) -> None:
        """The finished run's history replaces its live buffer."""
        existing = self._curves.get(run.id)
        self.show_run(run, existing.label if existing else None)

    def remove_run(self, run_id: str) -> None:
        curve = self._curves.pop(run_id, None)
        if curve is None:
            return
        self.legend.removeItem(curve.item)
        self.plot_item.removeItem(curve.item)
        self._highlighted.discard(run_id)
        self._fit_legend(entries_changed=True)
        if self._comparison and run_id in self._comparison:
            self.clear_comparison()
        self._push_dirty()

    def clear(self) -> None:
        for run_id in list(self._curves):
            self.remove_run(run_id)

    def run_ids(self) -> list[str]:
        return list(self._curves)

    def curve_data(self, run_id: str) -> tuple[np.ndarray, np.ndarray]:
        """The run's plotted x and y in data units (y is f - f* when shown so)."""
        buffer = self._curves[run_id].buffer
        ys = buffer.column(self._y)
        return buffer.column(self._x), (ys - self._shift if self._shift else ys)

    def drawn_data(self, run_id: str) -> tuple[np.ndarray, np.ndarray]:
        """What the curve item holds (log10 values on log axes)."""
        x, y = self._curves[run_id].item.getOriginalDataset()
        return (np.empty(0) if x is None else x), (np.empty(0) if y is None else y)

    def pen_width(self, run_id: str) -> float:
        return float(self._curves[run_id].item.opts["pen"].widthF())

    def _curve(self, run_id: str, label: str, kind: str) -> _Curve:
        curve = self._curves.get(run_id)
        if curve is None:
            item = pg.PlotDataItem(antialias=False, skipFiniteCheck=True, connect="all")
            item.opts["autoDownsampleFactor"] = DOWNSAMPLE_PER_PIXEL
            curve = _Curve(run_id, label, kind, self._color_for(run_id), CurveBuffer(), item)
            self._curves[run_id] = curve
            self.plot_item.addItem(item)   # (gives it the plot's downsampling)
            item.setDownsampling(auto=not self._following)
            self.legend.addItem(item, label)
        elif curve.label != label:
            self.legend.removeItem(curve.item)
            self.legend.addItem(curve.item, label)
        curve.label, curve.kind = label, kind
        self._style(curve)
        self._fit_legend(entries_changed=True)
        return curve

    def _color_for(self, run_id: str) -> QColor:
        """Stable per run id for the widget's life (kept after removal): the
        first palette colour no plotted run uses, in the palette's order."""
        if run_id not in self._colors:
            used = {c.color.name().lower() for c in self._curves.values()}
            free = [c for c in PALETTE if c.lower() not in used]
            self._colors[run_id] = QColor(free[0] if free else
                                          PALETTE[len(self._colors) % len(PALETTE)])
        return QColor(self._colors[run_id])

    color_of = _color_for   # the training curves draw each run in its colour here

    # ------------------------------------------------------------------ axes
    def set_axes(self, x: str, y: str, log_x: bool = False, log_y: bool | None = None) -> None:
        """x in 'iter','nfev','wall_s'; y in 'fun','grad_norm','constr_viol','t';
        log_y None: the default for y (on for fun, grad_norm, constr_viol)."""
        if x not in X_AXES or y not in Y_AXES:
            raise ValueError(f"axes must be x in {list(X_AXES)} and y in {list(Y_AXES)}; "
                             f"got {x!r}, {y!r}")
        state = (x, y, bool(log_x), LOG_Y_DEFAULT[y] if log_y is None else bool(log_y))
        if state == self.axes():
            return
        self._x, self._y, self._log_x, self._log_y = state
        self._apply_axes()
        self.axes_changed.emit()

    def axes(self) -> tuple[str, str, bool, bool]:
        return self._x, self._y, self._log_x, self._log_y

    def _controls_changed(self, y_changed: bool) -> None:
        log_y = None if y_changed else self.log_y_check.isChecked()
        self.set_axes(self.x_combo.currentData(), self.y_combo.currentData(),
                      self.log_x_check.isChecked(), log_y)

    def _apply_axes(self) -> None:
        for widget, value in ((self.x_combo, self._x), (self.y_combo, self._y),
                              (self.log_x_check, self._log_x), (self.log_y_check, self._log_y)):
            widget.blockSignals(True)
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(widget.findData(value))
            else:
                widget.setChecked(value)
            widget.blockSignals(False)
        self.plot_item.getAxis("bottom").setLogMode(self._log_x)
        self.plot_item.getAxis("left").setLogMode(self._log_y)
        self.plot_item.setLabel("bottom", X_AXES[self._x], color=TEXT_COLOR)
        self._shift = self._wanted_shift()
        self._label_y()
        for curve in self._curves.values():
            curve.invalidate()
        self.plot_item.enableAutoRange()
        self._push_dirty()

    def _wanted_shift(self) -> float:
        """f* when the objective must be shown as f - f* on a log axis, else 0."""
        if self._y != "fun" or not self._log_y or not self._curves:
            return 0.0
        lowest = min(c.buffer.finite_min("fun") for c in self._curves.values())
        return lowest if np.isfinite(lowest) and lowest <= 0 else 0.0

    def _label_y(self) -> None:
        text = f"f − f*  (f* = {self._shift:.6g})" if self._shift else Y_AXES[self._y]
        self.plot_item.setLabel("left", text, color=TEXT_COLOR)
        self._update_note()

    def _update_note(self, message: str | None = None) -> None:
        """The line above the plot: the last export, what the axes cannot show."""
        if message is not None:
            self._message = message
        notes = [self._message] if self._message else []
        if self._shift:
            notes.append(f"Some objective values are ≤ 0, so the log axis shows f − f*, with "
                         f"f* = {self._shift:.6g} the lowest plotted objective; the point(s) "
                         "reaching f* itself are not drawn.")
        notes += self._undrawn_notes()
        if self._empty_hint.isVisible() != (not self._curves):
            self._empty_hint.setVisible(not self._curves)
            self._place_empty_hint()
        text = " ".join(notes)
        if text != self.note.text():
            self.note.setText(text)
            self.note.setVisible(bool(notes))

    def _undrawn_notes(self) -> list[str]:
        """Each run that draws nothing, with its own reason (runs sharing a reason
        are named together): "Nothing to draw" when no run draws, else "Not drawn"."""
        by_reason: dict[str, list[str]] = {}
        for curve in self._curves.values():
            reason = undrawn_reason(curve.buffer, curve.kind, self._y, self._log_y,
                                    self._shift, curve.live)
            if reason is not None:
                by_reason.setdefault(reason, []).append(curve.label)
        if not by_reason:
            return []
        undrawn = sum(len(labels) for labels in by_reason.values())
        head = ("Nothing to draw" if undrawn == len(self._curves) else "Not drawn") + \
            f" for {Y_AXES[self._y]}:"
        parts = [f"{', '.join(labels)}: {reason}" for reason, labels in by_reason.items()]
        return [f"{head} {'; '.join(parts)}."]

    # ------------------------------------------------------------------ drawing
    def _view_state_changed(self) -> None:
        """Following the data: envelopes; zoomed or panned: all rows (see top)."""
        following = bool(self.plot_item.vb.autoRangeEnabled()[0])
        if following != self._following:
            self._following = following
            for curve in self._curves.values():
                curve.item.setDownsampling(auto=not following)
                curve.dirty = True
            self._push_dirty()

    def _place_empty_hint(self) -> None:
        self._empty_hint.adjustSize()
        hint, view = self._empty_hint.size(), self.view.size()
        self._empty_hint.move((view.width() - hint.width()) // 2,
                              (view.height() - hint.height()) // 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_empty_hint()
        self._fit_legend()

    def _legend_metrics(self) -> QFontMetrics:
        return legend_metrics(self.font())

    def _fit_legend(self, entries_changed: bool = False) -> None:
        """Columns and label width so the legend fits beside the curves (see
        legend.py); the labels are restyled only when the fit changes, the
        legend measured again then and when entries came or went."""
        height = self.plot_item.vb.height() or self.view.height() - 60
        columns, width = legend_fit(len(self._curves), height, self.view.width(),
                                    self._legend_metrics())
        if (columns, width) == self._legend_fit and not entries_changed:
            return
        if (columns, width) != self._legend_fit:
            self._legend_fit = (columns, width)
            if self.legend.columnCount != columns:
                self.legend.setColumnCount(columns)
            for curve in self._curves.values():
                self._style(curve)
        # the legend measures its entries only when they are added, and then at the
        # size it already has: shrink it, lay it out, measure again
        self.legend.resize(1, 1)
        self.legend.layout.activate()
        self.legend.updateSize()
        self.view.fit_legend()

    def _legend_text(self, label: str) -> str:
        return elide_label(label, self._legend_metrics(), self._legend_fit[1])

    def flush(self) -> None:
        """Draw what has arrived now, not at the next frame (screenshots)."""
        self._push_dirty()

    def _push_dirty(self) -> None:
        """Hand every changed curve to pyqtgraph (the frame timer's slot)."""
        shift = self._wanted_shift()
        if shift != self._shift:
            self._shift = shift
            self._label_y()
            for curve in self._curves.values():
                curve.invalidate()
        dirty = [c for c in self._curves.values() if c.dirty]
        for curve in dirty:
            self._push(curve)
        if not dirty:  # nothing new: the timer sleeps until the next append_rows
            self._timer.stop()
        else:
            # The new range and its transform now, not in the paint's preparation:
            # changes made there ask for a second paint of the same frame.
            self.view.scene().prepareForPaint()
            self._update_comparison_marks()
        self.view.fit_legend()
        self._update_note()

    def _push(self, curve: _Curve) -> None:
        xs, x_gaps = curve.buffer.drawable(self._x, self._log_x)
        ys, y_gaps = curve.buffer.drawable(self._y, self._log_y, self._shift)
        whole = not (x_gaps or y_gaps)
        if self._following:
            target = max(100, int(self.plot_item.vb.width() * DOWNSAMPLE_PER_PIXEL))
            xs, ys = curve.decimator.envelope(xs, ys, target)
            if not whole:
                whole = bool(np.isfinite(xs).all() and np.isfinite(ys).all())
        curve.item.setData(xs, ys, connect="all" if whole else "finite", skipFiniteCheck=whole)
        curve.dirty = False

    # ------------------------------------------------------------------ highlight
    def set_highlighted(self, run_ids: list[str]) -> None:
        """Selected runs drawn thick, the others thin and faded (none selected:
        all plain). The legend shows the selected labels bold."""
        self._highlighted = {r for r in run_ids if r in self._curves}
        for curve in self._curves.values():
            self._style(curve)
        self.legend.update()

    def _style(self, curve: _Curve) -> None:
        selected = curve.run_id in self._highlighted
        faded = bool(self._highlighted) and not selected
        color = QColor(*(round(c + (255 - c) * FADE) for c in curve.color.getRgb()[:3])
                       ) if faded else curve.color
        curve.item.setPen(pg.mkPen(color, width=HIGHLIGHT_WIDTH if selected else NORMAL_WIDTH))
        curve.item.setZValue(10 if selected else 0)
        label = self.legend.getLabel(curve.item)
        if label is not None:
            label.setText(self._legend_text(curve.label), bold=selected,
                          color="#888" if faded else TEXT_COLOR)

    # ------------------------------------------------------------------ comparison
    def set_comparison(self, warm: Run, cold: Run) -> None:
        """Annotate the saving of ``warm`` over ``cold`` (plotting them if need be): the
        text above the plot (what the saving rests on: measured against a cold run of
        the same problem, or estimated from one of a similar problem, see
        :mod:`warmdesk.core.saving_text`), end markers (star: warm), a dashed line at
        warm's end."""
        for run in (cold, warm):
            if run.id not in self._curves:
                self.show_run(run)
        self._comparison = (warm.id, cold.id)
        self._comparison_text = comparison_sentence(warm, cold)
        # the same words as the status bar; on two lines: "Saved ~90%, estimated:" over
        # "9 evaluations vs 86 for cold run … of a similar problem"
        head, _, counts = self._comparison_text.partition(": ")
        title = f"{head[:1].upper()}{head[1:]}:<br>{html.escape(counts)}" if counts else head
        self.view.set_title(title)
        self._fit_legend()   # the title took height from the legend's column
        self._update_comparison_marks()

    def clear_comparison(self) -> None:
        self._comparison, self._comparison_text = None, ""
        self.view.set_title(None)
        self._fit_legend()
        self._update_comparison_marks()

    def comparison_text(self) -> str:
        return self._comparison_text

    def _update_comparison_marks(self) -> None:
        spots: list[dict] = []
        warm_x = None
        for run_id, symbol in zip(self._comparison or (), ("star", "o")):
            curve = self._curves.get(run_id)
            end = self._end_point(curve) if curve else None
            if end is not None:
                spots.append({"pos": end, "symbol": symbol, "brush": pg.mkBrush(curve.color)})
                warm_x = end[0] if symbol == "star" else warm_x
        self.view.set_end_marks(spots, warm_x)

    def _end_point(self, curve: _Curve) -> tuple[float, float] | None:
        """The run's last drawn point, in view coordinates."""
        xs, _ = curve.buffer.drawable(self._x, self._log_x)
        ys, _ = curve.buffer.drawable(self._y, self._log_y, self._shift)
        drawn = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
        return (float(xs[drawn[-1]]), float(ys[drawn[-1]])) if drawn.size else None

    def export_snapshot(self) -> list[plot_export.CurveData]:
        """Copies of every plotted run's rows, for the CSV export."""
        return [plot_export.CurveData(c.run_id, c.label, c.buffer.rows())
                for c in self._curves.values()]
