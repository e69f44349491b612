"""The panel of active runs: one row per solve job, with its progress, elapsed
time, and Interrupt / Cancel (and Kill, when a cancel did not end it) buttons.

Finished jobs stay listed with their final status (a failure's message in red,
what the guard did) until "Clear finished"; successful ones also go by
themselves after a while. Everything here runs on the GUI thread and only
reads what the :class:`~warmdesk.gui.runs.solve_manager.SolveManager` signals carry.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ...core.kinds.registry import curve_is_time
from ...core.runs import HistoryCol, Run
from .solve_manager import JobResult, SolveManager
from ...core.status import Status

#: After a cancel, the Kill button appears if the job has not ended by then.
KILL_AFTER_S = 3.0
#: Finished jobs that did not fail leave the list by themselves after this long.
KEEP_FINISHED_S = 300.0
REQUEST_TEXT = {"cancel": "cancelling…", "interrupt": "interrupting…",
                "kill": "ending the solver process…"}
ERROR_STYLE = "color: #c62828;"


def _muted(label: QLabel) -> QLabel:
    """Secondary text: the theme's placeholder colour (half-strength text)."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText,
                     palette.color(QPalette.ColorRole.PlaceholderText))
    label.setPalette(palette)
    return label


def format_elapsed(seconds: float) -> str:
    seconds = int(max(0.0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def progress_text(kind: str, row: np.ndarray) -> str:
    """One history row as "iteration 41 · f 1.23e-05 · 215 evals" (ode: step and t)."""
    it, nfev = int(row[HistoryCol.ITER]), int(row[HistoryCol.NFEV])
    fun, t = float(row[HistoryCol.FUN]), float(row[HistoryCol.T])
    if curve_is_time(kind) or (math.isnan(fun) and not math.isnan(t)):
        return f"step {it} · t {t:.4g} · {nfev} evals"
    return f"iteration {it} · f {fun:.3g} · {nfev} evals"


def outcome_text(run: Run | None) -> str:
    if run is None:
        return "no run was made"
    figures = [run.status]
    if run.fun is not None and run.status is not Status.FAILED:
        figures.append(f"f {run.fun:.3g}")
    figures += [f"{run.nit} iterations", f"{run.nfev} evals"]
    return " · ".join(figures)


class JobRow(QFrame):
    """One job in the panel. Click it to select its (kept or latest) run."""

    clicked = Signal(str)

    def __init__(self, job_id: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job_id = job_id
        self.started = time.monotonic()
        self.ended: float | None = None
        self.failed = False
        self.cancel_requested_at: float | None = None
        self.requested: str | None = None
        self.run_ids: list[str] = []
        self._kinds: dict[str, str] = {}
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.title_label = QLabel(label)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.run_label = _muted(QLabel("starting…"))
        self.elapsed_label = QLabel(format_elapsed(0))
        self.state_label = QLabel("starting the solver process…")
        self.state_label.setWordWrap(True)
        self.state_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.guard_label = QLabel()
        self.guard_label.setWordWrap(True)
        self.guard_label.hide()
        self.interrupt_button = QPushButton("Interrupt")
        self.interrupt_button.setToolTip("Stop and keep the result so far (usable as a warm start)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop and discard the result")
        self.kill_button = QPushButton("Kill")
        self.kill_button.setToolTip("End the solver process at once (it did not stop)")
        self.kill_button.hide()
        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addWidget(self.run_label, 1)
        top.addWidget(self.elapsed_label)
        middle = QHBoxLayout()
        middle.addWidget(self.state_label, 1)
        for button in (self.interrupt_button, self.cancel_button, self.kill_button):
            middle.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(middle)
        layout.addWidget(self.guard_label)

    @property
    def finished(self) -> bool:
        return self.ended is not None

    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def add_run(self, run: Run) -> None:
        self.run_ids.append(run.id)
        self._kinds[run.id] = run.kind
        warm = f" · warm from {run.warm.source_run_id[:8]}" if run.warm and \
            run.warm.source_run_id else ""
        role = "" if len(self.run_ids) == 1 else " · guard's cold run"
        self.run_label.setText(f"{run.name} · {run.id[:8]}{warm}{role}")
        self.run_label.setToolTip(run.id)
        if len(self.run_ids) > 1:
            self.state_label.setText("the guard stopped the warm run; solving cold…")

    def show_progress(self, run_id: str, rows: np.ndarray) -> None:
        if self.finished or not len(rows):
            return
        prefix = "cold run: " if len(self.run_ids) > 1 and run_id == self.run_ids[-1] else ""
        note = f" ({REQUEST_TEXT[self.requested]})" if self.requested else ""
        self.elapsed_label.setText(format_elapsed(self.elapsed()))
        self.state_label.setText(prefix + progress_text(self._kinds.get(run_id, ""), rows[-1])
                                 + note)

    def mark_requested(self, what: str) -> None:
        if what == "cancel" and self.cancel_requested_at is None:
            self.cancel_requested_at = time.monotonic()
        self.requested = what
        self.state_label.setText(REQUEST_TEXT[what])

    def tick(self, now: float) -> None:
        self.elapsed_label.setText(format_elapsed(self.elapsed()))
        if (not self.finished and self.cancel_requested_at is not None
                and now - self.cancel_requested_at >= KILL_AFTER_S):
            self.kill_button.show()

    def finish(self, result: JobResult) -> None:
        self.ended = time.monotonic()
        self.elapsed_label.setText(format_elapsed(self.elapsed()))
        for button in (self.interrupt_button, self.cancel_button, self.kill_button):
            button.hide()
        if result.run is not None and result.run.id not in self.run_ids:
            self.run_ids.append(result.run.id)
        self.failed = result.error is not None
        if self.failed:
            self.state_label.setText(f"failed: {result.error}")
            self.state_label.setStyleSheet(ERROR_STYLE)
        else:
            self.state_label.setText(outcome_text(result.run))
        self.state_label.setToolTip(result.run.message if result.run is not None else "")
        if result.guard:
            self.guard_label.setText(f"guard: {result.guard['action']}")
            self.guard_label.setToolTip(result.guard.get("reason", ""))
            self.guard_label.show()

    def selected_run(self) -> str | None:
        return self.run_ids[-1] if self.run_ids else None

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        run_id = self.selected_run()
        if (event.button() == Qt.MouseButton.LeftButton and run_id is not None
                and self.rect().contains(event.position().toPoint())):
            self.clicked.emit(run_id)


class ActiveRunsPanel(QWidget):
    """The jobs of a :class:`SolveManager`, running and recently finished."""

    notification = Signal(str, str)   # level ('info' | 'error'), text
    run_selected = Signal(str)        # run id

    def __init__(self, manager: SolveManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self._rows: dict[str, JobRow] = {}
        self._run_rows: dict[str, JobRow] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.count_label = QLabel()
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(self.clear_finished)
        self.empty_label = _muted(QLabel("No solves running."))
        header = QHBoxLayout()
        self.title_label = title = QLabel("Active runs")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        header.addWidget(title)
        header.addWidget(self.count_label, 1)
        header.addWidget(self.clear_button)
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.addWidget(self.empty_label)
        self._list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._list)
        # compact: a slim strip at the bottom of the window shows its title, its
        # buttons and a line of the list (which scrolls)
        scroll.setMinimumHeight(self.fontMetrics().height() * 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(scroll, 1)
        manager.job_launched.connect(self._on_launched)
        manager.run_started.connect(self._on_run_started)
        manager.progress.connect(self._on_progress)
        manager.job_finished.connect(self._on_finished)
        self._update_header()

    def row(self, job_id: str) -> JobRow | None:
        return self._rows.get(job_id)

    def job_ids(self) -> list[str]:
        return list(self._rows)

    def clear_finished(self) -> None:
        for job_id in [j for j, r in self._rows.items() if r.finished]:
            self._remove(job_id)

    def _remove(self, job_id: str) -> None:
        row = self._rows.pop(job_id)
        for run_id in row.run_ids:
            self._run_rows.pop(run_id, None)
        self._list_layout.removeWidget(row)
        row.deleteLater()
        self._update_header()

    def _on_launched(self, job_id: str, label: str) -> None:
        row = JobRow(job_id, label)
        row.interrupt_button.clicked.connect(lambda: self._request(job_id, "interrupt"))
        row.cancel_button.clicked.connect(lambda: self._request(job_id, "cancel"))
        row.kill_button.clicked.connect(lambda: self._request(job_id, "kill"))
        row.clicked.connect(self.run_selected)
        self._rows[job_id] = row
        self._list_layout.insertWidget(0, row)  # newest first
        if not self._timer.isActive():
            self._timer.start()
        self._update_header()

    def _request(self, job_id: str, what: str) -> None:
        row = self._rows.get(job_id)
        if row is None or row.finished:
            return
        row.mark_requested(what)
        {"interrupt": self.manager.interrupt, "cancel": self.manager.cancel,
         "kill": self.manager.kill}[what](job_id)

    def _on_run_started(self, job_id: str, run: Run) -> None:
        row = self._rows.get(job_id)
        if row is not None:
            row.add_run(run)
            self._run_rows[run.id] = row

    def _on_progress(self, run_id: str, rows: np.ndarray) -> None:
        row = self._run_rows.get(run_id)
        if row is not None:
            row.show_progress(run_id, rows)

    def _on_finished(self, job_id: str, result: JobResult) -> None:
        row = self._rows.get(job_id)
        label = row.title_label.text() if row is not None else self.manager.job_label(job_id)
        if row is not None:
            row.finish(result)
            for run in result.runs:
                self._run_rows[run.id] = row
        self._update_header()
        if result.error is not None:
            self.notification.emit("error", f"{label}: failed: {result.error}")
            return
        guard = f" (guard: {result.guard['action']})" if result.guard else ""
        self.notification.emit("info", f"{label}: {outcome_text(result.run)}{guard}")

    def _tick(self) -> None:
        now = time.monotonic()
        for job_id, row in list(self._rows.items()):
            if row.ended is not None and not row.failed and now - row.ended > KEEP_FINISHED_S:
                self._remove(job_id)
            else:
                row.tick(now)
        if not self._rows:
            self._timer.stop()

    def _update_header(self) -> None:
        running = sum(not r.finished for r in self._rows.values())
        finished = len(self._rows) - running
        self.count_label.setText(f"{running} running" + (f", {finished} finished"
                                                          if finished else ""))
        self.clear_button.setEnabled(finished > 0)
        self.empty_label.setVisible(not self._rows)
