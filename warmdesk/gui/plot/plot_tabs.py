"""The plot area: the convergence plot and, beside it as a second tab, the
training curves of network runs. The training tab is enabled while it has
runs (its title counts them); it comes to the front when every plotted run is
a network run, and the convergence plot when it empties. View > Export plot…
exports the tab shown."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QTabWidget, QWidget

from .convergence_plot import ConvergencePlot
from .training_curves import TrainingCurves

CONVERGENCE_TAB, TRAINING_TAB = 0, 1


class PlotTabs(QTabWidget):
    def __init__(self, plot: ConvergencePlot, training: TrainingCurves,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot, self.training = plot, training
        self.setObjectName("plot_tabs")
        self.setDocumentMode(True)
        self.addTab(plot, "Convergence")
        self.addTab(training, "Training curves")
        self.setTabToolTip(TRAINING_TAB, "Loss and accuracy per epoch of network runs, "
                                         "training and validation, warm vs cold")
        self._count = 0
        training.runs_changed.connect(self._training_changed)
        self._training_changed(0)

    def export_dialog(self) -> QFileDialog:
        """View > Export plot…: export the plot that is shown (non-blocking)."""
        shown = self.training if self.currentIndex() == TRAINING_TAB else self.plot
        return shown.export_dialog()

    def _training_changed(self, count: int) -> None:
        before, self._count = self._count, count
        self.setTabEnabled(TRAINING_TAB, count > 0)
        self.setTabText(TRAINING_TAB, f"Training curves ({count})" if count
                        else "Training curves")
        if count and not before and count >= len(self.plot.run_ids()):
            self.setCurrentIndex(TRAINING_TAB)
        elif not count and self.currentIndex() == TRAINING_TAB:
            self.setCurrentIndex(CONVERGENCE_TAB)
