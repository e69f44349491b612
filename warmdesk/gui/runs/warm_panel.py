"""The warm-start panel: the advisor's ranked suggestions for the problem being
edited (with explanations and mapping reports), a run chosen by hand (also by
dropping it from the library table), "start cold", and the guard toggle. The
advisor runs in the background on each edit; stale results are dropped."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QDragEnterEvent, QDragLeaveEvent, QDropEvent, QFont,
                           QFontDatabase, QFontMetrics, QPainter, QPalette)
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QLabel, QListView,
                               QListWidget, QListWidgetItem, QPlainTextEdit, QStyle,
                               QStyledItemDelegate, QStyleOptionViewItem, QVBoxLayout, QWidget)

from ...core.display import plural
from ...core.errors import WarmDeskError
from ...core.library import Library, RunQuery, run_positions
from ...core.problems import Problem
from ...core.runs import Run
from ...core.mapping_report import format_report
from ..background import BackgroundTask, run_in_background
from ..glossary import payload_tip
from ..mime import run_ids_from_mime

if TYPE_CHECKING:  # the advisor imports scipy: loaded on first use, off the GUI thread
    from ...core.advisor import Advice
    from ...core.solvers.base import WarmStart

TOP = 5
#: An entry's (source "cold"|"suggestion"|"hand", suggestion index, score 0..1 or None, detail)
ROLE_ENTRY = Qt.ItemDataRole.UserRole + 1
GUARD_TIP = ("The warm start gets a budget (a fraction, see docs/advisor.md) of the "
             "evaluations a cold solve needs. If it is behind the cold reference by then, "
             "or converges in a worse basin, "
             "a cold solve runs too and the better result is kept (both runs are saved).")
_Index = QModelIndex | QPersistentModelIndex
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_WRAP = Qt.TextFlag.TextWordWrap
COLD_TEXT = "The solver starts from the problem's own start values; no earlier run is used."


def _suggest(library: Library, problem: Problem) -> Advice:
    from ...core.advisor import suggest  # (in a pool thread)
    return suggest(library, problem, top=TOP)


def _listed(library: Library, run_id: str) -> bool:
    """Whether the run is in the library, not deleted (pool thread)."""
    return run_positions(library, RunQuery(limit=1), [run_id]).get(run_id) is not None


@dataclass
class _HandPick:
    run: Run                  # loaded without history
    warm: WarmStart
    problem: Problem          # the problem ``warm`` was built for


class _EntryDelegate(QStyledItemDelegate):
    """An entry: a bold title, a score bar on the right, the wrapped explanation."""

    PAD, BAR = 6, 56

    @staticmethod
    def _fonts(base: QFont) -> tuple[QFont, QFont]:
        bold, small = QFont(base), QFont(base)
        bold.setBold(True)
        small.setPointSizeF(base.pointSizeF() * 0.92)
        return bold, small

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        bold, small = self._fonts(option.font)
        width = max(60, self.parent().viewport().width() - 2 * self.PAD)
        detail = QFontMetrics(small).boundingRect(QRect(0, 0, width, 100_000), _WRAP,
                                                  index.data(ROLE_ENTRY)[3])
        return QSize(width, QFontMetrics(bold).height() + 2 * self.PAD + 4 + detail.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter,
                                       opt.widget)
        bold, small = self._fonts(option.font)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        pen = opt.palette.color(QPalette.ColorRole.HighlightedText if selected
                                else QPalette.ColorRole.Text)
        rect = opt.rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD - 1)
        line_h = QFontMetrics(bold).height()
        score, title_w = index.data(ROLE_ENTRY)[2], rect.width()
        painter.save()
        painter.setPen(pen)
        if score is not None:
            title_w -= self.BAR + 44
            bar = QRect(rect.right() - self.BAR, rect.top() + line_h // 2 - 4, self.BAR, 8)
            painter.fillRect(bar, QColor(0, 0, 0, 40))
            painter.fillRect(bar.adjusted(0, 0, round(bar.width() * (score - 1)), 0),
                             QColor(46, 160, 67))
            painter.setFont(small)
            painter.drawText(QRect(bar.left() - 42, rect.top(), 38, line_h),
                             _RIGHT, f"{100 * score:.0f}%")
        painter.setFont(bold)
        title = QFontMetrics(bold).elidedText(str(index.data(Qt.ItemDataRole.DisplayRole)),
                                              Qt.TextElideMode.ElideRight, title_w)
        painter.drawText(QRect(rect.left(), rect.top(), title_w, line_h), _LEFT, title)
        painter.setFont(small)
        if not selected:
            painter.setPen(QColor(96, 96, 96))
        painter.drawText(rect.adjusted(0, line_h + 3, 0, 0), _WRAP, index.data(ROLE_ENTRY)[3])
        painter.setPen(QColor(0, 0, 0, 30))  # a hairline between entries
        painter.drawLine(opt.rect.bottomLeft(), opt.rect.bottomRight())
        painter.restore()


class WarmStartPanel(QWidget):
    """Choose how the next solve starts: a suggestion, a run chosen by hand, or cold."""

    advice_ready = Signal(object)  # Advice after each suggest() for the problem (None: it failed)
    choice_changed = Signal()      # the chosen warm start (or cold), or the guard toggle, changed

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._problem: Problem | None = None
        self._advice: Advice | None = None
        self._advice_problem: Problem | None = None    # the problem the advice was made for
        self._generation = self._hand_generation = 0   # a later request drops earlier results
        self._suggest_task: BackgroundTask | None = None
        self._hand_task: BackgroundTask | None = None
        self._hand: _HandPick | None = None
        self._choice: tuple[str, int] = ("cold", -1)   # (entry source, suggestion index)
        self._user_choice: tuple[Any, ...] | None = None   # the user's pick, kept on edits
        self._syncing = False
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(_label("Warm start", style="font-weight: bold; font-size: 11pt;"), 1)
        self._busy = _label("", "busyLabel", "color: gray;")
        top.addWidget(self._busy)
        layout.addLayout(top)
        self._header = _label("", "adviceHeader")
        self._message = _label("", "warmMessage", "color: #b3261e;")
        self._list = QListWidget(
            objectName="suggestions", resizeMode=QListView.ResizeMode.Adjust,
            verticalScrollMode=QAbstractItemView.ScrollMode.ScrollPerPixel,
            horizontalScrollBarPolicy=Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._list.setItemDelegate(_EntryDelegate(self._list))
        self._list.currentRowChanged.connect(self._row_chosen)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._report = QPlainTextEdit(objectName="mappingReport", readOnly=True, acceptDrops=False,
                                      font=mono, maximumHeight=QFontMetrics(mono).height() * 8)
        self._guard = QCheckBox("Guard: fall back to a cold solve if the warm start does worse",
                                checked=True, toolTip=GUARD_TIP)
        self._guard.toggled.connect(self.choice_changed)
        self._drop_hint = _label("Choose run…  drop a run from the library here", "dropHint",
                                 alignment=Qt.AlignmentFlag.AlignCenter)
        self._highlight_drop(False)
        for widget, stretch in ((self._header, 0), (self._message, 0), (self._list, 3),
                                (_label("Mapping report", style="font-weight: bold;"), 0),
                                (self._report, 1), (self._guard, 0), (self._drop_hint, 0)):
            layout.addWidget(widget, stretch)
        self._show()

    def _highlight_drop(self, on: bool) -> None:
        colour = "#2e7d32" if on else "gray"
        self._drop_hint.setStyleSheet(f"QLabel {{ border: 1px dashed {colour}; border-radius: 4px;"
                                      f" padding: 6px; color: {colour}; }}")

    def set_problem(self, problem: Problem | None) -> None:
        """Advise on ``problem`` in the background (None clears the panel)."""
        self._problem = problem
        if problem is not None:
            self.refresh()
            if self._hand is not None and self._hand_task is None:
                # (a pick still on its way maps itself onto the newest problem on arrival)
                self._start_hand(self._hand.run, problem, rebuild=True)
            return
        self._generation, self._hand_generation = self._generation + 1, self._hand_generation + 1
        self._suggest_task = self._hand_task = None
        self._advice = self._advice_problem = self._hand = None
        self._show(("cold", -1))

    def refresh(self) -> None:
        """Advise again on the same problem (after runs were added or deleted); a
        hand-picked run no longer in the library (deleted) is dropped."""
        if self._problem is None:
            return
        self._generation += 1
        generation, problem, library = self._generation, self._problem, self._library
        hand = self._hand.run.id if self._hand is not None else ""

        def work() -> tuple[Advice, str]:
            return _suggest(library, problem), hand if hand and not _listed(library, hand) else ""

        self._suggest_task = run_in_background(
            work, lambda result: self._advice_done(generation, problem, result[0], "", result[1]),
            lambda error: self._advice_done(generation, problem, None, error), owner=self)
        self._update_busy()

    def choose_suggestion(self, index: int) -> None:
        if self._advice is None or not 0 <= index < len(self._advice.suggestions):
            self._show_message(f"There is no suggestion #{index + 1}.")
            return
        s = self._advice.suggestions[index]
        self._user_choice = ("run", s.run_id, s.source)
        self._apply(("suggestion", index))

    def choose_run(self, run_id: str) -> None:
        """Use ``run_id`` once it maps onto the problem (else say why; the choice stays)."""
        if self._problem is None:
            self._show_message("Open or edit a problem first: a warm start is built for one.")
        else:
            self._start_hand(run_id, self._problem, rebuild=False)

    def choose_cold(self) -> None:
        self._user_choice = ("cold",)
        self._apply(("cold", -1))

    def selected_warm(self) -> WarmStart | None:
        """The chosen warm start, built for the current problem (None: start cold)."""
        choice, index = self._choice
        if choice == "suggestion" and self._advice and self._advice_problem is self._problem:
            return self._advice.suggestions[index].warm
        if choice == "hand" and self._hand is not None and self._problem is not None:
            if self._hand.problem is self._problem:
                return self._hand.warm
            try:  # the background rebuild is on its way: map it in memory (no I/O)
                from ...core.warmstart import warm_start_from_run
                return warm_start_from_run(self._problem, self._hand.run)
            except (WarmDeskError, ValueError):
                return None
        return None

    def selected_source(self) -> str | None:
        warm = self.selected_warm()
        return warm.source_run_id if warm is not None else None

    def guard_enabled(self) -> bool:
        return self._guard.isChecked()

    def set_guard_enabled(self, on: bool) -> None:
        self._guard.setChecked(on)

    def advice(self) -> Advice | None:
        return self._advice

    def problem(self) -> Problem | None:
        return self._problem

    def advice_problem_hash(self) -> str | None:
        """The content hash of the problem the shown advice was made for."""
        return self._advice_problem.content_hash() if self._advice_problem else None

    def is_busy(self) -> bool:
        """A suggest is in flight (a hand pick being mapped leaves the choice as it was)."""
        return self._suggest_task is not None

    def _advice_done(self, generation: int, problem: Problem,
                     result: Advice | None, error: str, gone: str = "") -> None:
        """The advice arrived; ``gone``: the hand-picked run was deleted meanwhile."""
        if generation != self._generation:
            return  # made for an earlier version of the problem
        self._suggest_task = None
        self._advice = result
        self._advice_problem = problem if result else None
        self._show_message(f"The advisor failed: {error}" if error else "")
        if gone and self._hand is not None and self._hand.run.id == gone:
            self._hand_generation += 1                     # (a rebuild on its way is dropped)
            self._hand = self._hand_task = None
            self._user_choice = None if self._user_choice == ("hand",) else self._user_choice
            self._show_message(f"Run {gone[:8]} is no longer in the library (deleted): the "
                               "hand-picked warm start was dropped")
        self._show(self._preferred_choice())
        self.advice_ready.emit(self._advice)

    def _preferred_choice(self) -> tuple[str, int]:
        """The user's earlier pick if it still applies, else the advice's."""
        picked, advice = self._user_choice, self._advice
        if picked == ("hand",) and self._hand is not None:
            return ("hand", -1)
        keys = [(s.run_id, s.source) for s in advice.suggestions] if advice else []
        if picked and picked[0] == "run" and picked[1:] in keys:
            return ("suggestion", keys.index(picked[1:]))
        cold = picked == ("cold",) or advice is None or advice.top is None
        return ("cold", -1) if cold else ("suggestion", 0)

    def _start_hand(self, run: str | Run, problem: Problem, rebuild: bool) -> None:
        self._hand_generation += 1
        generation, library = self._hand_generation, self._library
        run_id = run.id if isinstance(run, Run) else run

        def work() -> tuple[Run, WarmStart]:
            loaded = run if isinstance(run, Run) else library.get_run(run, history=False)
            from ...core.warmstart import warm_start_from_run
            return loaded, warm_start_from_run(problem, loaded)

        self._hand_task = run_in_background(
            work, lambda result: self._hand_done(generation, problem, result),
            lambda error: self._hand_done(generation, problem, None, run_id, error, rebuild),
            owner=self)
        self._update_busy()

    def _hand_done(self, generation: int, problem: Problem, result: tuple[Run, WarmStart] | None,
                   run_id: str = "", message: str = "", rebuild: bool = False) -> None:
        if generation != self._hand_generation:
            return
        self._hand_task = None
        if result is not None:
            self._hand = _HandPick(result[0], result[1], problem)
            self._user_choice = ("hand",)
            self._show_message("")
            if problem is not self._problem and self._problem is not None:
                self._start_hand(result[0], self._problem, rebuild=True)  # edited meanwhile
            self._show(("hand", -1))
            return
        self._show_message(f"Run {run_id[:8]} cannot warm-start this problem: {message}"
                           + ("; the hand-picked run was dropped" if rebuild else
                              "; the previous choice is kept"))
        if rebuild:
            self._hand = None
            self._user_choice = None if self._user_choice == ("hand",) else self._user_choice
            self._show(self._preferred_choice())
        elif self._hand is not None and self._problem is not None \
                and self._hand.problem is not self._problem:  # the earlier pick needs a rebuild
            self._start_hand(self._hand.run, self._problem, rebuild=True)
        self._update_busy()

    def _show(self, choice: tuple[str, int] = ("cold", -1)) -> None:
        """Header, entries and the chosen entry, after the advice or a pick changed."""
        advice, cold_note = self._advice, COLD_TEXT
        if self._problem is None or advice is None:
            text = "Waiting for the advisor…" if self._problem else "No problem to advise on."
        elif advice.start_cold:
            reason = re.sub(r"^start cold:?\s*", "", advice.reason, flags=re.IGNORECASE)
            text, cold_note = f"<b>START COLD:</b> {html.escape(reason)}", f"Advised: {reason}"
        else:
            text = (f"<b>{plural(len(advice.suggestions), 'suggestion')}</b> from "
                    f"{plural(advice.candidates, 'candidate run')}, "
                    f"{plural(advice.evaluations, 'evaluation')}, "
                    f"{1000 * advice.elapsed_s:.0f} ms<br><span style='color: gray'>"
                    f"{html.escape(advice.reason)}</span>")
        self._header.setText(text)
        self._header.setToolTip("\n".join(advice.notes) if advice is not None else "")
        self._syncing = True
        self._list.clear()
        if self._hand is not None:
            run, payload = self._hand.run, ", ".join(self._hand.warm.payload)
            fun = f"f={run.fun:.4g}" if run.fun is not None else "no f"
            self._add_entry(f"hand-picked: {run.name} {run.id[:8]}", ("hand", -1), None,
                            f"chosen by hand; {run.kind}/{run.method}, {run.status}, {fun}; "
                            f"payload {payload}", self._hand.warm.payload)
        cold_listed = False
        for k, s in enumerate(advice.suggestions if advice is not None else []):
            if s.score <= 0.0 and not cold_listed:  # the advisor ranks these below cold
                self._add_entry("Start cold", ("cold", -1), None, cold_note)
                cold_listed = True
            run = f"{s.run_name} {(s.run_id or '')[:8]}" if s.run_name else (s.run_id or "")[:8]
            label = f"predicted (from {run})" if s.source == "predicted" else run
            self._add_entry(f"#{k + 1}  {label}".rstrip(), ("suggestion", k), s.score,
                            s.explanation, s.payload)
        if not cold_listed:
            self._add_entry("Start cold", ("cold", -1), None, cold_note)
        self._syncing = False
        self._apply(choice)

    def _add_entry(self, title: str, choice: tuple[str, int], score: float | None,
                   detail: str, payload: list[str] | tuple[str, ...] = ()) -> None:
        """An entry; its tooltip also says what each payload it would use is."""
        item = QListWidgetItem(title)
        item.setData(ROLE_ENTRY, (*choice, None if score is None else max(0.0, min(1.0, score)),
                                  detail))
        what = payload_tip(payload)
        item.setToolTip(detail + (f"\n\nWhat it hands to the solver:\n{what}" if what else ""))
        self._list.addItem(item)

    def _apply(self, choice: tuple[str, int]) -> None:
        self._choice = ("cold", -1) if choice[0] == "hand" and self._hand is None else choice
        entries = [self._list.item(r).data(ROLE_ENTRY)[:2] for r in range(self._list.count())]
        self._syncing = True
        self._list.setCurrentRow(entries.index(self._choice) if self._choice in entries else -1)
        self._syncing = False
        self._report.setPlainText(self._report_text())
        self._update_busy()
        self.choice_changed.emit()

    def _report_text(self) -> str:
        choice, index = self._choice
        if choice == "suggestion" and self._advice is not None:
            return format_report(self._advice.suggestions[index].warm.report)
        if choice == "hand" and self._hand is not None:
            return format_report(self._hand.warm.report)
        return "start cold: " + COLD_TEXT

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.setVisible(bool(text))

    def _update_busy(self) -> None:
        self._busy.setText("consulting the advisor…" if self._suggest_task is not None else
                           "mapping the run…" if self._hand_task is not None else "")

    def _row_chosen(self, row: int) -> None:
        item = self._list.item(row) if not self._syncing and row >= 0 else None
        choice, index = item.data(ROLE_ENTRY)[:2] if item is not None else (None, -1)
        if choice == "suggestion":
            self.choose_suggestion(index)
        elif choice == "hand":
            self._user_choice = ("hand",)
            self._apply(("hand", -1))
        elif choice == "cold":
            self.choose_cold()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Only run ids from the library table are accepted."""
        accepted = bool(run_ids_from_mime(event.mimeData()))
        self._highlight_drop(accepted)
        event.setAccepted(accepted)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._highlight_drop(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._highlight_drop(False)
        ids = run_ids_from_mime(event.mimeData())
        event.setAccepted(bool(ids))
        if ids:
            self.choose_run(ids[0])


def _label(text: str, name: str = "", style: str = "", **props: Any) -> QLabel:
    return QLabel(text, objectName=name, styleSheet=style, wordWrap=True, **props)
