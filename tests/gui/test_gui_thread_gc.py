"""Reference cycles made on a worker thread are collected on the GUI thread:
a Qt object in a cycle destroyed on a worker thread deadlocked a test run (the
worker in ~QMenu holding Qt's lock, waiting for the GIL; the GUI thread,
holding the GIL, waiting for that lock)."""

from __future__ import annotations

import gc
import threading

from warmdesk.gui.gui_thread_gc import collect_on_gui_thread


class _Cyclic:
    """A cycle that says on which thread it was freed."""

    def __init__(self, freed: list[bool]) -> None:
        self.me = self
        self.freed = freed

    def __del__(self) -> None:
        self.freed.append(threading.current_thread() is threading.main_thread())


def test_cycles_made_on_a_worker_thread_die_on_the_gui_thread(qtbot, qapp) -> None:
    freed: list[bool] = []
    kept: list[list[int]] = []

    def work() -> None:
        for _ in range(20):
            _Cyclic(freed)
        # enough live containers to pass generation 0's threshold many times over
        kept.extend([i] for i in range(50 * gc.get_threshold()[0]))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert freed == []                 # nothing collected on the worker
    qtbot.waitUntil(lambda: len(freed) == 20, timeout=5000)
    assert all(freed)
    kept.clear()


def test_the_collector_is_the_apps_and_collects_what_is_due(qapp) -> None:
    collector = collect_on_gui_thread(qapp)
    assert collector is collect_on_gui_thread(qapp) and collector.parent() is qapp
    assert not gc.isenabled()
    freed: list[bool] = []
    _Cyclic(freed)
    keep = [[] for _ in range(2 * gc.get_threshold()[0])]   # past generation 0's threshold
    assert collector.collect_due() >= 1 and freed == [True]
    del keep
