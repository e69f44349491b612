"""The sweep editor (a window of its own, not modal): the base problem, the
parameters to vary (a range from/to/num or a list of values each), how to
chain and check, cold or chained, where to run (0 workers: in the app's
process; N: a local Dask cluster), the preview of the path, Save sweep… and
Run.

Every edit restarts a short timer; then the sweep is validated by the core
(``sweep_from_dict``: every bad field named) and its path ordered and cut into
chains, in a pool thread under a generation number (a sweep of many points
validates each point's problem). Each error is shown in the list below and on
the field or table cell it names; a bad point is crossed on the path. Run is
enabled while the sweep shown is valid.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QPushButton, QSpinBox, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.sweeps.spec import PREDICTORS
from ..background import run_in_background
from ..editor.expression import ERROR_COLOR
from ..editor.files import write_atomic
from .manager import SweepRequest
from .path_preview import PathPreview
from .sweep_data import (Axis, Preview, axes_of, error_target, preview, rebase_problem,
                         typed_number, with_axes)

#: The table's columns, and which error part names which.
COLUMNS = ("parameter", "from", "to", "num", "or values")
PART_COLUMN = {"": 0, "from": 1, "to": 2, "num": 3}
VALIDATE_MS = 250
#: An erroneous table cell's background (its text stays readable).
ERROR_CELL = QColor(255, 205, 205)


class SweepEditor(QDialog):
    run_requested = Signal(object)      # SweepRequest
    saved = Signal(str)                 # path
    save_failed = Signal(str)           # message
    validated = Signal(object)          # Preview (on the GUI thread, current only)

    def __init__(self, data: dict[str, Any], base_dir: Path | None, path: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweep_editor")
        self.setModal(False)
        self._data, self._base_dir, self.path = dict(data), base_dir, path
        self._generation = 0
        self._preview: Preview | None = None
        self._running = False
        self._timer = QTimer(self, singleShot=True, interval=VALIDATE_MS)
        self._timer.timeout.connect(self.validate)
        self._build()
        self._fill()
        self.validate()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.name = QLineEdit(objectName="sweep_name")
        self.problem = QLabel(objectName="sweep_problem", wordWrap=True)
        self.table = QTableWidget(0, len(COLUMNS), objectName="sweep_axes")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setToolTip("Each parameter: from, to and the number of values, or a list "
                              "of values (e.g. 80, 100, 120). The points are their product.")
        self.path_note = QLabel(objectName="sweep_path_note", wordWrap=True)
        add, remove = QPushButton("Add parameter"), QPushButton("Remove")
        add.clicked.connect(lambda: self._add_row(Axis(self._unused_parameter())))
        remove.clicked.connect(self._remove_row)
        self.axis_buttons = (add, remove)
        self.chain_length = QSpinBox(objectName="sweep_chain_length", maximum=10_000)
        self.chain_length.setSpecialValueText("automatic (shared over the workers)")
        self.max_halvings = QSpinBox(objectName="sweep_max_halvings", maximum=10, value=3)
        self.predictor = QComboBox(objectName="sweep_predictor")
        self.predictor.addItems(PREDICTORS)
        self.max_fun = QLineEdit(objectName="sweep_max_fun", placeholderText="no limit")
        self.max_optimality = QLineEdit(objectName="sweep_max_optimality",
                                        placeholderText="no limit")
        self.cold = QCheckBox("Cold: every point from its own start (the reference)",
                              objectName="sweep_cold")
        self.workers = QSpinBox(objectName="sweep_workers", maximum=max(8, os.cpu_count() or 1))
        self.workers.setSpecialValueText("0: in this process")
        self.workers.setToolTip("0 solves the chains one after another in the app's "
                                "process; N starts a local Dask cluster of N processes")
        if importlib.util.find_spec("distributed") is None:   # (found, not imported)
            self.workers.setMaximum(0)
            self.workers.setToolTip("Dask is not installed here (the packaged app leaves "
                                    "it out): sweeps run in the app's process")
        else:
            # 1 by default: chains solved in the app's process share the interpreter
            # with the window (bench_gui_sweep: event loop late p99 124 ms there, 34 ms
            # with one worker process)
            self.workers.setValue(1)
        self.preview = PathPreview()
        self.errors = QListWidget(objectName="sweep_errors")
        self.errors.setMaximumHeight(110)
        self.state = QLabel(objectName="sweep_state", wordWrap=True)
        self.save_button = QPushButton("Save sweep…", objectName="sweep_save")
        self.run_button = QPushButton("Run", objectName="sweep_run", default=True)
        close = QPushButton("Close")
        self.save_button.clicked.connect(self.save_dialog)
        self.run_button.clicked.connect(self.run)
        close.clicked.connect(self.close)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Problem", self.problem)
        axes = QGroupBox("Parameters to vary")
        axes_layout = QVBoxLayout(axes)
        axes_layout.addWidget(self.table)
        axes_layout.addWidget(self.path_note)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        axes_layout.addLayout(buttons)
        options = QGroupBox("Chaining, check and run")
        opts = QFormLayout(options)
        opts.addRow("Chain length", self.chain_length)
        opts.addRow("Halvings of a troubled step", self.max_halvings)
        opts.addRow("Predictor", self.predictor)
        opts.addRow("Check: objective at most", self.max_fun)
        opts.addRow("Check: optimality at most", self.max_optimality)
        opts.addRow("Workers", self.workers)
        opts.addRow(self.cold)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(form)
        left_layout.addWidget(axes, 1)
        left_layout.addWidget(options)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("<b>Path</b> (solving order; a colour per chain)"))
        right_layout.addWidget(self.preview, 1)
        self.errors_title = QLabel("Problems", objectName="sweep_errors_title")
        right_layout.addWidget(self.errors_title)
        right_layout.addWidget(self.errors)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([430, 470])
        bottom = QHBoxLayout()
        bottom.addWidget(self.state, 1)
        for b in (self.save_button, self.run_button, close):
            bottom.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)
        self.resize(920, 600)
        for edit in (self.name, self.max_fun, self.max_optimality):
            edit.textEdited.connect(self.changed)
        for spin in (self.chain_length, self.max_halvings, self.workers):
            spin.valueChanged.connect(self.changed)
        self.predictor.currentTextChanged.connect(self.changed)
        self.table.itemChanged.connect(self.changed)

    def _fill(self) -> None:
        d = self._data
        self.name.setText(str(d.get("name", "")))
        self._show_problem()
        axes = axes_of(d)
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for axis in axes or []:
            self._add_row(axis, emit=False)
        self.table.blockSignals(False)
        self.table.setEnabled(axes is not None)
        for b in self.axis_buttons:
            b.setEnabled(axes is not None)
        given = "path" if "path" in d else "csv"
        self.path_note.setVisible(axes is None)
        self.path_note.setText(f"The points are given by the file's {given!r} (in that order); "
                               "edit them in the file.")
        chaining = d["chaining"] if isinstance(d.get("chaining"), dict) else {}
        check = d["check"] if isinstance(d.get("check"), dict) else {}
        for spin, value, default in ((self.chain_length, chaining.get("chain_length"), 0),
                                     (self.max_halvings, chaining.get("max_halvings"), 3)):
            spin.blockSignals(True)
            spin.setValue(value if isinstance(value, int) and not isinstance(value, bool)
                          else default)
            spin.blockSignals(False)
        self.predictor.blockSignals(True)
        self.predictor.setCurrentText(str(chaining.get("predictor", "secant")))
        self.predictor.blockSignals(False)
        for edit, key in ((self.max_fun, "max_fun"), (self.max_optimality, "max_optimality")):
            edit.setText("" if check.get(key) is None else str(check.get(key)))

    def _show_problem(self) -> None:
        p = self._data.get("problem")
        if isinstance(p, str):
            where = "" if self._base_dir is None else f", read from {self._base_dir.name}/"
            self.problem.setText(f"{p} <i>(a file{where})</i>")
            full = Path(p) if self._base_dir is None else self._base_dir / p
            self.problem.setToolTip(str(full))
        elif isinstance(p, dict):
            self.problem.setText(f"{p.get('name', 'problem')} <i>({p.get('kind', '?')}, "
                                 "inline: from the problem editor)</i>")
        else:
            self.problem.setText("<i>none</i>")

    def _add_row(self, axis: Axis, emit: bool = True) -> None:
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        for column, text in enumerate((axis.name, axis.start, axis.stop, axis.num, axis.values)):
            self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.blockSignals(False)
        if emit:
            self.changed()

    def _remove_row(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows or [self.table.rowCount() - 1]:
            if row >= 0:
                self.table.removeRow(row)
        self.changed()

    def _unused_parameter(self) -> str:
        shape = self._preview.shape if self._preview else None
        known = shape.points[0].spec.get("parameters", {}) if shape and shape.points else (
            self._data.get("problem", {}).get("parameters", {})
            if isinstance(self._data.get("problem"), dict) else {})
        used = {a.name for a in self.axes() or []}
        return next((k for k in known if k not in used), "")

    # ------------------------------------------------------------------ the spec
    def axes(self) -> list[Axis] | None:
        if not self.table.isEnabled():
            return None

        def cell(r: int, c: int) -> str:
            item = self.table.item(r, c)
            return item.text() if item is not None else ""

        return [Axis(*(cell(r, c) for c in range(len(COLUMNS))))
                for r in range(self.table.rowCount())]

    def spec_data(self) -> dict[str, Any]:
        """The sweep's JSON object as edited (fields the forms do not model kept)."""
        d = with_axes(self._data, self.axes())
        d["name"] = self.name.text()
        if isinstance(d.get("chaining", {}), dict):
            chaining = dict(d.get("chaining", {}))
            _set(chaining, "chain_length", self.chain_length.value() or None)
            _set(chaining, "max_halvings", self.max_halvings.value(), default=3)
            _set(chaining, "predictor", self.predictor.currentText(), default="secant")
            _set(d, "chaining", chaining or None)
        if isinstance(d.get("check", {}), dict):
            check = dict(d.get("check", {}))
            for key, edit in (("max_fun", self.max_fun), ("max_optimality", self.max_optimality)):
                _set(check, key, _typed(edit.text()))
            _set(d, "check", check or None)
        return d

    # ------------------------------------------------------------------ validation
    def changed(self, *_args: object) -> None:
        self.run_button.setEnabled(False)
        self.state.setText("Checking…")
        self._timer.start()

    def validate(self) -> None:
        self._generation += 1
        generation, data, base, workers = (self._generation, self.spec_data(), self._base_dir,
                                           self.workers.value())
        run_in_background(lambda: preview(data, base, workers),
                          lambda result: self._validated(generation, result),
                          lambda message: self._validated(generation, Preview(
                              None, [("sweep", message)])), owner=self)

    def _validated(self, generation: int, result: Preview) -> None:
        if generation != self._generation:
            return
        self._preview = result
        self._mark(result.errors)
        why = "" if not result.errors else (
            f"{len(result.errors)} problem{'s' * (len(result.errors) != 1)}: see the list.")
        self.preview.show_path(result.shape, result.chains, result.bad_points(), why)
        self._update_run_button()
        n = len(result.sweep.points) if result.sweep else 0
        self.state.setText(f"Ready: {n} points." if result.sweep else why)
        self.validated.emit(result)

    def _mark(self, errors: list[tuple[str, str]]) -> None:
        self.errors.clear()
        self.errors.addItems([f"{f}: {m}" for f, m in errors])
        self.errors_title.setText(f"Problems: {len(errors)}" if errors else "Problems: none")
        plain = {"name": self.name, "chain_length": self.chain_length,
                 "max_halvings": self.max_halvings, "predictor": self.predictor,
                 "max_fun": self.max_fun, "max_optimality": self.max_optimality}
        marks: dict[QWidget, list[str]] = {w: [] for w in (*plain.values(), self.problem)}
        self.table.blockSignals(True)
        for r in range(self.table.rowCount()):
            for c in range(len(COLUMNS)):
                item = self.table.item(r, c)
                if item is not None:
                    item.setBackground(Qt.GlobalColor.transparent)
                    item.setToolTip("")
        names = [a.name.strip() for a in self.axes() or []]
        for f, m in errors:
            form, name, part = error_target(f)
            if form == "vary" and name in names:
                row = names.index(name)
                list_axis = bool((self.table.item(row, 4) or QTableWidgetItem()).text().strip())
                column = 4 if list_axis and not part else PART_COLUMN.get(part, 0)
                item = self.table.item(row, column)
                if item is not None:
                    item.setBackground(ERROR_CELL)
                    item.setToolTip(f"{f}: {m}")
            elif form in ("chaining", "check") and name in plain:
                marks[plain[name]].append(m)
            elif form in ("name", "problem"):
                marks[self.name if form == "name" else self.problem].append(f"{f}: {m}")
        self.table.blockSignals(False)
        for widget, said in marks.items():
            widget.setToolTip("\n".join(said))
            widget.setStyleSheet(f"border: 2px solid {ERROR_COLOR.name()};" if said else "")

    def preview_result(self) -> Preview | None:
        return self._preview

    # ------------------------------------------------------------------ run and save
    def set_running(self, running: bool) -> None:
        self._running = running
        self._update_run_button()

    def _update_run_button(self) -> None:
        ok = self._preview is not None and self._preview.sweep is not None
        current = not self._timer.isActive()
        self.run_button.setEnabled(ok and current and not self._running)
        self.run_button.setToolTip("A sweep is running: wait for it or cancel it"
                                   if self._running else "")

    def run(self) -> None:
        if not self.run_button.isEnabled() or self._preview is None or self._preview.sweep is None:
            return
        self.run_requested.emit(SweepRequest(self._preview.sweep, self.cold.isChecked(),
                                             self.workers.value()))

    def save_dialog(self) -> QFileDialog:
        start = self.path or (self._base_dir or Path.cwd()) / f"{self.name.text() or 'sweep'}.json"
        dialog = QFileDialog(self, "Save sweep", str(start), "Sweeps (*.json)")
        dialog.setObjectName("sweep_save_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.fileSelected.connect(lambda name: self.save_to(Path(name)))
        dialog.open()
        return dialog

    def save_to(self, path: Path) -> None:
        """Write the sweep (relative paths rewritten for its folder), in the background."""
        data = rebase_problem(self.spec_data(), self._base_dir, path.parent)
        try:
            text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        except (TypeError, ValueError) as exc:
            self.save_failed.emit(f"the sweep cannot be written as JSON: {exc}")
            return

        def done(_none: object) -> None:
            self._data, self._base_dir, self.path = data, path.parent, path
            self._show_problem()
            self.setWindowTitle(f"Sweep — {path.name}")
            self.saved.emit(str(path))

        run_in_background(lambda: write_atomic(path, text), done,
                          lambda message: self.save_failed.emit(f"{path}: {message}"),
                          owner=self)


def _typed(text: str) -> Any:
    return typed_number(text) if text.strip() else None


def _set(target: dict[str, Any], key: str, value: Any, default: Any = None) -> None:
    """Set ``key`` unless ``value`` is None, or is the default and the key was absent."""
    if value is None or (value == default and key not in target):
        target.pop(key, None)
    else:
        target[key] = value
