"""The live convergence plot with real runs: curves hold the history columns
for every axis choice, live rows grow a curve (spikes survive the envelope),
log y with non-positive values, the warm-vs-cold annotation, highlighting,
PNG/SVG/CSV exports, removing runs."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog

from warmdesk.core.engine import solve
from warmdesk.core.runs import HISTORY_COLUMNS, Run
from warmdesk.core.warmstart import warm_start_from_run
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.plot.convergence_plot import HIGHLIGHT_WIDTH, NORMAL_WIDTH, ConvergencePlot
from warmdesk.gui.plot.curve_buffer import CurveBuffer
from warmdesk.gui.plot.export import read_csv

from ...core.factories import build, constrained, lotka_volterra, rosenbrock


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    """Rosenbrock cold (a=1), cold and warm-from-the-first (a=1.1), a
    constrained run (negative objective) and an ode run."""
    p1, p2 = build(rosenbrock()), build(rosenbrock(a=1.1))
    cold1, cold2 = solve(p1), solve(p2)
    warm2 = solve(p2, warm_start_from_run(p2, cold1))
    out = {"cold1": cold1, "cold2": cold2, "warm2": warm2,
           "portfolio": solve(build(constrained())), "ode": solve(build(lotka_volterra()))}
    assert all(r.status == "converged" for r in out.values()), {
        k: r.message for k, r in out.items()}
    assert warm2.nfev < cold2.nfev
    return out


@pytest.fixture
def plot(qtbot) -> Iterator[ConvergencePlot]:
    widget = ConvergencePlot()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    wait_for_background()


def synthetic_rows(count: int, start: int = 0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    it = np.arange(start + 1, start + count + 1, dtype=float)
    rows = np.full((count, len(HISTORY_COLUMNS)), np.nan)
    rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3] = it, 2 * it, it, it * 1e-3
    rows[:, 4] = 10 * np.exp(-it / 5000) * np.exp(rng.normal(0, 0.05, count))
    rows[:, 5] = rows[:, 4] * 0.1
    return rows


def log10_or_nan(values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values) & (values > 0)
    out[ok] = np.log10(values[ok])
    return out


def test_curves_hold_the_history_columns_for_every_axis_choice(plot, runs) -> None:
    cold, warm = runs["cold2"], runs["warm2"]
    plot.show_run(cold)
    plot.show_run(warm, "warm")
    assert plot.run_ids() == [cold.id, warm.id]
    for x in ("iter", "nfev", "wall_s"):
        for y in ("fun", "grad_norm"):
            for log_x, log_y in ((False, False), (True, True)):
                plot.set_axes(x, y, log_x, log_y)
                assert plot.axes() == (x, y, log_x, log_y)
                for run in (cold, warm):
                    xs, ys = plot.curve_data(run.id)
                    np.testing.assert_array_equal(xs, run.history.column(x))
                    np.testing.assert_array_equal(ys, run.history.column(y))
                    drawn_x, drawn_y = plot.drawn_data(run.id)
                    want_x, want_y = run.history.column(x), run.history.column(y)
                    np.testing.assert_allclose(drawn_x, log10_or_nan(want_x) if log_x else want_x)
                    np.testing.assert_allclose(drawn_y, log10_or_nan(want_y) if log_y else want_y)
    assert plot.x_combo.currentData() == "wall_s" and plot.log_y_check.isChecked()
    assert plot.plot_item.getAxis("bottom").labelText == "Wall time (s)"
    ode = runs["ode"]
    plot.show_run(ode)
    plot.set_axes("nfev", "t")
    assert plot.axes() == ("nfev", "t", False, False)  # linear y is the default for t
    np.testing.assert_array_equal(plot.drawn_data(ode.id)[1], ode.history.column("t"))
    plot.set_axes("iter", "fun")
    assert plot.note.text().startswith(   # the other runs have objective values
        f"Not drawn for Objective: {plot._curves[ode.id].label}: ode runs record Time reached")
    plot.remove_run(cold.id)
    plot.remove_run(warm.id)
    assert plot.note.text() == (f"Nothing to draw for Objective: {plot._curves[ode.id].label}: "
                                "ode runs record Time reached, not an objective: "
                                "choose y: Time reached.")


def test_the_y_combo_sets_its_default_log_scale_and_reports_the_change(plot, qtbot, runs) -> None:
    plot.show_run(runs["cold1"])
    with qtbot.waitSignal(plot.axes_changed):
        plot.y_combo.setCurrentIndex(plot.y_combo.findData("t"))
    assert plot.axes() == ("iter", "t", False, False)
    assert plot.note.isVisible() and plot.note.text().startswith(
        "Nothing to draw for Time reached (ode): ")
    assert "only ode runs record Time reached" in plot.note.text()
    with qtbot.waitSignal(plot.axes_changed):
        plot.y_combo.setCurrentIndex(plot.y_combo.findData("grad_norm"))
    assert plot.axes() == ("iter", "grad_norm", False, True)
    assert not plot.note.isVisible()
    with pytest.raises(ValueError, match="axes must be"):
        plot.set_axes("time", "fun")


def test_live_rows_grow_the_curve_and_a_frame_is_drawn(plot, qtbot, runs) -> None:
    cold = runs["cold1"]
    rows = cold.history.array
    plot.begin_live(cold.id, "live rosenbrock")
    with qtbot.waitSignal(plot.frame_drawn, timeout=5000):
        plot.append_rows(cold.id, rows[:10])
    qtbot.waitUntil(lambda: len(plot.drawn_data(cold.id)[0]) == 10)
    with qtbot.waitSignal(plot.frame_drawn, timeout=5000):
        plot.append_rows(cold.id, rows[10:])
    qtbot.waitUntil(lambda: len(plot.drawn_data(cold.id)[0]) == len(rows))
    np.testing.assert_allclose(plot.drawn_data(cold.id)[1], np.log10(rows[:, 4]))
    plot.finish_live(cold)
    np.testing.assert_array_equal(plot.curve_data(cold.id)[1], cold.history.column("fun"))
    assert plot.legend.getLabel(plot._curves[cold.id].item).text == "live rosenbrock"
    plot.append_rows("not-plotted", rows[:3])  # a batch for a removed run is not kept
    assert plot.run_ids() == [cold.id]


def test_a_long_live_history_is_drawn_as_its_envelope_keeping_spikes(plot, qtbot) -> None:
    plot.begin_live("long", "long run")
    rows = synthetic_rows(60_000)
    rows[31_337, 4] = 1e6  # one spike among 60,000 rows
    for start in range(0, len(rows), 7_500):
        plot.append_rows("long", rows[start:start + 7_500])
    assert len(plot.curve_data("long")[0]) == 60_000
    qtbot.waitUntil(lambda: len(plot.drawn_data("long")[0]) > 0)  # the next frame
    drawn_x, drawn_y = plot.drawn_data("long")
    width = plot.plot_item.vb.width()
    assert len(drawn_x) <= 2 * width + 2 < 60_000
    assert np.nanmax(drawn_y) == pytest.approx(6.0)
    assert np.nanmin(drawn_y) == pytest.approx(np.log10(rows[:, 4].min()))
    plot.plot_item.vb.setXRange(20_000, 40_000)  # a zoom: all rows, pyqtgraph clips them
    assert len(plot.drawn_data("long")[0]) == 60_000
    plot.plot_item.enableAutoRange()
    assert len(plot.drawn_data("long")[0]) <= 2 * width + 2


def test_log_y_with_non_positive_and_infinite_values_warns_nothing(plot, qtbot, runs) -> None:
    portfolio = runs["portfolio"]
    assert portfolio.history.column("fun").max() < 0
    odd = synthetic_rows(200)
    odd[50:60, 4] = 0.0
    odd[70, 4], odd[71, 4], odd[72, 5] = np.inf, -np.inf, np.nan
    odd[:, 6] = np.where(np.arange(200) % 3 == 0, 0.0, 1e-3)  # feasible every third row
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot.show_run(portfolio)
        plot.begin_live("odd", "odd values")
        with qtbot.waitSignal(plot.frame_drawn, timeout=5000):
            plot.append_rows("odd", odd)
        qtbot.waitUntil(lambda: len(plot.curve_data("odd")[0]) == 200)
        f_star = portfolio.history.column("fun").min()
        assert plot.plot_item.getAxis("left").labelText.startswith("f − f*")
        assert f"f* = {f_star:.6g}" in plot.note.text()
        ys = plot.drawn_data(portfolio.id)[1]
        np.testing.assert_allclose(ys, log10_or_nan(portfolio.history.column("fun") - f_star))
        assert np.isnan(ys[np.argmin(portfolio.history.column("fun"))])  # f* itself: a gap
        plot.set_axes("nfev", "constr_viol", log_x=True)
        ys = plot.drawn_data("odd")[1]
        assert np.isnan(ys[::3]).all() and np.allclose(ys[1::3], -3.0)
        plot.set_axes("iter", "grad_norm")
        plot.grab()  # draw it all once
        plot.remove_run(portfolio.id)
        plot.set_axes("iter", "fun", log_y=True)
    assert not plot.note.isVisible()  # only positive objectives left: drawn as they are
    assert plot.plot_item.getAxis("left").labelText == "Objective"


def test_the_warm_versus_cold_annotation(plot, runs) -> None:
    warm, cold = runs["warm2"], runs["cold2"]
    plot.set_axes("nfev", "fun", log_y=True)
    plot.set_comparison(warm, cold)  # plots both
    saved = round(100 * (1 - warm.nfev / cold.nfev))   # both runs: a = 1.1
    assert plot.comparison_text() == (f"saved {saved}%, measured: {warm.nfev} evaluations vs "
                                      f"{cold.nfev} for cold run {cold.id[:8]} of the same problem")
    assert plot.plot_item.titleLabel.text.startswith(f"Saved {saved}%, measured:<br>")
    assert set(plot.run_ids()) == {warm.id, cold.id}
    assert plot.view.end_line.isVisible()
    assert plot.view.end_line.value() == warm.history.column("nfev")[-1]
    spots = plot.view.end_marks.data
    assert len(spots) == 2 and spots["x"][1] == cold.history.column("nfev")[-1]
    plot.set_axes("iter", "fun", log_x=True)
    assert plot.view.end_line.value() == pytest.approx(np.log10(warm.history.column("iter")[-1]))
    plot.set_comparison(cold, warm)   # the other way round: a cost, said so
    assert plot.comparison_text().startswith(
        f"cost {round(100 * (cold.nfev / warm.nfev - 1))}% more, measured: {cold.nfev} evaluations")
    ode = runs["ode"]
    plot.set_comparison(ode, ode)
    assert plot.comparison_text().startswith(f"saved 0%, measured: {ode.nfev} RHS evaluations vs")
    plot.clear_comparison()
    assert plot.comparison_text() == "" and not plot.view.end_line.isVisible()
    assert not plot.plot_item.titleLabel.isVisible()


def test_highlighting_follows_the_selection(plot, runs) -> None:
    ids = [runs[k].id for k in ("cold1", "cold2", "warm2")]
    for key in ("cold1", "cold2", "warm2"):
        plot.show_run(runs[key])
    assert [plot.pen_width(i) for i in ids] == [NORMAL_WIDTH] * 3
    colors = {plot._curves[i].item.opts["pen"].color().name() for i in ids}
    assert len(colors) == 3  # distinguishable
    plot.set_highlighted([ids[2]])
    assert [plot.pen_width(i) for i in ids] == [NORMAL_WIDTH, NORMAL_WIDTH, HIGHLIGHT_WIDTH]
    faded = plot._curves[ids[0]].item.opts["pen"].color()
    assert faded.lightness() > plot._curves[ids[0]].color.lightness()
    assert plot.legend.getLabel(plot._curves[ids[2]].item).opts["bold"] is True
    plot.set_highlighted([])
    assert [plot.pen_width(i) for i in ids] == [NORMAL_WIDTH] * 3
    color = plot._curves[ids[1]].color.name()
    plot.remove_run(ids[1])
    plot.show_run(runs["cold2"])
    assert plot._curves[ids[1]].color.name() == color  # stable per run id


def test_exports_png_svg_and_csv(plot, qtbot, runs, tmp_path: Path) -> None:
    cold, warm = runs["cold2"], runs["warm2"]
    plot.show_run(cold)
    plot.show_run(warm, 'warm, "a=1.1"')  # a label that needs CSV quoting
    odd = synthetic_rows(5)
    odd[2, 4] = np.inf
    plot.begin_live("live", "live")
    plot.append_rows("live", odd)
    plot.set_comparison(warm, cold)
    png, svg, csv_path = tmp_path / "plot.png", tmp_path / "plot.svg", tmp_path / "data.csv"
    for path in (png, svg):
        with qtbot.waitSignal(plot.exported, timeout=10000) as sent:
            plot.export_image(path)
        assert sent.args == [str(path)]
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 500 and image.height() > 300
    rgb32 = image.convertToFormat(QImage.Format.Format_RGB32)  # kept: the array views it
    pixels = pg.functions.ndarray_from_qimage(rgb32)[..., [2, 1, 0]].astype(int)
    for curve in (plot._curves[cold.id], plot._curves[warm.id]):
        line = QColor(curve.color)
        near = np.abs(pixels - [line.red(), line.green(), line.blue()]).sum(axis=2) < 60
        assert near.sum() > 30  # the curve is in the picture, in its colour (the
        # legend is in the picture too now: the short warm curve covers ~45 pixels)
    unused = np.abs(pixels - [0xD6, 0x27, 0x28]).sum(axis=2) < 60  # a palette colour not used
    assert unused.sum() < 5
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and "saved" in svg.read_text().lower()
    with qtbot.waitSignal(plot.exported, timeout=10000):
        plot.export_csv(csv_path)
    assert csv_path.read_text().splitlines()[0] == "run_id,label," + ",".join(HISTORY_COLUMNS)
    table = read_csv(csv_path)
    assert len(table) == len(cold.history) + len(warm.history) + 5
    for run_id, rows in ((cold.id, cold.history.array), (warm.id, warm.history.array),
                         ("live", odd)):
        got = np.array([values for rid, _label, values in table if rid == run_id])
        np.testing.assert_array_equal(got, rows)
    assert {label for rid, label, _ in table if rid == warm.id} == {'warm, "a=1.1"'}
    assert f"Saved {csv_path}" in plot.note.text()
    with pytest.raises(ValueError, match=".png or .svg"):
        plot.export_image(tmp_path / "plot.jpg")
    with qtbot.waitSignal(plot.export_failed, timeout=10000) as failed:
        plot.export_csv(tmp_path / "missing" / "data.csv")
    assert "No such file" in failed.args[0] and "Export failed" in plot.note.text()


def test_the_export_dialog_and_menu_pick_the_format(plot, qtbot, runs, tmp_path: Path) -> None:
    plot.show_run(runs["cold1"])
    dialog = plot.export_dialog()  # the window's "Export plot…" action
    dialog.selectFile(str(tmp_path / "table.csv"))
    with qtbot.waitSignal(plot.exported, timeout=10000) as sent:
        dialog.accept()
    assert sent.args == [str(tmp_path / "table.csv")]
    assert len(read_csv(tmp_path / "table.csv")) == len(runs["cold1"].history)
    menu = plot.export_button.menu()
    menu.findChild(type(menu.actions()[0]), "export_svg").trigger()
    dialogs = [d for d in plot.findChildren(QFileDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    dialog.selectFile(str(tmp_path / "picture"))  # no suffix: the menu's format adds it
    with qtbot.waitSignal(plot.exported, timeout=10000) as sent:
        dialog.accept()
    assert sent.args == [str(tmp_path / "picture.svg")]
    assert (tmp_path / "picture.svg").read_text().lstrip().startswith("<?xml")


def test_remove_and_clear(plot, runs) -> None:
    for key in ("cold1", "cold2", "warm2"):
        plot.show_run(runs[key])
    plot.set_comparison(runs["warm2"], runs["cold2"])
    plot.remove_run(runs["cold2"].id)
    assert plot.run_ids() == [runs["cold1"].id, runs["warm2"].id]
    assert len(plot.legend.items) == 2 and plot.comparison_text() == ""
    plot.remove_run("unknown")
    plot.clear()
    assert plot.run_ids() == [] and plot.legend.items == []
    assert plot.view._legend_column.maximumWidth() == 0  # no empty legend column
    assert [i for i in plot.plot_item.listDataItems()
            if i.isVisible() and i.xData is not None] == []


def test_the_buffer_grows_by_doubling_and_keeps_running_figures() -> None:
    buffer = CurveBuffer(capacity=16)
    rows = synthetic_rows(1000)
    rows[5, 4] = np.inf
    first = buffer.column("iter")
    for start in range(0, 1000, 37):
        buffer.append(rows[start:start + 37])
    assert len(buffer) == 1000 and buffer.capacity == 1024
    np.testing.assert_array_equal(buffer.rows(), rows)
    assert len(first) == 0  # an earlier view is left as it was
    assert buffer.has_nonfinite("fun") and not buffer.has_nonfinite("iter")
    assert buffer.finite_min("fun") == np.min(rows[np.isfinite(rows[:, 4]), 4])
    assert buffer.finite_max("iter") == 1000 and not buffer.has_finite("t")
    with pytest.raises(ValueError, match="9 columns"):
        buffer.append(np.zeros((2, 3)))
