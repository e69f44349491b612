"""The sweeps in the library: each run of a sweep (``info["sweep"]``, written
by :mod:`warmdesk.core.sweeps`) has a row in ``sweep_runs``, kept beside its
stored metadata on every save and edit, so that listing the sweeps and the
runs of one reads a small indexed table, not every run's JSON (a
``json_extract`` over ``run_meta`` would parse each run's whole metadata, the
solution's spec included, on every listing).

``final`` marks a point's final run (``info.sweep.final``; in runs made
before that was recorded, the only run of a point with a ``check``);
``check`` is the sweep's verdict on the run, NULL when it passed (every run
carries its own now, the attempts and halved steps before a point's final run
included). ``cold`` is NULL for runs of a sweep made before the
flag was recorded (then a sweep whose runs all started cold counts as cold).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from .sql import Connection

if TYPE_CHECKING:      # store imports this module (through runs_table)
    from .store import Library

CREATE_SQL = (
    """CREATE TABLE sweep_runs (
        run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        sweep_id TEXT NOT NULL, name TEXT, spec_key TEXT, total INTEGER,
        chain INTEGER, point INTEGER NOT NULL, role TEXT NOT NULL, seed TEXT,
        cold INTEGER, final INTEGER NOT NULL, check_reason TEXT)""",
    "CREATE INDEX sweep_runs_sweep ON sweep_runs(sweep_id, point)",
    "CREATE INDEX sweep_runs_key ON sweep_runs(spec_key) WHERE spec_key IS NOT NULL",
)


def sweep_row(meta: dict[str, Any]) -> tuple[Any, ...] | None:
    """A run's ``sweep_runs`` row from its stored metadata; None when it is not
    a sweep's run (or its ``info.sweep`` is not what a sweep writes)."""
    info = meta.get("info")
    sweep = info.get("sweep") if isinstance(info, dict) else None
    if not isinstance(sweep, dict) or not isinstance(sweep.get("id"), str):
        return None
    point = sweep.get("point")
    if not isinstance(point, int) or isinstance(point, bool):
        return None
    check = sweep.get("check")
    cold = sweep.get("cold")
    return (meta["id"], sweep["id"], _text(sweep.get("name")), _text(sweep.get("spec")),
            _int(sweep.get("total")), _int(sweep.get("chain")), point,
            str(sweep.get("role") or "point"), _text(sweep.get("seed")),
            None if cold is None else int(bool(cold)), _is_final(sweep),
            None if check is None else str(check))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def upsert_sweep_run(db: Connection, meta: dict[str, Any]) -> None:
    """Keep a run's ``sweep_runs`` row as its metadata says (inside the caller's
    transaction)."""
    db.execute("DELETE FROM sweep_runs WHERE run_id=?", (meta["id"],))
    row = sweep_row(meta)
    if row is not None:
        db.execute(f"INSERT INTO sweep_runs VALUES ({', '.join('?' * len(row))})", row)


def backfill(db: Connection) -> None:
    """Migration step: the rows of the sweep runs already in the library (one
    scan of the metadata, filtered by SQLite's JSON functions)."""
    for (meta_text,) in db.execute(
            "SELECT meta FROM run_meta WHERE json_valid(meta) AND "
            "json_type(meta, '$.info.sweep') = 'object'").fetchall():
        upsert_sweep_run(db, json.loads(meta_text))


# ------------------------------------------------------------------ reading
@dataclass(frozen=True)
class SweepSummary:
    """One sweep in the library (its live runs only)."""

    sweep_id: str
    name: str | None
    spec_key: str | None     # the sweep spec's identity: a chained and a cold run share it
    total: int | None        # its number of points, when recorded
    points: int              # points with a final run in the library
    failed: int              # of them, failed the sweep's check
    cold: bool
    runs: int                # every run it took (retries and halved steps included)
    newest: float            # the newest run's created_at (unix seconds)

    @property
    def mode(self) -> str:
        return "cold" if self.cold else "chained"


