"""The top of the problem editor: name, kind, tags and description.

The kind can be chosen only for a new problem (or to repair a spec whose kind
is no registered kind); a loaded problem shows it read-only. The kinds offered
are the registry's, at the time a spec is loaded.
"""

from __future__ import annotations

import html

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from ...core.kinds.registry import find_kind, kinds
from .values import FieldMemo, format_value, put_text, split_tags


def kind_tip(name: str) -> str:
    """The registered kind's line about itself ("" for no kind)."""
    found = find_kind(name)
    return found.tip if found is not None else ""


class HeaderForm(QWidget):
    """``name``, ``kind``, ``tags`` and ``description``; ``kind_chosen`` when the user picks
    another kind."""

    edited = Signal()
    kind_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.memo = FieldMemo()
        self._loading = False
        self.name = QLineEdit()
        self.name.setPlaceholderText("a name for people (names the runs)")
        self.kind = QComboBox()
        self.kind.setToolTip("The kind decides the other fields; it can be chosen for a new "
                             "problem")
        self.kind_label = QLabel()
        self.kind_label.setObjectName("kind_label")
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("comma-separated labels, e.g. example, finance")
        self.description = QLineEdit()
        self.description.setPlaceholderText("what the problem is, for people")
        grid = QGridLayout(self)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, (text, widget) in enumerate((("Name", self.name), ("Tags", self.tags),
                                              ("Description", self.description))):
            label = QLabel(text)
            label.setBuddy(widget)
            grid.addWidget(label, row, 0, right)
            grid.addWidget(widget, row, 1, 1, 1 if row == 0 else 3)
        grid.addWidget(QLabel("Kind"), 0, 2, right)
        kind_box = QHBoxLayout()
        kind_box.setContentsMargins(0, 0, 0, 0)
        kind_box.addWidget(self.kind)
        kind_box.addWidget(self.kind_label)
        kind_box.addStretch(1)
        grid.addLayout(kind_box, 0, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnMinimumWidth(3, 120)
        for edit in (self.name, self.tags, self.description):
            edit.textChanged.connect(self._changed)
        self.kind.currentTextChanged.connect(self._kind_changed)

    def load(self, spec: dict[str, Any], kind_editable: bool) -> None:
        kind = format_value(spec.get("kind", ""))
        tags = spec.get("tags")
        self._loading = True
        try:
            self.name.setText(format_value(spec.get("name", "")))
            self.kind.clear()
            names = [k.name for k in kinds()]
            self.kind.addItems(names)
            for i, k in enumerate(kinds()):
                self.kind.setItemData(i, k.tip, Qt.ItemDataRole.ToolTipRole)
            if kind not in names:
                self.kind.insertItem(0, kind or "(no kind)")
                self.kind.setCurrentIndex(0)
            else:
                self.kind.setCurrentText(kind)
            self.set_kind_editable(kind_editable or kind not in names)
            self.tags.setText(", ".join(format_value(t) for t in tags) if isinstance(tags, list)
                              else format_value(tags) if "tags" in spec else "")
            self.description.setText(format_value(spec.get("description", "")))
            for edit in (self.name, self.tags, self.description):
                edit.setCursorPosition(0)   # show the beginning of a long text
        finally:
            self._loading = False
        self.memo.reset(self._texts())

    def set_kind_editable(self, editable: bool) -> None:
        """A combo for a new problem; a read-only label for a loaded one."""
        kind = self.kind.currentText()
        self.kind_label.setText(f"<b>{html.escape(kind)}</b>")
        self.kind_label.setToolTip(kind_tip(kind))
        self.kind.setVisible(editable)
        self.kind_label.setVisible(not editable)

    def _texts(self) -> dict[str, str]:
        return {"name": self.name.text(), "tags": self.tags.text(),
                "description": self.description.text()}

    def apply(self, spec: dict[str, Any]) -> None:
        texts = self._texts()
        if self.memo.changed("name", texts["name"]):
            put_text(spec, "name", texts["name"])
        if self.memo.changed("description", texts["description"]):
            put_text(spec, "description", texts["description"])
        if self.memo.changed("tags", texts["tags"]):
            if texts["tags"].strip() or "tags" in spec:
                spec["tags"] = split_tags(texts["tags"])

    def _changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def _kind_changed(self, kind: str) -> None:
        if not self._loading and find_kind(kind) is not None:
            self.kind_chosen.emit(kind)
