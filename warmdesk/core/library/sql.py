"""The one wrapper of :mod:`sqlite3`: every statement WarmDesk sends goes
through here (no other module imports sqlite3; ``tests/test_sql_boundary.py``
checks that).

As qutebrowser's ``misc/sql.py`` does, it gives the rest of the library:

- connections set up one way (WAL, ``synchronous=FULL``, foreign keys, a 30 s
  busy timeout, autocommit so that transactions are explicit, statement journals
  in memory: see :func:`connect`);
- one writer connection whose :meth:`Database.transaction` is ``BEGIN
  IMMEDIATE`` ... ``COMMIT``, rolled back on any exception and serialised
  in-process by a lock; each reading thread gets its own connection, so reads
  never wait for a save, and :meth:`Database.snapshot` reads several
  statements from one consistent state;
- bound parameters only (``?`` or ``:name``): values are never formatted into
  statement text;
- distinct error types: :class:`KnownError` when SQLite failed for a reason
  outside WarmDesk (a full or failing disk, another program holding the
  library, a damaged file) and :class:`BugError` for the rest (a statement
  SQLite refuses). Both are :class:`~warmdesk.core.errors.LibraryError`, and
  each message says what was being done and that it was rolled back;
- the schema version (``PRAGMA user_version``).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import LibraryError

#: The connection type the package's modules annotate with (they never import sqlite3).
Connection = sqlite3.Connection
Row = tuple[Any, ...]


class KnownError(LibraryError):
    """SQLite failed for a reason outside WarmDesk: the user can act on it."""


class BugError(LibraryError):
    """SQLite refused a statement: a bug, not the environment."""


#: Fragments of SQLite's messages for the failures the environment causes.
_KNOWN = ("disk is full", "disk I/O", "locked", "busy", "readonly", "unable to open",
          "malformed", "not a database")


def error(exc: sqlite3.Error, doing: str) -> LibraryError:
    """The LibraryError to raise for ``exc``, raised while ``doing`` something."""
    text = str(exc)
    # Only what this one transaction wrote is undone; callers that saved a run
    # ``running`` earlier say what became of it (see ``Library.discard_unfinished``).
    rolled_back = (f"{doing} failed and was rolled back: none of it was written and "
                   "the library holds what it held before")
    if "disk is full" in text:
        return KnownError(f"the disk is full: {rolled_back}. Free some space and try again.")
    if "disk I/O" in text:
        return KnownError(f"the library's disk could not be written (a disk I/O error: "
                          f"full or failing): {rolled_back}. Free some space or check the "
                          "disk, and try again.")
    if "locked" in text or "busy" in text:
        return KnownError(f"the library is busy (another program holds it): {doing} failed")
    kind = KnownError if any(k in text for k in _KNOWN) else BugError
    return kind(f"{doing} failed: {text}")


def connect(path: Path) -> Connection:
    """A connection to the library file, set up as every one of them is.

    ``temp_store=MEMORY``: a statement that may change several rows inside a
    save's transaction keeps its undo pages (its statement journal) in memory,
    not in a temporary file created, written and deleted at every save (a run
    of two unknowns: 28 pages; 0.15 ms of a ~1 ms save, issue 16). The journal
    only undoes one failed statement inside an open transaction, which a crash
    undoes whole anyway: durability is the WAL's, untouched."""
    db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA temp_store=MEMORY")
    return db


class Database:
    """One SQLite file: a writer connection and one reader per thread."""

    def __init__(self, path: Path) -> None:
        """Open ``path`` (created if missing) in WAL mode; a failure is a
        :class:`KnownError` naming the folder."""
        self.path = path
        #: Serialises writes in this process (re-entrant: a save holds it around
        #: its transaction).
        self.lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[Connection] = []
        self.closed = False
        try:
            self.writer = connect(path)
            self.writer.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise KnownError(f"cannot open the library in {path.parent}: {exc}") from exc

    def reader(self) -> Connection:
        """This thread's reading connection."""
        db: Connection | None = getattr(self._local, "db", None)
        if db is None:
            if self.closed:
                raise LibraryError("the library is closed")
            db = connect(self.path)
            self._local.db = db
            with self.lock:
                self._readers.append(db)
        return db

    def read(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        """Every row of one read-only statement, with bound parameters."""
        try:
            return self.reader().execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as exc:
            raise error(exc, "reading the library") from exc

    def iterate(self, sql: str, args: Sequence[Any] = ()) -> Iterator[Row]:
        """The rows of a read-only statement one at a time (large blobs are
        never all in memory at once)."""
        try:
            yield from self.reader().execute(sql, tuple(args))
        except sqlite3.Error as exc:
            raise error(exc, "reading the library") from exc

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """This thread's reader inside one read transaction: the statements in
        the block see one state, which a concurrent save cannot change."""
        db = self.reader()
        db.execute("BEGIN")
        try:
            yield db
        except sqlite3.Error as exc:
            raise error(exc, "reading the library") from exc
        finally:
            if db.in_transaction:
                db.execute("COMMIT")

    @contextmanager
    def transaction(self, doing: str = "writing to the library") -> Iterator[Connection]:
        """The writer inside ``BEGIN IMMEDIATE``: committed when the block ends,
        rolled back on any exception (a sqlite3 one becomes a LibraryError
        saying that ``doing`` failed)."""
        with self.lock:
            if self.closed:
                raise LibraryError("the library is closed")
            db = self.writer
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except BaseException as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise error(exc, doing) from exc
                raise

    @property
    def user_version(self) -> int:
        """The schema version stored in the file."""
        return int(self.writer.execute("PRAGMA user_version").fetchone()[0])

    @staticmethod
    def set_user_version(db: Connection, version: int) -> None:
        """Inside a transaction: record the schema version (an int, never text)."""
        db.execute(f"PRAGMA user_version={int(version)}")

    def close(self) -> None:
        """Close every connection; the writer last, after refreshing the query
        planner's statistics (bounded work; an optimisation only)."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            for db in self._readers:
                db.close()
            try:
                self.writer.execute("PRAGMA analysis_limit=400")
                self.writer.execute("PRAGMA optimize=0x10002")  # every table, when stale
            except sqlite3.Error:
                pass
            self.writer.close()
