"""The convergence plot's legend: how many columns and how wide a label, so the
legend fits beside the curves, and labels shortened to that width with the run
id kept whole."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

#: The legend takes about this share of the plot's width; longer labels are
#: shortened in the middle (the run id at their end stays), and entries that
#: do not fit one under the other go into more columns, each label keeping at
#: least LEGEND_MIN_LABEL pixels (so "rosenbro…f31067 (warm)" stays readable).
LEGEND_SHARE, LEGEND_MIN_LABEL, LEGEND_FONT_PT = 0.35, 110, 8

#: The run id in a label ("rosenbrock f31067 (warm)"): kept whole when shortening.
_ID_TAIL = re.compile(r"\s[0-9a-f]{6,}\b.*$")


def elide_label(label: str, metrics: QFontMetrics, width: int) -> str:
    """``label`` shortened to ``width`` pixels: the text before the run id loses
    its end ("lotka_vo… f31067 (warm)", in the narrowest "…31067 (warm)");
    without an id, the middle goes."""
    if metrics.horizontalAdvance(label) <= width:
        return label
    match = _ID_TAIL.search(label)
    if match:
        tail = label[match.start():]
        room = width - metrics.horizontalAdvance(tail)
        if room >= metrics.horizontalAdvance("abc…"):
            return metrics.elidedText(label[:match.start()], Qt.TextElideMode.ElideRight,
                                      room) + tail
        return metrics.elidedText(label, Qt.TextElideMode.ElideLeft, width)
    return metrics.elidedText(label, Qt.TextElideMode.ElideMiddle, width)


def legend_metrics(font: QFont) -> QFontMetrics:
    """The metrics of the legend's labels at their widest (selected runs are bold)."""
    font = QFont(font)
    font.setPointSizeF(LEGEND_FONT_PT)
    font.setBold(True)
    return QFontMetrics(font)


def legend_fit(entries: int, height: float, view_width: int,
               metrics: QFontMetrics) -> tuple[int, int]:
    """Columns and label width (px) for ``entries`` labels in a legend ``height``
    pixels high beside curves in a view ``view_width`` wide (see LEGEND_SHARE)."""
    row = metrics.height() + 11                    # a label, its margins, the spacing
    per_column = max(1, int(height // row))
    columns = max(1, -(-entries // per_column))
    sample = 40                                    # line sample, text margins, spacing
    return columns, max(LEGEND_MIN_LABEL, int(LEGEND_SHARE * view_width / columns) - sample)
