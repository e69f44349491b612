"""The operating system's "open this file" requests (``QEvent.FileOpen``).

On macOS, double-clicking a ``.wdrun`` in the Finder (or dropping one on the
Dock icon) does not put the path on the command line: the running app gets a
``QFileOpenEvent``, also at launch, before any window exists. This filter,
installed on the application, catches those events and hands the paths to the
same open-files path as drops and the command line (the app wires it to
``Session.open_paths``, which follows a library switch). Paths that arrive before a
handler is set wait for it; paths arriving together are handed over in one call, so several files
double-clicked at once import as one batch."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtGui import QFileOpenEvent

PathsHandler = Callable[[list[str]], None]


class FileOpenFilter(QObject):
    """Event filter for the application: ``FileOpen`` events become calls of
    ``handler(paths)``. Other events pass through untouched."""

    def __init__(self, handler: PathsHandler | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handler = handler
        self._pending: list[str] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)   # once the event queue has delivered the batch
        self._flush_timer.timeout.connect(self._flush)

    def install(self, app: QCoreApplication) -> FileOpenFilter:
        app.installEventFilter(self)
        return self

    def set_handler(self, handler: PathsHandler) -> None:
        """Set (or replace) the handler; paths that arrived before it go to it next."""
        self._handler = handler
        if self._pending:
            self._flush_timer.start()

    def pending(self) -> list[str]:
        """Paths received and not handed over yet."""
        return list(self._pending)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = event.file() or event.url().toLocalFile()
            if path:
                self._pending.append(path)
                if self._handler is not None:
                    self._flush_timer.start()
            return True
        return super().eventFilter(watched, event)

    def _flush(self) -> None:
        if self._handler is None or not self._pending:
            return
        paths, self._pending = self._pending, []
        self._handler(paths)
