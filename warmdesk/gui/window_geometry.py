"""Where the main window opens: inside the screen it is on.

A first launch opens at a comfortable size (at most the screen's available
area); a geometry restored from the settings (maybe saved on a bigger screen,
or on one no longer attached) is shrunk and moved until it lies on the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget

#: The size a first launch asks for when the screen has room.
PREFERRED_SIZE = QSize(1440, 900)
#: In a window lower than this the right-hand panels share one tab group, so the
#: problem, the run details and the warm-start panel each get the full height.
SHORT_WINDOW_HEIGHT = 820


def fit_rect(rect: QRect, available: QRect) -> QRect:
    """``rect`` shrunk to fit ``available`` and moved inside it."""
    width, height = min(rect.width(), available.width()), min(rect.height(), available.height())
    x = min(max(rect.x(), available.x()), available.right() + 1 - width)
    y = min(max(rect.y(), available.y()), available.bottom() + 1 - height)
    return QRect(x, y, width, height)


def first_launch_rect(available: QRect) -> QRect:
    """The preferred size (or the screen's available area, if smaller), centred."""
    size = PREFERRED_SIZE.boundedTo(available.size())
    rect = QRect(0, 0, size.width(), size.height())
    rect.moveCenter(available.center())
    return fit_rect(rect, available)


def fit_window(window: QWidget) -> None:
    """Shrink and move ``window`` (its frame included) onto its screen's available area."""
    screen = window.screen()
    if screen is None:
        return
    available, frame, inner = screen.availableGeometry(), window.frameGeometry(), window.geometry()
    margins = (frame.width() - inner.width(), frame.height() - inner.height())
    fitted = fit_rect(frame, available)
    if fitted == frame:
        return
    window.resize(max(1, fitted.width() - margins[0]), max(1, fitted.height() - margins[1]))
    window.move(fitted.topLeft())


def place_first_launch(window: QWidget) -> None:
    """Size and centre a window that has no saved geometry."""
    screen = window.screen()
    if screen is None:
        window.resize(PREFERRED_SIZE)
        return
    rect = first_launch_rect(screen.availableGeometry())
    window.resize(rect.size())
    window.move(rect.topLeft())
    fit_window(window)


def is_short(window: QWidget) -> bool:
    return window.height() < SHORT_WINDOW_HEIGHT
