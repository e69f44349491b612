"""The app's current library and the window over it.

File > Use another library folder switches both at once: the other library is
opened (and, outside a screenshot run, claimed for this user so a second launch
hands its files to this window), a new main window is made over it where the
old one stood, and the old window and library are closed. While solves are
running the switch is refused (their runs belong to the current library); if
the other library cannot be opened, or another WarmDesk has it open, the
current one stays and the user is told why.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from ..core.display import plural
from ..core.errors import WarmDeskError
from ..core.library import Library
from .background import background_pool
from .settings import AppSettings
from .single_instance import SingleInstance, claim_or_hand_over

if TYPE_CHECKING:
    from .main_window import MainWindow


#: How often a retired library checks whether it can be closed.
RETIRE_POLL_MS = 50


class Session(QObject):
    """Owns ``library``, ``window`` and (when serving) ``instance``; see the module docstring."""

    switched = Signal(object)       # the new MainWindow

    def __init__(self, settings: AppSettings, library: Library,
                 instance: SingleInstance | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.library = library
        self.instance = instance
        self._switching = False
        self.window = self._make_window(library)
        self._serve(instance)

    def open_paths(self, paths: list[str]) -> None:
        self.window.open_paths(paths)

    def switch_to(self, folder: str) -> bool:
        """Open the library in ``folder`` in a new window; False (and a message in
        the current window) when it cannot be done now."""
        if self._switching:   # claiming the other library can spin a local event loop
            return False
        self._switching = True
        try:
            return self._switch(folder)
        finally:
            self._switching = False

    def _switch(self, folder: str) -> bool:
        old, old_library, old_instance = self.window, self.library, self.instance
        if Path(folder).expanduser().resolve() == Path(old_library.folder).resolve():
            old.show_message(f"The library in {folder} is the one open")
            return False
        active = old.manager.active_jobs()
        if active:
            old.show_message(f"{plural(len(active), 'solve')} "
                             f"{'is' if len(active) == 1 else 'are'} running in this library: stop "
                             f"{'it' if len(active) == 1 else 'them'} first, then switch the "
                             "library folder")
            return False
        try:
            library = Library(folder)
        except WarmDeskError as exc:
            old.show_message(f"Cannot open the library in {folder}: {exc}")
            return False
        instance = None
        if old_instance is not None:
            instance = claim_or_hand_over(library.folder, [])
            if instance is None:
                library.close()
                old.show_message(f"Another WarmDesk window has the library in {folder} open: "
                                 "it was brought forward")
                return False
        self.settings.library_dir = str(library.folder)
        old.save_settings()                 # the new window opens where the old one stood
        self.window, self.library, self.instance = self._make_window(library), library, instance
        self.window.editor.take_over(old.editor)   # the problem being edited comes along
        self.window.show()
        self._serve(instance)
        old.hide()
        QTimer.singleShot(0, lambda: self._retire(old, old_library, old_instance))
        self.switched.emit(self.window)
        return True

    def _make_window(self, library: Library) -> MainWindow:
        from .main_window import MainWindow  # pyqtgraph: after the QApplication exists

        window = MainWindow(library, self.settings)
        window.switch_library = self.switch_to
        return window

    def _serve(self, instance: SingleInstance | None) -> None:
        if instance is None:
            return
        instance.files_received.connect(self._bring_forward)
        instance.message_refused.connect(
            lambda reason: self.window.show_message(
                f"Ignored a message from another launch: {reason}"))

    def _bring_forward(self, paths: list[str]) -> None:
        """Another launch handed over its files (maybe none): show the window, open them."""
        window = self.window
        if window.isMinimized():
            window.showNormal()
        window.raise_()
        window.activateWindow()
        if paths:
            window.open_paths(paths)

    def _retire(self, window: MainWindow, library: Library,
                instance: SingleInstance | None) -> None:
        """Close the old window (outside the signal that asked for the switch), and
        its library once nothing can touch it any more: the window gone and the
        background pool idle. Polled, so the GUI thread never waits for the pool."""
        window.close()
        window.deleteLater()
        if instance is not None:
            instance.close()
        timer = QTimer(self)

        def close_when_idle() -> None:
            if shiboken6.isValid(window) or not background_pool().waitForDone(0):
                return
            timer.stop()
            timer.deleteLater()
            library.close()

        timer.timeout.connect(close_when_idle)
        timer.start(RETIRE_POLL_MS)
