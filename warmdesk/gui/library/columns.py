"""The run table's columns: their order (most important first), widths, which
fit the table's width, and the header menu that shows or hides them (the
user's picks are kept in the settings by the window)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QMenu, QTableView, QWidget

from .model import COLUMN_OF, COLUMNS

WIDTHS = {"name": 240, "kind": 70, "method": 95, "status": 105, "fun": 95, "nit": 75,
          "nfev": 90, "wall_s": 80, "warm_source": 90, "saving": 60, "created_at": 125,
          "tags": 90}
#: The columns left to right, most important first: when the table is narrow the
#: columns at the end are hidden first, so the status and the saving (the point
#: of the app) stay in view. The name takes what is left (at least NAME_MIN).
COLUMN_PRIORITY = ("name", "status", "saving", "fun", "nfev", "kind", "method", "created_at",
                   "warm_source", "nit", "wall_s", "tags")
NAME_MIN = 150


class TableColumns(QObject):
    chosen = Signal(dict)       # the user showed/hid columns: {key: shown}
    message = Signal(str)

    def __init__(self, table: QTableView, owner: QWidget,
                 popup: Callable[[QMenu, Any], None]) -> None:
        """Arrange ``table``'s columns; ``owner`` parents the header menu, which
        ``popup(menu, global_pos)`` shows."""
        super().__init__(owner)
        self._table = table
        self._owner = owner
        self._choice: dict[str, bool] = {}   # the user's picks in the header menu
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        for visual, key in enumerate(COLUMN_PRIORITY):
            header.moveSection(header.visualIndex(COLUMN_OF[key]), visual)
            header.resizeSection(COLUMN_OF[key], WIDTHS[key])
        header.setMinimumSectionSize(40)
        header.setSectionResizeMode(COLUMN_OF["name"], QHeaderView.ResizeMode.Stretch)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda pos: popup(self.menu(), header.mapToGlobal(pos)))

    def set_choice(self, choice: dict[str, bool]) -> None:
        """The user's column picks (from the settings): True shown first, False hidden."""
        self._choice = {k: bool(v) for k, v in choice.items() if k in COLUMN_OF and k != "name"}
        self.fit()

    def menu(self) -> QMenu:
        """The header's menu: one checkable entry per column (the name always shows)."""
        menu = QMenu(self._owner)
        header = self._table.horizontalHeader()
        for key in COLUMN_PRIORITY[1:]:
            action = menu.addAction(COLUMNS[COLUMN_OF[key]].title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(COLUMN_OF[key]))
            action.toggled.connect(lambda on, k=key: self._choose(k, on))
        return menu

    def _choose(self, key: str, shown: bool) -> None:
        self._choice[key] = shown
        self.fit()
        self.chosen.emit(dict(self._choice))
        if shown and self._table.horizontalHeader().isSectionHidden(COLUMN_OF[key]):
            self.message.emit(f"No room for the {COLUMNS[COLUMN_OF[key]].title} "
                              "column: widen the table or hide another column")

    def fit(self) -> None:
        """Show the columns that fit the table's width, by priority (the ones the
        user showed first, the ones the user hid never); hide the rest."""
        header = self._table.horizontalHeader()
        room = self._table.viewport().width() - NAME_MIN
        choice = self._choice
        order = sorted(COLUMN_PRIORITY[1:], key=lambda k: not choice.get(k, False))
        full = False
        for key in order:
            column = COLUMN_OF[key]
            width = header.sectionSize(column) if not header.isSectionHidden(column) \
                else WIDTHS[key]
            show = choice.get(key, True) and not full and width <= room
            full = full or (choice.get(key, True) and not show)
            if show:
                room -= width
            if header.isSectionHidden(column) == show:
                header.setSectionHidden(column, not show)
                if show:
                    header.resizeSection(column, WIDTHS[key])
