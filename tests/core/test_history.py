"""History columns by name: the stored order is fixed, names index it."""

from __future__ import annotations

import numpy as np
import pytest

from warmdesk.core.runs import HISTORY_COLUMNS, History, HistoryCol


def test_stored_order_unchanged() -> None:
    assert HISTORY_COLUMNS == ("iter", "nfev", "njev", "wall_s", "fun", "grad_norm",
                               "constr_viol", "step", "t")
    assert [int(c) for c in HistoryCol] == list(range(len(HISTORY_COLUMNS)))


def test_columns_by_name_or_member() -> None:
    h = History()
    h.append((1, 3, 2, 0.5, 10.0, 1.0, np.nan, 0.1, np.nan))
    h.extend(np.array([[2, 5, 3, 0.7, 4.0, 0.5, np.nan, 0.2, np.nan]]))
    assert h.column("nfev").tolist() == [3, 5]
    assert h.column(HistoryCol.FUN).tolist() == [10.0, 4.0]
    assert h.array[-1, HistoryCol.WALL_S] == 0.7
    with pytest.raises(ValueError, match="'nope' is not a history column"):
        h.column("nope")
