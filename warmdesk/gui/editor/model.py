"""The "Model" forms of the problem editor for ``minimize`` (objective and
constraints) and ``ode`` (a right-hand side per state, time span, output points
and checkpoints).

Each form loads from a spec and writes back into one; a field the user did not
touch leaves the loaded value as it was (see :class:`FieldMemo`).
"""

from __future__ import annotations

import copy
from typing import Any, Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QGridLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QToolButton, QVBoxLayout, QWidget)

from .expression import ExpressionField
from .values import FieldMemo, format_value, parse_scalar_or_text, put_text

CONSTRAINT_TYPES = ("ineq", "eq")
TYPE_WIDTH, NAME_WIDTH, REMOVE_WIDTH = 78, 140, 26


def make_form(parent: QWidget | None = None) -> QFormLayout:
    """A form layout with right-aligned labels, the look of every editor form."""
    form = QFormLayout(parent)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    form.setHorizontalSpacing(10)
    form.setVerticalSpacing(8)
    return form


def with_hint(widget: QWidget, hint: QLabel) -> QWidget:
    """A field with its hint right under it (a wrapped label directly in a QFormLayout
    gets too much height)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(3)
    layout.addWidget(widget)
    layout.addWidget(hint)
    return box


def lay_out_form(widget: QWidget, form: QFormLayout, note: str) -> None:
    """``widget``'s layout: its form, then a wrapped note under it, the rest stretch."""
    label = QLabel(note)
    label.setObjectName("hint")
    label.setWordWrap(True)
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(8, 8, 8, 8)
    layout.addLayout(form)
    layout.addWidget(label)
    layout.addStretch(1)


def names_hint(groups: list[tuple[str, list[str]]]) -> str:
    """``Names: variables x · parameters a, b`` for the label under an expression."""
    parts = [f"{title} {', '.join(names)}" for title, names in groups if names]
    return "Names: " + ("  ·  ".join(parts) if parts else "none yet") + \
        "  ·  functions such as exp, log, sum, dot, where"


def text_of(spec: dict[str, Any], key: str) -> str:
    return format_value(spec[key]) if key in spec else ""


def show_text(combo: QComboBox, text: str) -> None:
    """Select ``text``, adding it as an item when it is not one (a value the spec had)."""
    if combo.findText(text) < 0 and (text or not combo.isEditable()):
        combo.addItem(text)
    if combo.isEditable():
        combo.setEditText(text)
    else:
        combo.setCurrentText(text)


class ModelForm(QWidget):
    """Base of the kind-specific forms: ``load``, ``apply``, ``expression_fields``."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.memo = FieldMemo()
        self._loading = False
        # Parented now: a form that does not lay it out must not leave a top-level
        # widget for Python's garbage collector to destroy on another thread.
        self.names_hint = QLabel(self)
        self.names_hint.setObjectName("hint")
        self.names_hint.setWordWrap(True)
        self.names_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def load(self, spec: dict[str, Any]) -> None:
        raise NotImplementedError

    def apply(self, spec: dict[str, Any]) -> None:
        raise NotImplementedError

    def expression_fields(self) -> list[ExpressionField]:
        return []

    def local_problems(self) -> list[tuple[str, str]]:
        """What is wrong before the core can tell, as ``(field, message)``."""
        return []

    def show_problems(self, problems: list[tuple[str, str]]) -> None:
        """Show the spec's problems by field (the status list shows them all)."""

    def show_problem(self, problem: Any) -> None:
        """The checked problem (None while invalid), for forms that sum it up."""

    def set_columns(self, columns: list[str] | None) -> None:
        """The data file's columns once read (None while unknown), for column pickers."""

    def _changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def _line(self, placeholder: str = "", tip: str = "", width: int = 0) -> QLineEdit:
        edit = QLineEdit()
        if width:
            edit.setMaximumWidth(width)
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(tip)
        edit.textChanged.connect(self._changed)
        return edit


