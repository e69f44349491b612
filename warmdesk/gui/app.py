"""The desktop app's entry point: ``warmdesk [--library DIR] [--screenshot PATH]
[FILE ...]``. Files given on the command line take the same path as drops."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import shiboken6
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from .. import __version__
from ..core.errors import WarmDeskError
from ..core.library import Library, default_library_dir
from ..resources_path import icon_path
from ..app_args import app_parser
from .background import wait_for_background
from .file_open_events import FileOpenFilter
from .settings import AppSettings
from .action_script import EXIT_SCRIPT_FAILED, start_script_if_asked
from .gui_thread_gc import collect_on_gui_thread
from .single_instance import claim_or_hand_over


def parse_gui_args(argv: Sequence[str]) -> argparse.Namespace:
    return app_parser().parse_args(list(argv))


def make_application(argv: Sequence[str]) -> QApplication:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    name_application(app)
    collect_on_gui_thread(app)   # cycles (Qt objects among them) die on the GUI thread only
    return app  # type: ignore[return-value]


def name_application(app: QApplication) -> None:
    """Name the app for Qt: its settings are then ``WarmDesk/WarmDesk``, never
    Qt's fallback names."""
    app.setApplicationName("WarmDesk")
    app.setOrganizationName("WarmDesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.github.warmdesk.WarmDesk")
    app.setWindowIcon(QIcon(str(icon_path())))


def open_library(folder: str | None, settings: AppSettings) -> Library:
    return Library(folder or settings.library_dir or None)


def save_screenshot_when_ready(window: "MainWindow", path: Path, app: QApplication) -> None:  # noqa: F821
    """Grab the window once its library page is shown and a frame has been drawn."""

    def grab() -> None:
        window.plot.flush()
        path.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(path))
        print(f"screenshot {'saved to' if ok else 'FAILED:'} {path}")
        window.close()
        app.exit(0 if ok else 1)

    def check() -> None:
        # loaded: the library's first page shown, files given on the command line
        # opened, the problem checked and the warm-start advice in
        if (window.is_ready() and window.opener.pending == 0
                and not window.editor.is_checking() and not window.warm_panel.is_busy()):
            poll.stop()
            QTimer.singleShot(300, grab)   # let the first frames (table, plot) paint

    poll = QTimer(window)
    poll.timeout.connect(check)
    poll.start(50)


def run_app(argv: Sequence[str]) -> int:
    args = parse_gui_args(argv)
    app = make_application(argv)
    file_events = FileOpenFilter().install(app)   # macOS Finder opens, also the one at launch
    settings = AppSettings()
    instance = None
    if not args.screenshot:    # a screenshot run neither hands over nor serves
        folder = args.library or settings.library_dir or default_library_dir()
        instance = claim_or_hand_over(folder, args.files)
        if instance is None:
            return 0           # the running WarmDesk for this library took the files
    try:
        library = open_library(args.library, settings)
    except WarmDeskError as exc:
        text = f"{exc}\n\nStart WarmDesk with --library DIR to use another folder."
        print(f"WarmDesk cannot open its library: {text}", file=sys.stderr)
        if not args.screenshot:   # nobody is there to close a dialog in a screenshot run
            QMessageBox.critical(None, "WarmDesk cannot open its library", text)
        return 2
    from .session import Session  # the window's components import pyqtgraph: after the app

    session = Session(settings, library, instance)
    file_events.set_handler(session.open_paths)
    window = session.window
    if args.screenshot:
        width, _, height = args.size.partition("x")
        window.resize(int(width), int(height))
        save_screenshot_when_ready(window, Path(args.screenshot), app)
    window.show()
    if args.files:
        window.open_paths(args.files)
    if not start_script_if_asked(session):   # end-to-end tests only ($WARMDESK_TEST_SCRIPT)
        QTimer.singleShot(0, lambda: app.exit(EXIT_SCRIPT_FAILED))
    run_event_loop = app.exec  # Qt's event loop (QApplication.exec), nothing to do with Python's
    code = int(run_event_loop())
    if session.instance is not None:
        session.instance.close()
    shut_down(app, session.window)
    session.library.close()
    return code


def shut_down(app: QApplication, window: QWidget) -> None:
    """Delete the window while Qt is still whole: left to the interpreter's exit,
    Qt objects died in an arbitrary order and the process crashed at exit in
    about 4 of 10 self-tests."""
    wait_for_background()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if shiboken6.isValid(window):
        shiboken6.delete(window)
    app.processEvents()
