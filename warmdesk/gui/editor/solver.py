"""The solver tab of the problem editor: the method (only the kind's methods)
and a table of that method's options, with what each accepts and scipy's
default. An empty value means the default. Switching the method keeps the
options the new method knows and says which were dropped, so the spec stays
valid. Each value is checked as it is typed with the core's option table.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.method_capabilities import allowed_options, check_options, method_note
from ...core.kinds.registry import find_kind, kinds
from .expression import monospace_font
from .model import make_form, show_text
from .values import FieldMemo, format_value, parse_flag
from .variables import BAD_CELL

#: scipy's defaults (n: the number of unknowns), shown beside each option for reference.
SCIPY_DEFAULTS: dict[str, str] = {
    "gtol": "1e-05", "maxiter": "200·n", "xrtol": "0", "c1": "0.0001", "c2": "0.9",
    "maxcor": "10", "ftol": "2.2e-09", "maxfun": "15000", "maxls": "20", "xtol": "1e-05",
    "eta": "auto", "stepmx": "auto", "maxCGit": "auto", "accuracy": "auto", "rescale": "auto",
    "maxfev": "200·n", "xatol": "0.0001", "fatol": "0.0001", "adaptive": "false",
    "barrier_tol": "1e-08", "initial_tr_radius": "1", "initial_constr_penalty": "1",
    "initial_barrier_parameter": "0.1", "initial_barrier_tolerance": "0.1",
    "max_nfev": "100·n", "rtol": "0.001", "atol": "1e-06", "max_step": "inf",
    "first_step": "auto", "max_steps": "200000",
}
METHOD_DEFAULTS: dict[str, dict[str, str]] = {
    "CG": {"c2": "0.4"},
    "TNC": {"maxfun": "100·n", "ftol": "auto", "xtol": "auto", "gtol": "auto"},
    "Powell": {"maxiter": "1000·n", "maxfev": "1000·n", "xtol": "0.0001", "ftol": "0.0001"},
    "SLSQP": {"maxiter": "100", "ftol": "1e-06"},
    "trust-constr": {"gtol": "1e-08", "xtol": "1e-08", "maxiter": "1000"},
    "L-BFGS-B": {"maxiter": "15000"},
    "trf": {"ftol": "1e-08", "xtol": "1e-08", "gtol": "1e-08"},
}
# least_squares has the same defaults for each of its methods
METHOD_DEFAULTS["dogbox"] = METHOD_DEFAULTS["lm"] = METHOD_DEFAULTS["trf"]
_ACCEPTS = {"float": "> 0", "nonneg": ">= 0", "int": "whole number ≥ {low:g}", "bool": "true/false"}


def accepts(rule: tuple[str, float, float]) -> str:
    typ, low, high = rule
    if typ == "float" and high == 1.0:
        return "(0, 1]"
    return _ACCEPTS[typ].format(low=low)


def default_of(kind: str, method: str, option: str) -> str:
    """scipy's default of ``option`` for ``method`` (method names are unique
    across the kinds' tables; ``kind`` is kept for callers)."""
    return METHOD_DEFAULTS.get(method, {}).get(option, SCIPY_DEFAULTS.get(option, ""))


