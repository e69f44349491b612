"""Python's cyclic garbage collection, run on the GUI thread only.

Python collects reference cycles in whichever thread happens to allocate when a
generation passes its threshold: in this app often a job's worker thread or a
background pool thread. A Qt object owned only by a Python wrapper caught in a
cycle (pyqtgraph keeps its menus in cycles; a closed window in a test) is then
destroyed on that thread. That is not allowed in Qt, and it deadlocks: seen in
a test run that hung, with a pooled thread inside ``~QMenu`` holding Qt's
object lock and waiting for the GIL, while the GUI thread, holding the GIL,
deleted another menu and waited for that lock.

So automatic collection is switched off and a timer on the GUI thread collects
instead, generation by generation, on the same thresholds Python would have
used. Worker threads still free everything that is not in a cycle at once
(reference counting); cycles wait at most one tick. Solver child processes
are separate interpreters and keep Python's own collection.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks at the collector's counts.
INTERVAL_MS = 500

_INSTALLED: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    """Collects on the GUI thread's timer; automatic collection is off while it lives."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        gc.disable()
        self._timer.start(interval_ms)

    def collect_due(self) -> int:
        """Collect the generations whose counts passed their thresholds, as the
        automatic collector would have; returns how many objects were found."""
        counts = gc.get_count()
        found = 0
        for generation in range(3):
            if counts[generation] <= self._thresholds[generation]:
                break
            found += gc.collect(generation)
        return found

    def stop(self) -> None:
        """Automatic collection on again (for a caller that ends the GUI)."""
        self._timer.stop()
        gc.enable()


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Install the collector once for ``app`` (call it on the GUI thread)."""
    global _INSTALLED
    if _INSTALLED is None:
        _INSTALLED = GuiThreadCollector(app)
    return _INSTALLED
