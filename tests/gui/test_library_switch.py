"""File > Use another library folder, through the app's session: the other
library opens at once in a new window (the edited problem comes along), the
old window and library close; refused while solves run, or when the other
library cannot be opened, keeping everything as it was."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.problems import FORMAT
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.session import Session
from warmdesk.gui.settings import AppSettings

from ..core.factories import build, rosenbrock
from .test_window_lifecycle import _start_long

TIMEOUT = 90_000


@pytest.fixture
def session(qtbot, tmp_path: Path, settings: AppSettings) -> Iterator[Session]:
    made = Session(settings, Library(tmp_path / "first"))
    made.window.show()
    qtbot.waitUntil(made.window.is_ready, timeout=20_000)
    yield made
    window = made.window
    window.manager.stop_all()
    wait_for_background()
    window.close()
    shiboken6.delete(window)
    made.library.close()


def _gone(widget: object) -> bool:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return not shiboken6.isValid(widget)


def test_another_library_opens_at_once_in_a_new_window(qtbot, session: Session,
                                                       settings: AppSettings,
                                                       tmp_path: Path) -> None:
    second = tmp_path / "second"
    with Library(second) as lib:
        lib.save_run(solve(build(rosenbrock(n=4))))
    old, first = session.window, session.library
    spec = {**rosenbrock(n=3), "format": FORMAT, "name": "carried over"}
    old.editor.set_spec(spec)
    with qtbot.waitSignal(session.switched, timeout=20_000):
        old.set_library_folder(str(second))
    new = session.window
    assert new is not old and new.library is session.library
    assert Path(new.library.folder) == second
    qtbot.waitUntil(new.is_ready, timeout=20_000)
    qtbot.waitUntil(lambda: new.browser.count_label.text() == "1 run")
    assert new.editor.spec()["name"] == "carried over"
    assert AppSettings(settings._qs.fileName()).library_dir == str(second)   # the next start too
    qtbot.waitUntil(lambda: _gone(old), timeout=10_000)
    qtbot.waitUntil(lambda: first.closed, timeout=10_000)   # once the pool is idle
    with pytest.raises(Exception):
        first.count()                                  # the first library was closed

    # the same folder again: nothing to do
    new.set_library_folder(str(second))
    qtbot.waitUntil(lambda: "is the one open" in new.statusBar().currentMessage())
    assert session.window is new


def test_a_library_that_cannot_be_opened_keeps_the_current_one(qtbot, session: Session,
                                                                tmp_path: Path) -> None:
    newer = tmp_path / "newer"
    Library(newer).close()
    db = sqlite3.connect(next(newer.glob("*.sqlite")))
    db.execute("PRAGMA user_version=99")
    db.commit()
    db.close()
    window, library = session.window, session.library
    window.set_library_folder(str(newer))
    qtbot.waitUntil(lambda: "Cannot open the library" in window.statusBar().currentMessage())
    assert "newer WarmDesk" in window.statusBar().currentMessage()
    assert session.window is window and session.library is library
    assert library.count() == 0                        # still open and usable


def test_no_switch_while_solves_run(qtbot, session: Session, tmp_path: Path) -> None:
    window = session.window
    _start_long(qtbot, window, "long")
    window.set_library_folder(str(tmp_path / "elsewhere"))
    qtbot.waitUntil(lambda: "1 solve is running in this library: stop it first"
                    in window.statusBar().currentMessage())
    assert session.window is window and not (tmp_path / "elsewhere").exists()


def test_the_new_library_is_served_to_later_launches(qtbot, tmp_path: Path,
                                                     settings: AppSettings) -> None:
    """A second launch for the new library hands its files to the new window; the
    old library is no longer claimed (a launch for it would start its own window)."""
    from warmdesk.gui.single_instance import SingleInstance, claim_or_hand_over, instance_key

    first_folder, second_folder = tmp_path / "first", tmp_path / "second"
    instance = claim_or_hand_over(first_folder, [])
    assert instance is not None and instance.is_listening()
    session = Session(settings, Library(first_folder), instance)
    session.window.show()
    qtbot.waitUntil(session.window.is_ready, timeout=20_000)
    try:
        with qtbot.waitSignal(session.switched, timeout=20_000):
            session.window.set_library_folder(str(second_folder))
        assert session.instance is not None and session.instance is not instance
        assert session.instance.is_listening()
        run_file = tmp_path / "sent.wdrun"
        from warmdesk.core.runfile import write_runfile
        run = solve(build(rosenbrock(n=4)))
        write_runfile(run_file, [run])
        assert SingleInstance(instance_key(second_folder)).send_to_running([str(run_file)],
                                                                          timeout_ms=5000)
        qtbot.waitUntil(lambda: session.library.has_run(run.id), timeout=20_000)
        qtbot.waitUntil(lambda: not instance.is_listening(), timeout=5_000)
        assert not SingleInstance(instance_key(first_folder)).send_to_running([], timeout_ms=500)
    finally:
        window = session.window
        window.manager.stop_all()
        wait_for_background()
        window.close()
        shiboken6.delete(window)
        if session.instance is not None:
            session.instance.close()
        session.library.close()
