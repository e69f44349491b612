"""Feeds the convergence plot: live curves from running solves, finished runs
from the library table's selection (loaded in the background), and the
warm-vs-cold comparison of a finished warm run with its cold reference.

``network`` runs also go to the training-curves view (its tab beside the
plot): the same runs, live or finished, and the same comparison; a
fine-tuned run with no measured cold reference is compared with the newest
cold run of the same problem in the library.

The runs on the plot are kept here (``_runs``), so choosing what to compare
needs no second read of the library."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ...core.library import Library, RunQuery
from ...core.runs import Run
from ..background import run_in_background
from .convergence_plot import ConvergencePlot
from .training_curves import TrainingCurves
from ..runs.solve_manager import JobResult, SolveManager

#: Plotting more than this many selected runs at once helps nobody.
MAX_PLOTTED = 16
#: The kind whose runs have training curves.
TRAINED_KIND = "network"


def run_label(run: Run) -> str:
    return f"{run.name} {run.id[:6]}" + (" (warm)" if run.warm_source else "")


class PlotController(QObject):
    message = Signal(str)

    def __init__(self, plot: ConvergencePlot, library: Library, manager: SolveManager,
                 training: TrainingCurves | None = None) -> None:
        super().__init__(plot)
        self.plot, self.library, self.manager = plot, library, manager
        self.training = training
        self._live: set[str] = set()
        self._runs: dict[str, Run] = {}       # finished runs on the plot
        self._selection_generation = 0
        manager.run_started.connect(self._run_started)
        manager.progress.connect(self._progress)
        manager.outputs.connect(self._outputs)
        manager.job_finished.connect(self._job_finished)

    # -- live runs
    def _run_started(self, _job_id: str, run: Run) -> None:
        self._live.add(run.id)
        self.plot.begin_live(run.id, run_label(run), run.kind)
        if self.training is not None and run.kind == TRAINED_KIND:
            self.training.begin_live(run.id, run_label(run))

    def _progress(self, run_id: str, rows: object) -> None:
        if run_id in self._live:
            self.plot.append_rows(run_id, rows)
            if self.training is not None:
                self.training.append_rows(run_id, rows)

    def _outputs(self, run_id: str, outputs: dict, starts: dict) -> None:
        if run_id in self._live and self.training is not None:
            self.training.live_outputs(run_id, outputs, starts)

    def _job_finished(self, _job_id: str, result: JobResult) -> None:
        for run in result.runs:
            if run.id in self._live:
                self._live.discard(run.id)
                self._runs[run.id] = run
                self.plot.finish_live(run)
                if self.training is not None and run.id in self.training.run_ids():
                    self.training.show_run(run, run_label(run))
        if result.run is not None and result.run.warm is not None:
            self.compare_with_cold(result.run)

    def _show(self, run: Run, label: str | None = None) -> None:
        self._runs[run.id] = run
        self.plot.show_run(run, label or run_label(run))
        if self.training is not None and run.kind == TRAINED_KIND:
            self.training.show_run(run, label or run_label(run))

    def _remove(self, run_id: str) -> None:
        self.plot.remove_run(run_id)
        self._runs.pop(run_id, None)
        if self.training is not None:
            self.training.remove_run(run_id)

    # -- selection
    def show_runs(self, run_ids: list[str]) -> None:
        """Plot these runs (and keep the live ones)."""
        self._selection_generation += 1
        generation = self._selection_generation
        wanted = list(dict.fromkeys(run_ids))[:MAX_PLOTTED]
        for rid in self.plot.run_ids():
            if rid not in wanted and rid not in self._live:
                self._remove(rid)
        self.plot.set_highlighted(wanted)
        plotted = set(self.plot.run_ids())
        missing = [rid for rid in wanted if rid not in plotted]
        if not missing:
            self._compare_selected(wanted)
            return
        library = self.library

        def loaded(runs: list[Run]) -> None:
            if generation != self._selection_generation:
                return
            for run in runs:
                self._show(run)
            self.plot.set_highlighted(wanted)
            self._compare_selected(wanted)

        run_in_background(lambda: [library.get_run(rid) for rid in missing], loaded,
                          self.message.emit, owner=self)

    def _compare_selected(self, run_ids: list[str]) -> None:
        """One warm run selected: compare it with its cold reference. Two runs
        selected, one warm-started and the other cold: compare them."""
        runs = [self._runs.get(rid) for rid in run_ids]
        if len(runs) == 1 and runs[0] is not None and runs[0].warm is not None:
            self.compare_with_cold(runs[0])
            return
        if len(runs) == 2 and None not in runs:
            for warm, cold in (runs, runs[::-1]):
                if warm.warm is not None and cold.warm is None:
                    self._set_comparison(warm, cold)
                    return
        self._clear_comparison()

    def _set_comparison(self, warm: Run, cold: Run) -> None:
        self.plot.set_comparison(warm, cold)
        if self.training is not None and warm.kind == cold.kind == TRAINED_KIND:
            self.training.set_comparison(warm, cold, run_label(warm), run_label(cold))

    def _clear_comparison(self) -> None:
        self.plot.clear_comparison()
        if self.training is not None:
            self.training.clear_comparison()

    def compare_with_cold(self, warm: Run) -> None:
        """Overlay a warm run with the cold run its saving was measured against."""
        saving = warm.info.get("saving") or {}
        cold_id = saving.get("cold_run") if isinstance(saving, dict) else None
        if not cold_id and warm.kind != TRAINED_KIND:
            self._clear_comparison()
            return
        if cold_id in self._runs:
            self._set_comparison(warm, self._runs[cold_id])
            self.plot.set_highlighted([warm.id, cold_id])
            return
        library = self.library

        def loaded(cold: Run | None) -> None:
            if warm.id not in self.plot.run_ids():
                return   # the selection moved on
            if cold is None:
                self._clear_comparison()
                return
            self._show(cold, run_label(cold) + " (cold)")
            self._set_comparison(warm, cold)
            self.plot.set_highlighted([warm.id, cold.id])

        run_in_background(lambda: library.get_run(cold_id) if cold_id
                          else cold_of_problem(library, warm), loaded, self.message.emit,
                          owner=self)


def cold_of_problem(library: Library, warm: Run) -> Run | None:
    """The newest finished cold run of the same problem as ``warm`` (background)."""
    for meta in library.query(RunQuery(kind=warm.kind, problem_hash=warm.problem_hash,
                                       statuses=("converged", "stopped"), limit=50)):
        if not meta.get("warm_source") and meta["id"] != warm.id:
            return library.get_run(meta["id"])
    return None
