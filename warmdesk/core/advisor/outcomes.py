"""What each warm start actually saved, recorded with the run.

A warm run's saving is ``1 - nfev_warm / nfev_cold``. It is *measured* when a
cold run of the very same problem (same content hash) is in the library, else
*estimated* from the nearest cold run of the same structure; ``basis`` says
which. When a cold run arrives later, the estimates of the warm runs of that
problem become measurements.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..library import Library
from ..library_features import vector
from ..runs import Run
from ..similarity import parameter_vector, relative_distances


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


def family_saving(library: Library, structure_hash: str) -> tuple[float | None, int]:
    """Median saving of the newest (up to 200) warm runs of one structure, and how many."""
    rows = library.read("SELECT saving FROM run_features WHERE structure_hash = ? AND saving IS "
                        "NOT NULL ORDER BY created_at DESC LIMIT 200", (structure_hash,))
    return (float(np.median([r[0] for r in rows])), len(rows)) if rows else (None, 0)


def _num(value: Any) -> float:
    return float(value) if value is not None else float("nan")


def record_outcome(library: Library, run: Run) -> dict[str, Any] | None:
    """After ``run`` is saved: store its saving (warm), or turn the estimates of
    this problem's warm runs into measurements (cold). Returns the saving."""
    if run.warm is None or not run.warm.source_run_id:
        if run.status == "converged" and run.nfev > 0:
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
    return {"value": 1.0 - warm_nfev / cold_nfev, "basis": basis, "cold_run": cold_run,
            "cold_nfev": cold_nfev, "warm_nfev": warm_nfev}