class SolverPanel(QWidget):
    """``solver.method`` and ``solver.options``."""

    edited = Signal()
    COLUMNS = ("option", "value", "accepts", "default")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.memo = FieldMemo()
        self._kind = kinds()[0].name
        self._method = kinds()[0].default_method
        self._base_solver: Any = None
        self._origin: dict[str, Any] = {}
        self._quiet = False
        self.method = QComboBox()
        self.method.setMinimumContentsLength(14)
        self.method_note = QLabel()
        self.method_note.setObjectName("hint")
        #: The core's refusal of the method for this spec (bounds or constraints it
        #: would ignore), shown under the method; hidden when there is none.
        self.method_error = QLabel()
        self.method_error.setObjectName("fieldError")
        self.method_error.setWordWrap(True)
        self.method_error.setStyleSheet("color: rgb(190, 0, 0);")
        self.method_error.hide()
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers
                                   & ~QAbstractItemView.EditTrigger.CurrentChanged)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(60)
        self.note = QLabel("Empty values use the default.")
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        form = make_form()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("Method", self.method)
        form.addRow("", self.method_note)
        form.addRow("", self.method_error)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        self.method.currentTextChanged.connect(self._method_chosen)
        self.table.itemChanged.connect(self._item_changed)

    # ------------------------------------------------------------------ spec
    def load(self, kind: str, spec: dict[str, Any]) -> None:
        plugin = find_kind(kind) or kinds()[0]
        self._kind = plugin.name
        solver = spec.get("solver")
        self._base_solver = copy.deepcopy(solver) if "solver" in spec else None
        solver_dict = solver if isinstance(solver, dict) else {}
        method = format_value(solver_dict.get("method", plugin.default_method))
        options = solver_dict.get("options", {})
        self._origin = copy.deepcopy(options) if isinstance(options, dict) else {}
        self._quiet = True
        try:
            self.method.clear()
            self.method.addItems(list(plugin.method_names))
            show_text(self.method, method)
            self._method = method
            self._fill({str(k): format_value(v) for k, v in self._origin.items()})
        finally:
            self._quiet = False
        self.note.setText("Empty values use the default.")
        self.memo.reset({"solver": self._state()})

    def apply(self, spec: dict[str, Any]) -> None:
        unchanged = not self.memo.changed("solver", self._state())
        if unchanged and self._base_solver is not None:
            return  # exactly as loaded (even when it is not an object: the core says so)
        out = dict(self._base_solver) if isinstance(self._base_solver, dict) else {}
        out["method"] = self._method
        out["options"] = {name: self._value(name, text)
                          for name, text in self.options_texts().items()}
        spec["solver"] = out

    def _value(self, name: str, text: str) -> Any:
        if name in self._origin and format_value(self._origin[name]) == text:
            return copy.deepcopy(self._origin[name])
        return parse_flag(text)

    def show_problems(self, problems: list[tuple[str, str]]) -> None:
        """Mark the method with the validator's ``solver.method`` messages (if any)."""
        messages = [message for fld, message in problems if fld == "solver.method"]
        self.method_error.setText("\n".join(messages))
        self.method_error.setVisible(bool(messages))
        self.method.setToolTip(self.method_error.text())
        self.method.setStyleSheet("QComboBox { border: 1px solid rgb(190, 0, 0); }"
                                  if messages else "")

    def method_problem(self) -> str:
        """The refusal shown under the method ("" when there is none)."""
        return self.method_error.text() if self.method_error.isVisibleTo(self) else ""

    def set_method(self, method: str) -> None:
        self.method.setCurrentText(method)

    def options_texts(self) -> dict[str, str]:
        out = {}
        for row in range(self.table.rowCount()):
            value = self.table.item(row, 1).text()
            if value.strip():
                out[self.table.item(row, 0).text()] = value.strip()
        return out

    def set_option(self, name: str, text: str) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() == name:
                self.table.item(row, 1).setText(text)
                return True
        return False

    def _state(self) -> tuple[Any, ...]:
        return self._method, tuple(sorted(self.options_texts().items()))

    # ------------------------------------------------------------------ table
    def _fill(self, texts: dict[str, str]) -> None:
        allowed = allowed_options(self._kind, self._method)
        names = list(allowed) + [n for n in texts if n not in allowed]
        quiet, self._quiet = self._quiet, True
        try:
            self.table.setRowCount(0)
            self.table.setRowCount(len(names))
            for row, name in enumerate(names):
                rule = allowed.get(name)
                cells = [name, texts.get(name, ""), accepts(rule) if rule else "unknown option",
                         default_of(self._kind, self._method, name) if rule else ""]
                for col, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if col != 1:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                        item.setForeground(QBrush(QColor(110, 110, 110)) if col > 1 else QBrush())
                    else:
                        item.setFont(monospace_font())
                    self.table.setItem(row, col, item)
                self._mark(row)
        finally:
            self._quiet = quiet
        self.table.setColumnWidth(1, max(160, self.table.columnWidth(1)))
        self.method_note.setText(method_note(self._kind, self._method))

    def _mark(self, row: int) -> None:
        name = self.table.item(row, 0).text()
        item = self.table.item(row, 1)
        text = item.text().strip()
        problems = check_options(self._kind, self._method, {name: parse_flag(text)}) if text else []
        quiet, self._quiet = self._quiet, True
        try:
            item.setBackground(QBrush(BAD_CELL) if problems else QBrush())
            item.setToolTip(problems[0][1] if problems else "")
            self.table.item(row, 0).setForeground(
                QBrush(QColor(190, 0, 0)) if name not in allowed_options(self._kind, self._method)
                else QBrush())
        finally:
            self._quiet = quiet

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._quiet or item.column() != 1:
            return
        self._mark(item.row())
        self.edited.emit()

    def _method_chosen(self, method: str) -> None:
        if self._quiet or not method or method == self._method:
            return
        texts = self.options_texts()
        self._method = method
        allowed = allowed_options(self._kind, method)
        kept = {k: v for k, v in texts.items() if k in allowed}
        dropped = [k for k in texts if k not in allowed]
        self._fill(kept)
        self.note.setText(f"Dropped for {method}: {', '.join(dropped)} (not options of this "
                          "method). Empty values use the default." if dropped
                          else "Empty values use the default.")
        self.edited.emit()
