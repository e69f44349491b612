"""A past sweep, read back from the library: its points rebuilt as the
:class:`~.events.PointResult` a running sweep reports (the final run of each
point, every run it took, the check's verdict), so whatever draws a running
sweep draws a stored one, a sweep run by ``warmdesk sweep`` or in an earlier
session included. With :func:`load_with_twin`, the newest sweep of the same
spec in the other mode (chained or cold) comes with it, to be compared.

The library indexes the sweeps' runs (``library.list_sweeps``,
``library.sweep_runs``); this module reads the runs themselves (their
solutions, no histories).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import LibraryError
from ..library import Library, SweepRunRow, SweepSummary, list_sweeps, sweep_runs, sweep_summary
from .events import PointResult, SweepResult


@dataclass
class StoredSweep:
    """One sweep as the library holds it."""

    summary: SweepSummary
    parameters: list[str]
    chains: list[list[int]]         # point indexes per chain, in point order
    result: SweepResult

    @property
    def mode(self) -> str:
        return self.summary.mode


def load_sweep_result(library: Library, sweep_id: str) -> StoredSweep:
    """The sweep ``sweep_id`` rebuilt from its live runs (raises LibraryError
    when none is in the library)."""
    summary = sweep_summary(library, sweep_id)
    rows = sweep_runs(library, sweep_id)
    if summary is None or not rows:
        raise LibraryError(f"no sweep {sweep_id!r} in the library (its runs may be in the "
                           "trash)")
    by_point: dict[int, list[SweepRunRow]] = {}
    for row in rows:
        by_point.setdefault(row.point, []).append(row)
    total = max(summary.total or 0, max(by_point) + 1)
    result = SweepResult(sweep_id, summary.name or f"sweep {sweep_id[:8]}", total)
    parameters: list[str] = []
    chains: dict[int, list[int]] = {}
    for index in sorted(by_point):
        point = _point(library, index, by_point[index])
        if point is None:
            continue
        result.points[index] = point
        parameters = parameters or list(point.values)
        chains.setdefault(point.chain, []).append(index)
    return StoredSweep(summary, parameters, [chains[c] for c in sorted(chains)], result)


def _point(library: Library, index: int, rows: list[SweepRunRow]) -> PointResult | None:
    """A point from its runs (made in order): its final run is the one whose
    verdict was recorded, else (a sweep cut short) the last run of the point
    itself; None when it has only halved steps."""
    finals = [r for r in rows if r.final]
    own = [r for r in rows if r.role == "point"]
    last = finals[-1] if finals else own[-1] if own else None
    if last is None:
        return None
    runs = [library.get_run(r.run_id, history=False) for r in rows]
    final = next(run for run in runs if run.id == last.run_id)
    sweep = final.info.get("sweep") or {}
    values = {str(k): float(v) for k, v in (sweep.get("values") or {}).items()}
    reason = last.check if last.final else "no verdict recorded (the sweep was cut short)"
    return PointResult(index, int(last.chain or 0), values, final, runs, reason is None,
                       reason, str(rows[0].seed or "cold"), sum(int(r.nfev or 0) for r in runs))


def load_with_twin(library: Library, sweep_id: str) -> dict[str, StoredSweep]:
    """The sweep by its mode (``chained`` or ``cold``), with the newest sweep of
    the same spec in the other mode when the library has one."""
    opened = load_sweep_result(library, sweep_id)
    out = {opened.mode: opened}
    key = opened.summary.spec_key
    if key:
        twin = next((s for s in list_sweeps(library, spec_key=key)
                     if s.mode != opened.mode), None)
        if twin is not None:
            out[twin.mode] = load_sweep_result(library, twin.sweep_id)
    return out
