"""Training curves of ``network`` runs: loss (or accuracy) per epoch, the
validation curve solid and the training curve dashed, per run; the
"Training curves" tab beside the convergence plot (the plot controller feeds
both, so what is plotted and what is compared has one home).

Live runs: their history rows (:meth:`append_rows`, one per epoch) and their
epoch table so far (:meth:`live_outputs`, validation and accuracy included;
see :mod:`.training_table`) are drawn at the next frame (a timer; nothing is
computed per row). Finished runs: their epoch table. Warm vs cold
(:meth:`set_comparison`): the title gives the gap at the last common epoch
(``Epoch 12: warm validation loss 0.41 vs cold 0.35: gap +0.06 (warm
worse)``), a dashed line marks that epoch and a marker each run's value
there (star: warm). The loss axis says what the losses are when the finished
runs drawn agree ("Loss (mean squared error in y's units)": a regression's
are in its target's units, whatever it was trained on).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.runs import Run
from . import export as plot_export
from . import training_table as tt

FRAME_INTERVAL_MS = 60
TEXT_COLOR = plot_export.TEXT_COLOR


@dataclass
class _Run:
    run_id: str
    label: str
    color: QColor
    table: dict[str, np.ndarray]
    val_item: pg.PlotDataItem
    train_item: pg.PlotDataItem
    live: bool
    dirty: bool = True
    rows: dict[str, np.ndarray] | None = None      # live: the history rows so far
    epochs: dict[str, np.ndarray] | None = None    # live: the last epoch table sent
    loss: str | None = None     # what its losses are (a finished run's info says)


class TrainingCurves(plot_export.PlotExports, QWidget):
    """Per-epoch training and validation curves of network runs; exported as
    the convergence plot is (PNG, SVG; the CSV holds each run's epoch table)."""

    frame_drawn = Signal()
    runs_changed = Signal(int)     # how many runs are drawn
    exported = Signal(str)         # path written (exports finish in the background)
    export_failed = Signal(str)    # the error's text (also shown in the note line)
    export_what = "training curves"
    csv_header = plot_export.EPOCHS_CSV_HEADER

    def __init__(self, color_of: Callable[[str], QColor] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._color_of = color_of or (lambda _rid: QColor("#0072B2"))
        self._runs: dict[str, _Run] = {}
        self._metric, self._log_y, self._show_train = "loss", False, True
        self._comparison: tuple[str, str] | None = None
        self._gap: tt.Gap | None = None
        self._verdict = ""   # the training guard's, on the compared warm run
        self._message = ""   # the last export's outcome, shown in the note line
        self.metric_combo = QComboBox()
        self.metric_combo.addItem("Loss", "loss")
        self.metric_combo.addItem("Accuracy", "accuracy")
        self.log_y_check = QCheckBox("log y")
        self.train_check = QCheckBox("training curves")
        self.train_check.setChecked(True)
        self.train_check.setToolTip("Also draw each run's training curve (dashed)")
        self.metric_combo.currentIndexChanged.connect(self._controls_changed)
        self.log_y_check.toggled.connect(self._controls_changed)
        self.train_check.toggled.connect(self._controls_changed)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("training_note")
        row = QHBoxLayout()
        row.setContentsMargins(6, 4, 6, 0)
        for widget in (QLabel("y:"), self.metric_combo, self.log_y_check, self.train_check):
            row.addWidget(widget)
        row.addStretch(1)
        self.export_button = plot_export.export_button(self, self._export_chosen,
                                                       self.export_what)
        row.addWidget(self.export_button)
        self.view = plot_export.PlotView()
        self.view.painted.connect(self.frame_drawn)
        self.plot_item = self.view.getPlotItem()
        self.plot_item.setLabel("bottom", "Epoch", color=TEXT_COLOR)
        self.legend = self.view.legend
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 1)
        self._timer = QTimer(self, interval=FRAME_INTERVAL_MS, timeout=self.flush)
        self._label_axes()
        self._update_note()

    # ------------------------------------------------------------------ runs
    def show_run(self, run: Run, label: str) -> None:
        """Draw (or redraw) a finished run from its epoch table."""
        self._put(run.id, label, tt.run_table(run), live=False)
        self._runs[run.id].loss = tt.loss_of(run)
        self._label_axes()

    def begin_live(self, run_id: str, label: str) -> None:
        self._put(run_id, label, tt.empty_table(), live=True)

    def append_rows(self, run_id: str, rows: np.ndarray) -> None:
        """A live run's new history rows (drawn at the next frame)."""
        entry = self._runs.get(run_id)
        if entry is None:
            return
        entry.rows = tt.append_rows(entry.rows or tt.empty_table(), rows)
        self._live_changed(entry)

    def live_outputs(self, run_id: str, outputs: dict[str, object],
                     starts: dict[str, int] | None = None) -> None:
        """A live run's outputs: its epoch table so far, or its new rows from
        ``starts["epochs"]`` on (drawn at the next frame)."""
        entry = self._runs.get(run_id)
        if entry is None or not entry.live or "epochs" not in outputs:
            return
        new = tt.from_array(outputs["epochs"])
        start = (starts or {}).get("epochs", 0)
        if start == 0:
            entry.epochs = new
        elif entry.epochs is not None and len(entry.epochs["epoch"]) == start:
            entry.epochs = {k: np.concatenate([entry.epochs[k], new[k]]) for k in new}
        else:
            return    # rows after ones this view lacks (cannot happen: signals are queued)
        self._live_changed(entry)

    def _live_changed(self, entry: _Run) -> None:
        entry.table = tt.merge(entry.epochs, entry.rows or tt.empty_table())
        entry.dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def remove_run(self, run_id: str) -> None:
        entry = self._runs.pop(run_id, None)
        if entry is None:
            return
        for item in (entry.val_item, entry.train_item):
            self.legend.removeItem(item)
            self.plot_item.removeItem(item)
        if self._comparison and run_id in self._comparison:
            self.clear_comparison()
        self._changed()

    def run_ids(self) -> list[str]:
        return list(self._runs)

    def is_live(self, run_id: str) -> bool:
        entry = self._runs.get(run_id)
        return entry is not None and entry.live

    def table(self, run_id: str) -> dict[str, np.ndarray]:
        return self._runs[run_id].table

    def drawn(self, run_id: str, curve: str = "val") -> tuple[np.ndarray, np.ndarray]:
        """What a run's ``val`` or ``train`` curve item holds (log10 y on a log axis)."""
        entry = self._runs[run_id]
        x, y = (entry.val_item if curve == "val" else entry.train_item).getOriginalDataset()
        return (np.empty(0) if x is None else x), (np.empty(0) if y is None else y)

    def _put(self, run_id: str, label: str, table: dict[str, np.ndarray], live: bool) -> None:
        entry = self._runs.get(run_id)
        if entry is None:
            color = self._color_of(run_id)
            val = pg.PlotDataItem(pen=pg.mkPen(color, width=2))
            train = pg.PlotDataItem(pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
            for item in (val, train):
                self.plot_item.addItem(item)
            entry = _Run(run_id, label, color, table, val, train, live)
            self._runs[run_id] = entry
        else:
            for item in (entry.val_item, entry.train_item):
                self.legend.removeItem(item)
            entry.table, entry.live, entry.label = table, live, label
            entry.rows = entry.epochs = None
        self.legend.addItem(entry.val_item, f"{label}: validation")
        if self._show_train:
            self.legend.addItem(entry.train_item, f"{label}: training")
        entry.dirty = True
        self._changed()

    def _changed(self) -> None:
        self._label_axes()
        self.flush()
        self.view.fit_legend()
        self.runs_changed.emit(len(self._runs))

    # ------------------------------------------------------------------ axes
    def set_metric(self, metric: str, log_y: bool = False, training: bool = True) -> None:
        """``loss`` or ``accuracy``; log y; draw the training curves too."""
        if metric not in tt.METRICS:
            raise ValueError(f"metric must be one of {list(tt.METRICS)}, not {metric!r}")
        for widget, value in ((self.log_y_check, log_y), (self.train_check, training)):
            widget.blockSignals(True)
            widget.setChecked(value)
            widget.blockSignals(False)
        self.metric_combo.blockSignals(True)
        self.metric_combo.setCurrentIndex(self.metric_combo.findData(metric))
        self.metric_combo.blockSignals(False)
        self._controls_changed()

    def current_metric(self) -> str:
        return self._metric

    def _controls_changed(self, *_args: object) -> None:
        self._metric = self.metric_combo.currentData()
        self._log_y = self.log_y_check.isChecked()
        show_train = self.train_check.isChecked()
        if show_train != self._show_train:
            self._show_train = show_train
            for entry in self._runs.values():
                self.legend.removeItem(entry.train_item)
                entry.train_item.setVisible(show_train)
                if show_train:
                    self.legend.addItem(entry.train_item, f"{entry.label}: training")
            self.view.fit_legend()
        self._label_axes()
        for entry in self._runs.values():
            entry.dirty = True
        self.flush()
        self.plot_item.enableAutoRange()

    def _label_axes(self) -> None:
        self.plot_item.getAxis("left").setLogMode(self._log_y)
        title = tt.METRICS[self._metric][2]
        losses = {e.loss for e in self._runs.values() if e.loss}
        if self._metric == "loss" and len(losses) == 1:   # one meaning: say which
            title += f" ({losses.pop()})"
        self.plot_item.setLabel("left", title, color=TEXT_COLOR)

    # ------------------------------------------------------------------ drawing
    def flush(self) -> None:
        """Hand the changed curves to pyqtgraph (the frame timer's slot)."""
        dirty = [e for e in self._runs.values() if e.dirty]
        if not dirty:
            self._timer.stop()
        train_col, val_col, _title, _lower = tt.METRICS[self._metric]
        for entry in dirty:
            x = entry.table["epoch"]
            for item, column in ((entry.val_item, val_col), (entry.train_item, train_col)):
                y = entry.table[column]
                if self._log_y:
                    with np.errstate(all="ignore"):
                        y = np.where(y > 0, np.log10(y), np.nan)
                item.setData(x, y, connect="finite")
            entry.dirty = False
        if self._comparison is not None:
            self._update_gap()
        self._update_note()

    def _update_note(self, message: str | None = None) -> None:
        if message is not None:
            self._message = message
        notes = [self._message] if self._message else []
        live = [e.label for e in self._runs.values() if e.live]
        if live:
            notes.append(f"Running: {', '.join(live)}: the curves grow as epochs end.")
        _train, val_col, _title, _lower = tt.METRICS[self._metric]
        missing = [e.label for e in self._runs.values()
                   if len(e.table["epoch"]) and (not e.live or e.epochs is not None)
                   and not tt.has_values(e.table, val_col)]
        if missing:
            notes.append(f"No validation {self._metric} for {', '.join(missing)} (no "
                         "validation rows, or a regression for accuracy).")
        if not self._runs:
            notes.append("Select network runs in the library (or run one) to see their "
                         "loss and accuracy per epoch.")
        text = " ".join(notes)
        if text != self.note.text():
            self.note.setText(text)
        self.note.setVisible(bool(text))

    def export_snapshot(self) -> list[plot_export.CurveData]:
        """Copies of every drawn run's epoch table (so far, for a live run), for
        the CSV export: one row per epoch, the columns of :data:`csv_header`."""
        return [plot_export.CurveData(e.run_id, e.label,
                                      np.column_stack([e.table[c] for c in tt.EPOCH_COLUMNS]))
                for e in self._runs.values()]

    # ------------------------------------------------------------------ comparison
    def set_comparison(self, warm: Run, cold: Run, warm_label: str, cold_label: str) -> None:
        """Overlay a warm (fine-tuned) run and a cold run; annotate their gap."""
        for run, label in ((cold, cold_label), (warm, warm_label)):
            if run.id not in self._runs or self._runs[run.id].live:
                self.show_run(run, label)
        self._comparison = (warm.id, cold.id)
        self._verdict = tt.guard_sentence(warm)
        self._update_gap()

    def clear_comparison(self) -> None:
        self._comparison, self._gap = None, None
        self.view.set_title(None)
        self.view.set_end_marks([], None)

    def gap(self) -> tt.Gap | None:
        return self._gap

    def comparison_text(self) -> str:
        return tt.gap_sentence(self._gap) if self._gap is not None else ""

    def _update_gap(self) -> None:
        assert self._comparison is not None
        warm, cold = (self._runs.get(rid) for rid in self._comparison)
        if warm is None or cold is None:
            self.clear_comparison()
            return
        self._gap = g = tt.gap(warm.table, cold.table, self._metric)
        if g is None:
            self.view.set_title(f"Warm {html.escape(warm.label)} and cold "
                                f"{html.escape(cold.label)} share no epoch yet")
            self.view.set_end_marks([], None)
            return
        verdict = f"<br>{html.escape(self._verdict)}" if self._verdict else ""
        self.view.set_title(f"{html.escape(tt.gap_sentence(g))}<br>warm: "
                            f"{html.escape(warm.label)} · cold: {html.escape(cold.label)}"
                            f"{verdict}")
        spots = []
        for value, entry, symbol in ((g.warm, warm, "star"), (g.cold, cold, "o")):
            y = float(np.log10(value)) if self._log_y and value > 0 else value
            spots.append({"pos": (g.epoch, y), "symbol": symbol,
                          "brush": pg.mkBrush(entry.color)})
        self.view.set_end_marks(spots, float(g.epoch))
        self.view.fit_legend()
