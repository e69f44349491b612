"""What each warm start actually saved, recorded with the run.

A warm run's saving is ``1 - nfev_warm / nfev_cold``. It is *measured* when a
cold run of the very same problem (same content hash) is in the library, else
*estimated* from the nearest cold run of the same structure; ``basis`` says
which. When a cold run arrives later, the estimates of the warm runs of that
problem become measurements.

What warm starts *of a structure* saved (quoted by the advisor, used for its
"cold is as good" advice and by the guard) counts only warm runs of that
structure whose source is of that structure too (``_WITHIN_STRUCTURE``): a run
seeded by hand from a different problem records its own saving, but that
outcome says nothing about warm starts within either family.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..library import Library
from ..library_features import vector
from ..runs import Run
from ..saving import Saving
from ..similarity import parameter_vector, relative_distances
from ..status import Status


#: Cold references are runs that ended on their own: an interrupted or failed
#: run's evaluations are not what a cold solve takes.
_ENDED = "JOIN runs r ON r.id = f.run_id AND r.status IN ('converged', 'stopped') "


def cold_references(library: Library, problem_hash: str, structure_hash: str,
                    spec: dict[str, Any], exclude: str | None = None,
                    k: int = 1) -> list[tuple[str, int, float, str]]:
    """Cold runs to compare against, best first: ``(run_id, nfev, fun, basis)``.

    A cold run of the very same problem comes first ("measured"); then the cold
    runs of the same structure nearest in parameters ("estimated")."""
    out: list[tuple[str, int, float, str]] = []
    same = library.read(
        "SELECT f.run_id, f.nfev, f.fun FROM run_features f " + _ENDED +
        "WHERE f.problem_hash=? AND f.is_cold=1 AND f.usable=1 "
        "AND f.run_id != ? ORDER BY f.created_at DESC LIMIT ?", (problem_hash, exclude or "", k))
    out += [(r[0], int(r[1]), _num(r[2]), "measured") for r in same]
    if len(out) >= k:
        return out[:k]
    rows = library.read(
        "SELECT f.run_id, f.nfev, f.fun, f.params FROM run_features f " + _ENDED +
        "WHERE f.structure_hash=? AND f.is_cold=1 AND f.usable=1 AND "
        "f.run_id != ? AND f.problem_hash != ? "
        "ORDER BY f.created_at DESC LIMIT 2000", (structure_hash, exclude or "", problem_hash))
    _, p = parameter_vector(spec)
    rows = [r for r in rows if vector(r[3]).shape == p.shape]
    if rows:
        d = relative_distances(p, np.stack([vector(r[3]) for r in rows]))
        for i in np.argsort(d, kind="stable")[:k - len(out)]:
            r = rows[int(i)]
            out.append((r[0], int(r[1]), _num(r[2]), "estimated"))
    return out


def cold_reference(library: Library, problem_hash: str, structure_hash: str,
                   spec: dict[str, Any], exclude: str | None = None
                   ) -> tuple[str, int, float, str] | None:
    """The cold run to compare against, or None."""
    refs = cold_references(library, problem_hash, structure_hash, spec, exclude, k=1)
    return refs[0] if refs else None


#: The warm runs (``w``) of one structure that were seeded by a run (``s``) of that
#: same structure and have a saving. A warm run whose source has since been
#: deleted for good is left out: nothing says any longer what its source was.
_WITHIN_STRUCTURE = (
    "FROM run_features w JOIN run_features s ON s.run_id = w.source_id "
    "AND s.structure_hash = w.structure_hash "
    "WHERE w.structure_hash = ? AND w.saving IS NOT NULL")


def family_saving(library: Library, structure_hash: str) -> tuple[float | None, int]:
    """Median saving of the newest (up to 200) warm runs within one structure, and how many."""
    rows = library.read(f"SELECT w.saving {_WITHIN_STRUCTURE} ORDER BY w.created_at DESC "
                        "LIMIT 200", (structure_hash,))
    return (float(np.median([r[0] for r in rows])), len(rows)) if rows else (None, 0)


def source_savings(library: Library, structure_hash: str,
                   run_ids: list[str]) -> dict[str, float]:
    """Mean saving of the warm starts within ``structure_hash`` that each of these
    runs seeded (runs of another structure have none)."""
    if not run_ids:
        return {}
    rows = library.read(
        f"SELECT w.source_id, AVG(w.saving) {_WITHIN_STRUCTURE} AND w.source_id IN "
        f"({', '.join('?' * len(run_ids))}) GROUP BY w.source_id", (structure_hash, *run_ids))
    return {source: float(saving) for source, saving in rows}


def best_sources(library: Library, structure_hash: str, k: int) -> list[str]:
    """The ``k`` runs whose warm starts within the structure saved most (mean over
    the newest 2000 such warm starts)."""
    rows = library.read(
        f"SELECT source_id FROM (SELECT w.source_id, w.saving {_WITHIN_STRUCTURE} "
        "ORDER BY w.created_at DESC LIMIT 2000) GROUP BY source_id ORDER BY AVG(saving) DESC "
        "LIMIT ?", (structure_hash, k))
    return [r[0] for r in rows]


def _num(value: Any) -> float:
    return float(value) if value is not None else float("nan")


def record_outcome(library: Library, run: Run) -> dict[str, Any] | None:
    """After ``run`` is saved: store its saving (warm), or turn the estimates of
    this problem's warm runs into measurements (cold). Returns the saving."""
    if run.warm is None or not run.warm.source_run_id:
        if run.status is Status.CONVERGED and run.nfev > 0:
            warm_runs = library.read(
                "SELECT run_id, nfev FROM run_features WHERE problem_hash=? AND is_cold=0 "
                "AND (saving_basis IS NULL OR saving_basis != 'measured')", (run.problem_hash,))
            for run_id, nfev in warm_runs:
                if nfev is not None:
                    library.set_info(run_id, saving=_saving(int(nfev), run.nfev, run.id,
                                                            "measured"))
        return None
    ref = cold_reference(library, run.problem_hash, run.structure_hash, run.problem,
                         exclude=run.id)
    if ref is None or ref[1] <= 0:
        return None
    saving = _saving(run.nfev, ref[1], ref[0], ref[3])
    library.set_info(run.id, saving=saving)
    run.info["saving"] = saving
    return saving


def _saving(warm_nfev: int, cold_nfev: int, cold_run: str, basis: str) -> dict[str, Any]:
    return Saving.of(warm_nfev, cold_nfev, cold_run, basis).to_dict()