class ConstraintRow(QWidget):
    """One constraint: type, expression, name and a remove button."""

    removed = Signal(object)

    def __init__(self, index: int, origin: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.origin = copy.deepcopy(origin)
        self.type = QComboBox()
        self.type.addItems(CONSTRAINT_TYPES)
        self.type.setToolTip("ineq: expr >= 0;  eq: expr == 0")
        self.type.setFixedWidth(TYPE_WIDTH)
        self.expr = ExpressionField(f"constraints[{index}].expr", 1, 4)
        self.name = QLineEdit()
        self.name.setPlaceholderText(f"c{index}")
        self.name.setToolTip("A label for reports (empty: c0, c1, ...)")
        self.name.setFixedWidth(NAME_WIDTH)
        self.remove = QToolButton()
        self.remove.setFixedWidth(REMOVE_WIDTH)
        self.remove.setText("✕")
        self.remove.setToolTip("Remove this constraint")
        self.remove.clicked.connect(lambda: self.removed.emit(self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.type, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.expr, 1)
        layout.addWidget(self.name, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.remove, 0, Qt.AlignmentFlag.AlignTop)

    def show_entry(self, entry: Any) -> None:
        entry = entry if isinstance(entry, dict) else {}
        show_text(self.type, format_value(entry.get("type", "ineq")))
        self.expr.set_text(text_of(entry, "expr"))
        self.name.setText(text_of(entry, "name"))

    def state(self) -> tuple[str, str, str]:
        return self.type.currentText(), self.expr.text(), self.name.text()

    def entry(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.origin) if isinstance(self.origin, dict) else {}
        out["type"] = self.type.currentText()
        out["expr"] = self.expr.text()
        if self.name.text().strip():
            out["name"] = self.name.text()
        else:
            out.pop("name", None)
        return out


class MinimizeForm(ModelForm):
    """``objective`` and ``constraints``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.objective = ExpressionField("objective", 2, 6)
        self.objective.edit.setToolTip("A single number to minimise (wrap vector terms in "
                                       "sum(...)); uses the variables and the parameters")
        self.objective.edited.connect(self._changed)
        self.rows: list[ConstraintRow] = []
        self._names: list[str] = []
        self._rows_box = QVBoxLayout()
        self._rows_box.setSpacing(4)
        self.add_button = QPushButton("Add constraint")
        self.add_button.clicked.connect(self.add_constraint)
        self.none_label = QLabel("No constraints. Constraints need SLSQP or trust-constr.")
        self.none_label.setObjectName("hint")
        header = QHBoxLayout()
        for text, width in (("type", TYPE_WIDTH), ("expression  (ineq: expr ≥ 0, eq: expr = 0)", 0),
                            ("name", NAME_WIDTH)):
            label = QLabel(text)
            label.setObjectName("hint")
            if width:
                label.setFixedWidth(width)
            header.addWidget(label, 0 if width else 1)
        header.addSpacing(REMOVE_WIDTH + header.spacing())
        form = make_form()
        form.addRow("Objective", with_hint(self.objective, self.names_hint))
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.addLayout(form, 0, 0)
        grid.addWidget(line, 1, 0)
        constraints = QLabel("<b>Constraints</b>")
        grid.addWidget(constraints, 2, 0)
        grid.addLayout(header, 3, 0)
        grid.addLayout(self._rows_box, 4, 0)
        grid.addWidget(self.none_label, 5, 0)
        grid.addWidget(self.add_button, 6, 0, Qt.AlignmentFlag.AlignLeft)
        grid.setRowStretch(7, 1)
        self._header_widgets = [header.itemAt(i).widget() for i in range(3)]

    def load(self, spec: dict[str, Any]) -> None:
        self._loading = True
        try:
            self.objective.set_text(text_of(spec, "objective"))
            for row in list(self.rows):
                self._drop(row)
            cons = spec.get("constraints", [])
            for entry in cons if isinstance(cons, list) else []:
                self._add(entry).show_entry(entry)
        finally:
            self._loading = False
        self.memo.reset({"objective": self.objective.text(), "constraints": self._state()})
        self._update_empty()

    def apply(self, spec: dict[str, Any]) -> None:
        if self.memo.changed("objective", self.objective.text()):
            put_text(spec, "objective", self.objective.text())
        if self.memo.changed("constraints", self._state()):
            spec["constraints"] = [row.entry() for row in self.rows]

    def expression_fields(self) -> list[ExpressionField]:
        return [self.objective, *(row.expr for row in self.rows)]

    def set_names(self, names: Iterable[str]) -> None:
        self._names = list(names)
        for field in self.expression_fields():
            field.set_names(self._names)

    def add_constraint(self) -> None:
        row = self._add({"type": "ineq", "expr": ""})
        row.show_entry({"type": "ineq", "expr": ""})
        row.expr.edit.setFocus()
        self._changed()

    def _add(self, origin: Any) -> ConstraintRow:
        row = ConstraintRow(len(self.rows), origin, self)
        row.expr.set_names(self._names)
        row.type.currentTextChanged.connect(self._changed)
        row.expr.edited.connect(self._changed)
        row.name.textChanged.connect(self._changed)
        row.removed.connect(self._remove)
        self.rows.append(row)
        self._rows_box.addWidget(row)
        self._update_empty()
        return row

    def _remove(self, row: ConstraintRow) -> None:
        self._drop(row)
        self._changed()

    def _drop(self, row: ConstraintRow) -> None:
        self.rows.remove(row)
        self._rows_box.removeWidget(row)
        row.hide()
        row.deleteLater()
        for i, other in enumerate(self.rows):
            other.expr.field = f"constraints[{i}].expr"
            other.name.setPlaceholderText(f"c{i}")
        self._update_empty()

    def _update_empty(self) -> None:
        self.none_label.setVisible(not self.rows)
        for label in self._header_widgets:
            label.setVisible(bool(self.rows))

    def _state(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(row.state() for row in self.rows)


class OdeForm(ModelForm):
    """``rhs`` (one expression per state), ``t_span``, ``t_eval`` and ``checkpoints``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._texts: dict[str, str] = {}
        self._states: list[str] = []
        self._names: list[str] = []
        self.fields: dict[str, ExpressionField] = {}
        self._layout: tuple[Any, ...] = ()
        self.t0 = self._line("t0", "Start time", 130)
        self.t1 = self._line("t1", "End time (greater than t0)", 130)
        self.t_eval = self._line("101 (default)", "Evenly spaced output points from t0 to t1, "
                                 "both included (0: none)", 130)
        self.checkpoints = self._line("10 (default)", "How many times the state is saved for "
                                      "later warm starts (1 to 10000)", 130)
        span = QHBoxLayout()
        span.addWidget(self.t0)
        span.addWidget(QLabel("to"))
        span.addWidget(self.t1)
        span.addStretch(1)
        title = QLabel("<b>Derivatives</b> d(state)/dt; they can use the state, the "
                       "parameters and t")
        title.setWordWrap(True)
        self.form = make_form()
        self.form.addRow("Time span", span)
        self.form.addRow("Output points", self.t_eval)
        self.form.addRow("Checkpoints", self.checkpoints)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(title)
        layout.addWidget(self.names_hint)
        layout.addLayout(self.form)
        layout.addStretch(1)

    def load(self, spec: dict[str, Any]) -> None:
        self._loading = True
        try:
            rhs = spec.get("rhs")
            self._texts = ({str(k): format_value(v) for k, v in rhs.items()}
                           if isinstance(rhs, dict) else {})
            span = spec.get("t_span")
            pair = span if isinstance(span, list) and len(span) == 2 else ["", ""]
            self.t0.setText(format_value(pair[0]))
            self.t1.setText(format_value(pair[1]))
            self.t_eval.setText(text_of(spec, "t_eval"))
            self.checkpoints.setText(text_of(spec, "checkpoints"))
            self._rebuild()
        finally:
            self._loading = False
        self.memo.reset({"rhs": self._filled(), "t_span": (self.t0.text(), self.t1.text()),
                         "t_eval": self.t_eval.text(), "checkpoints": self.checkpoints.text()})

    def apply(self, spec: dict[str, Any]) -> None:
        if self.memo.changed("rhs", self._filled()):
            spec["rhs"] = self._filled()
        span = (self.t0.text(), self.t1.text())
        if self.memo.changed("t_span", span):
            if not any(s.strip() for s in span):
                spec.pop("t_span", None)
            else:
                spec["t_span"] = [parse_scalar_or_text(s) for s in span]
        for key, edit in (("t_eval", self.t_eval), ("checkpoints", self.checkpoints)):
            if self.memo.changed(key, edit.text()):
                put_text(spec, key, edit.text(), parse_scalar_or_text)

    def expression_fields(self) -> list[ExpressionField]:
        return list(self.fields.values())

    def set_states(self, states: list[str], names: Iterable[str]) -> None:
        """Show one right-hand side per state (plus any the spec has for no state)."""
        self._names = list(names)
        if states != self._states:
            self._states = list(states)
            self._rebuild()
        for field in self.fields.values():
            field.set_names(self._names)

    def _filled(self) -> dict[str, str]:
        return {name: text for name, text in self._texts.items() if text.strip()}

    def _rebuild(self) -> None:
        wanted = list(self._states) + [n for n, t in self._texts.items()
                                       if t.strip() and n not in self._states]
        layout = (tuple(wanted), tuple(self._states))
        if layout == self._layout:
            for name, field in self.fields.items():
                field.set_text(self._texts.get(name, ""))
            return
        self._layout = layout
        for _ in range(len(self.fields)):
            self.form.removeRow(0)
        self.fields = {}
        for row, name in enumerate(wanted):
            field = ExpressionField(f"rhs.{name}", 1, 4)
            field.set_names(self._names)
            field.set_text(self._texts.get(name, ""))
            field.edited.connect(lambda n=name, f=field: self._rhs_edited(n, f))
            label = QLabel(f"d{name}/dt" if name in self._states else f"{name} (no such state)")
            label.setToolTip(f"rhs.{name}")
            if name not in self._states:
                label.setStyleSheet("color: #b00;")
            self.form.insertRow(row, label, field)
            self.fields[name] = field

    def _rhs_edited(self, name: str, field: ExpressionField) -> None:
        self._texts[name] = field.text()
        self._changed()
