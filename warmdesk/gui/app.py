"""The desktop app's entry point: ``warmdesk [--library DIR] [--screenshot PATH]
[FILE ...]``. Files given on the command line take the same path as drops."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import __version__
from ..core.errors import WarmDeskError
from ..core.library import Library
from ..resources_path import icon_path
from .settings import AppSettings


def parse_gui_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="warmdesk", description="WarmDesk desktop app")
    parser.add_argument("--library", metavar="DIR", help="the run library folder")
    parser.add_argument("--screenshot", metavar="PATH",
                        help="start, wait until the window has loaded and drawn, save a PNG "
                             "of it to PATH and exit")
    parser.add_argument("--size", metavar="WxH", default="1440x900",
                        help="window size for --screenshot (default 1440x900)")
    parser.add_argument("files", nargs="*", help="run files (.wdrun) to import, or a problem "
                                                 "(.json) to open")
    return parser.parse_args(list(argv))


def make_application(argv: Sequence[str]) -> QApplication:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("WarmDesk")
    app.setOrganizationName("WarmDesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.github.warmdesk.WarmDesk")
    app.setWindowIcon(QIcon(str(icon_path())))
    return app  # type: ignore[return-value]


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
        # loaded: the library's first page shown and files given on the command line opened
        if window.is_ready() and window.opener.pending == 0:
            poll.stop()
            QTimer.singleShot(300, grab)   # let the first frames (table, plot) paint

    poll = QTimer(window)
    poll.timeout.connect(check)
    poll.start(50)


def run_app(argv: Sequence[str]) -> int:
    args = parse_gui_args(argv)
    app = make_application(argv)
    settings = AppSettings()
    try:
        library = open_library(args.library, settings)
    except WarmDeskError as exc:
        QMessageBox.critical(None, "WarmDesk cannot open its library",
                             f"{exc}\n\nStart WarmDesk with --library DIR to use another "
                             "folder.")
        return 2
    from .main_window import MainWindow  # the components import pyqtgraph: after the app exists

    window = MainWindow(library, settings)
    if args.screenshot:
        width, _, height = args.size.partition("x")
        window.resize(int(width), int(height))
        save_screenshot_when_ready(window, Path(args.screenshot), app)
    window.show()
    if args.files:
        window.open_paths(args.files)
    run_event_loop = app.exec  # Qt's event loop (QApplication.exec), nothing to do with Python's
    code = int(run_event_loop())
    library.close()
    return code
