"""A running sweep's progress: points done of the total, each chain's share
(done, failed, of its points), every failed point with the check's reason,
and Cancel (the chains stop; the points that finished stay stored); or a past
sweep as the library holds it (:meth:`SweepProgress.show_stored`)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListWidget,
                               QListWidgetItem, QProgressBar, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.display import format_when, printable
from ...core.sweeps import PointFinished, PointResult, StoredSweep, SweepResult, SweepStarted

RUN_ID_ROLE = 0x0100 + 1   # Qt.UserRole + 1: a failure's run id


class SweepProgress(QWidget):
    cancel_requested = Signal()
    run_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweep_progress")
        self.title = QLabel("No sweep yet: File > Open sweep…, New sweep from the problem, "
                            "or Open sweep from library… (a past sweep)",
                            objectName="sweep_title", wordWrap=True)
        self.bar = QProgressBar(objectName="sweep_bar")
        self.bar.setFormat("%v / %m points")
        self.bar.setValue(0)
        self.cancel = QPushButton("Cancel sweep", objectName="sweep_cancel", enabled=False)
        self.cancel.setToolTip("Stop the chains; the points that finished stay in the library")
        self.cancel.clicked.connect(self._cancel_clicked)
        self.chains = QTableWidget(0, 3, objectName="sweep_chains")
        self.chains.setHorizontalHeaderLabels(["points", "done", "failed"])
        self.chains.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.chains.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.chains.setMaximumHeight(140)
        self.failures = QListWidget(objectName="sweep_failures")
        self.failures.setToolTip("Points that failed the check (click: show the run)")
        self.failures.setWordWrap(True)
        self.failures.itemClicked.connect(
            lambda item: self.run_clicked.emit(item.data(RUN_ID_ROLE)))
        self.status = QLabel(objectName="sweep_status", wordWrap=True)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(row)
        layout.addWidget(QLabel("Chains"))
        layout.addWidget(self.chains)
        layout.addWidget(QLabel("Failed points"))
        layout.addWidget(self.failures, 1)
        layout.addWidget(self.status)
        self._chain_of: dict[int, int] = {}
        self._counts: list[list[int]] = []
        self._where = self._note = ""

    def launched(self, name: str, how: str) -> None:
        self.title.setText(f"<b>{name}</b>: {how}")
        self.bar.setMaximum(0)      # busy until the chains are known
        self.bar.setValue(0)
        self.chains.setRowCount(0)
        self.failures.clear()
        self.status.setText("Starting…")
        self._where = self._note = ""
        self.cancel.setEnabled(True)

    def started(self, event: SweepStarted) -> None:
        self.bar.setMaximum(event.total)
        self.bar.setValue(0)
        self._chain_of = {i: c for c, points in enumerate(event.chains) for i in points}
        self._counts = [[len(points), 0, 0] for points in event.chains]
        self.chains.setRowCount(len(event.chains))
        self.chains.setVerticalHeaderLabels([f"chain {c}" for c in range(len(event.chains))])
        for c in range(len(event.chains)):
            self._chain_row(c)
        self._where = event.where or "this process"
        self.status.setText(f"Running {'in' if self._where == 'this process' else 'on'} "
                            f"{self._where}: "
                            f"{len(event.chains)} chain{'s' * (len(event.chains) != 1)}"
                            + (f". {event.note}" if event.note else ""))
        self._note = event.note
        if event.note:
            self.title.setText(self.title.text().replace(": chained,", ": cold,"))
            self.title.setToolTip(event.note)

    def point(self, event: PointFinished) -> None:
        p = event.point
        self.bar.setValue(event.done)
        c = self._chain_of.get(p.index, p.chain)
        if 0 <= c < len(self._counts):
            self._counts[c][1] += 1
            self._counts[c][2] += 0 if p.ok else 1
            self._chain_row(c)
        if not p.ok:
            self._add_failure(p)

    def _add_failure(self, p: PointResult) -> None:
        values = ", ".join(f"{k} = {v:g}" for k, v in p.values.items())
        item = QListWidgetItem(f"point {p.index} ({values}): {p.reason or 'failed'}")
        item.setData(RUN_ID_ROLE, p.run.id)
        item.setToolTip(f"{item.text()}\nrun {p.run.id} (click: show it)")
        self.failures.addItem(item)

    def show_stored(self, stored: StoredSweep, twin: StoredSweep | None = None) -> None:
        """A past sweep read from the library: its chains, points and failures
        as they are stored (nothing runs: Cancel stays off)."""
        result = stored.result
        self.title.setText(f"<b>{printable(result.name)}</b>: {stored.mode}, from the library")
        self.title.setToolTip(f"sweep {result.sweep_id}")
        self.cancel.setEnabled(False)
        self.bar.setMaximum(max(1, result.total))
        self.bar.setValue(len(result.points))
        self.failures.clear()
        self._chain_of = {i: c for c, points in enumerate(stored.chains) for i in points}
        self._counts = [[len(points), len(points), 0] for points in stored.chains]
        self.chains.setRowCount(len(stored.chains))
        self.chains.setVerticalHeaderLabels([f"chain {c}" for c in range(len(stored.chains))])
        for i in result.failed:
            self._counts[self._chain_of[i]][2] += 1
            self._add_failure(result.points[i])
        for c in range(len(stored.chains)):
            self._chain_row(c)
        self._where = self._note = ""
        words = [f"{len(result.points)} of {result.total} points in the library",
                 f"{len(result.failed)} failed", f"newest run {format_when(stored.summary.newest)}"]
        if twin is not None:
            words.append(f"drawn with its {twin.mode} twin ({len(twin.result.points)} points, "
                         f"{len(twin.result.failed)} failed)")
        self.status.setText("; ".join(words) + ".")

    def ended(self, result: SweepResult, error: str) -> None:
        self.cancel.setEnabled(False)
        if self.bar.maximum() == 0:
            self.bar.setMaximum(max(1, result.total))
        self.bar.setValue(len(result.points))
        done, total = len(result.points), result.total
        words = [f"{done} of {total} points stored", f"{len(result.failed)} failed"]
        if result.cancelled:
            words.insert(0, "Cancelled")
        if error:
            words.insert(0, f"Failed: {error}")
        words += [f"broken {e}" for e in result.errors]
        where = self._where
        self.status.setText("; ".join(words) + (
            "." if not where else f" (in {where})." if where == "this process"
            else f" (on {where}).") + (f" {self._note}" if self._note else ""))

    def _cancel_clicked(self) -> None:
        self.cancel.setEnabled(False)
        self.status.setText("Cancelling: the chains stop after their current point…")
        self.cancel_requested.emit()

    def _chain_row(self, c: int) -> None:
        for column, value in enumerate(self._counts[c]):
            self.chains.setItem(c, column, QTableWidgetItem(str(value)))

    def chain_counts(self) -> list[tuple[int, int, int]]:
        """(points, done, failed) per chain, as shown."""
        return [(a, b, c) for a, b, c in self._counts]
