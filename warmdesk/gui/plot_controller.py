"""Feeds the convergence plot: live curves from running solves, finished runs
from the library table's selection (loaded in the background), and the
warm-vs-cold comparison of a finished warm run with its cold reference."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..core.library import Library
from ..core.runs import Run
from .background import run_in_background
from .convergence_plot import ConvergencePlot
from .solve_manager import JobResult, SolveManager

#: Plotting more than this many selected runs at once helps nobody.
MAX_PLOTTED = 16


def run_label(run: Run | dict) -> str:
    get = run.get if isinstance(run, dict) else lambda k, d=None: getattr(run, k, d)
    warm = get("warm_source") if isinstance(run, dict) else run.warm_source
    return f"{get('name')} {str(get('id'))[:6]}" + (" (warm)" if warm else "")


class PlotController(QObject):
    message = Signal(str)
    comparison_shown = Signal(str)   # the annotation's text

    def __init__(self, plot: ConvergencePlot, library: Library, manager: SolveManager) -> None:
        super().__init__(plot)
        self.plot, self.library, self.manager = plot, library, manager
        self._live: set[str] = set()
        self._selection_generation = 0
        manager.run_started.connect(self._run_started)
        manager.progress.connect(self._progress)
        manager.job_finished.connect(self._job_finished)

    # -- live runs
    def _run_started(self, _job_id: str, run: Run) -> None:
        self._live.add(run.id)
        self.plot.begin_live(run.id, run_label(run), run.kind)

    def _progress(self, run_id: str, rows: object) -> None:
        if run_id in self._live:
            self.plot.append_rows(run_id, rows)

    def _job_finished(self, _job_id: str, result: JobResult) -> None:
        for run in result.runs:
            if run.id in self._live:
                self._live.discard(run.id)
                self.plot.finish_live(run)
        if result.run is not None and result.run.warm is not None:
            self.compare_with_cold(result.run)

    # -- selection
    def show_runs(self, run_ids: list[str]) -> None:
        """Plot these runs (and keep the live ones)."""
        self._selection_generation += 1
        generation = self._selection_generation
        wanted = list(dict.fromkeys(run_ids))[:MAX_PLOTTED]
        for rid in self.plot.run_ids():
            if rid not in wanted and rid not in self._live:
                self.plot.remove_run(rid)
        self.plot.set_highlighted(wanted)
        missing = [rid for rid in wanted if rid not in self.plot.run_ids()]
        if not missing:
            self._compare_pair(wanted)
            return
        library = self.library

        def load() -> list[Run]:
            return [library.get_run(rid) for rid in missing]

        def loaded(runs: list[Run]) -> None:
            if generation != self._selection_generation:
                return
            for run in runs:
                self.plot.show_run(run, run_label(run))
            self.plot.set_highlighted(wanted)
            self._compare_pair(wanted)

        run_in_background(load, loaded, self.message.emit, owner=self)

    def _compare_pair(self, run_ids: list[str]) -> None:
        """One warm run selected: compare it with its cold reference. Two runs
        selected, one warm-started and the other cold: compare them."""
        if len(run_ids) not in (1, 2):
            self.plot.clear_comparison()
            return
        library = self.library
        generation = self._selection_generation

        if len(run_ids) == 1:
            def single(run: Run) -> None:
                if generation != self._selection_generation:
                    return
                if run.warm is None or not run.info.get("saving"):
                    self.plot.clear_comparison()
                else:
                    self.compare_with_cold(run)

            run_in_background(lambda: library.get_run(run_ids[0], history=False), single,
                              self.message.emit, owner=self)
            return

        def load() -> tuple[Run, Run] | None:
            a, b = (library.get_run(rid, history=True) for rid in run_ids)
            for warm, cold in ((a, b), (b, a)):
                if warm.warm is not None and cold.warm is None:
                    return warm, cold
            return None

        def loaded(pair: tuple[Run, Run] | None) -> None:
            if generation != self._selection_generation:
                return
            if pair is None:
                self.plot.clear_comparison()
            else:
                self.plot.set_comparison(*pair)
                self.comparison_shown.emit(self.plot.comparison_text())

        run_in_background(load, loaded, self.message.emit, owner=self)

    def compare_with_cold(self, warm: Run) -> None:
        """Overlay a warm run with the cold run its saving was measured against."""
        saving = warm.info.get("saving") or {}
        cold_id = saving.get("cold_run") if isinstance(saving, dict) else None
        if not cold_id:
            return
        library = self.library

        def load() -> Run:
            return library.get_run(cold_id)

        def loaded(cold: Run) -> None:
            if warm.id not in self.plot.run_ids():
                return   # the selection moved on
            if cold.id not in self.plot.run_ids():
                self.plot.show_run(cold, run_label(cold) + " (cold)")
            self.plot.set_comparison(warm, cold)
            self.plot.set_highlighted([warm.id, cold.id])
            self.comparison_shown.emit(self.plot.comparison_text())

        run_in_background(load, loaded, self.message.emit, owner=self)
