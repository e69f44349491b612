"""Which "Model" form edits which kind: the four kinds with a dedicated form are
named here (the one kind-name table of the GUI, like ``_BUILT_IN`` in the core's
registry); any other registered kind gets a :class:`GenericForm` built from the
fields its :class:`~warmdesk.core.kinds.base.Kind` declares, so a new kind is
usable in the app without an edit in the GUI (see ``docs/kinds.md``).

The generic form shows one line per field the other tabs do not edit (the
unknowns, the parameters and the data file have theirs). A line holds the
field's value as JSON (``[1, 2]``, ``3.5``, ``{"a": 1}``, ``"3"``) or plain text
(an expression such as ``(x - a)**2``). The core's spec reader checks the spec
as for any form; its errors and malformed JSON are shown under their field.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from ...core.kinds.base import Kind
from .model import MinimizeForm, ModelForm, OdeForm, make_form, with_hint
from .model_data import FitForm, TrainForm
from .values import format_value

#: kind name -> its dedicated form; a kind not named here gets a GenericForm.
DEDICATED_FORMS: dict[str, type[ModelForm]] = {
    "minimize": MinimizeForm, "fit": FitForm, "train": TrainForm, "ode": OdeForm}

_JSON_OPENERS = ('{', '[', '"')


def form_for(kind: Kind) -> ModelForm:
    """A new Model form for ``kind``: its dedicated one, else a generic one."""
    dedicated = DEDICATED_FORMS.get(kind.name)
    return dedicated() if dedicated is not None else GenericForm(kind)


def generic_fields(kind: Kind) -> list[str]:
    """The fields of ``kind`` the generic form edits (the other tabs edit the rest)."""
    elsewhere = set()
    if kind.edits_variables:
        elsewhere.add(kind.words.unknowns)
    if kind.uses_dataset:
        elsewhere.add("data")
    return sorted(kind.fields - elsewhere)


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
    """A line per field of a kind with no dedicated form."""

    def __init__(self, kind: Kind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind_name = kind.name
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        form = make_form(self)
        form.setContentsMargins(8, 8, 8, 8)
        for field in generic_fields(kind):
            edit = self._line(tip=f"{field}: a JSON value, or plain text (an expression); "
                                   "quote a text that reads as a number")
            edit.setObjectName(f"field_{field}")
            error = QLabel()
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.setStyleSheet("color: rgb(190, 0, 0);")
            error.hide()
            self.edits[field], self.errors[field] = edit, error
            form.addRow(field.replace("_", " ").capitalize(), with_hint(edit, error))
        note = QLabel(f"{kind.tip.rstrip('.')}. The {kind.name} kind has no form of its own: each "
                      "field is a JSON value or plain text." if kind.tip else
                      "Each field is a JSON value or plain text.")
        note.setObjectName("hint")
        note.setWordWrap(True)
        form.addRow("", note)
        form.addRow("", self.names_hint)

    def load(self, spec: dict[str, Any]) -> None:
        self._loading = True
        try:
            for field, edit in self.edits.items():
                edit.setText(format_value(spec[field]) if field in spec else "")
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
                spec[field] = parse_field_text(text)[0]

    def local_problems(self) -> list[tuple[str, str]]:
        """Malformed JSON, by field (the core cannot tell it from a text)."""
        found = []
        for field, text in self._texts().items():
            message = parse_field_text(text)[1] if self.memo.changed(field, text) else ""
            if message:
                found.append((field, message))
        return found

    def show_problems(self, problems: list[tuple[str, str]]) -> None:
        for field, label in self.errors.items():
            mine = [m for f, m in problems if f == field or f.startswith((field + ".",
                                                                           field + "["))]
            label.setText("\n".join(mine))
            label.setVisible(bool(mine))

    def _texts(self) -> dict[str, str]:
        return {field: edit.text() for field, edit in self.edits.items()}
