"""Durable progress: a running run's history stored as it grows, and its last iterate.

A run's history is the array under key ``history`` (what a save writes) followed
by *chunks* appended while the run is solved, under keys ``history@<first row>``
(the first row zero-padded, so the keys sort in row order). Appending a chunk
writes only the new rows, never the history before them; reading a run joins
them (:func:`read_history`). The last iterate of a running run is its
``solution/...`` and ``state/...`` arrays, replaced at each append that carries
one. Each function works inside the caller's transaction.
"""

from __future__ import annotations

import io
import zlib
from typing import Any

import numpy as np

from ..runs import HISTORY_COLUMNS, HistoryCol
from .arrays import encode_array, read_blob_array, stored_size, write_blob
from .sql import Connection

CHUNK_PREFIX = "history@"
#: Every key a run's history is stored under: the whole (``history``) and its chunks.
HISTORY_KEYS_SQL = "(key = 'history' OR key LIKE 'history@%')"


def chunk_key(first_row: int) -> str:
    return f"{CHUNK_PREFIX}{int(first_row):012d}"


def insert_array(db: Connection, run_id: str, key: str, arr: np.ndarray, seq: int) -> None:
    """Write one array (replacing one stored under the same key), a chunk at a time."""
    encoding, data, digest = encode_array(arr)
    db.execute("DELETE FROM arrays WHERE run_id=? AND key=?", (run_id, key))
    rowid = db.execute("INSERT INTO arrays (run_id, key, data, encoding, sha256, seq) "
                       "VALUES (?, ?, zeroblob(?), ?, ?, ?)",
                       (run_id, key, stored_size(data), encoding, digest, seq)).lastrowid
    assert rowid is not None   # an INSERT always sets it
    write_blob(db, rowid, data)


def append_chunk(db: Connection, run_id: str, first_row: int, rows: np.ndarray) -> None:
    """Store ``rows`` as the history's rows from ``first_row`` on."""
    rows = np.ascontiguousarray(rows, dtype=float).reshape(-1, len(HISTORY_COLUMNS))
    insert_array(db, run_id, chunk_key(first_row), rows, seq=1_000_000_000 + int(first_row))


def replace_iterate(db: Connection, run_id: str, arrays: dict[str, np.ndarray]) -> None:
    """The run's last iterate (``solution/...`` and ``state/...`` arrays) becomes ``arrays``."""
    db.execute("DELETE FROM arrays WHERE run_id=? AND (key LIKE 'solution/%' OR "
               "key LIKE 'state/%')", (run_id,))
    for seq, (key, arr) in enumerate(arrays.items()):
        insert_array(db, run_id, key, np.asarray(arr, dtype=float), seq=seq + 1)


def is_running(db: Connection, run_id: str) -> bool:
    return db.execute("SELECT 1 FROM runs WHERE id=? AND status='running'",
                      (run_id,)).fetchone() is not None


def chunk_exists(db: Connection, run_id: str, key: str) -> bool:
    return db.execute("SELECT 1 FROM arrays WHERE run_id=? AND key=?",
                      (run_id, key)).fetchone() is not None


def read_history(db: Connection, run_id: str) -> np.ndarray | None:
    """A run's whole history (``history`` and its chunks, in row order), or None
    if it has no chunks (then ``history`` alone is the whole)."""
    found = db.execute(f"SELECT key, rowid, encoding FROM arrays WHERE run_id=? AND "
                       f"{HISTORY_KEYS_SQL} ORDER BY key", (run_id,)).fetchall()
    if len(found) <= 1 and all(key == "history" for key, _, _ in found):
        return None
    parts = [read_blob_array(db, rowid, enc).reshape(-1, len(HISTORY_COLUMNS))
             for _, rowid, enc in found]   # 'history' sorts before 'history@...'
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _header_shape(data: bytes, encoding: str) -> tuple[int, ...]:
    head = zlib.decompressobj().decompress(data, 4096) if encoding == "npyz" else \
        bytes(data[:4096])
    stream = io.BytesIO(head)
    fmt = np.lib.format
    readers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
    return tuple(readers[fmt.read_magic(stream)](stream)[0])


def stored_rows(db: Connection, run_id: str) -> int:
    """How many history rows a run has stored, read from the ``.npy`` headers
    alone (never inflating an array)."""
    total = 0
    for data, encoding in db.execute(f"SELECT substr(data, 1, 4096), encoding FROM arrays "
                                     f"WHERE run_id=? AND {HISTORY_KEYS_SQL}", (run_id,)):
        try:
            shape = _header_shape(data, encoding)
        except (zlib.error, ValueError, OSError, IndexError, TypeError, KeyError):
            continue
        total += int(shape[0]) if shape else 0
    return total


def last_row(db: Connection, run_id: str) -> np.ndarray | None:
    """The last stored history row of a run (from its last non-empty part), or None."""
    found = db.execute(f"SELECT rowid, encoding FROM arrays WHERE run_id=? AND "
                       f"{HISTORY_KEYS_SQL} ORDER BY key DESC", (run_id,)).fetchall()
    for rowid, encoding in found:
        part = read_blob_array(db, rowid, encoding).reshape(-1, len(HISTORY_COLUMNS))
        if len(part):
            return np.asarray(part[-1])
    return None


def figures_from_rows(meta: dict[str, Any], row: np.ndarray | None) -> None:
    """A recovered run's counts from its last stored history row (its metadata
    was written as it started, with none)."""
    if row is None:
        return
    meta["nit"] = max(int(meta.get("nit") or 0), int(row[HistoryCol.ITER]))
    meta["nfev"] = max(int(meta.get("nfev") or 0), int(row[HistoryCol.NFEV]))
    meta["njev"] = max(int(meta.get("njev") or 0), int(row[HistoryCol.NJEV]))
    meta["wall_s"] = max(float(meta.get("wall_s") or 0.0), float(row[HistoryCol.WALL_S]))
    fun = float(row[HistoryCol.FUN])
    if np.isfinite(fun) and meta.get("fun") is None:
        meta["fun"] = fun
