"""Background jobs deliver results and errors on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from warmdesk.gui.background import run_in_background, wait_for_background


def test_result_and_error_arrive_on_the_gui_thread(qtbot) -> None:
    main = threading.get_ident()
    got: list[tuple[int, int]] = []
    run_in_background(lambda: (threading.get_ident(), 42),
                      lambda v: got.append((v[1], threading.get_ident())))
    qtbot.waitUntil(lambda: len(got) == 1)
    assert got == [(42, main)]
    errors: list[str] = []
    run_in_background(lambda: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: errors == ["ZeroDivisionError: division by zero"])
    assert wait_for_background()


def test_a_destroyed_owner_gets_nothing(qtbot) -> None:
    owner = QWidget()
    gate = threading.Event()
    got: list[int] = []
    task = run_in_background(lambda: gate.wait(5) and 1, got.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not task.owner_alive())
    gate.set()
    assert wait_for_background()
    QCoreApplication.processEvents()  # the queued delivery runs here, and must do nothing
    assert task.result == 1
    assert got == []
