"""How one run is laid out in the tables: its summary row in ``runs``, its
metadata in ``run_meta``, its arrays, tags, warm-start edge, owner and
features. Each function works inside the caller's transaction."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import numpy as np

from ..run_owner import Owner
from ..runs import Run
from ..status import Status
from .arrays import encode_array, stored_size, write_blob
from .features import features_from_meta, upsert_features
from .progress import HISTORY_KEYS_SQL, chunk_key
from .query import SUMMARY_COLUMNS
from .sql import Connection
from .sweeps import upsert_sweep_run

#: The columns a save writes: the summary's, but for ``deleted_at`` (the trash's own).
RUN_COLUMNS = tuple(c for c in SUMMARY_COLUMNS if c != "deleted_at")

#: A run ready to insert: (runs row + meta, arrays rows, tags, edge, features row,
#: the metadata: for its sweep row).
EncodedRun = tuple[tuple[Any, ...], list[tuple[Any, ...]], list[str], tuple[Any, ...] | None,
                   tuple[Any, ...], dict[str, Any]]


def encode_run(run: Run, history_from: int | None = None) -> EncodedRun:
    """Everything a save writes of ``run``, computed outside the transaction
    (the arrays encoded a chunk at a time). ``history_from``: the history's
    first rows up to there are stored already (progress saved while it ran),
    so only the rows after them are encoded, as one more chunk."""
    meta = run.to_dict()
    meta_text = json.dumps(meta, allow_nan=True)
    values = {**meta, "warm_source": run.warm_source, "tags": " ".join(run.tags),
              "notes": run.notes}
    row = tuple(values[c] for c in RUN_COLUMNS) + (
        meta_text, hashlib.sha256(meta_text.encode()).hexdigest())
    arrays = []
    if history_from is None:
        items = run.arrays()
    else:
        items = {key: arr for group in ("solution", "state", "outputs")
                 for key, arr in _group_arrays(run, group)}
        tail = run.history.tail(history_from)
        if len(tail):
            items[chunk_key(history_from)] = tail
    for seq, (key, arr) in enumerate(items.items()):
        encoding, data, digest = encode_array(arr)   # a chunk at a time
        arrays.append((run.id, key, data, encoding, digest, seq))
    edge = None
    if run.warm is not None and run.warm.source_run_id:
        edge = (run.id, run.warm.source_run_id, json.dumps(run.warm.payload), run.warm.mode)
    return row, arrays, list(dict.fromkeys(run.tags)), edge, features_from_meta(meta), meta


def _group_arrays(run: Run, group: str) -> list[tuple[str, np.ndarray]]:
    return [(f"{group}/{k}", np.asarray(v, dtype=float)) for k, v in getattr(run, group).items()]


def insert(db: Connection, encoded: EncodedRun, keep_history: bool = False) -> None:
    """Write one encoded run, replacing whatever was stored under its id
    (but for its stored history when ``keep_history``: encoded with
    ``history_from``, the run adds only its tail to it)."""
    row, arrays, tags, edge, features, meta = encoded
    run_id = row[0]
    if keep_history:
        db.execute(f"DELETE FROM arrays WHERE run_id=? AND NOT {HISTORY_KEYS_SQL}", (run_id,))
    else:
        db.execute("DELETE FROM arrays WHERE run_id=?", (run_id,))
    db.execute("DELETE FROM run_tags WHERE run_id=?", (run_id,))
    db.execute("DELETE FROM edges WHERE target_id=?", (run_id,))
    n = len(RUN_COLUMNS)
    # REPLACE would delete the row first, and with it (ON DELETE CASCADE) the
    # history kept; an upsert updates it in place, out of the trash as REPLACE does
    conflict = (" ON CONFLICT(id) DO UPDATE SET deleted_at=NULL, " +
                ", ".join(f"{c}=excluded.{c}" for c in RUN_COLUMNS if c != "id")
                if keep_history else "")
    db.execute(f"INSERT {'' if keep_history else 'OR REPLACE '}INTO runs "
               f"({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * n)}){conflict}", row[:n])
    db.execute("INSERT OR REPLACE INTO run_meta (id, meta, meta_sha256) VALUES (?, ?, ?)",
               (run_id, *row[n:]))
    for run_id_, key, data, encoding, sha, seq in arrays:   # blobs a chunk at a time
        rowid = db.execute("INSERT INTO arrays (run_id, key, data, encoding, sha256, seq) "
                           "VALUES (?, ?, zeroblob(?), ?, ?, ?)",
                           (run_id_, key, stored_size(data), encoding, sha, seq)).lastrowid
        assert rowid is not None   # an INSERT always sets it
        write_blob(db, rowid, data)
    db.executemany("INSERT INTO run_tags (run_id, tag) VALUES (?, ?)",
                   [(run_id, t) for t in tags])
    if edge is not None:
        db.execute("INSERT INTO edges (target_id, source_id, payload, mode) "
                   "VALUES (?, ?, ?, ?)", edge)
    upsert_features(db, features)
    upsert_sweep_run(db, meta)


def record_owner(db: Connection, run: Run) -> None:
    """A running run's owner is this process; a finished run has none."""
    if run.status is Status.RUNNING:
        me = Owner.this_process()
        db.execute("INSERT OR REPLACE INTO run_owners (run_id, host, pid, started, "
                   "claimed_at) VALUES (?, ?, ?, ?, ?)",
                   (run.id, me.host, me.pid, me.started, time.time()))
    else:
        db.execute("DELETE FROM run_owners WHERE run_id=?", (run.id,))


