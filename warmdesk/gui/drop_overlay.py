"""What the window shows while files are dragged over it.

:class:`DropOverlay` covers the window with a tinted frame and a line of text
("Drop run files or a problem to open") while the dragged files include one
the window can open; it lets mouse and drag events through to the window.
:func:`drag_verdict` decides, from the dragged paths, whether the drop is
accepted and what the overlay (or, for a refused drag, the status bar) says:
files of no known kind are named, so the user knows before letting go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

ACCENT = QColor("#0072B2")
TINT = QColor(0, 114, 178, 40)
PROMPT = "Drop run files or a problem to open"


@dataclass(frozen=True)
class DragVerdict:
    """Whether a drag may drop, and the words for it."""

    accepted: bool
    text: str


def _names(paths: Sequence[Path], limit: int = 3) -> str:
    names = [p.name for p in paths[:limit]]
    return ", ".join(names) + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def drag_verdict(paths: Sequence[Path], opens: Callable[[Path], bool]) -> DragVerdict:
    """Accept when any path is one the window opens (``opens``); say which others
    will be left out. Refused: name the files and say what does open."""
    good = [p for p in paths if opens(p)]
    other = [p for p in paths if not opens(p)]
    if not good:
        what = _names(other) if other else "these items"
        return DragVerdict(False, f"Cannot open {what}: only WarmDesk run files (.wdrun) "
                                  "and problems (.json) open here")
    if other:
        return DragVerdict(True, f"{PROMPT}\n({_names(other)} will be left out: "
                                 "not a WarmDesk file)")
    return DragVerdict(True, PROMPT)


class DropOverlay(QWidget):
    """A frame over the whole of its parent, shown while a drop would be accepted."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("drop_overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self._text = PROMPT
        self.hide()
        parent.installEventFilter(self)

    def text(self) -> str:
        return self._text

    def show_for(self, text: str) -> None:
        """Cover the parent and say ``text`` (a drag that would be accepted)."""
        self._text = text
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize \
                and self.isVisible():
            self.setGeometry(self.parentWidget().rect())
        return False

    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), TINT)
        pen = QPen(ACCENT, 4, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(self.rect().adjusted(6, 6, -6, -6), 10, 10)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        box = metrics.boundingRect(QRect(0, 0, max(200, self.width() - 80), 1000),
                                   Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                   self._text).adjusted(-24, -16, 24, 16)
        box.moveCenter(self.rect().center())
        painter.fillRect(box, QColor(255, 255, 255, 235))
        painter.setPen(QPen(ACCENT, 2))
        painter.drawRect(box)
        painter.setPen(QColor("#1a1a1a"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._text)
        painter.end()
