"""Everything about one run: a summary (with its warm start, saving and guard),
its problem, solution, history, lineage (clickable both ways), and what
changed from its warm-start source. The run, its lineage and its source are
loaded in the background; a later ``show_run`` drops an earlier load."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QElapsedTimer, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QHeaderView, QLabel, QListWidget,
                               QListWidgetItem, QPlainTextEdit, QTabWidget,
                               QTableView, QTextBrowser, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from ...core.fit_report import FitReport
from ...core.library import Library
from ...core.runs import Run
from ...core.status import Status
from ...core.mapping_report import format_report
from ...core.display import format_count, format_number, printable, row_flag
from ..actions import run_action_button
from ..background import run_in_background
from ..glossary import COLUMN_TIPS, PAYLOAD_TIPS, STATUS_TIPS, TERM_TIPS
from .history_model import HistoryTableModel
from ..library.model import format_date
from .diff import SECTION_TITLES, SECTIONS, diff_headline, diff_runs, format_value
from ..status_colours import status_colour

#: ``run.info`` entries worth a line in the summary, with their labels.
INFO_LINES = {"stopped_by": "Stopped by", "state_note": "Solver state", "constr_violation":
              "Constraint violation", "optimality": "Optimality", "t_reached": "t reached",
              "import_note": "Imported"}
SHOWN_VALUES = 8    # a vector longer than this is summarised
#: The summary's labels explained (a tooltip over the label).
LABEL_TIPS = {"f": TERM_TIPS["fun"], "Iterations": TERM_TIPS["nit"],
              "Evaluations": TERM_TIPS["nfev"] + "\n" + TERM_TIPS["njev"],
              "Wall time": COLUMN_TIPS["wall_s"], "Status": COLUMN_TIPS["status"],
              "Warm start": COLUMN_TIPS["warm_source"] + " Hover a payload for what it is.",
              "Mapping report": TERM_TIPS["mapping"], "Saving": COLUMN_TIPS["saving"],
              "Guard": TERM_TIPS["guard"], "Solver state kept": TERM_TIPS["state"],
              "Optimality": TERM_TIPS["optimality"], "Stopped by": TERM_TIPS["stopped_by"],
              "Constraint violation": TERM_TIPS["constr_viol"], "t reached": TERM_TIPS["t"],
              "Scaled start": TERM_TIPS["scaled_start"]}


@dataclass
class _Loaded:
    run: Run
    ancestors: list[dict[str, Any]]
    descendants: list[dict[str, Any]]
    source: Run | None          # the warm-start source, when it is in the library


def _load(library: Library, run_id: str) -> _Loaded:
    """Background: the run with its history, its lineage both ways, and its source."""
    run = library.get_run(run_id)
    source_id = run.warm_source
    source = library.get_run(source_id, history=False) \
        if source_id and library.has_run(source_id) else None
    return _Loaded(run, library.lineage(run.id, "ancestors"),
                   library.lineage(run.id, "descendants"), source)


def _shown_key(loaded: _Loaded) -> tuple[Any, ...]:
    """What the details show of a load, in short: a reload that finds the same
    skips refilling the tabs (their scroll positions and selections stay)."""
    run = loaded.run
    return (run.id, run.name, run.status, tuple(run.tags), run.notes, run.finished_at,
            run.nfev, len(run.history.array),
            tuple(e["id"] for e in loaded.ancestors), tuple(e["id"] for e in loaded.descendants),
            loaded.source.id if loaded.source is not None else None)


def _when(stamp: float | None) -> str:
    return format_date(stamp, seconds=True) if stamp is not None else "—"


def _text(text: str) -> str:
    """User-provided text for rich text: escaped, control characters made visible."""
    return html.escape(printable(text, multiline=True))


def _link(run_id: str | None) -> str:
    return f'<a href="run:{html.escape(run_id)}">{html.escape(run_id[:8])}</a>' if run_id else "—"


def summarise_values(values: Any) -> str:
    """A variable's values: all of them when few, else the ends and their range."""
    arr = np.ravel(np.asarray(values, dtype=float))
    if arr.size <= SHOWN_VALUES:
        return ", ".join(f"{v:.6g}" for v in arr)
    ends = ", ".join(f"{v:.4g}" for v in arr[:4]) + ", …, " + \
        ", ".join(f"{v:.4g}" for v in arr[-2:])
    return (f"{ends}   (min {np.nanmin(arr):.4g}, max {np.nanmax(arr):.4g}, "
            f"mean {np.nanmean(arr):.4g}, |x| {np.linalg.norm(arr):.4g})")


