"""What each warm start actually saved, recorded with the run.

A warm run's saving is ``1 - nfev_warm / nfev_cold``. It is *measured* when a
cold run of the very same problem (same content hash) is in the library, else
*estimated* from the nearest cold run of the same structure; ``basis`` says
which. When a cold run arrives later, the estimates of the warm runs of that
problem become measurements.

What warm starts *of a structure* saved (quoted by the advisor, used for its
"cold is as good" advice and by the guard) counts only warm runs of that
structure whose source is of that structure too: a run seeded by hand from a
different problem records its own saving, but that outcome says nothing about
warm starts within either family.

The figures come from the library's answers to named questions
(``Library.outcomes``); the advisor holds no SQL.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kinds.registry import kind
from ..library import Library
from ..runs import Run
from ..saving import EPOCHS_UNIT, Saving
from ..similarity import parameter_vector, relative_distances
from ..status import Status


def cold_references(library: Library, problem_hash: str, structure_hash: str,
                    spec: dict[str, Any], exclude: str | None = None,
                    k: int = 1) -> list[tuple[str, int, float, str]]:
    """Cold runs to compare against, best first: ``(run_id, nfev, fun, basis)``.

    Only runs that ended on their own count (an interrupted or failed run's
    evaluations are not what a cold solve takes). A cold run of the very same
    problem comes first ("measured"); then the cold runs of the same structure
    nearest in parameters ("estimated")."""
    same = library.outcomes.cold_runs_of_problem(problem_hash, exclude, k)
    out = [(r.run_id, r.nfev, r.fun, "measured") for r in same]
    if len(out) >= k:
        return out[:k]
    rows = library.outcomes.cold_runs_of_structure(structure_hash, problem_hash, exclude)
    _, p = parameter_vector(spec)
    rows = [r for r in rows if r.params.shape == p.shape]
    if rows:
        d = relative_distances(p, np.stack([r.params for r in rows]))
        for i in np.argsort(d, kind="stable")[:k - len(out)]:
            r = rows[int(i)]
            out.append((r.run_id, r.nfev, r.fun, "estimated"))
    return out


def cold_reference(library: Library, problem_hash: str, structure_hash: str,
                   spec: dict[str, Any], exclude: str | None = None
                   ) -> tuple[str, int, float, str] | None:
    """The cold run to compare against, or None."""
    refs = cold_references(library, problem_hash, structure_hash, spec, exclude, k=1)
    return refs[0] if refs else None


def family_saving(library: Library, structure_hash: str) -> tuple[float | None, int]:
    """Median saving of the newest (up to 200) warm runs within one structure, and how many."""
    savings = library.outcomes.savings_within(structure_hash, limit=200)
    return (float(np.median(savings)), len(savings)) if savings else (None, 0)


def source_savings(library: Library, structure_hash: str,
                   run_ids: list[str]) -> dict[str, float]:
    """Mean saving of the warm starts within ``structure_hash`` that each of these
    runs seeded (runs of another structure have none)."""
    return library.outcomes.source_savings(structure_hash, run_ids)


def best_sources(library: Library, structure_hash: str, k: int) -> list[str]:
    """The ``k`` runs whose warm starts within the structure saved most (mean over
    the newest 2000 such warm starts)."""
    return library.outcomes.best_sources(structure_hash, k, window=2000)


def record_outcome(library: Library, run: Run) -> dict[str, Any] | None:
    """After ``run`` is saved: store its saving (warm), or turn the estimates of
    this problem's warm runs into measurements (cold). Returns the saving."""
    trained = kind(run.kind).guards_generalization
    if run.warm is None or not run.warm.source_run_id:
        if run.status is Status.CONVERGED and run.nfev > 0 and not trained:
            for run_id, nfev in library.outcomes.unmeasured_warm_runs(run.problem_hash):
                if nfev is not None:
                    library.set_info(run_id, saving=_saving(int(nfev), run.nfev, run.id,
                                                            "measured"))
        return None
    if trained:
        return _record(library, run, _epochs_saving(run))
    ref = cold_reference(library, run.problem_hash, run.structure_hash, run.problem,
                         exclude=run.id)
    if ref is None or ref[1] <= 0:
        return None
    saving = _saving(run.nfev, ref[1], ref[0], ref[3])
    library.set_info(run.id, saving=saving)
    run.info["saving"] = saving
    return saving


def _epochs_saving(run: Run) -> dict[str, Any] | None:
    """A fine-tune's saving in epochs: those it took to reach the cold seeds'
    validation loss against those cold took (the training guard's figures);
    None when it never reached it or was not guarded: no saving to claim."""
    guard = run.info.get("guard") or {}
    gap = guard.get("generalization") or {}
    reached, cold = gap.get("epochs_to_cold_best"), gap.get("cold_epochs_to_best")
    if reached is None or not cold or not guard.get("cold_run"):
        return None
    return {**_saving(int(reached), max(1, round(float(cold))), str(guard["cold_run"]),
                      "measured"), "unit": EPOCHS_UNIT}


def _record(library: Library, run: Run, saving: dict[str, Any] | None
            ) -> dict[str, Any] | None:
    if saving is not None:
        library.set_info(run.id, saving=saving)
        run.info["saving"] = saving
    return saving


def _saving(warm_nfev: int, cold_nfev: int, cold_run: str, basis: str) -> dict[str, Any]:
    return Saving.of(warm_nfev, cold_nfev, cold_run, basis).to_dict()
