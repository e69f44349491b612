"""Runs left ``running`` by a process that is gone become ``interrupted``
when a library is opened (issue 8): only those whose owner is provably gone
(:mod:`~warmdesk.core.run_owner`), each by one conditional update, so a live
run, or one that finished meanwhile, is never overwritten."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Container

from ..run_owner import Owner, RunLock, prove_gone, remove_stale_locks
from ..status import Status
from .progress import figures_from_rows, last_row, stored_rows
from .runs_table import has_iterate, stored_meta, write_meta
from .sql import Connection, Database


def recover_running(database: Database, folder: Path, ours: Container[str]) -> int:
    """Mark ``interrupted`` the runs left running by an owner that is gone
    (``ours``: the runs this library claims, live); returns how many."""
    rows = database.read("SELECT r.id, o.host, o.pid, o.started FROM runs r LEFT JOIN "
                         "run_owners o ON o.run_id = r.id WHERE r.status='running'")
    remove_stale_locks(folder, {r[0] for r in rows})
    gone: list[tuple[str, Owner | None, RunLock | None]] = []
    committed = False
    try:
        for run_id, host, pid, started in rows:
            if run_id in ours:
                continue  # ours, live
            owner = Owner(host, int(pid), started) if host is not None else None
            is_gone, lock = prove_gone(folder, run_id, owner)
            if is_gone:
                gone.append((run_id, owner, lock))
        if not gone:
            return 0  # nothing to do: opening writes nothing
        with database.transaction("recovering interrupted runs") as db:
            recovered = sum(mark_interrupted(db, run_id, owner) for run_id, owner, _ in gone)
        committed = True
        return recovered
    finally:
        for _, _, lock in gone:
            if lock is not None:
                lock.release(remove=committed)


def mark_interrupted(db: Connection, run_id: str, owner: Owner | None) -> bool:
    """Mark one run ``interrupted`` if it is still ``running`` under the owner
    found gone; the message says what was kept of it."""
    if owner is None:
        same_owner = "NOT EXISTS (SELECT 1 FROM run_owners WHERE run_id=:id)"
    else:
        same_owner = ("EXISTS (SELECT 1 FROM run_owners WHERE run_id=:id AND host=:host "
                      "AND pid=:pid AND started IS :started)")
    changed = db.execute(
        f"UPDATE runs SET status='interrupted' WHERE id=:id AND status='running' "
        f"AND {same_owner}",
        {"id": run_id, "host": owner.host if owner else None,
         "pid": owner.pid if owner else None, "started": owner.started if owner else None})
    if changed.rowcount != 1:
        return False
    meta = stored_meta(db, run_id)
    meta["status"] = Status.INTERRUPTED.value
    figures_from_rows(meta, last_row(db, run_id))   # its progress saved while it ran
    meta["message"] = what_was_kept(db, run_id, meta)
    write_meta(db, run_id, meta)
    db.execute("UPDATE runs SET nit=?, nfev=?, njev=?, wall_s=?, fun=? WHERE id=?",
               (meta["nit"], meta["nfev"], meta["njev"], meta["wall_s"], meta["fun"], run_id))
    db.execute("DELETE FROM run_owners WHERE run_id=?", (run_id,))
    return True


def what_was_kept(db: Connection, run_id: str, meta: dict[str, Any]) -> str:
    """The message of a run whose process died: exactly what of it is stored."""
    ended = "its process ended before the run finished (killed or crashed)"
    nfev = int(meta.get("nfev") or 0)
    if has_iterate(db, run_id):
        return (f"{ended}; its last saved iterate ({nfev} evaluations) is kept "
                "and can seed a warm start")
    rows = stored_rows(db, run_id)
    if rows:
        return (f"{ended}; no iterate was saved, only its progress up to then ({rows} "
                f"iterations, {nfev} evaluations recorded). Solve it again for a result")
    return (f"{ended}; no iterate was saved; {nfev} evaluations recorded. "
            "Solve it again for a result")