def _tip(text: str, tip: str | None) -> str:
    """``text`` (HTML) with a tooltip (Qt shows a ``title`` as the fragment's tooltip)."""
    return f'<span title="{html.escape(tip)}">{text}</span>' if tip else text


def _sweep_verdict(run: Run) -> str:
    """A sweep's point that failed the sweep's check says so beside the
    solver's status (which stays the solver's word)."""
    sweep = run.info.get("sweep")
    reason = sweep.get("check") if isinstance(sweep, dict) else None
    if not reason:
        return ""
    colour = status_colour(Status.FAILED)
    return (f' — <b style="color:{colour}">failed the sweep\'s check</b>: {_text(str(reason))}'
            f" (point {_text(str(sweep.get('point')))} of sweep "
            f"{_text(str(sweep.get('name') or str(sweep.get('id'))[:8]))})")


def _scaled_start_text(phase: dict[str, Any]) -> str:
    """``run.info["scaled_start"]`` (core/solvers/curvature.py) in one line."""
    ended = str(phase.get("ended") or "")
    if phase.get("used") is not True:
        return ended or "not used"
    return (f"{phase.get('evaluations')} evaluations, {phase.get('iterations')} iterations; "
            f"ended: {ended}")


def summary_html(run: Run) -> str:
    """The Summary tab: one table of labelled lines; run ids link as ``run:<id>``."""
    colour = status_colour(run.status)
    status = _tip(f'<b style="color:{colour}">{html.escape(run.status)}</b>',
                  STATUS_TIPS.get(run.status))
    said = f" — {_text(run.message)}" if run.message else ""
    verdict = _sweep_verdict(run)
    if verdict:     # the sweep's verdict first, then the solver's own words
        said = verdict + (f"<br>the solver: {_text(run.message)}" if run.message else "")
    rows: list[tuple[str, str]] = [
        ("Run", f"<code>{run.id}</code>"),
        ("Kind / method", f"{html.escape(run.kind)} / {html.escape(run.method)}"),
        ("Status", status + said),
        ("f", format_number(run.fun, 10, empty="—")),
        ("Iterations", format_count(run.nit)),
        ("Evaluations", f"{format_count(run.nfev)} (gradient {format_count(run.njev)})"),
        ("Wall time", f"{format_number(run.wall_s, 3)} s"),
        ("Created / finished", f"{_when(run.created_at)} / {_when(run.finished_at)}")]
    if run.warm is None:
        rows.append(("Warm start", "none: started cold"))
    else:
        warm = run.warm
        payload = ", ".join(_tip(_text(p), PAYLOAD_TIPS.get(p)) for p in warm.payload)
        source = _link(warm.source_run_id)
        rows.append(("Warm start", f"from {source}: payload {payload} ({_text(warm.mode)})"))
        if warm.report:
            report = html.escape(format_report(warm.report))
            rows.append(("Mapping report", f"<pre style=\"white-space:pre-wrap\">{report}</pre>"))
    phase = run.info.get("scaled_start")
    if isinstance(phase, dict):
        rows.append(("Scaled start", html.escape(_scaled_start_text(phase))))
    saving = run.info.get("saving")
    if isinstance(saving, dict) and saving.get("value") is not None:
        text = (f"<b>{100 * saving['value']:.0f}%</b> fewer evaluations than cold "
                f"({saving.get('warm_nfev')} vs {saving.get('cold_nfev')}), "
                f"{html.escape(str(saving.get('basis')))} against cold run "
                f"{_link(saving.get('cold_run'))}")
        rows.append(("Saving", text))
    guard = run.info.get("guard")
    if isinstance(guard, dict):
        text = f"<b>{html.escape(str(guard.get('action')))}</b>: " \
               f"{html.escape(str(guard.get('reason') or ''))}"
        if guard.get("budget"):
            reference = _link(guard.get("reference_run"))
            text += (f"<br>budget {guard['budget']} evaluations of a cold "
                     f"{guard.get('reference_nfev')} (reference {reference}); "
                     f"{guard.get('total_nfev')} evaluations in all")
        if guard.get("kept") and guard["kept"] != run.id:
            text += f"<br>the run kept: {_link(guard['kept'])}"
        rows.append(("Guard", text))
    if run.state:
        rows.append(("Solver state kept", ", ".join(
            f"{_tip(html.escape(k), PAYLOAD_TIPS.get(k))} "
            f"{'×'.join(map(str, np.shape(v))) or 'scalar'}"
            for k, v in run.state.items())))
    rows += _fit_report_rows(run)
    rows += [(label, html.escape(format_value(run.info[key])))
             for key, label in INFO_LINES.items() if run.info.get(key) is not None]
    rows += [("Warning", html.escape(str(w))) for w in run.info.get("warnings", [])]
    flag = row_flag(run.to_dict())
    if flag:
        rows.insert(0, ("Warning", (f"<b>{flag}</b>: this run holds values out of range, "
                                    "shown as (invalid). Delete it or import it again from a "
                                    "sound run file.")))
    rows += [("Tags", _text(", ".join(run.tags)) or "—"),
             ("Notes", _text(run.notes).replace("\n", "<br>") or "—"),
             ("Versions", _text(", ".join(f"{k} {v}" for k, v in run.versions.items())))]
    body = "".join(f'<tr><td style="color:#555; padding-right:12px; white-space:nowrap" '
                   f'valign="top" width="1%">{_tip(label, LABEL_TIPS.get(label))}</td>'
                   f"<td>{value}</td></tr>" for label, value in rows)
    return f"<table cellspacing='3' width='100%'>{body}</table>"


