"""The per-epoch figures of a ``network`` run as the training-curves view
draws them, and the warm-vs-cold gap it annotates. Qt-free.

A finished run has its table, ``run.outputs["epochs"]`` (columns named in
``run.info["network"]["epoch_columns"]``). A running one has two streams: its
history rows (one per epoch, ``iter`` the epoch counted across resumes, ``fun``
the training loss of the epoch's weights) and its live outputs, the table so
far (``engine.solve``: sent with the batch after the solver replaced it, so it
may lag the rows by a batch). :func:`merge` draws the table and, after its last
epoch, the rows' training losses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.runs import HistoryCol, Run
from ...core.solvers.network import EPOCH_COLUMNS
from ...core.solvers.network_data import loss_words

#: metric -> (training column, validation column, axis title, lower is better)
METRICS = {"loss": ("train_loss", "val_loss", "Loss", True),
           "accuracy": ("train_acc", "val_acc", "Accuracy", False)}


def loss_of(run: Run) -> str | None:
    """What a run's losses are ("mean squared error in y's units"), None if
    it is no network run."""
    net = run.info.get("network")
    if not isinstance(net, dict):
        return None
    return loss_words(net.get("output"), str(run.info.get("target", "the target")))


def empty_table() -> dict[str, np.ndarray]:
    return {name: np.empty(0) for name in EPOCH_COLUMNS}


def run_table(run: Run) -> dict[str, np.ndarray]:
    """The run's epoch table by column name (from its history when it has none)."""
    table = run.outputs.get("epochs")
    names = (run.info.get("network") or {}).get("epoch_columns") or list(EPOCH_COLUMNS)
    if table is None or np.asarray(table).size == 0:
        return rows_table(run.history.array)
    table = np.asarray(table, dtype=float).reshape(-1, len(names))
    return {name: table[:, i].copy() for i, name in enumerate(names)}


def rows_table(rows: np.ndarray) -> dict[str, np.ndarray]:
    """What history rows tell of the epochs: epoch, training loss, wall time."""
    rows = np.asarray(rows, dtype=float).reshape(-1, len(HistoryCol))
    out = {name: np.full(len(rows), np.nan) for name in EPOCH_COLUMNS}
    out["epoch"] = rows[:, HistoryCol.ITER].copy()
    out["train_loss"] = rows[:, HistoryCol.FUN].copy()
    out["wall_s"] = rows[:, HistoryCol.WALL_S].copy()
    return out


def from_array(array: object) -> dict[str, np.ndarray]:
    """A live ``outputs["epochs"]`` array by column name."""
    table = np.asarray(array, dtype=float).reshape(-1, len(EPOCH_COLUMNS))
    return {name: table[:, i].copy() for i, name in enumerate(EPOCH_COLUMNS)}


def merge(epochs: dict[str, np.ndarray] | None,
          rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The live table: the epochs table, then the rows of later epochs."""
    if epochs is None or not len(epochs["epoch"]):
        return rows
    later = rows["epoch"] > epochs["epoch"][-1]
    return {name: np.concatenate([epochs[name], rows[name][later]]) for name in EPOCH_COLUMNS}


def append_rows(table: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    new = rows_table(rows)
    return {name: np.concatenate([table[name], new[name]]) for name in EPOCH_COLUMNS}


def has_values(table: dict[str, np.ndarray], column: str) -> bool:
    return bool(np.isfinite(table.get(column, np.empty(0))).any())


@dataclass(frozen=True)
class Gap:
    """Warm against cold at the last epoch both have a value for."""

    epoch: int
    warm: float
    cold: float
    column: str          #: the compared column (validation, else training)
    lower_is_better: bool

    @property
    def difference(self) -> float:
        return self.warm - self.cold

    @property
    def warm_worse(self) -> bool:
        return self.difference > 0 if self.lower_is_better else self.difference < 0


def gap(warm: dict[str, np.ndarray], cold: dict[str, np.ndarray], metric: str) -> Gap | None:
    """The gap at the last common epoch (the validation column when both runs
    have it, else the training column); None when they share no epoch."""
    train, val, _title, lower = METRICS[metric]
    column = val if has_values(warm, val) and has_values(cold, val) else train
    found: list[tuple[int, float, float]] = []
    cold_at = {int(e): v for e, v in zip(cold["epoch"], cold[column]) if np.isfinite(v)}
    for e, v in zip(warm["epoch"], warm[column]):
        if np.isfinite(v) and int(e) in cold_at:
            found.append((int(e), float(v), cold_at[int(e)]))
    if not found:
        return None
    epoch, w, c = max(found)
    return Gap(epoch, w, c, column, lower)


def gap_sentence(g: Gap) -> str:
    """``Epoch 12: warm validation loss 0.41 vs cold 0.35: gap +0.06 (warm worse)``."""
    what = ("validation " if g.column.startswith("val") else "training ") + \
        ("loss" if g.column.endswith("loss") else "accuracy")
    verdict = "even" if g.difference == 0 else ("warm worse" if g.warm_worse else "warm better")
    return (f"Epoch {g.epoch}: warm {what} {g.warm:.3g} vs cold {g.cold:.3g}: "
            f"gap {g.difference:+.2g} ({verdict})")


def guard_sentence(run: Run) -> str:
    """What the training guard judged of a fine-tuned run (its figures against
    cold seeds, ``info.guard.generalization``), in one line; "" when it was not
    guarded. A run file's values are read defensively: shown only when numbers."""
    gap = ((run.info.get("guard") or {}).get("generalization") or {})
    spread, median = gap.get("spread"), gap.get("cold_median")
    seeds = gap.get("cold_val_losses")
    if not isinstance(spread, (int, float)) or not isinstance(median, (int, float)) \
            or not isinstance(seeds, list):
        return ""
    cold = f"cold seeds' median {median:.3g}, spread {spread:.2g}, {len(seeds)} seeds"
    if gap.get("flagged") is True:
        return (f"Guard: a generalization gap beyond the seed spread ({cold}): "
                "fine-tune with shrink and perturb, or train cold")
    return f"Guard: no generalization gap ({cold})"
