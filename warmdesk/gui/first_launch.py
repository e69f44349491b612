"""First launch: an empty library shows the offer of the bundled examples (see
``editor/examples_offer.py``); accepting it (or File > Load bundled examples)
solves each family's base problem cold and opens the first family's next problem."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from ..core.library import RunQuery
from .background import run_in_background
from .editor.examples_offer import first_next_problem, load_base_problems

if TYPE_CHECKING:
    from .main_window import MainWindow


class FirstLaunch(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._w = window

    def check(self) -> None:
        """Show the offer when the examples were never offered and the library is
        empty (counted in the background), with no file opening or solve running."""
        w = self._w
        if w.settings.examples_offered:
            return
        library = w.library
        run_in_background(lambda: library.count(RunQuery(limit=0)),
                          lambda n: w.examples_offer.setVisible(
                              n == 0 and w.opener.pending == 0
                              and not w.manager.active_jobs()),
                          w.show_message, owner=w)

    def load_examples(self) -> None:
        w = self._w
        w.settings.examples_offered = True
        w.examples_offer.hide()

        def loaded(problems: list) -> None:
            for problem in problems:
                w.launcher.launch_cold(problem, label=f"example: {problem.name}")
            w.examples_started.emit(len(problems))
            w.show_message(f"Solving {len(problems)} example problems; then try "
                           f"{first_next_problem().name}, opened in the editor.")
            w.opener.open_paths([first_next_problem()])

        run_in_background(load_base_problems, loaded, w.error_box, owner=w)
