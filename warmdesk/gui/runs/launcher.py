"""Turns "Solve" into a solve request: the problem being edited, the warm start
chosen in the panel (built for that very problem) and the guard setting.

A solve asked for while the editor is still checking the last edit, or while
the panel is still working out its advice for the current problem, waits for
them (without blocking) instead of using a warm start meant for an older edit."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ...core.problems import Problem
from ..editor.problem_editor import ProblemEditor
from .solve_manager import SolveManager, SolveRequest
from .warm_panel import WarmStartPanel


class SolveLauncher(QObject):
    message = Signal(str)

    def __init__(self, editor: ProblemEditor, panel: WarmStartPanel, manager: SolveManager,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor, self.panel, self.manager = editor, panel, manager
        self._waiting: bool | None = None   # a pending solve's `cold` flag
        panel.advice_ready.connect(lambda _advice: self._try_pending())
        editor.validity_changed.connect(lambda _ok, _msg: self._try_pending())

    def is_waiting(self) -> bool:
        return self._waiting is not None

    def solve(self, cold: bool = False) -> None:
        self._waiting = cold
        if not self._try_pending():
            self.message.emit("Waiting for the problem check and the warm-start advice…")

    def launch_cold(self, problem: Problem, label: str = "") -> str:
        return self.manager.launch(SolveRequest(problem, None, False, label))

    def _try_pending(self) -> bool:
        """Launch the pending solve if everything it needs is ready; True if done."""
        if self._waiting is None:
            return True
        if self.editor.is_checking():
            return False
        problem = self.editor.problem()
        if problem is None:
            self._waiting = None
            self.message.emit("The problem has errors; fix what the editor marks, then solve.")
            return True
        cold = self._waiting
        if not cold and (self.panel.problem() is not problem or self.panel.is_busy()):
            return False   # the advice for this very problem is on its way
        self._waiting = None
        self._launch(problem, cold)
        return True

    def _launch(self, problem: Problem, cold: bool) -> None:
        warm = None if cold else self.panel.selected_warm()
        source = None if warm is None else (warm.source_run_id or "prediction")
        guard = warm is not None and self.panel.guard_enabled()
        label = problem.name + (" (cold)" if warm is None else
                                f" (warm from {source[:8]}{', guarded' if guard else ''})")
        self.manager.launch(SolveRequest(problem, warm, guard, label))
        self.message.emit(f"Started {label}")
