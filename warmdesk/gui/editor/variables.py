"""The variables (or ODE state) table and the parameters table of the problem editor.

Each row remembers the spec entry it was loaded from; a row the user did not
touch gives back exactly that entry (unknown keys and the ``"b1": 0.0``
shorthand included), an edited row is rebuilt from its cells on top of it.
Cells take a number or a list (``[1, 2]`` or ``1, 2``); anything else is
kept as typed and marked, and the core's validation names the field.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.problems import NAME_RE  # the core's rule for variable and parameter names
from .expression import monospace_font
from .values import format_value, is_numbers, parse_numbers

BAD_CELL = QColor(255, 220, 220)
_NO_BOUND = {"", "inf", "+inf", "-inf", "none"}


class NamedTable(QWidget):
    """A table of ``name: entry`` rows with add/remove buttons (base of both tables)."""

    edited = Signal()
    COLUMNS: tuple[str, ...] = ("name",)
    TIPS: tuple[str, ...] = ("",)
    NOUN = "row"
    PREFIX = "x"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        for col, tip in enumerate(self.TIPS):
            self.table.horizontalHeaderItem(col).setToolTip(tip)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed
                                   | QAbstractItemView.EditTrigger.SelectedClicked)
        self.add_button = QPushButton(f"Add {self.NOUN}")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip(f"Remove the selected {self.NOUN}s")
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        self._origins: dict[int, tuple[str, Any, tuple[str, ...]]] = {}
        self._next_id = 0
        self._shown: Any = None
        self._quiet = False
        self.table.itemChanged.connect(self._item_changed)
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_selected)

    # ------------------------------------------------------------------ per-table parts
    def render_entry(self, entry: Any) -> list[str]:
        raise NotImplementedError

    def build_entry(self, texts: list[str], original: Any) -> Any:
        raise NotImplementedError

    def new_row_texts(self) -> list[str]:
        raise NotImplementedError

    def cell_is_bad(self, column: int, text: str) -> bool:
        if column == 0:
            return not NAME_RE.match(text.strip())
        return bool(text.strip()) and not is_numbers(parse_numbers(text))

    # ------------------------------------------------------------------ loading
    def load(self, entries: Any) -> None:
        """Show the entries of a spec (an object of name: entry; anything else shows none)."""
        self._quiet = True
        try:
            self.table.setRowCount(0)
            self._origins.clear()
            if isinstance(entries, dict):
                for name, entry in entries.items():
                    texts = self.render_entry(entry)
                    rid = self._append([str(name), *texts])
                    self._origins[rid] = (str(name), copy.deepcopy(entry), tuple(texts))
        finally:
            self._quiet = False
        self.table.resizeColumnsToContents()
        self._fit_first_columns()
        self._shown = self._state()

    def _append(self, texts: list[str]) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        rid = self._next_id
        self._next_id += 1
        for col, text in enumerate(texts):
            item = QTableWidgetItem(text)
            if col > 0:
                item.setFont(monospace_font())
            if col == 0:
                item.setData(Qt.ItemDataRole.UserRole, rid)
            self.table.setItem(row, col, item)
            self._mark(item)
        return rid

    def _fit_first_columns(self) -> None:
        for col in range(self.table.columnCount() - 1):
            width = max(self.table.columnWidth(col), 70)
            self.table.setColumnWidth(col, min(width, 260))

    # ------------------------------------------------------------------ reading back
    def rows(self) -> list[tuple[int, list[str]]]:
        out = []
        for row in range(self.table.rowCount()):
            texts = [self._text(row, col) for col in range(self.table.columnCount())]
            name_item = self.table.item(row, 0)
            rid = name_item.data(Qt.ItemDataRole.UserRole) if name_item is not None else None
            out.append((-1 if rid is None else int(rid), texts))
        return out

    def _text(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text() if item is not None else ""

    def _state(self) -> tuple[Any, ...]:
        return tuple((rid, tuple(texts)) for rid, texts in self.rows())

    def names(self) -> list[str]:
        return [texts[0].strip() for _, texts in self.rows() if texts[0].strip()]

    def apply(self, spec: dict[str, Any], key: str) -> None:
        """Write the table into ``spec[key]`` (untouched: the loaded value stays as it was)."""
        if self._state() == self._shown:
            return
        out: dict[str, Any] = {}
        for rid, texts in self.rows():
            name = texts[0].strip()
            if not name or name in out:
                continue  # reported by problems()
            origin = self._origins.get(rid)
            if origin is not None and origin[0] == name and tuple(texts[1:]) == origin[2]:
                out[name] = copy.deepcopy(origin[1])
            else:
                out[name] = self.build_entry(texts[1:], origin[1] if origin else None)
        spec[key] = out

    def problems(self, key: str) -> list[tuple[str, str]]:
        """Rows the spec cannot hold: unnamed rows and names given twice."""
        found: list[tuple[str, str]] = []
        first: dict[str, int] = {}
        for row, (_, texts) in enumerate(self.rows(), start=1):
            name = texts[0].strip()
            if not name:
                found.append((f"{key} (row {row})", f"the {self.NOUN} needs a name"))
            elif name in first:
                found.append((f"{key}.{name}", f"is named twice (rows {first[name]} and {row})"))
            else:
                first[name] = row
        return found

    # ------------------------------------------------------------------ editing
    def add_row(self) -> None:
        taken = set(self.names())
        n = len(taken)
        while f"{self.PREFIX}{n}" in taken:
            n += 1
        self._append([f"{self.PREFIX}{n}", *self.new_row_texts()])
        row = self.table.rowCount() - 1
        self.table.setCurrentCell(row, 0)
        self.edited.emit()

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self.edited.emit()

    def set_cell(self, row: int, column: int, text: str) -> None:
        """Programmatic edit of one cell (goes the same way as typing into it)."""
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            self.table.setItem(row, column, item)
        item.setText(text)

    def row_of(self, name: str) -> int:
        for row, (_, texts) in enumerate(self.rows()):
            if texts[0].strip() == name:
                return row
        return -1

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._quiet:
            return
        self._mark(item)
        self.edited.emit()

    def _mark(self, item: QTableWidgetItem) -> None:
        bad = self.cell_is_bad(item.column(), item.text())
        quiet, self._quiet = self._quiet, True
        try:
            item.setBackground(QBrush(BAD_CELL) if bad else QBrush())
            item.setToolTip(self._bad_tip(item.column()) if bad else "")
        finally:
            self._quiet = quiet

    def _bad_tip(self, column: int) -> str:
        if column == 0:
            return "A name starts with a letter and holds only letters, digits and '_'"
        return "Not a number or a list of numbers such as [1, 2]"


class VariablesTable(NamedTable):
    """``variables`` (minimize, fit) or ``state`` (ode): name, size, start, lower, upper."""

    COLUMNS = ("name", "size", "start", "lower", "upper")
    TIPS = ("Starts with a letter: letters, digits, '_'",
            "Number of elements; empty: the length of start if it is a list, else 1 (a scalar)",
            "A number (used for every element) or a list like [1, 2]",
            "Lower bound(s); empty: no bound", "Upper bound(s); empty: no bound")
    NOUN = "variable"
    KEYS = ("size", "start", "lower", "upper")

    def render_entry(self, entry: Any) -> list[str]:
        if isinstance(entry, dict):
            return [format_value(entry[k]) if k in entry else "" for k in self.KEYS]
        return ["", format_value(entry), "", ""]

    def build_entry(self, texts: list[str], original: Any) -> Any:
        entry: dict[str, Any] = dict(original) if isinstance(original, dict) else {}
        for key, text in zip(self.KEYS, texts):
            bound = key in ("lower", "upper")
            if (bound and text.strip().lower() in _NO_BOUND) or not text.strip():
                entry.pop(key, None)
            else:
                entry[key] = parse_numbers(text)
        shorthand = original is not None and not isinstance(original, dict)
        start = entry.get("start")
        if shorthand and set(entry) == {"start"} and isinstance(start, (int, float)):
            return start  # keep the "b1": 0.0 form
        return entry

    def new_row_texts(self) -> list[str]:
        return ["", "0.0", "", ""]

    def cell_is_bad(self, column: int, text: str) -> bool:
        if column in (3, 4) and text.strip().lower() in _NO_BOUND:
            return False
        return super().cell_is_bad(column, text)

    def set_state_mode(self, state: bool) -> None:
        """ODE problems call their variables the state (bounds are checked, not enforced)."""
        self.NOUN = "state variable" if state else "variable"
        self.PREFIX = "y" if state else "x"
        self.add_button.setText(f"Add {self.NOUN}")
        self.hint.setText(
            "The state at t0. Bounds are checked against the start but not enforced."
            if state else "start, lower and upper take a number (used for every element) or a "
            "list like [1, 2]; empty bounds mean no bound.")


class ParametersTable(NamedTable):
    """``parameters``: fixed numbers (a number or a flat list) usable in every expression."""

    COLUMNS = ("name", "value")
    TIPS = ("Starts with a letter: letters, digits, '_'", "A number or a list like [1, 2]")
    NOUN = "parameter"
    PREFIX = "p"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint.setText("Fixed numbers that every expression can use. Change them to make "
                          "tomorrow's variant of the same problem.")

    def render_entry(self, entry: Any) -> list[str]:
        return [format_value(entry)]

    def build_entry(self, texts: list[str], original: Any) -> Any:
        return parse_numbers(texts[0])

    def new_row_texts(self) -> list[str]:
        return ["1.0"]

    def set_value(self, name: str, value: Any) -> bool:
        """Set a parameter's value as if typed; False when there is no such parameter."""
        row = self.row_of(name)
        if row < 0:
            return False
        self.set_cell(row, 1, format_value(value))
        return True
