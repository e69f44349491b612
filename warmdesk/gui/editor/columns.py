"""The target column and the feature columns of the kinds that learn from a
CSV file (``train``, ``network``): one editable target combo, "every column
except the target", and a check list of the columns.

The column names come from the data tab once it has read the file; until then
the list keeps whatever the spec named (a name the file lacks is shown red).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QListWidget, QListWidgetItem, QVBoxLayout

from .model import show_text, text_of
from .values import FieldMemo, format_value, put_text

FIELD_WIDTH = 300


def combo(editable: bool, items: list[str] | tuple[str, ...] = (), tip: str = "") -> QComboBox:
    """A combo of the editor's width (an editable one keeps any text typed)."""
    box = QComboBox()
    box.setEditable(editable)
    box.addItems(list(items))
    box.setToolTip(tip)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(12)
    box.setMaximumWidth(FIELD_WIDTH)
    return box


def refill(box: QComboBox, items: list[str]) -> None:
    """New items, same text."""
    text = box.currentText()
    box.blockSignals(True)
    box.clear()
    box.addItems(items)
    show_text(box, text)
    box.blockSignals(False)


class TargetFeatures(QObject):
    """``target`` and ``features`` (absent: every column but the target)."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._columns: list[str] = []
        self._selected: list[str] = []
        self.target = combo(True, tip="The column to predict")
        self.every_other = QCheckBox("Every column except the target")
        self.features = QListWidget()
        self.features.setToolTip("The input columns")
        self.features.setMinimumHeight(90)
        self.features.setMaximumHeight(170)
        self.features.setMaximumWidth(int(FIELD_WIDTH * 1.5))
        self.box = QVBoxLayout()
        self.box.setSpacing(4)
        self.box.addWidget(self.every_other)
        self.box.addWidget(self.features)
        self.target.currentTextChanged.connect(self._target_changed)
        self.every_other.toggled.connect(self._every_other_toggled)
        self.features.itemChanged.connect(self._feature_toggled)

    def load(self, spec: dict[str, Any]) -> None:
        show_text(self.target, text_of(spec, "target"))
        features = spec.get("features")
        self._selected = ([format_value(f) for f in features]
                          if isinstance(features, list) else [])
        self.every_other.blockSignals(True)
        self.every_other.setChecked(features is None)
        self.every_other.blockSignals(False)
        self._fill()

    def states(self) -> dict[str, Any]:
        return {"target": self.target.currentText(),
                "features": (self.every_other.isChecked(), tuple(self._selected))}

    def apply(self, spec: dict[str, Any], memo: FieldMemo) -> None:
        states = self.states()
        if memo.changed("target", states["target"]):
            put_text(spec, "target", states["target"])
        if memo.changed("features", states["features"]):
            if self.every_other.isChecked():
                spec.pop("features", None)
            else:
                spec["features"] = list(self._selected)

    def chosen(self) -> list[str]:
        """The feature names as the core will read them (the columns once known)."""
        if self.every_other.isChecked():
            target = self.target.currentText().strip()
            return [c for c in self._columns if c != target]
        return list(self._selected)

    def set_columns(self, columns: list[str] | None) -> None:
        if columns is not None:
            self._columns = list(columns)
            refill(self.target, columns)
            self._fill()

    def _target_changed(self, _text: str) -> None:
        self._fill()
        self.changed.emit()

    def _fill(self) -> None:
        target = self.target.currentText().strip()
        every = self.every_other.isChecked()
        names = list(self._selected) + [c for c in self._columns
                                        if c not in self._selected and c != target]
        self.features.blockSignals(True)
        self.features.clear()
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = (name != target) if every else name in self._selected
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if self._columns and name not in self._columns:
                item.setToolTip("not a column of the data file")
                item.setForeground(Qt.GlobalColor.red)
            self.features.addItem(item)
        self.features.setEnabled(not every)
        self.features.blockSignals(False)

    def _every_other_toggled(self, on: bool) -> None:
        if not on and not self._selected:
            target = self.target.currentText().strip()
            self._selected = [c for c in self._columns if c != target]
        self._fill()
        self.changed.emit()

    def _feature_toggled(self, _item: QListWidgetItem) -> None:
        self._selected = [self.features.item(i).text() for i in range(self.features.count())
                          if self.features.item(i).checkState() == Qt.CheckState.Checked]
        self.changed.emit()
