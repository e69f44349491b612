"""A real sweep run from the real window (InlineExecutor in the sweep's worker
thread, a real library): progress, the result plot against the stored runs,
a clicked point showing its run, chained beside cold, and cancel keeping
what finished."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from warmdesk.core.sweeps import SweepResult
from warmdesk.gui.sweeps.result_plot import SweepResultPlot

from ...core.factories import rosenbrock
from .helpers import EXAMPLES, TIMEOUT, open_editor, wait_valid

RUN_TIMEOUT = 120_000


def _grid_sweep() -> dict:
    return {"format": "warmdesk.sweep/1", "name": "rosen-grid",
            "problem": rosenbrock(n=2), "vary": {"a": {"from": 0.8, "to": 1.2, "num": 5},
                                                 "b": [80, 120]}}


@pytest.fixture
def sweeping(window):
    yield window
    window.sweeps.stop()


def _run(qtbot, window, cold: bool = False, workers: int = 0) -> SweepResult:
    editor = window.sweeps.editor
    editor.cold.setChecked(cold)
    editor.workers.setValue(workers)
    wait_valid(qtbot, editor)
    with qtbot.waitSignal(window.sweeps.manager.finished, timeout=RUN_TIMEOUT) as done:
        editor.run_button.click()
    request, result, error = done.args
    assert error == "" and request.cold == cold
    return result


def _plotted_equals_stored(window, plot: SweepResultPlot, result: SweepResult,
                           mode: str) -> None:
    log = plot.view.plot_item.getAxis("left").logMode
    drawn = [d for d in plot.drawn if d.mode == mode]
    assert len(drawn) == len(result.points) == result.total
    assert {d.run_id for d in drawn} == {p.run.id for p in result.points.values()}
    for d in drawn:
        stored = window.library.get_run(d.run_id, history=False)
        assert stored.info["sweep"]["id"] == result.sweep_id
        assert stored.info["sweep"]["role"] == "point"
        assert d.x == stored.info["sweep"]["values"]["a"]
        assert (10 ** d.y if log else d.y) == pytest.approx(stored.fun, rel=1e-9, abs=1e-300)
        assert d.ok == (stored.info["sweep"]["check"] is None)


def test_a_sweep_runs_and_its_plot_is_the_stored_runs(qtbot, sweeping) -> None:
    window = sweeping
    window.sweeps.edit(_grid_sweep(), None, None)
    chained = _run(qtbot, window)
    view = window.sweeps.view
    assert window.plot_tabs.currentWidget() is view
    assert view.progress.bar.value() == view.progress.bar.maximum() == 10
    counts = view.progress.chain_counts()
    assert sum(done for _, done, _ in counts) == 10 and all(n == d for n, d, _ in counts)
    assert "10 of 10 points stored; 0 failed" in view.progress.status.text()
    _plotted_equals_stored(window, view.result, chained, "chained")
    # one curve per value of b, the points solved against a
    legend = [label.text for _, label in view.result.view.legend.items]
    assert legend == ["b = 80", "b = 120"]
    # a variable of the solution instead of the objective
    view.result.what.setCurrentText("x[0]")
    for d in view.result.drawn:
        stored = window.library.get_run(d.run_id, history=False)
        assert d.y == pytest.approx(float(stored.solution["x"][0]))
    view.result.what.setCurrentText("objective")
    # the same spec cold: drawn beside the chained points
    cold = _run(qtbot, window, cold=True)
    assert {d.mode for d in view.result.drawn} == {"chained", "cold"}
    _plotted_equals_stored(window, view.result, cold, "cold")
    _plotted_equals_stored(window, view.result, chained, "chained")
    assert "chained: 10 of 10" in view.result.caption.text()
    assert "cold: 10 of 10" in view.result.caption.text()
    chained_evals = sum(p.evaluations for p in chained.points.values())
    cold_evals = sum(p.evaluations for p in cold.points.values())
    assert f"{chained_evals} evaluations" in view.result.caption.text()
    assert f"{cold_evals} evaluations" in view.result.caption.text()


def test_clicking_a_point_shows_its_run(qtbot, sweeping) -> None:
    window = sweeping
    window.sweeps.edit(_grid_sweep(), None, None)
    result = _run(qtbot, window)
    plot = window.sweeps.view.result
    qtbot.waitUntil(lambda: plot.view.isVisible(), timeout=TIMEOUT)
    with qtbot.waitSignal(plot.view.painted, timeout=TIMEOUT):   # as the user sees it
        plot.view.update()
    # every point, also those whose markers overlap a neighbour's, is its own run
    for target in sorted(plot.drawn, key=lambda d: (d.x, d.y))[::3]:
        x, y = plot.view_position(target)
        with qtbot.waitSignal(plot.run_clicked, timeout=TIMEOUT) as clicked:
            QTest.mouseClick(plot.view.viewport(), Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier, QPoint(round(x), round(y)))
        assert clicked.args == [target.run_id]
    qtbot.waitUntil(lambda: window.details.run() is not None
                    and window.details.run().id == target.run_id, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.browser.selected_run_ids() == [target.run_id],
                    timeout=TIMEOUT)
    assert target.run_id in {p.run.id for p in result.points.values()}


def test_cancel_stops_the_sweep_and_keeps_the_finished_points(qtbot, sweeping) -> None:
    window = sweeping
    editor = open_editor(qtbot, window, EXAMPLES / "bratu_sweep.json")
    editor.cold.setChecked(True)        # cold: slower points, time to cancel
    wait_valid(qtbot, editor)
    progress = window.sweeps.view.progress
    window.sweeps.manager.point_finished.connect(
        lambda _event: progress.cancel.click() if progress.cancel.isEnabled() else None)
    with qtbot.waitSignal(window.sweeps.manager.finished, timeout=RUN_TIMEOUT) as done:
        editor.run_button.click()
    _request, result, error = done.args
    assert error == "" and result.cancelled
    assert 0 < len(result.points) < result.total == 33
    for point in result.points.values():
        stored = window.library.get_run(point.run.id, history=False)
        assert stored.info["sweep"]["id"] == result.sweep_id
        assert math.isfinite(stored.fun)
    assert progress.status.text().startswith("Cancelled")
    assert progress.bar.value() == len(result.points)
    plot = window.sweeps.view.result
    assert {d.run_id for d in plot.drawn} == {p.run.id for p in result.points.values()}
    # the runner is free again: the editor may run
    qtbot.waitUntil(editor.run_button.isEnabled, timeout=TIMEOUT)


def test_a_sweep_on_a_local_dask_cluster(qtbot, sweeping) -> None:
    pytest.importorskip("distributed")
    window = sweeping
    window.sweeps.edit(_grid_sweep(), None, None)
    started = time.monotonic()
    result = _run(qtbot, window, workers=1)
    assert time.monotonic() - started < 60
    assert "Dask cluster of 1" in window.sweeps.view.progress.status.text()
    _plotted_equals_stored(window, window.sweeps.view.result, result, "chained")


def test_closing_the_window_cancels_a_running_sweep(qtbot, sweeping) -> None:
    window = sweeping
    editor = open_editor(qtbot, window, EXAMPLES / "bratu_sweep.json")
    editor.cold.setChecked(True)
    wait_valid(qtbot, editor)
    with qtbot.waitSignal(window.sweeps.manager.point_finished, timeout=RUN_TIMEOUT):
        editor.run_button.click()
    thread = window.sweeps.manager._thread
    assert thread is not None
    window.close()                      # cancels the sweep and waits for its thread
    assert not window.isVisible() and thread.isFinished()
    assert thread.runner.result.cancelled
    assert 0 < len(thread.runner.result.points) < 33
    for point in thread.runner.result.points.values():
        assert window.library.get_run(point.run.id, history=False) is not None


def test_a_kind_the_core_sweeps_cold_is_drawn_as_cold_and_says_why(qtbot, sweeping) -> None:
    window = sweeping
    problem = json.loads((EXAMPLES.parent / "lotka_volterra_base.json").read_text())
    window.sweeps.edit({"format": "warmdesk.sweep/1", "name": "lv-alpha", "problem": problem,
                        "vary": {"alpha": {"from": 1.0, "to": 1.2, "num": 3}}},
                       EXAMPLES.parent, None)
    result = _run(qtbot, window)            # asked chained: the core sweeps an ode cold
    progress = window.sweeps.view.progress
    assert "swept cold" in progress.status.text()
    assert progress.title.text().startswith("<b>lv-alpha</b>: cold,")
    plot = window.sweeps.view.result
    assert plot.points("chained") == {} and len(plot.points("cold")) == len(result.points) == 3
    # an ode run has no objective: nothing to draw against alpha, and the plot says so
    assert plot.drawn == [] and "3 points without a value to draw" in plot.caption.text()
    # its final state can be drawn instead
    assert [plot.what.itemText(i) for i in range(plot.what.count())] == [
        "objective", "prey", "predator"]
    plot.what.setCurrentText("prey")
    assert len(plot.drawn) == 3
    for d in plot.drawn:
        stored = window.library.get_run(d.run_id, history=False)
        assert d.y == pytest.approx(float(np.asarray(stored.solution["prey"]).ravel()[0]))
        assert d.x == stored.info["sweep"]["values"]["alpha"]
