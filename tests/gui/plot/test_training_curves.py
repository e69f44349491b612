"""The training curves of network runs, with real training: live curves
(training and validation) grow epoch by epoch from a real solve in its child
process, a finished run from the library shows its training and validation
loss and accuracy, and a fine-tuned run is overlaid with a cold run of the
same problem, the gap at the last common epoch annotated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.problems import Problem, load_problem, problem_from_dict
from warmdesk.core.runs import Run
from warmdesk.core.warmstart import warm_start_from_run
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.plot.controller import PlotController
from warmdesk.gui.plot.convergence_plot import ConvergencePlot
from warmdesk.gui.plot.plot_tabs import TRAINING_TAB, PlotTabs
from warmdesk.gui.plot.training_curves import TrainingCurves
from warmdesk.gui.plot.training_table import gap, gap_sentence, run_table
from warmdesk.gui.runs.solve_manager import SolveManager, SolveRequest

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"
WAIT_MS = 60_000


def example(file: str, **changes: object) -> Problem:
    spec = json.loads((EXAMPLES / f"{file}.json").read_text())
    spec.update(changes)
    return problem_from_dict(spec, base_dir=EXAMPLES)


@pytest.fixture(scope="module")
def trained() -> dict[str, Run]:
    """mlp_base cold; mlp_next cold and fine-tuned (shrink and perturb) from it."""
    base = solve(load_problem(EXAMPLES / "mlp_base.json"))
    nxt = load_problem(EXAMPLES / "mlp_next.json")
    cold = solve(nxt)
    warm = solve(nxt, warm_start_from_run(nxt, base))
    assert warm.warm_source == base.id and cold.warm_source is None
    return {"base": base, "cold": cold, "warm": warm}


@pytest.fixture
def library(tmp_path: Path, trained: dict[str, Run]) -> Iterator[Library]:
    lib = Library(tmp_path / "library")
    lib.save_runs(trained.values())
    yield lib
    lib.close()


@pytest.fixture
def rig(qtbot, library: Library) -> Iterator[tuple[PlotTabs, PlotController, SolveManager]]:
    manager = SolveManager(library)
    plot = ConvergencePlot()
    training = TrainingCurves(plot.color_of)
    tabs = PlotTabs(plot, training)
    qtbot.addWidget(tabs)
    tabs.resize(1000, 600)
    tabs.show()
    qtbot.waitExposed(tabs)
    controller = PlotController(plot, library, manager, training)
    yield tabs, controller, manager
    manager.stop_all()
    wait_for_background()


def test_a_finished_run_shows_its_validation_and_training_curves(qtbot, rig, trained) -> None:
    tabs, controller, _ = rig
    base = trained["base"]
    assert not tabs.isTabEnabled(TRAINING_TAB)
    controller.show_runs([base.id])
    training = tabs.training
    qtbot.waitUntil(lambda: base.id in training.run_ids(), timeout=WAIT_MS)
    assert tabs.isTabEnabled(TRAINING_TAB) and tabs.currentIndex() == TRAINING_TAB
    assert tabs.tabText(TRAINING_TAB) == "Training curves (1)"
    table = base.outputs["epochs"]
    x, y = training.drawn(base.id, "val")
    np.testing.assert_array_equal(x, table[:, 0])
    np.testing.assert_array_equal(y, table[:, 2])            # val_loss, from the library
    _, y_train = training.drawn(base.id, "train")
    np.testing.assert_array_equal(y_train, table[:, 1])
    training.set_metric("accuracy")
    _, acc = training.drawn(base.id, "val")
    np.testing.assert_array_equal(acc, table[:, 4])
    assert 0.5 < acc[-1] <= 1.0
    training.set_metric("loss", log_y=True, training=False)
    _, logged = training.drawn(base.id, "val")
    np.testing.assert_allclose(logged, np.log10(table[:, 2]))
    assert not training.drawn(base.id, "train")[0].size or \
        not tabs.training._runs[base.id].train_item.isVisible()
    controller.show_runs([])
    assert training.run_ids() == [] and not tabs.isTabEnabled(TRAINING_TAB)


def test_warm_and_cold_overlaid_with_the_gap_annotated(qtbot, rig, trained) -> None:
    tabs, controller, _ = rig
    warm, cold = trained["warm"], trained["cold"]
    training = tabs.training
    # one fine-tuned run selected: its cold partner (same problem) is found in the library
    controller.show_runs([warm.id])
    qtbot.waitUntil(lambda: training.gap() is not None, timeout=WAIT_MS)
    assert set(training.run_ids()) == {warm.id, cold.id}
    g = training.gap()
    w, c = run_table(warm), run_table(cold)
    last = int(min(w["epoch"][-1], c["epoch"][-1]))
    assert g.epoch == last and g.column == "val_loss"
    assert g.warm == w["val_loss"][last - 1] and g.cold == c["val_loss"][last - 1]
    text = training.comparison_text()
    verdict = "warm worse" if g.warm > g.cold else "warm better"
    assert text == (f"Epoch {last}: warm validation loss {g.warm:.3g} vs cold {g.cold:.3g}: "
                    f"gap {g.warm - g.cold:+.2g} ({verdict})")
    assert text in training.plot_item.titleLabel.text
    marks = training.view.end_marks.data
    assert sorted(marks["x"]) == [last, last] and sorted(marks["y"]) == sorted([g.warm, g.cold])
    # accuracy: the same epoch, higher is better
    training.set_metric("accuracy")
    acc = training.gap()
    assert acc.column == "val_acc" and acc.warm == w["val_acc"][last - 1]
    assert ("warm worse" in training.comparison_text()) == (acc.warm < acc.cold)
    # two runs selected, warm and cold: the same comparison, chosen by the user
    controller.show_runs([trained["base"].id])
    qtbot.waitUntil(lambda: training.gap() is None, timeout=WAIT_MS)
    controller.show_runs([cold.id, warm.id])
    qtbot.waitUntil(lambda: training.gap() is not None, timeout=WAIT_MS)


def test_gap_uses_the_last_epoch_both_runs_reached() -> None:
    cols = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "learning_rate", "wall_s")
    warm = {k: np.array([1, 2, 3.0]) if k == "epoch" else np.array([0.5, 0.4, 0.45])
            for k in cols}
    cold = {k: np.array([1, 2, 3, 4, 5.0]) if k == "epoch" else np.array([0.9, 0.6, 0.4, .3, .2])
            for k in cols}
    cold["val_loss"][2] = np.nan          # epoch 3 has no cold validation loss
    g = gap(warm, cold, "loss")
    assert (g.epoch, g.warm, g.cold) == (2, 0.4, 0.6) and not g.warm_worse
    assert gap_sentence(g) == ("Epoch 2: warm validation loss 0.4 vs cold 0.6: gap -0.2 "
                               "(warm better)")
    warm["val_loss"][:] = np.nan          # no validation: the training loss is compared
    g = gap(warm, cold, "loss")
    assert g.column == "train_loss" and g.epoch == 3
    assert gap_sentence(g).startswith("Epoch 3: warm training loss 0.45 vs cold 0.4")
    assert gap({**warm, "epoch": np.array([7, 8, 9.0])}, cold, "loss") is None


def test_curves_grow_live_while_a_network_trains(qtbot, rig) -> None:
    tabs, controller, manager = rig
    training = tabs.training
    problem = example("mlp_base", epochs=1500, early_stopping=None, name="long mlp")
    sizes: list[int] = []
    snapshot: dict[str, np.ndarray] = {}
    validated: list[int] = []     # live frames with validation losses: how many epochs
    run_ids: list[str] = []
    manager.run_started.connect(lambda _job, run: run_ids.append(run.id))

    def sample() -> None:
        if run_ids and training.is_live(run_ids[0]):
            table = training.table(run_ids[0])
            sizes.append(len(table["epoch"]))
            snapshot.update({k: v.copy() for k, v in table.items()})
            validated.append(int(np.isfinite(table["val_loss"]).sum()))

    manager.progress.connect(lambda *_a: sample())
    manager.outputs.connect(lambda *_a: sample())
    with qtbot.waitSignal(manager.job_finished, timeout=WAIT_MS) as done:
        manager.launch(SolveRequest(problem, label="live"))
    run = done.args[1].run
    assert run.status == "converged", run.message
    # the live curve grew epoch by epoch (several frames before the end), the
    # epochs it held are the run's first ones, with their training loss
    grown = sorted(set(sizes))
    assert len(grown) >= 3 and grown[0] < 1500, grown
    n = len(snapshot["epoch"])
    np.testing.assert_array_equal(snapshot["epoch"], np.arange(1, n + 1))
    # the validation loss came live too, several times, growing, before the end
    grew = sorted(set(v for v in validated if v))
    assert len(grew) >= 3 and grew[-1] < 1500, grew
    v = int(np.isfinite(snapshot["val_loss"]).sum())
    assert np.isfinite(snapshot["val_loss"][:v]).all()
    # finished: the live curve is replaced by the stored table, validation and all
    assert not training.is_live(run.id)
    table = run.outputs["epochs"]
    assert table.shape == (1500, 7)
    x, y = training.drawn(run.id, "val")
    np.testing.assert_array_equal(x, table[:, 0])
    np.testing.assert_array_equal(y, table[:, 2])
    _, y_train = training.drawn(run.id, "train")
    np.testing.assert_allclose(y_train, table[:, 1])
    np.testing.assert_array_equal(snapshot["train_loss"], table[:n, 1])
    np.testing.assert_array_equal(snapshot["val_loss"][:v], table[:v, 2])
    np.testing.assert_array_equal(snapshot["val_acc"][:v], table[:v, 4])
    assert "Running" not in training.note.text()


def test_a_guarded_fine_tune_shows_the_guards_verdict(qtbot, rig, library, trained) -> None:
    """The training guard's judgement (validation loss against cold seeds) is
    shown with the overlay, so the gap drawn is read against the seed spread."""
    from warmdesk.core.advisor import guarded_solve
    from warmdesk.core.solvers.base import SolveControl
    tabs, controller, _ = rig
    nxt = load_problem(EXAMPLES / "mlp_next.json")
    kept, report = guarded_solve(library, nxt, warm_start_from_run(nxt, trained["base"]),
                                 SolveControl())
    library.save_runs(report.runs)
    warm = report.runs[0]
    gap = warm.info["guard"]["generalization"]
    controller.show_runs([warm.id])
    training = tabs.training
    qtbot.waitUntil(lambda: training.gap() is not None, timeout=WAIT_MS)
    title = training.plot_item.titleLabel.text
    said = "a generalization gap" if gap["flagged"] else "no generalization gap"
    assert f"Guard: {said}" in title and f"{len(gap['cold_val_losses'])} seeds" in title
    assert f"spread {gap['spread']:.2g}" in title
    # two cold runs: no comparison, no guard line left behind
    controller.show_runs([trained["cold"].id, report.runs[1].id])
    qtbot.waitUntil(lambda: training.gap() is None, timeout=WAIT_MS)
    label = training.plot_item.titleLabel
    assert not label.isVisible() or "Guard" not in label.text


def test_the_training_curves_export_what_they_show(qtbot, rig, trained, tmp_path: Path) -> None:
    """PNG, SVG and the epoch tables as CSV, from the tab's own Export button and
    from View > Export plot… while the tab is shown (it used to export the
    convergence plot hidden behind it)."""
    from PySide6.QtWidgets import QFileDialog

    from warmdesk.core.solvers.network import EPOCH_COLUMNS
    from warmdesk.gui.plot.export import read_csv

    tabs, controller, _ = rig
    warm, cold = trained["warm"], trained["cold"]
    training = tabs.training
    controller.show_runs([warm.id])
    qtbot.waitUntil(lambda: training.gap() is not None, timeout=WAIT_MS)
    assert tabs.currentIndex() == TRAINING_TAB
    dialog = tabs.export_dialog()                 # what View > Export plot… calls
    assert dialog.windowTitle() == "Export training curves"
    assert dialog.parent() is training
    dialog.selectFile(str(tmp_path / "curves.csv"))
    with qtbot.waitSignal(training.exported, timeout=10000) as sent:
        dialog.accept()
    assert sent.args == [str(tmp_path / "curves.csv")]
    header = (tmp_path / "curves.csv").read_text().splitlines()[0]
    assert header == "run_id,label," + ",".join(EPOCH_COLUMNS)
    table = read_csv(tmp_path / "curves.csv")
    for run in (warm, cold):
        got = np.array([values for rid, _label, values in table if rid == run.id])
        np.testing.assert_array_equal(got, run.outputs["epochs"])
    assert f"Saved {tmp_path / 'curves.csv'}" in training.note.text()
    menu = training.export_button.menu()
    menu.findChild(type(menu.actions()[0]), "export_svg").trigger()
    [dialog] = [d for d in training.findChildren(QFileDialog) if d.isVisible()]
    dialog.selectFile(str(tmp_path / "picture"))
    with qtbot.waitSignal(training.exported, timeout=10000) as sent:
        dialog.accept()
    assert sent.args == [str(tmp_path / "picture.svg")]
    assert "Epoch" in (tmp_path / "picture.svg").read_text()
    with qtbot.waitSignal(training.exported, timeout=10000):
        training.export_image(tmp_path / "picture.png")
    # the convergence tab shown: its plot is the one exported
    tabs.setCurrentIndex(0)
    dialog = tabs.export_dialog()
    assert dialog.windowTitle() == "Export convergence plot" and dialog.parent() is tabs.plot
    dialog.reject()


def test_the_loss_axis_says_what_the_losses_are(qtbot, trained) -> None:
    """A regression's losses are mean squared errors in its target's units (it
    trains on the target standardised); runs whose losses differ in meaning
    leave the axis "Loss"."""
    regression = solve(example("mlp_base", output="regression", epochs=3))
    curves = TrainingCurves()
    qtbot.addWidget(curves)
    axis = curves.plot_item.getAxis("left")
    assert axis.labelText == "Loss"
    curves.show_run(regression, "regression")
    assert axis.labelText == "Loss (mean squared error in good's units)"
    np.testing.assert_array_equal(curves.drawn(regression.id, "val")[1],
                                  regression.outputs["epochs"][:, 2])
    net = regression.info["network"]      # the kept (best) epoch's, as drawn
    assert net["val_loss"] == regression.outputs["epochs"][net["best_epoch"] - 1, 2]
    curves.show_run(trained["base"], "binary")
    assert axis.labelText == "Loss"
    curves.remove_run(regression.id)
    assert axis.labelText == "Loss (cross-entropy)"
    curves.set_metric("accuracy")
    assert axis.labelText == "Accuracy"
