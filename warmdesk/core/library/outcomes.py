"""The advisor's questions about what runs ended with and what warm starts
saved, answered in Python as typed rows (``Library.outcomes``).

What the answers mean, and what the advisor does with them, is told in
:mod:`warmdesk.core.advisor.outcomes`; this module only knows where the
figures are stored.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .features import vector
from .sql import Database

#: Cold references are runs that ended on their own: an interrupted or failed
#: run's evaluations are not what a cold solve takes.
_ENDED = "JOIN runs r ON r.id = f.run_id AND r.status IN ('converged', 'stopped') "

#: The warm runs (``w``) of one structure that were seeded by a run (``s``) of that
#: same structure and have a saving. A warm run whose source has since been
#: deleted for good is left out: nothing says any longer what its source was.
_WITHIN_STRUCTURE = (
    "FROM run_features w JOIN run_features s ON s.run_id = w.source_id "
    "AND s.structure_hash = w.structure_hash "
    "WHERE w.structure_hash = ? AND w.saving IS NOT NULL")


class ColdRun(NamedTuple):
    """A usable cold run that ended on its own."""
    run_id: str
    nfev: int
    fun: float                  # NaN when none was recorded
    params: np.ndarray


class WarmRun(NamedTuple):
    """A warm run whose saving is not measured yet."""
    run_id: str
    nfev: int | None


def _num(value: Any) -> float:
    return float(value) if value is not None else float("nan")


class Outcomes:
    """Cold references and recorded savings (``Library.outcomes``)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def cold_runs_of_problem(self, problem_hash: str, exclude: str | None,
                             limit: int) -> list[ColdRun]:
        """Cold runs of this very problem (same content hash), newest first."""
        rows = self._db.read(
            "SELECT f.run_id, f.nfev, f.fun, f.params FROM run_features f " + _ENDED +
            "WHERE f.problem_hash=? AND f.is_cold=1 AND f.usable=1 "
            "AND f.run_id != ? ORDER BY f.created_at DESC LIMIT ?",
            (problem_hash, exclude or "", limit))
        return [ColdRun(r[0], int(r[1]), _num(r[2]), vector(r[3])) for r in rows]

    def cold_runs_of_structure(self, structure_hash: str, problem_hash: str,
                               exclude: str | None, limit: int = 2000) -> list[ColdRun]:
        """Cold runs of the same structure but another problem, newest first."""
        rows = self._db.read(
            "SELECT f.run_id, f.nfev, f.fun, f.params FROM run_features f " + _ENDED +
            "WHERE f.structure_hash=? AND f.is_cold=1 AND f.usable=1 AND "
            "f.run_id != ? AND f.problem_hash != ? "
            "ORDER BY f.created_at DESC LIMIT ?",
            (structure_hash, exclude or "", problem_hash, limit))
        return [ColdRun(r[0], int(r[1]), _num(r[2]), vector(r[3])) for r in rows]

    def savings_within(self, structure_hash: str, limit: int = 200) -> list[float]:
        """The savings of the newest warm runs within one structure, newest first."""
        rows = self._db.read(f"SELECT w.saving {_WITHIN_STRUCTURE} ORDER BY w.created_at DESC "
                             "LIMIT ?", (structure_hash, limit))
        return [r[0] for r in rows]

    def source_savings(self, structure_hash: str, run_ids: list[str]) -> dict[str, float]:
        """Mean saving of the warm starts within ``structure_hash`` that each of
        ``run_ids`` seeded (runs that seeded none are absent)."""
        if not run_ids:
            return {}
        rows = self._db.read(
            f"SELECT w.source_id, AVG(w.saving) {_WITHIN_STRUCTURE} AND w.source_id IN "
            f"({', '.join('?' * len(run_ids))}) GROUP BY w.source_id",
            (structure_hash, *run_ids))
        return {source: float(saving) for source, saving in rows}

    def best_sources(self, structure_hash: str, k: int, window: int = 2000) -> list[str]:
        """The ``k`` runs whose warm starts within the structure saved most (mean
        over the newest ``window`` such warm starts), best first."""
        rows = self._db.read(
            f"SELECT source_id FROM (SELECT w.source_id, w.saving {_WITHIN_STRUCTURE} "
            "ORDER BY w.created_at DESC LIMIT ?) GROUP BY source_id ORDER BY AVG(saving) DESC "
            "LIMIT ?", (structure_hash, window, k))
        return [r[0] for r in rows]

    def unmeasured_warm_runs(self, problem_hash: str) -> list[WarmRun]:
        """Warm runs of this problem whose saving is missing or only estimated."""
        rows = self._db.read(
            "SELECT run_id, nfev FROM run_features WHERE problem_hash=? AND is_cold=0 "
            "AND (saving_basis IS NULL OR saving_basis != 'measured')", (problem_hash,))
        return [WarmRun(r[0], r[1]) for r in rows]
