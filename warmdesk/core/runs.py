"""A run: one solve of one problem, with its whole convergence history.

Everything here is plain data (numbers, strings, numpy arrays of float64), so
a run can be stored in the library, written to a run file, or sent from a
solver child process, without pickling anything from outside.
"""

from __future__ import annotations

import platform
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np

from .run_info import RunInfo
from .status import STATUSES, USABLE_STATUSES, Status, StatusField
from .warm_start_type import WarmStart

__all__ = ["STATUSES", "USABLE_STATUSES", "History", "HistoryCol", "Run", "RunInfo", "Status",
           "WarmStart", "is_usable"]


def is_usable(status: str | None, info: Mapping[str, Any] | None) -> bool:
    """Whether a run with this status and ``info`` can seed a warm start: a
    finished or interrupted one, or a failed one that kept its last iterate."""
    return status in USABLE_STATUSES or (
        status == Status.FAILED and bool((info or {}).get("kept_iterate")))


class HistoryCol(IntEnum):
    """The columns of a history table, by name: ``rows[:, HistoryCol.FUN]``.

    One row per iteration (for ``ode``: per accepted step). Columns that do not
    apply to a kind hold NaN: ``fun`` for ode, ``t`` for optimisers. The order is
    the stored one (run files, the library): never reorder, only append."""

    ITER = 0
    NFEV = 1
    NJEV = 2
    WALL_S = 3
    FUN = 4
    GRAD_NORM = 5
    CONSTR_VIOL = 6
    STEP = 7
    T = 8


#: The column names, in stored order (CSV headers, table headings).
HISTORY_COLUMNS: tuple[str, ...] = tuple(c.name.lower() for c in HistoryCol)


def new_run_id() -> str:
    """32 random hex digits: a short prefix already names one run (runs sort by date)."""
    return uuid.uuid4().hex


class History:
    """Append-only table of per-iteration figures; cheap to record into.

    Rows arrive one by one (``append``) or a block at a time (``extend``);
    they are joined into one array only when ``array`` is read.
    """

    __slots__ = ("_rows", "_blocks")

    def __init__(self, array: np.ndarray | None = None) -> None:
        self._rows: list[tuple[float, ...]] = []
        self._blocks: list[np.ndarray] = []
        if array is not None:
            self._blocks.append(np.asarray(array, dtype=float).reshape(-1, len(HISTORY_COLUMNS)))

    def append(self, row: tuple[float, ...]) -> None:
        self._rows.append(row)

    def extend(self, rows: np.ndarray) -> None:
        self._fold_rows()
        self._blocks.append(np.asarray(rows, dtype=float).reshape(-1, len(HISTORY_COLUMNS)))

    def _fold_rows(self) -> None:
        if self._rows:
            self._blocks.append(np.asarray(self._rows, dtype=float).reshape(
                -1, len(HISTORY_COLUMNS)))
            self._rows = []

    def __len__(self) -> int:
        return sum(b.shape[0] for b in self._blocks) + len(self._rows)

    @property
    def array(self) -> np.ndarray:
        self._fold_rows()
        if not self._blocks:
            return np.empty((0, len(HISTORY_COLUMNS)))
        if len(self._blocks) > 1:
            self._blocks = [np.concatenate(self._blocks)]
        return self._blocks[0]

    def column(self, name: str | HistoryCol) -> np.ndarray:
        if not isinstance(name, HistoryCol):
            if name not in HISTORY_COLUMNS:
                raise ValueError(f"{name!r} is not a history column ({', '.join(HISTORY_COLUMNS)})")
            name = HistoryCol[name.upper()]
        return self.array[:, name]

    def tail(self, start: int) -> np.ndarray:
        """Rows from ``start`` on (what a progress batch carries)."""
        return self.array[start:]


@dataclass
class Run:
    id: str
    name: str
    kind: str
    method: str
    problem: dict[str, Any]          # the normalised spec
    problem_hash: str
    structure_hash: str
    status: StatusField = StatusField()
    message: str = ""
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    wall_s: float = 0.0
    fun: float | None = None
    nit: int = 0
    nfev: int = 0
    njev: int = 0
    solution: dict[str, np.ndarray] = field(default_factory=dict)
    state: dict[str, np.ndarray] = field(default_factory=dict)   # solver state worth reusing
    outputs: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. ode trajectory
    info: RunInfo = field(default_factory=lambda: RunInfo())  # JSON-able: see core.run_info
    history: History = field(default_factory=History)
    warm: WarmStart | None = None   # its provenance: no arrays (see WarmStart.provenance)
    versions: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    notes: str = ""

    @property
    def usable(self) -> bool:
        """Whether this run can seed a warm start."""
        return is_usable(self.status, self.info) and bool(self.solution)

    @property
    def warm_source(self) -> str | None:
        return self.warm.source_run_id if self.warm else None

    def summary(self) -> dict[str, Any]:
        """The figures the CLI's ``--json`` prints."""
        return {"run_id": self.id, "name": self.name, "kind": self.kind, "method": self.method,
                "status": self.status.value, "message": self.message, "fun": self.fun,
                "nit": self.nit, "nfev": self.nfev, "njev": self.njev,
                "wall_s": round(self.wall_s, 6),
                "warm_source": self.warm_source,
                "warm_payload": list(self.warm.payload) if self.warm else [],
                "warm_mode": self.warm.mode if self.warm else None,
                "solution": {k: np.asarray(v).tolist() for k, v in self.solution.items()},
                **({"fit_report": self.info["fit_report"]} if "fit_report" in self.info else {})}

    # -- plain-data form (for the process boundary and for storage)
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "method": self.method,
            "problem": self.problem, "problem_hash": self.problem_hash,
            "structure_hash": self.structure_hash, "status": self.status.value,
            "message": self.message, "created_at": self.created_at,
            "started_at": self.started_at, "finished_at": self.finished_at,
            "wall_s": self.wall_s, "fun": self.fun, "nit": self.nit, "nfev": self.nfev,
            "njev": self.njev, "info": self.info,
            "warm": self.warm.to_dict() if self.warm else None,
            "versions": self.versions, "tags": list(self.tags), "notes": self.notes,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """All arrays, keyed ``group/name`` (history, solution, state, outputs)."""
        out = {"history": self.history.array}
        for group in ("solution", "state", "outputs"):
            for k, v in getattr(self, group).items():
                out[f"{group}/{k}"] = np.asarray(v, dtype=float)
        return out

    @classmethod
    def from_parts(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Run:
        fields = {k: meta[k] for k in (
            "id", "name", "kind", "method", "problem", "problem_hash", "structure_hash",
            "status", "message", "created_at", "started_at", "finished_at", "wall_s", "fun",
            "nit", "nfev", "njev", "info", "versions", "tags", "notes") if k in meta}
        run = cls(**fields)
        run.warm = WarmStart.from_dict(meta["warm"]) if meta.get("warm") else None
        for key, arr in arrays.items():
            group, _, name = key.partition("/")
            if key == "history":
                run.history = History(arr)
            elif group in ("solution", "state", "outputs") and name:
                getattr(run, group)[name] = arr
        return run


def library_versions() -> dict[str, str]:
    import scipy

    from .. import __version__
    return {"warmdesk": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "python": platform.python_version()}
