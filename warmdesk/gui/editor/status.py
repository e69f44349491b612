"""The bottom of the problem editor: a banner for file messages (opened, saved,
could not open), the validity line, and the list of the spec's problems, each
``field: message``; clicking one asks to go to its field."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from .expression import ERROR_COLOR

OK_COLOR = QColor(20, 120, 40)
#: The editor's tabs, and the tab where each top-level field is edited.
VARIABLES_TAB, PARAMETERS_TAB, MODEL_TAB, DATA_TAB, SOLVER_TAB = range(5)
_TAB_OF_FIELD = {"variables": VARIABLES_TAB, "state": VARIABLES_TAB,
                 "parameters": PARAMETERS_TAB, "data": DATA_TAB, "solver": SOLVER_TAB}
_HEADER_FIELDS = ("name", "kind", "tags", "description", "format", "file")


def tab_of_field(field: str) -> int:
    """The tab of a spec field path (``variables.x.start`` -> 0); -1 for the header."""
    head = field.split(".")[0].split("[")[0].split(" ")[0]
    if head in _TAB_OF_FIELD:
        return _TAB_OF_FIELD[head]
    return -1 if head in _HEADER_FIELDS else MODEL_TAB


class StatusPanel(QWidget):
    """``field_clicked`` carries the field path of a clicked problem."""

    field_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.problems = QListWidget()
        self.problems.setObjectName("problems")
        self.problems.setToolTip("Click a problem to go to its field")
        self.problems.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.status)
        layout.addWidget(self.problems)
        self.problems.itemClicked.connect(self._clicked)

    def show_banner(self, text: str, error: bool) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(f"color: {ERROR_COLOR.name()};" if error else "color: #555;")
        self.banner.show()

    def hide_banner(self) -> None:
        self.banner.hide()

    def show_checking(self) -> None:
        self.status.setText("Checking…")
        self.status.setStyleSheet("color: #666;")

    def show_ok(self, summary: str) -> None:
        self.problems.hide()
        self.status.setText(f"✓ Valid: {summary}")
        self.status.setStyleSheet(f"color: {OK_COLOR.name()};")

    def show_problems(self, problems: list[tuple[str, str]]) -> None:
        count = len(problems)
        self.status.setText(f"✗ {count} problem{'s' if count != 1 else ''} in the spec "
                            "(click one to go to its field):")
        self.status.setStyleSheet(f"color: {ERROR_COLOR.name()}; font-weight: bold;")
        self.problems.clear()
        for field, message in problems:
            item = QListWidgetItem(f"{field}: {message}")
            item.setData(Qt.ItemDataRole.UserRole, field)
            item.setToolTip(f"{field}: {message}")
            self.problems.addItem(item)
        rows = min(max(count, 1), 5)
        row_height = self.problems.sizeHintForRow(0) if count else self.fontMetrics().height()
        self.problems.setFixedHeight(rows * row_height + 2 * self.problems.frameWidth() + 4)
        self.problems.show()

    def _clicked(self, item: QListWidgetItem) -> None:
        self.field_clicked.emit(str(item.data(Qt.ItemDataRole.UserRole)))
