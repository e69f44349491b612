"""Which "Model" form edits which kind: the five kinds with a dedicated form are
named here (the one kind-name table of the GUI, like ``_BUILT_IN`` in the core's
registry); any other registered kind gets a :class:`GenericForm` built from
what its :class:`~warmdesk.core.kinds.base.Kind` declares
(:meth:`~warmdesk.core.kinds.base.Kind.form_fields`), so a new kind is usable
in the app without an edit in the GUI (see ``docs/kinds.md``).

The generic form shows one row per field: an expression is checked as it is
typed (with the names in scope); a number, a text; an undeclared field holds
its value as JSON (``[1, 2]``, ``3.5``, ``{"a": 1}``, ``"3"``) or plain text.
The core's spec reader checks the spec as for any form; its errors and
malformed JSON are shown under their field.
"""

from __future__ import annotations

import json
from typing import Any

from typing import Iterable

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from ...core.kinds.base import FormField, Kind
from .expression import ExpressionField
from .model import MinimizeForm, ModelForm, OdeForm, make_form, with_hint
from .model_data import FitForm, TrainForm
from .model_network import NetworkForm
from .values import format_value, parse_scalar_or_text

#: kind name -> its dedicated form; a kind not named here gets a GenericForm.
DEDICATED_FORMS: dict[str, type[ModelForm]] = {
    "minimize": MinimizeForm, "fit": FitForm, "train": TrainForm, "ode": OdeForm,
    "network": NetworkForm}

_JSON_OPENERS = ('{', '[', '"')


def form_for(kind: Kind) -> ModelForm:
    """A new Model form for ``kind``: its dedicated one, else a generic one."""
    dedicated = DEDICATED_FORMS.get(kind.name)
    return dedicated() if dedicated is not None else GenericForm(kind)


def parse_field_text(text: str) -> tuple[Any, str]:
    """A line's value and what is wrong with it ("" if nothing): JSON if it
    reads as JSON, else the text itself unless it looks like broken JSON."""
    stripped = text.strip()
    try:
        return json.loads(stripped), ""
    except ValueError as exc:
        if stripped.startswith(_JSON_OPENERS):
            return stripped, f"not valid JSON: {exc}"
        return stripped, ""


class GenericForm(ModelForm):
    """A row per field of a kind with no dedicated form."""

    def __init__(self, kind: Kind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind_name = kind.name
        self.types: dict[str, str] = {}
        self.edits: dict[str, QLineEdit | ExpressionField] = {}
        self.errors: dict[str, QLabel] = {}
        form = make_form(self)
        form.setContentsMargins(8, 8, 8, 8)
        for field in kind.form_fields():
            edit = self._field_edit(field)
            error = QLabel()
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.setStyleSheet("color: rgb(190, 0, 0);")
            error.hide()
            self.types[field.name] = field.type
            self.edits[field.name], self.errors[field.name] = edit, error
            label = field.label or field.name.replace("_", " ").capitalize()
            form.addRow(label, with_hint(edit, error))
        tip = kind.tip.rstrip(".")
        note = QLabel((f"{tip}. " if tip else "") + f"The {kind.name} kind has no form of "
                      "its own: this one is made from the fields it declares.")
        note.setObjectName("hint")
        note.setWordWrap(True)
        form.addRow("", with_hint(self.names_hint, note))  # (wrapped labels: one row)

    def _field_edit(self, field: FormField) -> QLineEdit | ExpressionField:
        if field.type == "expression":
            expression = ExpressionField(field.name, 2, 6)
            expression.edit.setToolTip(field.tip)
            expression.edited.connect(self._changed)
            return expression
        default_tip = {"number": "a number", "text": "a text"}.get(
            field.type, "a JSON value, or plain text (quote a text that reads as a number)")
        edit = self._line(tip=field.tip or f"{field.name}: {default_tip}")
        edit.setObjectName(f"field_{field.name}")
        return edit

    def load(self, spec: dict[str, Any]) -> None:
        self._loading = True
        try:
            for field, edit in self.edits.items():
                text = format_value(spec[field]) if field in spec else ""
                if isinstance(edit, ExpressionField):
                    edit.set_text(text)
                else:
                    edit.setText(text)
                    edit.setCursorPosition(0)
        finally:
            self._loading = False
        self.memo.reset(self._texts())
        self.show_problems([])

    def apply(self, spec: dict[str, Any]) -> None:
        for field, text in self._texts().items():
            if not self.memo.changed(field, text):
                continue
            if not text.strip():
                spec.pop(field, None)
            else:
                spec[field] = self._value(field, text)[0]

    def _value(self, field: str, text: str) -> tuple[Any, str]:
        typ = self.types[field]
        if typ == "number":
            return parse_scalar_or_text(text), ""
        if typ == "json":
            return parse_field_text(text)
        return text.strip() if typ == "text" else text, ""

    def expression_fields(self) -> list[ExpressionField]:
        return [e for e in self.edits.values() if isinstance(e, ExpressionField)]

    def set_names(self, names: Iterable[str]) -> None:
        for expression in self.expression_fields():
            expression.set_names(names)

    def local_problems(self) -> list[tuple[str, str]]:
        """Malformed JSON, by field (the core cannot tell it from a text)."""
        found = []
        for field, text in self._texts().items():
            message = self._value(field, text)[1] if self.memo.changed(field, text) else ""
            if message:
                found.append((field, message))
        return found

    def show_problems(self, problems: list[tuple[str, str]]) -> None:
        for field, label in self.errors.items():
            edit = self.edits[field]
            own = isinstance(edit, ExpressionField) and edit.error_message()
            mine = [] if own else [m for f, m in problems if f == field
                                   or f.startswith((field + ".", field + "["))]
            label.setText("\n".join(mine))
            label.setVisible(bool(mine))

    def _texts(self) -> dict[str, str]:
        return {field: edit.text() for field, edit in self.edits.items()}
