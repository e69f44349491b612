"""The run library: SQLite (WAL) in one folder, a run written in one transaction.

Arrays are stored as ``.npy`` bytes and read back with ``allow_pickle=False``.
The schema carries its version (``PRAGMA user_version``) and migrates forward.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .errors import LibraryError
from .runs import Run

DB_NAME = "library.sqlite"
SCHEMA_VERSION = 1
ENV_VAR = "WARMDESK_LIBRARY"
_META_COLUMNS = ("id", "name", "kind", "method", "status", "created_at", "finished_at",
                 "wall_s", "fun", "nit", "nfev", "njev", "problem_hash", "structure_hash",
                 "warm_source")

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, method TEXT NOT NULL,
        status TEXT NOT NULL, created_at REAL NOT NULL, finished_at REAL, wall_s REAL,
        fun REAL, nit INTEGER, nfev INTEGER, njev INTEGER,
        problem_hash TEXT NOT NULL, structure_hash TEXT NOT NULL, warm_source TEXT,
        meta TEXT NOT NULL);
    CREATE TABLE arrays (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, key));
    CREATE INDEX runs_structure ON runs(structure_hash, status);
    CREATE INDEX runs_created ON runs(created_at);
    """,
}


def default_library_dir() -> Path:
    """``WARMDESK_LIBRARY`` if set, else the user's data directory."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir
    return Path(user_data_dir("warmdesk", appauthor=False))


def array_to_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def array_from_bytes(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


class Library:
    """A folder holding ``library.sqlite``. Safe to share between threads."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_library_dir()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.folder / DB_NAME, timeout=30,
                                       check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
        except (OSError, sqlite3.Error) as exc:
            raise LibraryError(f"cannot open the library in {self.folder}: {exc}") from exc
        self._lock = threading.RLock()
        self._migrate()
        self.recovered = self._recover_running()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise LibraryError(f"cannot write to the library: {exc}") from exc
                raise

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LibraryError(f"the library in {self.folder} was made by a newer WarmDesk "
                               f"(schema {version}; this one knows {SCHEMA_VERSION})")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._write() as db:
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={int(target)}")

    def _recover_running(self) -> int:
        """Runs left ``running`` by a killed process become ``interrupted``."""
        with self._write() as db:
            cur = db.execute(
                "UPDATE runs SET status='interrupted', meta=json_set(meta, '$.status', "
                "'interrupted', '$.message', 'the process solving it ended before it finished; "
                "its last saved state is kept') WHERE status='running'")
            return cur.rowcount

    # -- writing
    def save_run(self, run: Run) -> None:
        """Write the whole run in one transaction; saving twice replaces (idempotent)."""
        meta = run.to_dict()
        row = [run.warm_source if c == "warm_source" else meta[c] for c in _META_COLUMNS]
        blobs = [(run.id, key, array_to_bytes(arr)) for key, arr in run.arrays().items()]
        meta_json = json.dumps(meta, allow_nan=True)
        with self._write() as db:
            db.execute("DELETE FROM arrays WHERE run_id=?", (run.id,))
            db.execute(f"INSERT OR REPLACE INTO runs ({', '.join(_META_COLUMNS)}, meta) "
                       f"VALUES ({', '.join('?' * (len(_META_COLUMNS) + 1))})", (*row, meta_json))
            db.executemany("INSERT INTO arrays (run_id, key, data) VALUES (?, ?, ?)", blobs)

    # -- reading
    def resolve_id(self, prefix: str) -> str:
        """A full run id from an id or a unique prefix of one (at least 6 characters)."""
        with self._lock:
            exact = self._db.execute("SELECT id FROM runs WHERE id=?", (prefix,)).fetchone()
            if exact:
                return str(exact[0])
            if len(prefix) < 6:
                raise LibraryError(f"no run {prefix!r} in the library")
            rows = self._db.execute("SELECT id FROM runs WHERE id >= ? AND id < ? LIMIT 2",
                                    (prefix, prefix + "\uffff")).fetchall()
        if len(rows) != 1:
            raise LibraryError(f"no run {prefix!r} in the library" if not rows else
                               f"{prefix!r} names more than one run; give more of the id")
        return str(rows[0][0])

    def get_meta(self, run_id: str) -> dict[str, Any]:
        """A run's metadata (spec, figures, warm info) without its arrays."""
        with self._lock:
            row = self._db.execute("SELECT meta FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise LibraryError(f"no run {run_id!r} in the library")
        return dict(json.loads(row[0]))

    def get_run(self, run_id: str) -> Run:
        run_id = self.resolve_id(run_id)
        with self._lock:
            meta = self._db.execute("SELECT meta FROM runs WHERE id=?", (run_id,)).fetchone()
            blobs = self._db.execute("SELECT key, data FROM arrays WHERE run_id=? ORDER BY rowid",
                                     (run_id,)).fetchall()
        arrays = {key: array_from_bytes(data) for key, data in blobs}
        return Run.from_parts(json.loads(meta[0]), arrays)

    def list_runs(self, kind: str | None = None, structure_hash: str | None = None,
                  statuses: tuple[str, ...] | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Run summaries (no arrays), newest first."""
        where, args = [], []
        if kind:
            where.append("kind=?")
            args.append(kind)
        if structure_hash:
            where.append("structure_hash=?")
            args.append(structure_hash)
        if statuses:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            args.extend(statuses)
        sql = f"SELECT {', '.join(_META_COLUMNS)} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, int(limit))).fetchall()
        return [dict(zip(_META_COLUMNS, r)) for r in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
