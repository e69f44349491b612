"""First launch: an empty library offers the bundled examples, so a new user sees
a warm start pay off within a minute: the base problem of each family is solved
cold, then the first family's *next* problem opens in the editor, where the
warm-start panel suggests the base run."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from ...core.problems import Problem, load_problem
from ...resources_path import examples_dir

#: Solved on "Load examples" (quick ones first); the first one's _next opens after.
FAMILIES = ("rosenbrock", "peaks", "portfolio", "lotka_volterra", "churn", "decay", "tank",
            "species", "housing", "robertson")


def load_base_problems(folder: Path | None = None) -> list[Problem]:
    """The base problem of every bundled family (read in a pool thread)."""
    folder = folder or examples_dir()
    problems = []
    for family in FAMILIES:
        path = folder / f"{family}_base.json"
        if path.exists():
            problems.append(load_problem(path))
    if not problems:
        raise FileNotFoundError(f"no bundled examples found in {folder}")
    return problems


def first_next_problem(folder: Path | None = None) -> Path:
    return (folder or examples_dir()) / f"{FAMILIES[0]}_next.json"


class ExamplesOffer(QFrame):
    """A banner over the library table (not a modal dialog)."""

    accepted = Signal()
    dismissed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("examples_offer")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#examples_offer { background: #fff7e6; border: 1px solid #f0c36d;"
                           " border-radius: 4px; }")
        layout = QHBoxLayout(self)
        text = QLabel("<b>Your library is empty.</b> Load the bundled examples? WarmDesk "
                      "solves ten small problems (about a minute), then opens a slightly "
                      "changed one so you can see a warm start pay off.")
        text.setWordWrap(True)
        layout.addWidget(text, 1)
        self.load_button = QPushButton("Load examples")
        self.load_button.setDefault(True)
        self.no_button = QPushButton("No thanks")
        layout.addWidget(self.load_button)
        layout.addWidget(self.no_button)
        self.load_button.clicked.connect(self._accept)
        self.no_button.clicked.connect(self._dismiss)

    def _accept(self) -> None:
        self.hide()
        self.accepted.emit()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
