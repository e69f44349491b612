"""The legend's fit (columns and label width) and its shortened labels."""

from __future__ import annotations

from PySide6.QtGui import QFont

from warmdesk.gui.plot.legend import LEGEND_MIN_LABEL, elide_label, legend_fit, legend_metrics


def test_few_entries_take_one_column_and_many_take_more(qapp) -> None:
    metrics = legend_metrics(QFont())
    row = metrics.height() + 11
    assert legend_fit(3, 10 * row, 1000, metrics)[0] == 1
    columns, width = legend_fit(25, 10 * row, 1000, metrics)
    assert columns == 3
    assert width >= LEGEND_MIN_LABEL
    assert legend_fit(25, 10 * row, 100, metrics)[1] == LEGEND_MIN_LABEL   # never narrower


def test_a_shortened_label_keeps_its_run_id(qapp) -> None:
    metrics = legend_metrics(QFont())
    label = "lotka_volterra_with_a_long_name f31067ab (warm)"
    assert elide_label(label, metrics, 10_000) == label
    short = elide_label(label, metrics, metrics.horizontalAdvance(label) // 2)
    assert short.endswith(" f31067ab (warm)") and "…" in short
    assert metrics.horizontalAdvance(short) <= metrics.horizontalAdvance(label) // 2
