"""A table model over a run's history array (N x len(HISTORY_COLUMNS)).

Cells are formatted only when a view asks for them (the visible ones), so a
history of 100,000 rows shows at once; counters print as integers, figures
with six significant digits, and NaN (a column that does not apply) as "".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ...core.runs import HISTORY_COLUMNS
from ..glossary import TERM_TIPS

#: Columns holding counts (shown without decimals).
INTEGER_COLUMNS = frozenset({"iter", "nfev", "njev"})
HEADERS = {"iter": "iter", "nfev": "nfev", "njev": "njev", "wall_s": "wall s",
           "fun": "f", "grad_norm": "|grad|", "constr_viol": "violation", "step": "step",
           "t": "t"}
TOOLTIPS = {name: TERM_TIPS[name] for name in HISTORY_COLUMNS}

_Index = QModelIndex | QPersistentModelIndex


def format_cell(value: float, column: str) -> str:
    """A history value as text; NaN (not applicable) is empty."""
    if math.isnan(value):
        return ""
    if column in INTEGER_COLUMNS and math.isfinite(value):
        return str(int(value))
    return f"{value:.6g}"


class HistoryTableModel(QAbstractTableModel):
    """Read-only view of a history array; ``set_array`` swaps it in whole."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._array = np.empty((0, len(HISTORY_COLUMNS)))

    def set_array(self, array: np.ndarray | None) -> None:
        self.beginResetModel()
        if array is None:
            self._array = np.empty((0, len(HISTORY_COLUMNS)))
        else:
            self._array = np.asarray(array, dtype=float).reshape(-1, len(HISTORY_COLUMNS))
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else int(self._array.shape[0])

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HISTORY_COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            column = HISTORY_COLUMNS[index.column()]
            return format_cell(float(self._array[index.row(), index.column()]), column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return repr(float(self._array[index.row(), index.column()]))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HISTORY_COLUMNS):
            name = HISTORY_COLUMNS[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS.get(name, name)
            if role == Qt.ItemDataRole.ToolTipRole:
                return TOOLTIPS.get(name, name)
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None
