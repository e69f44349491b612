"""The run table's model: virtual rows over the SQLite library.

``rowCount`` is the number of runs matching the query (counted in the
background); rows are fetched a page at a time in the background when the
view first asks for one, so a library of 100,000 runs opens at once and only
the pages on screen are ever read. Until its page arrives a row shows
placeholders. Pages live in a bounded LRU cache.

Every background result carries the *generation* it was asked for; a new
query or a refresh makes a new generation and older results are dropped.
A refresh keeps the rows on screen until their fresh copies arrive (count and
the pages last looked at come back together), so nothing flickers.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import (QAbstractTableModel, QMimeData, QModelIndex, QObject,
                            QPersistentModelIndex, Qt, QTimer, Signal)
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from ...core.display import (format_count, format_duration, format_number, format_when,
                            printable, row_flag)
from ...core.library import Library, RunQuery, recorded_savings, sweep_verdicts
from ...core.status import Status
from ...core.sweeps.check import verdict_words
from ..background import run_in_background
from ..glossary import COLUMN_TIPS
from ..mime import RUN_IDS_MIME, run_ids_mime
from ..status_colours import status_colour

PAGE_SIZE = 200
MAX_PAGES = 40                  # cached pages (8,000 rows)
REFETCH_PAGES = 3               # pages re-read by a refresh: the ones last looked at
PLACEHOLDER = "…"
RUN_ID_ROLE = int(Qt.ItemDataRole.UserRole.value) + 1
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sort: str | None = None      # the RunQuery sort key; None: not sortable
    numeric: bool = False


COLUMNS = (
    Column("name", "Name", "name"), Column("kind", "Kind", "kind"),
    Column("method", "Method", "method"), Column("status", "Status", "status"),
    Column("fun", "Objective", "fun", True), Column("nit", "Iterations", "nit", True),
    Column("nfev", "Evaluations", "nfev", True), Column("wall_s", "Wall time", "wall_s", True),
    Column("warm_source", "Warm source"), Column("saving", "Saving", numeric=True),
    Column("created_at", "Date", "created_at"), Column("tags", "Tags"),
)
COLUMN_OF = {c.key: i for i, c in enumerate(COLUMNS)}
_ALIGNS = [int((Qt.AlignmentFlag.AlignRight if c.numeric else Qt.AlignmentFlag.AlignLeft)
               | Qt.AlignmentFlag.AlignVCenter) for c in COLUMNS]
_FLAGS = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsDragEnabled
_STATUS = COLUMN_OF["status"]
_DISPLAY, _TOOLTIP, _ALIGN, _FOREGROUND, _DECORATION = (int(r.value) for r in (
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.DecorationRole))
_ROW_ROLES = frozenset((_DISPLAY, _TOOLTIP, _FOREGROUND, _DECORATION, RUN_ID_ROLE))


# ------------------------------------------------------------------ formatting
def format_wall(seconds: Any) -> str:
    return format_duration(seconds)


def format_date(stamp: Any, seconds: bool = False) -> str:
    return format_when(stamp, seconds, empty="")


_TEXT: dict[str, Callable[[Any], str]] = {
    "fun": lambda v: format_number(v, 6, empty=""), "wall_s": format_wall,
    "created_at": format_date, "warm_source": lambda v: printable(v or "")[:8],
    "nit": lambda v: format_count(v, empty="", grouped=True),
    "nfev": lambda v: format_count(v, empty="", grouped=True)}


def cell_text(row: dict[str, Any], key: str) -> str:
    """A cell's text: never raises, whatever the row holds (see core/display.py); a
    row with values out of range shows "⚠ invalid …" after its name."""
    value, formatter = row.get(key), _TEXT.get(key)
    if key == "saving":        # e.g. "89%", or "~89%" when estimated
        if not isinstance(value, (int, float)) or not abs(value) < 1e4:   # NaN too
            return ""
        return ("~" if row.get("saving_basis") == "estimated" else "") + f"{value * 100:.0f}%"
    if key == "name":
        flag = row_flag(row)
        return printable(value) + (f"  ⚠ {flag}" if flag else "")
    if key == "status" and row.get("sweep_check"):
        # what matters first (the column is narrow): the tooltip gives the solver's
        # status ("converged — failed the sweep's check: ...") and why
        return "✗ check"
    return formatter(value) if formatter else printable(value)


def cell_tooltip(row: dict[str, Any], key: str) -> str:
    """The full value behind a cell."""
    value = row.get(key)
    if key == "name":
        notes = (row.get("notes") or "").strip()
        flag = row_flag(row)
        return (f"{printable(value)}\nid {row['id']}"
                + (f"\n{flag}: this run holds values out of range" if flag else "")
                + (f"\n\n{printable(notes, multiline=True, limit=500)}" if notes else ""))
    if key in ("fun", "wall_s") and value is not None:
        return format_number(value, 17) + (" s" if key == "wall_s" else "")
    if key == "created_at":
        done = row.get("finished_at")
        return f"created {format_date(value, True)}" + (
            f"\nfinished {format_date(done, True)}" if done else "")
    if key == "warm_source":
        return f"warm-started from run {value}" if value else "a cold start"
    if key == "status" and row.get("sweep_check"):
        return verdict_words(printable(value), printable(row["sweep_check"]))
    if key == "saving" and isinstance(value, (int, float)) and abs(value) < 1e4:
        return (f"{value * 100:.1f}% fewer evaluations than a cold start "
                f"({row.get('saving_basis')})")
    return cell_text(row, key)


_ICONS: dict[str, QIcon] = {}


def status_icon(status: str) -> QIcon:
    """A small filled dot in the status's colour (made once per status)."""
    if status not in _ICONS:
        pixmap = QPixmap(12, 12)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor(status_colour(status)))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(2, 2, 8, 8)
        painter.end()
        _ICONS[status] = QIcon(pixmap)
    return _ICONS[status]


