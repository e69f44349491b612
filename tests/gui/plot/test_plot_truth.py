"""The convergence plot tells the truth (issue #14, item 2), checked on the real
widget offscreen with real solves: a log axis always has readable labels, the
legend fits, a live run never hides how far a finished run went, the saving is
said with what it was measured against (the same words in the title and the
status bar), and an empty plot says why it is empty."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from warmdesk.core.advisor import record_outcome
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.runs import HISTORY_COLUMNS, Run
from warmdesk.core.saving_text import recorded_saving_sentence
from warmdesk.core.warmstart import warm_start_from_run
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.plot.convergence_plot import ConvergencePlot
from warmdesk.gui.runs.solve_manager import JobResult

from ...core.factories import build, constrained, lotka_volterra, rosenbrock

SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    """Cold Rosenbrock a=1 (reaches ~1e-20), a warm run for a=1.01 from it, an ode run."""
    cold = solve(build(rosenbrock()))
    near = build(rosenbrock(a=1.01))
    warm = solve(near, warm_start_from_run(near, cold))
    return {"cold": cold, "warm": warm, "ode": solve(build(lotka_volterra())),
            "portfolio": solve(build(constrained()))}


@pytest.fixture
def plot(qtbot) -> Iterator[ConvergencePlot]:
    widget = ConvergencePlot()
    qtbot.addWidget(widget)
    widget.resize(560, 330)   # what the window gives the plot at 1024x700
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    wait_for_background()


def rows_with(fun: np.ndarray) -> np.ndarray:
    rows = np.full((len(fun), len(HISTORY_COLUMNS)), np.nan)
    it = np.arange(1, len(fun) + 1, dtype=float)
    rows[:, 0], rows[:, 1], rows[:, 4] = it, it, fun
    return rows


def drawn_labels(plot: ConvergencePlot, side: str = "left") -> list[tuple[float, str]]:
    """(pixel position along the axis, text) of every tick label the axis draws."""
    axis = plot.plot_item.getAxis(side)
    image = QImage(10, 10, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        _axis_spec, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    centre = (lambda r: r.center().y()) if side == "left" else (lambda r: r.center().x())
    return [(centre(QRectF(rect)), text) for rect, _flags, text in texts]


def label_value(text: str) -> float:
    """A label as a number: "0.12", "1.0002", "10⁻⁵", "2·10⁻⁵", "1e-05"."""
    text = text.replace("−", "-")
    match = re.fullmatch(r"(?:([-\d.]+)·)?10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", text)
    if match:
        return float(match.group(1) or 1) * 10.0 ** int(match.group(2).translate(SUPERSCRIPT))
    return float(text)


@pytest.mark.parametrize("low, high", [(1.0001, 1.0005), (0.12, 0.18), (2.0, 5.0),
                                       (3e-7, 9e-7), (0.5, 3.0), (1e-20, 1.0)])
def test_a_log_axis_always_has_labels_that_say_their_value(plot, qtbot, low, high) -> None:
    plot.begin_live("run", "run")
    plot.append_rows("run", rows_with(np.geomspace(high, low, 40)))
    plot.flush()
    # the axis widens to its labels after a first paint: wait for the second
    qtbot.waitUntil(lambda: plot.grab() is not None and len(drawn_labels(plot)) >= 2,
                    timeout=3000)
    labels = drawn_labels(plot)
    values = [label_value(text) for _pos, text in labels]
    (y0, y1) = plot.plot_item.vb.viewRange()[1]
    assert all(10 ** y0 <= v <= 10 ** y1 for v in values), (values, 10 ** y0, 10 ** y1)
    assert len(set(values)) == len(values)          # no two labels say the same
    # top to bottom: values fall (a label stands at its own tick)
    by_position = [v for _pos, v in sorted(zip([p for p, _ in labels], values))]
    assert by_position == sorted(values, reverse=True)


def test_the_legend_fits_in_the_plot(plot, qtbot, runs) -> None:
    for k in range(12):
        # long names, as PlotController labels them: name, 6 digits of the id, (warm)
        plot.begin_live(f"r{k}", f"lotka_volterra predator prey long name {k:02d}a2b3 (warm)")
        plot.append_rows(f"r{k}", rows_with(np.geomspace(10 * (k + 1), 1e-3, 30)))
    plot.flush()

    def legend_rect():
        plot.grab()
        return plot.view.mapFromScene(plot.legend.sceneBoundingRect()).boundingRect()

    qtbot.waitUntil(lambda: plot.view.rect().contains(legend_rect()), timeout=3000)
    legend = legend_rect()
    assert legend.width() <= 0.55 * plot.view.width()   # the curves keep the larger part
    texts = [label.text for _sample, label in plot.legend.items]
    assert len(texts) == 12
    for k, text in enumerate(texts):   # shortened before the id: the id stays readable
        assert text.endswith("a2b3 (warm)") and len(text) > len("a2b3 (warm)"), text


def test_a_long_title_does_not_push_the_legend_out(plot, qtbot, runs) -> None:
    plot.set_comparison(runs["warm"], runs["cold"])
    plot.flush()

    def legend_rect():
        plot.grab()
        return plot.view.mapFromScene(plot.legend.sceneBoundingRect()).boundingRect()

    qtbot.waitUntil(lambda: plot.view.rect().contains(legend_rect()), timeout=3000)
    title = plot.view.mapFromScene(plot.plot_item.titleLabel.sceneBoundingRect()).boundingRect()
    assert title.height() >= 2 * plot.fontMetrics().height()    # both lines of the title


def test_a_live_run_does_not_cut_off_a_finished_one(plot, qtbot, runs) -> None:
    cold = runs["cold"]
    lowest = np.log10(cold.history.column("fun").min())
    assert lowest < -15
    plot.show_run(cold)
    plot.begin_live("live", "a long live run")
    plot.append_rows("live", rows_with(5 + np.exp(-np.arange(5000) / 900)))
    plot.flush()
    plot.grab()
    y0, y1 = plot.plot_item.vb.viewRange()[1]
    assert y0 <= lowest and y1 >= np.log10(6.0), (y0, y1, lowest)
    x0, x1 = plot.plot_item.vb.viewRange()[0]
    assert x0 <= 1 and x1 >= 5000
    plot.append_rows("live", rows_with(5 + np.exp(-np.arange(5000, 6000) / 900)))
    plot.flush()
    plot.grab()
    assert plot.plot_item.vb.viewRange()[1][0] <= lowest


def _library_with(tmp_path: Path, runs: dict[str, Run]) -> Library:
    library = Library(tmp_path / "library")
    for key in ("cold", "warm"):
        library.save_run(runs[key])
        record_outcome(library, runs[key])
    return library


def test_the_title_says_what_the_saving_was_measured_against(plot, runs, tmp_path) -> None:
    cold, warm = runs["cold"], runs["warm"]
    library = _library_with(tmp_path, runs)
    try:
        warm = library.get_run(warm.id)
        assert warm.info["saving"]["basis"] == "estimated"   # cold run: a = 1.0, warm: a = 1.01
        plot.set_comparison(warm, cold)
        text = plot.comparison_text()
        assert "estimated" in text and "similar problem" in text and cold.id[:8] in text
        assert f"{warm.nfev} evaluations vs {cold.nfev}" in text
        saved = round(100 * (1 - warm.nfev / cold.nfev))
        assert f"saved ~{saved}%" in text
        title = plot.plot_item.titleLabel.text
        assert "estimated" in title and cold.id[:8] in title
        assert text == recorded_saving_sentence(warm.info["saving"])   # one wording
        # a cold run of the same problem: the saving becomes measured, and said so
        same = solve(build(rosenbrock(a=1.01)))
        library.save_run(same)
        record_outcome(library, same)
        warm = library.get_run(warm.id)
        plot.set_comparison(warm, same)
        text = plot.comparison_text()
        assert "measured" in text and "same problem" in text and same.id[:8] in text
        assert "estimated" not in text and "~" not in text
        # two runs of unrelated problems side by side: no saving is claimed
        plot.set_comparison(warm, runs["portfolio"])
        assert plot.comparison_text().startswith("no saving to state")
    finally:
        library.close()


def test_the_status_bar_says_the_saving_in_the_words_of_the_plot(qtbot, window, runs) -> None:
    warm, cold = runs["warm"], runs["cold"]
    window.library.save_run(cold)
    record_outcome(window.library, cold)
    window.library.save_run(warm)
    record_outcome(window.library, warm)
    with qtbot.waitSignal(window.plot.frame_drawn, timeout=10000):
        window.manager.job_finished.emit("job", JobResult("job", warm, [warm]))
    qtbot.waitUntil(lambda: window.plot.comparison_text() != "", timeout=10000)
    status = window.statusBar().currentMessage()
    assert window.plot.comparison_text() in status
    assert "estimated" in status and cold.id[:8] in status


def test_an_empty_plot_says_the_actual_reason(plot, runs) -> None:
    cold, ode = runs["cold"], runs["ode"]
    plot.begin_live("live", "rosenbrock (running)")       # no iterations yet
    text = plot.note.text()
    assert plot.note.isVisible() and "first iteration" in text and "ode" not in text
    plot.show_run(ode)                                      # objective chosen, ode plotted
    text = plot.note.text()
    assert "first iteration" in text and "Time reached" in text
    plot.remove_run("live")
    plot.show_run(cold)                                     # cold is drawn, the ode run not
    text = plot.note.text()
    assert plot.note.isVisible() and ode.name in text and "Time reached" in text
    assert cold.name not in text.replace(ode.name, "")
    plot.set_axes("iter", "constr_viol")                    # neither run has constraints
    text = plot.note.text()
    assert "constraint" in text.lower() and "ode runs record" not in text
    plot.clear()
    feasible = rows_with(np.geomspace(10, 1, 20))
    feasible[:, 6] = 0.0                                    # feasible at every iteration
    plot.begin_live("feasible", "feasible run")
    plot.append_rows("feasible", feasible)
    plot.flush()                                            # (the next frame's work)
    plot.set_axes("iter", "constr_viol", log_y=True)
    text = plot.note.text()
    assert "0" in text and "log y" in text and "feasible run" in text
    plot.set_axes("iter", "constr_viol", log_y=False)
    assert not plot.note.isVisible()                        # drawn on a linear axis