@dataclass(frozen=True)
class SweepRunRow:
    """One run of a sweep, as the library indexes it."""

    run_id: str
    chain: int | None
    point: int
    role: str
    seed: str | None
    final: bool
    check: str | None
    created_at: float


_SUMMARY_SQL = (
    "SELECT s.sweep_id, MAX(s.name), MAX(s.spec_key), MAX(s.total), "
    "COUNT(DISTINCT CASE WHEN s.final THEN s.point END), "
    "COUNT(DISTINCT CASE WHEN s.final AND s.check_reason IS NOT NULL THEN s.point END), "
    "COALESCE(MAX(s.cold), MIN(COALESCE(s.seed, '') = 'cold')), COUNT(*), MAX(r.created_at) "
    "FROM sweep_runs s JOIN runs r ON r.id = s.run_id WHERE r.deleted_at IS NULL {where} "
    "GROUP BY s.sweep_id ORDER BY MAX(r.created_at) DESC")


def _summaries(library: Library, where: str = "", args: Sequence[Any] = ()
               ) -> list[SweepSummary]:
    rows = library._sql.read(_SUMMARY_SQL.format(where=where), args)
    return [SweepSummary(str(r[0]), r[1], r[2], r[3], int(r[4]), int(r[5]), bool(r[6]),
                         int(r[7]), float(r[8] or 0.0)) for r in rows]


def list_sweeps(library: Library, spec_key: str | None = None) -> list[SweepSummary]:
    """Every sweep with a live run, newest first (``spec_key``: only the sweeps
    of that spec)."""
    if spec_key is None:
        return _summaries(library)
    return _summaries(library, "AND s.spec_key = ?", [spec_key])


def sweep_summary(library: Library, sweep_id: str) -> SweepSummary | None:
    """One sweep's summary; None when none of its runs is in the library."""
    found = _summaries(library, "AND s.sweep_id = ?", [sweep_id])
    return found[0] if found else None


def sweep_runs(library: Library, sweep_id: str) -> list[SweepRunRow]:
    """The live runs of one sweep, by point, in the order they were made."""
    rows = library._sql.read(
        "SELECT s.run_id, s.chain, s.point, s.role, s.seed, s.final, s.check_reason, "
        "r.created_at FROM sweep_runs s JOIN runs r ON r.id = s.run_id "
        "WHERE s.sweep_id = ? AND r.deleted_at IS NULL ORDER BY s.point, r.created_at, "
        "r.rowid", [sweep_id])
    return [SweepRunRow(str(r[0]), r[1], int(r[2]), str(r[3]), r[4], bool(r[5]), r[6],
                        float(r[7] or 0.0)) for r in rows]


def sweep_verdicts(library: Library, run_ids: Sequence[str]) -> dict[str, str]:
    """The sweep's check verdict on those of ``run_ids`` that failed it (a point's
    final run, or an attempt or a halved step before it): run id -> why."""
    if not run_ids:
        return {}
    marks = ", ".join("?" * len(run_ids))
    rows = library._sql.read("SELECT run_id, check_reason FROM sweep_runs WHERE check_reason IS "
                         f"NOT NULL AND run_id IN ({marks})", list(run_ids))
    return {str(run_id): str(reason) for run_id, reason in rows}


def sweep_of_run(library: Library, run_id: str) -> str | None:
    """The id of the sweep a run belongs to; None when it is not a sweep's run."""
    rows = library._sql.read("SELECT sweep_id FROM sweep_runs WHERE run_id=?", [run_id])
    return str(rows[0][0]) if rows else None


def _is_final(sweep: dict[str, Any]) -> int:
    """A point's final run: marked ``final`` since every run carries its own
    ``check``; before that, the only run with a ``check``."""
    return int(bool(sweep["final"])) if "final" in sweep else int("check" in sweep)