# ------------------------------------------------------------------ reading (pool thread)
def fetch_page(library: Library, query: RunQuery, page: int) -> list[dict[str, Any]]:
    """One page of summaries (pool thread). Each row is a flat dict of plain
    values: tags as one string, the saving as ``saving``/``saving_basis`` (or
    None), a sweep's failed check as ``sweep_check`` (or None), and the
    formatted cell texts under the column numbers. Holding no containers, the
    cached rows are never tracked by Python's cyclic GC, whose full
    collections would otherwise grow with them and stall the GUI."""
    rows = library.query(dataclasses.replace(query, limit=PAGE_SIZE, offset=page * PAGE_SIZE))
    savings = recorded_savings(library, [r["id"] for r in rows if r["warm_source"]])
    verdicts = sweep_verdicts(library, [r["id"] for r in rows])
    flat = []
    for r in rows:
        row = {k: v for k, v in r.items() if k != "tags"}
        row["tags"] = " ".join(r["tags"])
        row["saving"], row["saving_basis"] = savings.get(r["id"], (None, None))
        row["sweep_check"] = verdicts.get(r["id"])     # a sweep's point that failed its check
        row.update(enumerate([cell_text(row, c.key) for c in COLUMNS]))  # not in the paint
        flat.append(row)
    return flat


def fetch_reload(library: Library, query: RunQuery,
                 pages: list[int]) -> tuple[int, dict[int, list[dict[str, Any]]]]:
    total = library.count(query)
    last = (total - 1) // PAGE_SIZE
    return total, {p: fetch_page(library, query, p) for p in pages if p <= last}