def _fit_report_rows(run: Run) -> list[tuple[str, str]]:
    """A fit's parameter uncertainties (core/fit_report.py) and its warnings, in red."""
    if "fit_report" not in run.info:
        return []
    report = FitReport.read(run.info["fit_report"])
    if report is None:
        return [("Fit report", "stored in a form this version cannot read")]
    lines = [line for line in report.lines() if not line.startswith("warning: ")]
    rows = [("Fit report", "<pre style=\"white-space:pre-wrap\">"
             + html.escape("\n".join(lines)) + "</pre>")]
    rows += [("Fit warning", f'<span style="color:#b3261e">{html.escape(flag)}</span>')
             for flag in report.flags]
    return rows


class RunDetails(QWidget):
    """The details of one run, in tabs."""

    run_activated = Signal(str)          # a lineage entry clicked (open that run)
    new_problem_requested = Signal(str)  # "New problem from this run" button
    warm_start_requested = Signal(str)   # "Use as warm start" button
    loaded = Signal(object)              # the Run shown, after each background load

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._run: Run | None = None
        self._generation = 0
        self._loading: str | None = None     # the run being read, if any
        self._shown_key: tuple[Any, ...] | None = None   # what is shown (see _shown_key)
        self._last_activation = ("", QElapsedTimer())
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self._title = QLabel(objectName="runTitle", wordWrap=True)
        self._title.setTextFormat(Qt.TextFormat.RichText)
        self._new_problem = run_action_button("new_problem")
        self._use_warm = run_action_button("warm_start")
        self._new_problem.clicked.connect(lambda: self._request(self.new_problem_requested))
        self._use_warm.clicked.connect(lambda: self._request(self.warm_start_requested))
        top.addWidget(self._title, 1)
        top.addWidget(self._new_problem)
        top.addWidget(self._use_warm)
        layout.addLayout(top)
        self._message = QLabel(objectName="detailsMessage", wordWrap=True)
        layout.addWidget(self._message)
        self._tabs = QTabWidget()
        layout.addWidget(self._tabs, 1)
        self._summary = QTextBrowser(objectName="summary", openLinks=False)
        self._summary.anchorClicked.connect(self._link_clicked)
        self._problem = QPlainTextEdit(objectName="problemText", readOnly=True, font=mono)
        self._solution = _tree(["variable", "size", "values"], "solution")
        self._history_model = HistoryTableModel(self)
        self._history = QTableView(objectName="history")
        self._history.setModel(self._history_model)
        self._history.verticalHeader().setVisible(False)
        self._history.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._history.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self._history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._history_label = QLabel()
        self._ancestors = QListWidget(objectName="ancestors")
        self._descendants = QListWidget(objectName="descendants")
        for view in (self._ancestors, self._descendants):
            view.itemClicked.connect(self._lineage_clicked)
            view.itemActivated.connect(self._lineage_clicked)
        self._diff_label = QLabel(objectName="diffLabel", wordWrap=True)
        self._diff_label.linkActivated.connect(lambda url: self._link_clicked(QUrl(url)))
        self._diff = _tree(["", "source", "this run", "change"], "diff")
        self._tabs.addTab(self._summary, "Summary")
        self._tabs.addTab(self._problem, "Problem")
        self._tabs.addTab(self._solution, "Solution")
        self._tabs.addTab(_column(self._history_label, self._history), "History")
        self._tabs.addTab(_column(QLabel("<b>Warm-started from</b> (nearest first)"),
                                  self._ancestors, QLabel("<b>Runs it seeded</b>"),
                                  self._descendants), "Lineage")
        self._tabs.addTab(_column(self._diff_label, self._diff), "Diff")
        self.clear()

    # ------------------------------------------------------------------ public API
    def show_run(self, run_id: str) -> None:
        """Load ``run_id`` (with its history, lineage and source) in the background."""
        self._set_message(f"Loading run {run_id[:8]}…", error=False)
        self._start_load(run_id, quiet=False)

    def reload(self) -> None:
        """Read the shown run again (the library changed: renamed, tagged, finished,
        ...); what is shown stays until the fresh copy arrives. A ``show_run`` on
        its way goes on instead."""
        if self._run is not None and self._loading is None:
            self._start_load(self._run.id, quiet=True)

    def _start_load(self, run_id: str, quiet: bool) -> None:
        self._generation += 1
        self._loading = run_id
        generation, library = self._generation, self._library
        run_in_background(lambda: _load(library, run_id),
                          lambda result: self._arrived(generation, result, quiet),
                          lambda error: self._failed(generation, run_id, error), owner=self)

    def run(self) -> Run | None:
        return self._run

    def clear(self) -> None:
        self._generation += 1            # a load on its way is dropped
        self._loading = None
        self._run = None
        self._shown_key = None
        self._title.setText("<span style='color:gray'>No run selected</span>")
        self._set_message("", error=False)
        self._fill(None)

    # ------------------------------------------------------------------ loading
    def _arrived(self, generation: int, loaded: _Loaded, quiet: bool = False) -> None:
        if generation != self._generation:
            return
        self._loading = None
        self._run = loaded.run
        self._set_message("", error=False)
        run = loaded.run
        key = _shown_key(loaded)
        if quiet and key == self._shown_key:
            return                       # a reload found nothing new: keep the view as it is
        self._shown_key = key
        colour = status_colour(run.status)
        self._title.setText(f"<b style='font-size:13pt'>{_text(run.name)}</b> "
                            f"<span style='color:gray'>{_text(run.id[:8])} · {_text(run.kind)} "
                            f"· {_text(run.method)}</span> <b style='color:{colour}'>"
                            f"{_text(run.status)}</b>")
        self._fill(loaded)
        self.loaded.emit(run)

    def _failed(self, generation: int, run_id: str, error: str) -> None:
        if generation != self._generation:
            return
        self.clear()
        self._set_message(f"Cannot show run {run_id}: {error}", error=True)

    def _set_message(self, text: str, error: bool) -> None:
        self._message.setStyleSheet("color: #b3261e;" if error else "color: gray;")
        self._message.setText(text)
        self._message.setVisible(bool(text))

    def _fill(self, loaded: _Loaded | None) -> None:
        run = loaded.run if loaded else None
        self._new_problem.setEnabled(run is not None)
        self._use_warm.setEnabled(run is not None and run.usable)
        self._summary.setHtml(summary_html(run) if run else "")
        self._problem.setPlainText(json.dumps(run.problem, indent=2, allow_nan=True)
                                   if run else "")
        self._solution.clear()
        for name, values in (run.solution.items() if run else []):
            summary = summarise_values(values)
            item = QTreeWidgetItem([name, str(np.size(values)), summary])
            item.setToolTip(2, summary if np.size(values) <= 200 else
                            ", ".join(f"{v:.6g}" for v in np.ravel(values)[:200]) + ", …")
            self._solution.addTopLevelItem(item)
        history = run.history.array if run else None
        self._history_model.set_array(history)
        self._history_label.setText(f"{len(history)} rows" if history is not None else "")
        self._fill_lineage(self._ancestors, loaded.ancestors if loaded else [],
                           "none: it started cold")
        self._fill_lineage(self._descendants, loaded.descendants if loaded else [],
                           "none yet: no run was warm-started from it")
        self._fill_diff(loaded)

    def _fill_lineage(self, view: QListWidget, entries: list[dict[str, Any]],
                      empty: str) -> None:
        view.clear()
        for e in entries:
            indent = "    " * (int(e["depth"]) - 1)
            if e["in_library"]:
                text = f"{indent}{printable(e['name'])}  {e['id'][:8]}  {e['status']}"
            else:
                text = f"{indent}{e['id'][:8]}  (not in the library)"
            item = QListWidgetItem(text + (f"   payload {', '.join(e['payload'])}"
                                           if e.get("payload") else ""))
            item.setData(Qt.ItemDataRole.UserRole, e["id"] if e["in_library"] else None)
            item.setForeground(QBrush(QColor("#1f5fa8" if e["in_library"] else "#9a9a9a")))
            item.setToolTip(f"{e['id']} (depth {e['depth']})" + ("" if e["in_library"] else
                            ": deleted, or from another library"))
            view.addItem(item)
        if not entries:
            item = QListWidgetItem(empty)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            view.addItem(item)

    def _fill_diff(self, loaded: _Loaded | None) -> None:
        self._diff.clear()
        run = loaded.run if loaded else None
        if run is None or run.warm_source is None:
            self._diff_label.setText("" if run is None else
                                     "No warm-start source: this run started cold.")
            self._diff.setVisible(False)
            return
        if loaded is None or loaded.source is None:
            self._diff_label.setText(f"Its warm-start source {run.warm_source[:8]} is not in "
                                     "the library (deleted, or from another library).")
            self._diff.setVisible(False)
            return
        source = loaded.source
        rows = diff_runs(source, run)
        self._diff_label.setText(f"Compared with its warm-start source <b>"
                                 f"{html.escape(source.name)}</b> {_link(source.id)}: "
                                 f"{html.escape(diff_headline(rows))}.")
        self._diff.setVisible(True)
        bold = QFont(self._diff.font())
        bold.setBold(True)
        for section in SECTIONS:
            picked = [r for r in rows if r.section == section]
            if not picked and section != "parameter":
                continue
            head = QTreeWidgetItem([SECTION_TITLES[section]])
            head.setFont(0, bold)
            self._diff.addTopLevelItem(head)
            for r in picked:
                child = QTreeWidgetItem([r.name, r.old, r.new, r.change_text()])
                if section == "result" and r.changed:
                    for col in (2, 3):
                        child.setFont(col, bold)
                head.addChild(child)
            if not picked:
                head.addChild(QTreeWidgetItem(["(no parameter changed)"]))
            head.setExpanded(True)
        for col in range(3):
            self._diff.resizeColumnToContents(col)
            self._diff.setColumnWidth(col, self._diff.columnWidth(col) + 24)

    # ------------------------------------------------------------------ clicks
    def _request(self, signal: Any) -> None:
        if self._run is not None:
            signal.emit(self._run.id)

    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme() == "run" and url.path():
            self._activate(url.path())

    def _lineage_clicked(self, item: QListWidgetItem) -> None:
        run_id = item.data(Qt.ItemDataRole.UserRole)
        if run_id:
            self._activate(str(run_id))

    def _activate(self, run_id: str) -> None:
        """Emit ``run_activated`` once per gesture (a double click also clicks)."""
        last, timer = self._last_activation
        if last == run_id and timer.isValid() and \
                timer.elapsed() < QApplication.doubleClickInterval():
            return
        timer.start()
        self._last_activation = (run_id, timer)
        self.run_activated.emit(run_id)


def _tree(headers: list[str], name: str) -> QTreeWidget:
    tree = QTreeWidget(objectName=name, rootIsDecorated=False, alternatingRowColors=True)
    tree.setHeaderLabels(headers)
    tree.setUniformRowHeights(True)
    return tree


def _column(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 4, 4)
    for w in widgets:
        layout.addWidget(w, 1 if isinstance(w, (QListWidget, QTableView, QTreeWidget)) else 0)
    return box
