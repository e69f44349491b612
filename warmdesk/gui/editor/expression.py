"""Expression fields with live validation.

:class:`ExpressionEdit` parses its text with the core's expression parser on
every keystroke (microseconds, bounded by the language's limits) against the
names the problem defines, and marks the offending span of an
:class:`~warmdesk.core.expressions.ExpressionError` with a red wavy underline.
:class:`ExpressionField` puts the edit above a one-line message such as
``col 7: unknown name 'y' (known: a, b, x)``.
"""

from __future__ import annotations

import keyword
import re
from typing import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (QColor, QFontDatabase, QKeyEvent, QResizeEvent, QTextCharFormat,
                           QTextCursor, QTextOption)
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QSizePolicy, QTextEdit, QVBoxLayout, QWidget

from ...core.expressions import ExpressionError, parse

ERROR_COLOR = QColor(200, 30, 30)
_IDENTIFIER_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def monospace_font() -> object:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class ExpressionEdit(QPlainTextEdit):
    """A plain-text expression editor that checks itself as the user types.

    ``checked`` carries the current :class:`ExpressionError` (None when the
    text parses). Return does not insert a line break; the text wraps instead,
    and the field grows from ``min_lines`` up to ``max_lines`` lines."""

    checked = Signal(object)

    def __init__(self, min_lines: int = 1, max_lines: int = 4,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: frozenset[str] = frozenset()
        self._open_names = False
        self._error: ExpressionError | None = None
        self._min_lines, self._max_lines = min_lines, max(min_lines, max_lines)
        self.setFont(monospace_font())
        self.setTabChangesFocus(True)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.textChanged.connect(self._text_changed)
        self._fit_height()

    # ------------------------------------------------------------------ text and names
    def text(self) -> str:
        return self.toPlainText()

    def set_text(self, text: str) -> None:
        """Replace the text (a load, not a user edit) and check it."""
        if text != self.toPlainText():
            self.setPlainText(text)
        else:
            self.recheck()

    def set_names(self, names: Iterable[str], open_names: bool = False) -> None:
        """The names the expression may use. ``open_names``: more names exist that are
        not known yet (data columns still being read), so unknown names are not marked."""
        names = frozenset(names)
        if names != self._names or open_names != self._open_names:
            self._names, self._open_names = names, open_names
            self.recheck()

    def names(self) -> frozenset[str]:
        return self._names

    def error(self) -> ExpressionError | None:
        return self._error

    def error_range(self) -> tuple[int, int] | None:
        """The marked span as (start, end) positions in the text, or None."""
        selections = self.extraSelections()
        if not selections:
            return None
        cursor = selections[0].cursor
        return cursor.selectionStart(), cursor.selectionEnd()

    # ------------------------------------------------------------------ checking
    def recheck(self) -> None:
        text = self.toPlainText()
        names = set(self._names)
        if self._open_names:
            names |= {n for n in _IDENTIFIER_RE.findall(text) if not keyword.iskeyword(n)}
        try:
            parse(text, names)
        except ExpressionError as exc:
            self._error = exc
        else:
            self._error = None
        self._mark()
        self.checked.emit(self._error)

    def _mark(self) -> None:
        exc = self._error
        if exc is None or not self.toPlainText():
            self.setExtraSelections([])
            return
        size = len(self.toPlainText())
        start = min(max(exc.position, 0), size - 1)  # "unexpected end" points past the text
        end = min(start + max(exc.length, 1), size)
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(ERROR_COLOR)
        fmt.setBackground(QColor(255, 225, 225))
        selection.format = fmt
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        self.setExtraSelections([selection])

    def _text_changed(self) -> None:
        self.recheck()
        self._fit_height()

    # ------------------------------------------------------------------ look and keys
    def _fit_height(self) -> None:
        lines = int(self.document().documentLayout().documentSize().height())
        lines = min(max(lines, self._min_lines), self._max_lines)
        spacing = self.fontMetrics().lineSpacing()
        margin = int(2 * self.document().documentMargin()) + 2 * self.frameWidth()
        self.setFixedHeight(lines * spacing + margin + 2)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_height()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.ignore()  # one expression per field; Return goes to the dialog/form
            return
        super().keyPressEvent(event)


class ExpressionField(QWidget):
    """An :class:`ExpressionEdit` with its error message underneath.

    ``field`` is the spec path it edits (``objective``, ``rhs.prey``), for messages."""

    edited = Signal()

    def __init__(self, field: str, min_lines: int = 1, max_lines: int = 4,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.edit = ExpressionEdit(min_lines, max_lines, self)
        self.message = QLabel(self)
        self.message.setObjectName("expression_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setStyleSheet(f"color: {ERROR_COLOR.name()};")
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.message)
        self._loading = False
        self.edit.checked.connect(self._show_error)
        self.edit.textChanged.connect(self._text_edited)

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self._loading = True
        try:
            self.edit.set_text(text)
        finally:
            self._loading = False

    def set_names(self, names: Iterable[str], open_names: bool = False) -> None:
        self.edit.set_names(names, open_names)

    def error_message(self) -> str:
        return self.message.text() if self.edit.error() is not None else ""

    def _show_error(self, exc: ExpressionError | None) -> None:
        if exc is None:
            self.message.clear()
            self.message.hide()
            return
        self.message.setText(f"col {exc.position + 1}: {exc.message}")
        self.message.setToolTip(f"{self.field}: {exc}")
        self.message.show()

    def _text_edited(self) -> None:
        if not self._loading:
            self.edited.emit()