# ------------------------------------------------------------------ the model
class RunTableModel(QAbstractTableModel):
    """Runs matching a :class:`RunQuery`, paged in lazily from ``library``."""

    loaded = Signal(int)             # the filtered count, after each (re)count
    first_page_loaded = Signal()     # page 0 of the current query arrived (or it has no runs)
    failed = Signal(str)             # a library read failed (the text for the user)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._query = RunQuery(limit=PAGE_SIZE)
        self._total = 0
        self._known = False                  # whether the count is known yet
        self._generation = 0
        # page -> (generation it was read in, its rows), least recently used first
        self._pages: OrderedDict[int, tuple[int, list[dict[str, Any]]]] = OrderedDict()
        self._pending: set[int] = set()      # pages being read for this generation
        self._reloading = 0                  # reloads in flight
        self._reload_again = False
        self._query_changed = True
        self._broken_generation = -1         # a read failed: no page reads until a reload
        self._reload_timer = QTimer(self, singleShot=True, interval=0)  # coalesces calls
        self._reload_timer.timeout.connect(self._start_reload)
        self._reload_timer.start()

    # -------------------------------------------------------------- public API
    @property
    def query(self) -> RunQuery:
        return self._query

    @property
    def total(self) -> int | None:
        """The filtered count, or None before the first count arrived."""
        return self._total if self._known else None

    def set_query(self, query: RunQuery) -> None:
        """Show the runs matching ``query`` (its limit and offset are ignored)."""
        self._query = dataclasses.replace(query, limit=PAGE_SIZE, offset=0)
        self._query_changed = True
        self._generation += 1                # whatever is in flight is for the old query
        self._reload_timer.start()

    def refresh(self) -> None:
        """Re-count and re-read the rows on screen; the old rows stay until then.
        Many calls in a row make one reload."""
        self._reload_timer.start()

    def run_id(self, row: int) -> str | None:
        data = self._row(row, fetch=False)
        return None if data is None else str(data["id"])

    def row_of(self, run_id: str) -> int | None:
        """The row of ``run_id`` among the cached rows of the current query."""
        for page, (generation, rows) in self._pages.items():
            for k, data in enumerate(rows if generation == self._generation else ()):
                if data["id"] == run_id:
                    return page * PAGE_SIZE + k
        return None

    def summary(self, row: int) -> dict[str, Any] | None:
        """The run's summary (as ``Library.query`` gives it, with ``saving``) if read."""
        data = self._row(row, fetch=False)
        return None if data is None else {
            **{k: v for k, v in data.items() if isinstance(k, str)}, "tags": data["tags"].split()}

    def is_loaded(self, row: int) -> bool:
        cached = self._pages.get(row // PAGE_SIZE)
        return cached is not None and cached[0] == self._generation

    # -------------------------------------------------------------- Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        return {_DISPLAY: column.title, _ALIGN: _ALIGNS[section],
                _TOOLTIP: COLUMN_TIPS.get(column.key, column.title)
                + ("\nClick to sort by it." if column.sort else ""),
                }.get(int(role))

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # called ~7 times per cell per paint: the common roles are answered first
        if role == _ALIGN:
            return _ALIGNS[index.column()]
        if role not in _ROW_ROLES:
            return None
        row = self._row(index.row(), fetch=True)
        column = index.column()
        if row is None:
            return PLACEHOLDER if role == _DISPLAY and column == 0 else None
        if role == _DISPLAY:
            return row[column]
        if role == RUN_ID_ROLE:
            return row["id"]
        if role == _TOOLTIP:
            return cell_tooltip(row, COLUMNS[column].key)
        if column == _STATUS and role in (_FOREGROUND, _DECORATION):
            # a sweep's failed check: the failure's colour, the text and the dot alike
            shown = Status.FAILED if row.get("sweep_check") else row["status"]
            return QColor(status_colour(shown)) if role == _FOREGROUND else status_icon(shown)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def mimeTypes(self) -> list[str]:
        return [RUN_IDS_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        ids = (self.run_id(i.row()) for i in sorted(indexes, key=lambda i: i.row()))
        return run_ids_mime(list(dict.fromkeys(i for i in ids if i)))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort server-side by a sortable column; other columns are ignored."""
        key = COLUMNS[column].sort if 0 <= column < len(COLUMNS) else None
        if key is not None:
            self.set_query(dataclasses.replace(
                self._query, sort=key, descending=order == Qt.SortOrder.DescendingOrder))

    # -------------------------------------------------------------- paging
    def _row(self, row: int, fetch: bool) -> dict[str, Any] | None:
        if not 0 <= row < self._total:
            return None
        page = row // PAGE_SIZE
        cached = self._pages.get(page)
        if cached is not None:
            self._pages.move_to_end(page)
        if fetch and (cached is None or cached[0] != self._generation):
            self._request_page(page)         # a stale page shows until its fresh copy comes
        rows = cached[1] if cached is not None else []
        return rows[row % PAGE_SIZE] if row % PAGE_SIZE < len(rows) else None

    def _request_page(self, page: int) -> None:
        if (page in self._pending or self._reloading or not self._known or self.is_loaded(
                page * PAGE_SIZE) or self._broken_generation == self._generation):
            return                           # (a reload brings the pages the view asks for)
        self._pending.add(page)
        generation, query, library = self._generation, self._query, self.library
        self._run(lambda: fetch_page(library, query, page),
                  lambda rows: self._page_arrived(generation, page, rows))

    def _page_arrived(self, generation: int, page: int, rows: list[dict[str, Any]]) -> None:
        if generation != self._generation:
            return
        self._pending.discard(page)
        self._store(page, rows)
        first, last = page * PAGE_SIZE, min(self._total, (page + 1) * PAGE_SIZE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        if page == 0:
            self.first_page_loaded.emit()
        if len(rows) != last - first + 1:
            self.refresh()                   # the library changed under us: count again

    def _store(self, page: int, rows: list[dict[str, Any]]) -> None:
        self._pages[page] = (self._generation, rows)
        self._pages.move_to_end(page)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)

    def _start_reload(self) -> None:
        if self._reloading and not self._query_changed:
            self._reload_again = True        # one more after the one in flight
            return
        changed, self._query_changed, self._reload_again = self._query_changed, False, False
        self._generation += 1
        self._pending.clear()
        generation, query, library = self._generation, self._query, self.library
        pages = [0] if changed else list(reversed(self._pages))[:REFETCH_PAGES] or [0]
        self._reloading += 1

        def arrived(result: tuple[int, dict[int, list[dict[str, Any]]]]) -> None:
            self._reload_done()
            if generation == self._generation:
                self._apply_reload(changed, *result)

        self._run(lambda: fetch_reload(library, query, pages), arrived, self._reload_done)

    def _reload_done(self, _error: str | None = None) -> None:
        self._reloading -= 1
        if self._reload_again and not self._reloading:
            self._reload_timer.start()

    def _apply_reload(self, reset: bool, total: int,
                      pages: dict[int, list[dict[str, Any]]]) -> None:
        reset = reset or not self._known
        if reset:
            self.beginResetModel()
            self._pages.clear()
            self._total, self._known = total, True
        elif total < self._total:
            self.beginRemoveRows(QModelIndex(), total, self._total - 1)
            self._total = total
            self.endRemoveRows()
        elif total > self._total:
            self.beginInsertRows(QModelIndex(), self._total, total - 1)
            self._total = total
            self.endInsertRows()
        for page in [p for p in self._pages if p not in pages]:
            del self._pages[page]            # the others are read again when looked at
        for page, rows in sorted(pages.items()):
            self._store(page, rows)
        if reset:
            self.endResetModel()
        elif total:
            self.dataChanged.emit(self.index(0, 0), self.index(total - 1, len(COLUMNS) - 1))
        self.loaded.emit(total)
        if 0 in pages or not total:
            self.first_page_loaded.emit()

    def _run(self, fn: Callable[[], Any], on_result: Callable[[Any], None],
             on_error: Callable[[str], None] | None = None) -> None:
        def report(message: str) -> None:
            if on_error is not None:
                on_error(message)
            self._pending.clear()
            self._broken_generation = self._generation
            self.failed.emit(message)
        run_in_background(fn, on_result, report, owner=self)