def exists(db: Connection, run_id: str) -> bool:
    return db.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is not None


def is_unfinished_record(db: Connection, run_id: str) -> bool:
    """Stored ``interrupted`` with no iterate kept: a record of a run that
    never got its result into the library, not work to keep."""
    return bool(db.execute(
        "SELECT 1 FROM runs WHERE id=? AND status='interrupted' AND NOT EXISTS (SELECT 1 "
        "FROM arrays WHERE run_id=? AND key LIKE 'solution/%')", (run_id, run_id)).fetchone())


def has_iterate(db: Connection, run_id: str) -> bool:
    """Whether a run's last iterate (a ``solution/...`` array) is stored."""
    return db.execute("SELECT 1 FROM arrays WHERE run_id=? AND key LIKE 'solution/%' LIMIT 1",
                      (run_id,)).fetchone() is not None


def stored_meta(db: Connection, run_id: str) -> dict[str, Any]:
    """A run's metadata as stored, read inside the caller's transaction."""
    meta: dict[str, Any] = json.loads(db.execute("SELECT meta FROM run_meta WHERE id=?",
                                                 (run_id,)).fetchone()[0])
    return meta


def write_meta(db: Connection, run_id: str, meta: dict[str, Any]) -> None:
    """Store a run's changed metadata, with its summary columns and features."""
    text = json.dumps(meta, allow_nan=True)
    db.execute("UPDATE run_meta SET meta=?, meta_sha256=? WHERE id=?",
               (text, hashlib.sha256(text.encode()).hexdigest(), run_id))
    db.execute("UPDATE runs SET status=?, name=?, tags=?, notes=? WHERE id=?",
               (meta["status"], meta["name"], " ".join(meta.get("tags", [])),
                meta.get("notes", ""), run_id))
    upsert_features(db, features_from_meta(meta))
    upsert_sweep_run(db, meta)
    db.execute("UPDATE run_features SET usable=0 WHERE run_id=? AND EXISTS (SELECT 1 FROM "
               "runs WHERE id=? AND deleted_at IS NOT NULL)", (run_id, run_id))


def replace_tags(db: Connection, run_id: str, tags: list[str]) -> None:
    db.execute("DELETE FROM run_tags WHERE run_id=?", (run_id,))
    db.executemany("INSERT INTO run_tags (run_id, tag) VALUES (?, ?)",
                   [(run_id, t) for t in dict.fromkeys(tags)])


def delete_placeholder(db: Connection, run_id: str) -> bool:
    """Remove a run still stored ``running``; whether it was."""
    return bool(db.execute("DELETE FROM runs WHERE id=? AND status='running'",
                           (run_id,)).rowcount)
