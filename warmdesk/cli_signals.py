"""Ctrl+C and SIGTERM during ``warmdesk solve``: the same cooperative interrupt
as the app's Interrupt button, so the run is stored ``interrupted`` with its last
iterate, history and counts instead of being lost.

A terminal's Ctrl+C reaches the whole process group (a ``--process`` child too:
it turns the signal into the same interrupt, see ``core.process``). A second
signal while the first is being honoured stops at once (``KeyboardInterrupt``).
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Callable

#: What a shell reports for a process ended by these signals: 128 + the number.
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class InterruptOnSignals:
    """While active (``with``), SIGINT and SIGTERM call ``interrupt()`` once.

    ``received`` is the first signal caught (None if none); ``exit_code`` what
    the command should then exit with."""

    def __init__(self, interrupt: Callable[[], None], quiet: bool = False) -> None:
        self._interrupt = interrupt
        self._quiet = quiet
        self._previous: dict[int, object] = {}
        self.received: int | None = None

    @property
    def exit_code(self) -> int | None:
        return EXIT_CODES.get(signal.Signals(self.received)) if self.received else None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            raise KeyboardInterrupt  # asked twice: stop now
        self.received = signum
        if not self._quiet:
            print(f"\nwarmdesk: {signal.Signals(signum).name} received: interrupting the solve; "
                  "its last iterate is kept (send it again to stop at once)", file=sys.stderr)
        self._interrupt()

    def __enter__(self) -> InterruptOnSignals:
        if threading.current_thread() is threading.main_thread():  # signals: main thread only
            for signum in EXIT_CODES:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()
