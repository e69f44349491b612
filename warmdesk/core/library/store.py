"""The run library: SQLite in WAL mode in one folder, each run written whole in
one transaction.

- Arrays are ``.npy`` bytes (zlib-compressed when that pays), each with its
  sha256, written and read a chunk at a time (``array_store``); object arrays
  are refused.
- Saves are idempotent by run id: saving the same run again replaces it, so a
  save whose commit landed just before a kill can simply be repeated.
- One writer connection (``BEGIN IMMEDIATE``, serialised in-process by a lock);
  each reading thread has its own connection, so reads never wait for a save.
- A run saved ``running`` is owned by the process that saved it (an OS lock and
  its recorded owner, :mod:`~warmdesk.core.run_owner`); on open, only runs
  whose owner is provably gone become ``interrupted``, each by one conditional
  update, so a live run, or one that finished meanwhile, is never overwritten.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import threading
import time
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .array_store import encode_array, read_blob_array, stored_size, write_blob
from .errors import LibraryError
from .library_features import features_from_meta, upsert_features
from .library_query import SUMMARY_COLUMNS, RunQuery
from .library_schema import MIGRATIONS, SCHEMA_VERSION
from .run_owner import Owner, RunLock, claim, prove_gone, remove_stale_locks
from .runs import Run
from .text_rules import check_label, check_notes, check_tags

DB_NAME = "library.sqlite"
ENV_VAR = "WARMDESK_LIBRARY"
#: The columns a save writes: the summary's, but for ``deleted_at`` (the trash's own).
_RUN_COLUMNS = tuple(c for c in SUMMARY_COLUMNS if c != "deleted_at")


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


def _decode(encoding: str, data: bytes) -> bytes:
    if encoding == "npyz":
        return zlib.decompress(data)
    if encoding == "npy":
        return bytes(data)
    raise LibraryError(f"unknown array encoding {encoding!r}")


def _refuse_if(problem: str | None) -> None:
    if problem:
        raise LibraryError(problem)


def _stored_history_rows(db: sqlite3.Connection, run_id: str) -> int:
    """How many rows a run's stored history holds, read from the ``.npy`` header
    alone (never inflating the whole array)."""
    found = db.execute("SELECT data, encoding FROM arrays WHERE run_id=? AND key='history'",
                       (run_id,)).fetchone()
    if found is None:
        return 0
    data, encoding = found
    try:
        head = zlib.decompressobj().decompress(data, 4096) if encoding == "npyz" else \
            bytes(data[:4096])
        stream = io.BytesIO(head)
        fmt = np.lib.format
        readers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
        shape = readers[fmt.read_magic(stream)](stream)[0]
        return int(shape[0]) if shape else 0
    except (zlib.error, ValueError, OSError, IndexError, TypeError, KeyError):
        return 0


def _sqlite_error(exc: sqlite3.Error, doing: str) -> LibraryError:
    text = str(exc)
    # Only what this one transaction wrote is undone; callers that saved a run
    # ``running`` earlier say what became of it (see ``discard_unfinished``).
    rolled_back = (f"{doing} failed and was rolled back: none of it was written and "
                   "the library holds what it held before")
    if "disk is full" in text:
        return LibraryError(f"the disk is full: {rolled_back}. Free some space and try again.")
    if "disk I/O" in text:
        return LibraryError(f"the library's disk could not be written (a disk I/O error: "
                            f"full or failing): {rolled_back}. Free some space or check the "
                            "disk, and try again.")
    if "locked" in text or "busy" in text:
        return LibraryError(f"the library is busy (another program holds it): {doing} failed")
    return LibraryError(f"{doing} failed: {text}")


class Library:
    """A folder holding ``library.sqlite``. Safe to share between threads."""

    def __init__(self, folder: str | Path | None = None, recover: bool = True) -> None:
        """Open (creating if needed) the library in ``folder``. ``recover``: mark
        runs left ``running`` by a process that is gone as ``interrupted`` (live
        runs of other processes are left alone); a read-only helper (a solver
        child reading cold references) passes False and writes nothing."""
        self.folder = Path(folder) if folder is not None else default_library_dir()
        self.path = self.folder / DB_NAME
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._closed = False
        #: The locks of the runs this library saved ``running`` and has not finished.
        self._claims: dict[str, RunLock] = {}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = self._connect()
            self._db.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:
            raise LibraryError(f"cannot open the library in {self.folder}: {exc}") from exc
        self._migrate()
        self.recovered = self._recover_running() if recover else 0

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                             isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def _reader(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            if self._closed:
                raise LibraryError("the library is closed")
            db = self._connect()
            self._local.db = db
            with self._lock:
                self._readers.append(db)
        return db

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._reader().execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as exc:
            raise _sqlite_error(exc, "reading the library") from exc

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for lock in self._claims.values():  # unfinished: the next open recovers them
                lock.release(remove=False)
            self._claims.clear()
            for db in self._readers:
                db.close()
            try:  # keep the query planner's statistics fresh (bounded work)
                self._db.execute("PRAGMA analysis_limit=400")
                self._db.execute("PRAGMA optimize=0x10002")  # every table, when stale
            except sqlite3.Error:
                pass  # statistics are an optimisation only
            self._db.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self, doing: str = "writing to the library") -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise LibraryError("the library is closed")
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _sqlite_error(exc, doing) from exc
                raise

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LibraryError(f"the library in {self.folder} was made by a newer WarmDesk "
                               f"(schema {version}; this one knows up to {SCHEMA_VERSION})")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._write(f"upgrading the library to schema {target}") as db:
                if db.execute("PRAGMA user_version").fetchone()[0] >= target:
                    continue  # another process opening it at the same time did this step
                for step in MIGRATIONS[target]:
                    if callable(step):
                        step(db)
                    else:
                        db.execute(step)
                db.execute(f"PRAGMA user_version={int(target)}")

    @property
    def schema_version(self) -> int:
        return int(self._read("PRAGMA user_version")[0][0])

    def _recover_running(self) -> int:
        """Runs left ``running`` by an owner that is provably gone become
        ``interrupted``; returns how many. Live runs of other processes are left
        alone, and each run is marked by one conditional update (still
        ``running``, same owner), so a run finished meanwhile is never touched."""
        rows = self._read("SELECT r.id, o.host, o.pid, o.started FROM runs r LEFT JOIN "
                          "run_owners o ON o.run_id = r.id WHERE r.status='running'")
        remove_stale_locks(self.folder, {r[0] for r in rows})
        gone: list[tuple[str, Owner | None, RunLock | None]] = []
        committed = False
        try:
            for run_id, host, pid, started in rows:
                if run_id in self._claims:
                    continue  # ours, live
                owner = Owner(host, int(pid), started) if host is not None else None
                is_gone, lock = prove_gone(self.folder, run_id, owner)
                if is_gone:
                    gone.append((run_id, owner, lock))
            if not gone:
                return 0  # nothing to do: opening writes nothing
            with self._write("recovering interrupted runs") as db:
                recovered = sum(self._mark_interrupted(db, run_id, owner)
                                for run_id, owner, _ in gone)
            committed = True
            return recovered
        finally:
            for _, _, lock in gone:
                if lock is not None:
                    lock.release(remove=committed)

    def _mark_interrupted(self, db: sqlite3.Connection, run_id: str,
                          owner: Owner | None) -> bool:
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
        meta = self._stored_meta(db, run_id)
        meta["status"] = "interrupted"
        meta["message"] = self._what_was_kept(db, run_id, meta)
        self._write_meta(db, run_id, meta)
        db.execute("DELETE FROM run_owners WHERE run_id=?", (run_id,))
        return True

    @staticmethod
    def _what_was_kept(db: sqlite3.Connection, run_id: str, meta: dict[str, Any]) -> str:
        """The message of a run whose process died: exactly what of it is stored."""
        ended = "its process ended before the run finished (killed or crashed)"
        nfev = int(meta.get("nfev") or 0)
        if db.execute("SELECT 1 FROM arrays WHERE run_id=? AND key LIKE 'solution/%' LIMIT 1",
                      (run_id,)).fetchone():
            return (f"{ended}; its last saved iterate ({nfev} evaluations) is kept "
                    "and can seed a warm start")
        rows = _stored_history_rows(db, run_id)
        if rows:
            return (f"{ended}; no iterate was saved, only its progress up to then ({rows} "
                    f"iterations, {nfev} evaluations recorded). Solve it again for a result")
        return (f"{ended}; no iterate was saved; {nfev} evaluations recorded. "
                "Solve it again for a result")

    # ------------------------------------------------------------------ writing
    def save_run(self, run: Run) -> None:
        """Write the whole run in one transaction; saving again replaces it."""
        self.save_runs([run])

    def save_runs(self, runs: Iterable[Run]) -> None:
        """Write several runs in one transaction (all or none).

        A run saved ``running`` is claimed by this process (its lock taken
        before the commit, its owner recorded with it) until it is saved with
        another status or the library is closed; see :mod:`.run_owner`."""
        runs = list(runs)
        rows = [self._encode_run(run) for run in runs]
        with self._lock:
            taken = self._claim([run.id for run in runs if run.status == "running"])
            try:
                with self._write("saving the run") as db:
                    for run, row in zip(runs, rows):
                        self._insert(db, *row)
                        self._record_owner(db, run)
            except BaseException:
                for run_id in taken:
                    self._claims.pop(run_id).release(remove=True)
                raise
            for run in runs:
                if run.status != "running" and run.id in self._claims:
                    self._claims.pop(run.id).release(remove=True)

    def discard_unfinished(self, run_ids: Iterable[str]) -> list[str]:
        """Remove this library's own placeholders: runs it saved ``running`` and
        still claims, whose final save failed (a full disk). Without this, the
        next open would show each as ``interrupted`` with no result: a phantom.
        Returns the ids removed (one transaction; a run finished meanwhile, or
        claimed by another process, is never touched). Raises LibraryError when
        even the removal cannot be written; the claims are then kept (released
        at close, so the next open marks those runs ``interrupted``)."""
        mine = [run_id for run_id in dict.fromkeys(run_ids) if run_id in self._claims]
        if not mine:
            return []
        with self._lock:
            with self._write("removing the unsaved run's placeholder") as db:
                removed = [run_id for run_id in mine if db.execute(
                    "DELETE FROM runs WHERE id=? AND status='running'", (run_id,)).rowcount]
            for run_id in mine:
                self._claims.pop(run_id).release(remove=True)
        return removed

    def _claim(self, run_ids: list[str]) -> list[str]:
        """Take the lock of each live run not claimed yet; returns those taken."""
        taken: list[str] = []
        for run_id in run_ids:
            if run_id in self._claims or run_id in taken:
                continue
            try:
                lock = claim(self.folder, run_id)
            except OSError:
                continue  # no lock here (read-only folder?): the recorded owner still counts
            if lock is None:
                for mine in taken:
                    self._claims.pop(mine).release(remove=True)
                raise LibraryError(f"run {run_id[:12]} is being solved by another process; "
                                   "it cannot be saved as running from this one")
            self._claims[run_id] = lock
            taken.append(run_id)
        return taken

    @staticmethod
    def _record_owner(db: sqlite3.Connection, run: Run) -> None:
        """A running run's owner is this process; a finished run has none."""
        if run.status == "running":
            me = Owner.this_process()
            db.execute("INSERT OR REPLACE INTO run_owners (run_id, host, pid, started, "
                       "claimed_at) VALUES (?, ?, ?, ?, ?)",
                       (run.id, me.host, me.pid, me.started, time.time()))
        else:
            db.execute("DELETE FROM run_owners WHERE run_id=?", (run.id,))

    def import_runs(self, runs: Sequence[Run]) -> tuple[list[str], list[str]]:
        """Add runs that are not in the library yet, in one transaction.

        Returns ``(added, already_present)`` run ids; a run already present is
        left as it is (importing the same file twice duplicates nothing), but
        for a record left ``interrupted`` with no iterate, which the file's
        version of the same run replaces (the run a full disk kept out of the
        library, imported from the run file it was written to instead).
        """
        rows = [self._encode_run(run) for run in runs]
        added, present = [], []
        with self._write("importing runs") as db:
            for row in rows:
                run_id = row[0][0]
                if db.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() and \
                        not self._is_unfinished_record(db, run_id):
                    present.append(run_id)
                    continue
                self._insert(db, *row)
                added.append(run_id)
        return added, present

    @staticmethod
    def _is_unfinished_record(db: sqlite3.Connection, run_id: str) -> bool:
        """Stored ``interrupted`` with no iterate kept: a record of a run that
        never got its result into the library, not work to keep."""
        return bool(db.execute(
            "SELECT 1 FROM runs WHERE id=? AND status='interrupted' AND NOT EXISTS (SELECT 1 "
            "FROM arrays WHERE run_id=? AND key LIKE 'solution/%')", (run_id, run_id)).fetchone())

    @staticmethod
    def _encode_run(run: Run) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[str],
                                       tuple[Any, ...] | None, tuple[Any, ...]]:
        meta = run.to_dict()
        meta_text = json.dumps(meta, allow_nan=True)
        values = {**meta, "warm_source": run.warm_source, "tags": " ".join(run.tags),
                  "notes": run.notes}
        row = tuple(values[c] for c in _RUN_COLUMNS) + (
            meta_text, hashlib.sha256(meta_text.encode()).hexdigest())
        arrays = []
        for seq, (key, arr) in enumerate(run.arrays().items()):
            encoding, data, digest = encode_array(arr)   # a chunk at a time
            arrays.append((run.id, key, data, encoding, digest, seq))
        edge = None
        if run.warm is not None and run.warm.source_run_id:
            edge = (run.id, run.warm.source_run_id, json.dumps(run.warm.payload), run.warm.mode)
        return row, arrays, list(dict.fromkeys(run.tags)), edge, features_from_meta(meta)

    @staticmethod
    def _insert(db: sqlite3.Connection, row: tuple[Any, ...], arrays: list[tuple[Any, ...]],
                tags: list[str], edge: tuple[Any, ...] | None,
                features: tuple[Any, ...]) -> None:
        run_id = row[0]
        db.execute("DELETE FROM arrays WHERE run_id=?", (run_id,))
        db.execute("DELETE FROM run_tags WHERE run_id=?", (run_id,))
        db.execute("DELETE FROM edges WHERE target_id=?", (run_id,))
        n = len(_RUN_COLUMNS)
        db.execute(f"INSERT OR REPLACE INTO runs ({', '.join(_RUN_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * n)})", row[:n])
        db.execute("INSERT OR REPLACE INTO run_meta (id, meta, meta_sha256) VALUES (?, ?, ?)",
                   (run_id, *row[n:]))
        for run_id_, key, data, encoding, sha, seq in arrays:   # blobs a chunk at a time
            rowid = db.execute("INSERT INTO arrays (run_id, key, data, encoding, sha256, seq) "
                               "VALUES (?, ?, zeroblob(?), ?, ?, ?)",
                               (run_id_, key, stored_size(data), encoding, sha,
                                seq)).lastrowid
            assert rowid is not None   # an INSERT always sets it
            write_blob(db, rowid, data)
        db.executemany("INSERT INTO run_tags (run_id, tag) VALUES (?, ?)",
                       [(run_id, t) for t in tags])
        if edge is not None:
            db.execute("INSERT INTO edges (target_id, source_id, payload, mode) "
                       "VALUES (?, ?, ?, ?)", edge)
        upsert_features(db, features)

    @staticmethod
    def _stored_meta(db: sqlite3.Connection, run_id: str) -> dict[str, Any]:
        """A run's metadata as stored, read inside the caller's transaction."""
        meta: dict[str, Any] = json.loads(db.execute("SELECT meta FROM run_meta WHERE id=?",
                                                     (run_id,)).fetchone()[0])
        return meta

    @staticmethod
    def _write_meta(db: sqlite3.Connection, run_id: str, meta: dict[str, Any]) -> None:
        text = json.dumps(meta, allow_nan=True)
        db.execute("UPDATE run_meta SET meta=?, meta_sha256=? WHERE id=?",
                   (text, hashlib.sha256(text.encode()).hexdigest(), run_id))
        db.execute("UPDATE runs SET status=?, name=?, tags=?, notes=? WHERE id=?",
                   (meta["status"], meta["name"], " ".join(meta.get("tags", [])),
                    meta.get("notes", ""), run_id))
        upsert_features(db, features_from_meta(meta))
        db.execute("UPDATE run_features SET usable=0 WHERE run_id=? AND EXISTS (SELECT 1 FROM "
                   "runs WHERE id=? AND deleted_at IS NOT NULL)", (run_id, run_id))

    def _update_meta(self, run_id: str, doing: str, **changes: Any) -> None:
        run_id = self.resolve_id(run_id)
        with self._write(doing) as db:
            meta = self._stored_meta(db, run_id)
            meta.update(changes)
            self._write_meta(db, run_id, meta)
            if "tags" in changes:
                db.execute("DELETE FROM run_tags WHERE run_id=?", (run_id,))
                db.executemany("INSERT INTO run_tags (run_id, tag) VALUES (?, ?)",
                               [(run_id, t) for t in dict.fromkeys(changes["tags"])])

    def set_info(self, run_id: str, **items: Any) -> None:
        """Merge ``items`` into a stored run's ``info`` (e.g. its measured saving)."""
        run_id = self.resolve_id(run_id)
        with self._write("updating the run") as db:
            meta = self._stored_meta(db, run_id)
            meta["info"] = {**meta.get("info", {}), **items}
            self._write_meta(db, run_id, meta)

    # Names, tags and notes follow text_rules, the one rule of specs and run files too.
    def rename(self, run_id: str, name: str) -> None:
        _refuse_if(check_label(name, "a run's name"))
        self._update_meta(run_id, "renaming the run", name=name)

    def set_notes(self, run_id: str, notes: str) -> None:
        _refuse_if(check_notes(notes, "the notes"))
        self._update_meta(run_id, "saving the notes", notes=notes)

    def set_tags(self, run_id: str, tags: Sequence[str]) -> None:
        """Set a run's tags; blank entries are dropped and duplicates kept once."""
        clean = list(dict.fromkeys(t for t in tags if not isinstance(t, str) or t.strip()))
        _refuse_if(check_tags(clean, "the tags"))
        self._update_meta(run_id, "tagging the run", tags=clean)

    def delete(self, run_ids: Sequence[str]) -> int:
        """Move runs to the trash (recoverable with :meth:`restore` until emptied)."""
        ids = [self.resolve_id(r) for r in run_ids]
        with self._write("deleting runs") as db:
            db.executemany("UPDATE runs SET deleted_at=? WHERE id=?",
                           [(time.time(), i) for i in ids])
            db.executemany("UPDATE run_features SET usable=0 WHERE run_id=?", [(i,) for i in ids])
        return len(ids)

    def restore(self, run_ids: Sequence[str]) -> int:
        ids = [self.resolve_id(r) for r in run_ids]
        with self._write("restoring runs") as db:
            db.executemany("UPDATE runs SET deleted_at=NULL WHERE id=?", [(i,) for i in ids])
            for run_id in ids:
                upsert_features(db, features_from_meta(self._stored_meta(db, run_id)))
        return len(ids)

    def empty_trash(self) -> int:
        """Remove the runs in the trash for good."""
        with self._write("emptying the trash") as db:
            return db.execute("DELETE FROM runs WHERE deleted_at IS NOT NULL").rowcount

    # ------------------------------------------------------------------ reading
    def resolve_id(self, prefix: str) -> str:
        """A full run id from an id or a unique prefix of one (at least 6 characters)."""
        prefix = str(prefix).strip().lower()
        if self._read("SELECT 1 FROM runs WHERE id=?", (prefix,)):
            return prefix
        if len(prefix) < 6:
            raise LibraryError(f"no run {prefix!r} in the library (give at least 6 characters)")
        rows = self._read("SELECT id FROM runs WHERE id >= ? AND id < ? LIMIT 2",
                          (prefix, prefix + "\uffff"))
        if len(rows) != 1:
            raise LibraryError(f"no run {prefix!r} in the library" if not rows else
                               f"{prefix!r} names more than one run; give more of the id")
        return str(rows[0][0])

    def has_run(self, run_id: str) -> bool:
        return bool(self._read("SELECT 1 FROM runs WHERE id=?", (run_id,)))

    def get_meta(self, run_id: str) -> dict[str, Any]:
        """A run's metadata (spec, figures, warm info) without its arrays."""
        rows = self._read("SELECT meta FROM run_meta WHERE id=?", (run_id,))
        if not rows:
            raise LibraryError(f"no run {run_id!r} in the library")
        return dict(json.loads(rows[0][0]))

    def get_run(self, run_id: str, history: bool = True) -> Run:
        """The whole run; ``history=False`` skips the history and outputs (what a
        warm start needs is the solution and the state)."""
        run_id = self.resolve_id(run_id)
        db = self._reader()
        db.execute("BEGIN")   # one snapshot: a save replacing the run cannot interleave
        try:
            meta = self.get_meta(run_id)
            only = "" if history else " AND (key LIKE 'solution/%' OR key LIKE 'state/%')"
            blobs = self._read("SELECT key, rowid, encoding FROM arrays WHERE run_id=?" + only +
                               " ORDER BY seq", (run_id,))
            # a chunk at a time: SQLite never copies or sorts a whole blob
            arrays = {key: read_blob_array(db, rowid, enc) for key, rowid, enc in blobs}
        except sqlite3.Error as exc:
            raise _sqlite_error(exc, "reading the library") from exc
        finally:
            if db.in_transaction:
                db.execute("COMMIT")
        return Run.from_parts(meta, arrays)

    def read(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read-only query for the core's own modules (the advisor's features)."""
        return self._read(sql, args)

    def query(self, query: RunQuery | None = None) -> list[dict[str, Any]]:
        """Run summaries (no arrays) matching ``query``, sorted and paged."""
        sql, args = (query or RunQuery()).select_sql()
        rows = self._read(sql, args)
        out = []
        for r in rows:
            d = dict(zip(SUMMARY_COLUMNS, r))
            d["tags"] = d["tags"].split() if d["tags"] else []
            out.append(d)
        return out

    def count(self, query: RunQuery | None = None) -> int:
        sql, args = (query or RunQuery(limit=0)).count_sql()
        return int(self._read(sql, args)[0][0])

    def lineage(self, run_id: str, direction: str = "ancestors",
                max_depth: int = 1000) -> list[dict[str, Any]]:
        """Runs along warm-start edges: the sources this run came from
        (``ancestors``), or the runs it seeded (``descendants``), nearest first."""
        run_id = self.resolve_id(run_id)
        if direction == "ancestors":
            step = "SELECT e.source_id, l.depth + 1, e.payload, e.mode FROM edges e " \
                   "JOIN lineage l ON e.target_id = l.id"
        elif direction == "descendants":
            step = "SELECT e.target_id, l.depth + 1, e.payload, e.mode FROM edges e " \
                   "JOIN lineage l ON e.source_id = l.id"
        else:
            raise ValueError("direction is 'ancestors' or 'descendants'")
        sql = (f"WITH RECURSIVE lineage(id, depth, payload, mode) AS ("
               f"SELECT ?, 0, NULL, NULL UNION {step} WHERE l.depth < ?) "
               "SELECT l.id, MIN(l.depth), l.payload, l.mode, r.name, r.status "
               "FROM lineage l LEFT JOIN runs r ON r.id = l.id WHERE l.depth > 0 "
               "GROUP BY l.id ORDER BY MIN(l.depth), l.id")
        rows = self._read(sql, (run_id, int(max_depth)))
        return [{"id": r[0], "depth": r[1], "payload": json.loads(r[2]), "mode": r[3],
                 "name": r[4], "status": r[5], "in_library": r[4] is not None} for r in rows]

    # ------------------------------------------------------------------ checking
    def check(self) -> list[str]:
        """SQLite's integrity check, foreign keys, and every stored checksum.

        Returns the problems found (empty when the library is sound)."""
        problems: list[str] = []
        result = [r[0] for r in self._read("PRAGMA integrity_check")]
        if result != ["ok"]:
            problems += [f"sqlite: {line}" for line in result[:20]]
            return problems
        problems += [f"foreign key: {r}" for r in self._read("PRAGMA foreign_key_check")[:20]]
        for run_id, meta, sha in self._read("SELECT id, meta, meta_sha256 FROM run_meta"):
            if sha is not None and hashlib.sha256(meta.encode()).hexdigest() != sha:
                problems.append(f"run {run_id}: its metadata does not match its checksum")
        reader = self._reader().execute("SELECT run_id, key, data, encoding, sha256 FROM arrays")
        for run_id, key, data, encoding, sha in reader:
            try:
                raw = _decode(encoding, data)
            except (zlib.error, LibraryError) as exc:
                problems.append(f"run {run_id}: array {key} cannot be read: {exc}")
                continue
            if sha is not None and hashlib.sha256(raw).hexdigest() != sha:
                problems.append(f"run {run_id}: array {key} does not match its checksum")
        missing = self._read("SELECT id FROM runs WHERE NOT EXISTS (SELECT 1 FROM arrays "
                             "WHERE arrays.run_id = runs.id AND arrays.key = 'history')")
        problems += [f"run {r[0]}: its history is missing" for r in missing[:20]]
        return problems
