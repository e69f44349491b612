"""The run library: SQLite in WAL mode in one folder, each run written whole in
one transaction.

- Arrays are ``.npy`` bytes (zlib-compressed when that pays), each with its
  sha256, written and read a chunk at a time (:mod:`.arrays`); object arrays
  are refused.
- Saves are idempotent by run id: saving the same run again replaces it, so a
  save whose commit landed just before a kill can simply be repeated.
- One writer connection (``BEGIN IMMEDIATE``, serialised in-process by a lock);
  each reading thread has its own connection, so reads never wait for a save
  (:mod:`.sql`, the one wrapper of sqlite3).
- A run saved ``running`` is owned by the process that saved it (an OS lock and
  its recorded owner, :mod:`~warmdesk.core.run_owner`); on open, only runs
  whose owner is provably gone become ``interrupted`` (:mod:`.recovery`).
- A running run's progress (new history rows as one more chunk, its last
  iterate) is written by :meth:`Library.append_progress` in one short
  transaction (:mod:`.progress`); its final save then adds only the rows not
  written yet, so a stop costs the same at any history length.
- Names, notes, tags, the trash and a run's info are edited in place
  (:mod:`.edits`).
- The advisor asks its questions through :attr:`Library.features` and
  :attr:`Library.outcomes`, in Python.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import LibraryError
from ..run_owner import RunLock, claim
from ..runfile_meta import ID_RE
from ..runs import HISTORY_COLUMNS, Run
from ..status import Status
from . import progress
from . import runs_table as table
from .arrays import read_blob_array
from .check import check
from .edits import Edits
from .features import Features
from .outcomes import Outcomes
from .query import SUMMARY_COLUMNS, RunQuery, lineage_sql
from .recovery import recover_running
from .schema import migrate
from .sql import Database

DB_NAME = "library.sqlite"
ENV_VAR = "WARMDESK_LIBRARY"


def default_library_dir() -> Path:
    """``WARMDESK_LIBRARY`` if set, else the user's data directory."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir
    return Path(user_data_dir("warmdesk", appauthor=False))


class Library(Edits):
    """A folder holding ``library.sqlite``. Safe to share between threads."""

    def __init__(self, folder: str | Path | None = None, recover: bool = True) -> None:
        """Open (creating if needed) the library in ``folder``. ``recover``: mark
        runs left ``running`` by a process that is gone as ``interrupted`` (live
        runs of other processes are left alone); a read-only helper (a solver
        child reading cold references) passes False and writes nothing."""
        self.folder = Path(folder) if folder is not None else default_library_dir()
        self.path = self.folder / DB_NAME
        #: The locks of the runs this library saved ``running`` and has not finished.
        self._claims: dict[str, RunLock] = {}
        #: Per run this library wrote: how many history rows are stored, the key
        #: of the last part written and its last row (a tail-only save checks them).
        self._stored_history: dict[str, tuple[int, str, np.ndarray | None]] = {}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"cannot open the library in {self.folder}: {exc}") from exc
        self._sql = Database(self.path)
        #: The advisor's questions about the runs' features and outcomes.
        self.features = Features(self._sql)
        self.outcomes = Outcomes(self._sql)
        migrate(self._sql, self.folder)
        self.recovered = recover_running(self._sql, self.folder, self._claims) if recover else 0

    def close(self) -> None:
        with self._sql.lock:
            if self._sql.closed:
                return
            for lock in self._claims.values():  # unfinished: the next open recovers them
                lock.release(remove=False)
            self._claims.clear()
            self._sql.close()

    @property
    def closed(self) -> bool:
        return self._sql.closed

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._sql.read("PRAGMA user_version")[0][0])

    # ------------------------------------------------------------------ writing
    def save_run(self, run: Run) -> None:
        """Write the whole run in one transaction; saving again replaces it."""
        self.save_runs([run])

    def save_runs(self, runs: Iterable[Run]) -> None:
        """Write several runs in one transaction (all or none).

        A run saved ``running`` is claimed by this process (its lock taken
        before the commit, its owner recorded with it) until it is saved with
        another status or the library is closed; see :mod:`~warmdesk.core.run_owner`."""
        runs = list(runs)
        starts = [self._history_from(run) for run in runs]
        rows = [table.encode_run(run, start) for run, start in zip(runs, starts)]
        with self._sql.lock:
            taken = self._claim([run.id for run in runs if run.status is Status.RUNNING])
            try:
                with self._sql.transaction("saving the run") as db:
                    for i, (run, row, start) in enumerate(zip(runs, rows, starts)):
                        if start is not None and not progress.chunk_exists(
                                db, run.id, self._stored_history[run.id][1]):
                            starts[i] = start = None   # not what this library wrote: whole
                            row = table.encode_run(run)
                        table.insert(db, row, keep_history=start is not None)
                        table.record_owner(db, run)
            except BaseException:
                for run_id in taken:
                    self._claims.pop(run_id).release(remove=True)
                raise
            for run, start in zip(runs, starts):
                self._history_saved(run, start)
            for run in runs:
                if run.status is not Status.RUNNING and run.id in self._claims:
                    self._claims.pop(run.id).release(remove=True)

    def _history_from(self, run: Run) -> int | None:
        """How many of ``run``'s history rows are stored already, when its save
        may add only the rest (this library wrote them, and the history still
        starts with them); None: write the whole history."""
        known = self._stored_history.get(run.id)
        if known is None or known[0] == 0 or len(run.history) < known[0]:
            return None
        stored, _, last = known
        if last is not None and not np.array_equal(run.history.tail(stored - 1)[0], last,
                                                   equal_nan=True):
            return None
        return stored

    def _history_saved(self, run: Run, start: int | None) -> None:
        """After a save: ``run``'s history is stored whole, in parts or at once."""
        n = len(run.history)
        last = np.array(run.history.tail(n - 1)[0]) if n else None
        if start is None:
            key = "history"                      # written whole
        elif n > start:
            key = progress.chunk_key(start)      # its tail added as one more part
        else:
            key = self._stored_history[run.id][1]  # nothing added
        self._stored_history[run.id] = (n, key, last)

    def append_progress(self, run_id: str, rows: np.ndarray,
                        iterate: dict[str, np.ndarray] | None = None) -> bool:
        """Durable progress of a run this library saved ``running`` and owns: add
        ``rows`` to its stored history (only them: the rows before are not
        rewritten) and, if given, make ``iterate`` (``solution/...`` and
        ``state/...`` arrays) its last iterate; one short transaction. Returns
        False, writing nothing, for a run this library does not own running
        (never saved ``running`` here, or saved finished since)."""
        rows = np.asarray(rows, dtype=float).reshape(-1, len(HISTORY_COLUMNS))
        with self._sql.lock:
            known = self._stored_history.get(run_id)
            if run_id not in self._claims or known is None:
                return False
            stored = known[0]
            with self._sql.transaction("saving the run's progress") as db:
                if not progress.is_running(db, run_id):
                    return False
                if len(rows):
                    progress.append_chunk(db, run_id, stored, rows)
                if iterate:
                    progress.replace_iterate(db, run_id, iterate)
            if len(rows):
                self._stored_history[run_id] = (stored + len(rows), progress.chunk_key(stored),
                                                np.array(rows[-1]))
        return True

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
        with self._sql.lock:
            with self._sql.transaction("removing the unsaved run's placeholder") as db:
                removed = [run_id for run_id in mine if table.delete_placeholder(db, run_id)]
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

    def import_runs(self, runs: Sequence[Run]) -> tuple[list[str], list[str]]:
        """Add runs that are not in the library yet, in one transaction.

        Returns ``(added, already_present)`` run ids; a run already present is
        left as it is (importing the same file twice duplicates nothing), but
        for a record left ``interrupted`` with no iterate, which the file's
        version of the same run replaces (the run a full disk kept out of the
        library, imported from the run file it was written to instead).
        """
        rows = [table.encode_run(run) for run in runs]
        added, present = [], []
        with self._sql.transaction("importing runs") as db:
            for row in rows:
                run_id = row[0][0]
                if table.exists(db, run_id) and not table.is_unfinished_record(db, run_id):
                    present.append(run_id)
                    continue
                table.insert(db, row)
                added.append(run_id)
                self._stored_history.pop(run_id, None)
        return added, present

    # ------------------------------------------------------------------ reading
    def resolve_id(self, prefix: str) -> str:
        """A full run id from an id or a unique prefix of one (at least 6 characters)."""
        prefix = str(prefix).strip().lower()
        if self._sql.read("SELECT 1 FROM runs WHERE id=?", (prefix,)):
            return prefix
        if len(prefix) < 6:
            raise LibraryError(f"no run {prefix!r} in the library (give at least 6 characters)")
        rows = self._sql.read("SELECT id FROM runs WHERE id >= ? AND id < ? LIMIT 2",
                              (prefix, prefix + "\uffff"))
        if len(rows) != 1:
            raise LibraryError(f"no run {prefix!r} in the library" if not rows else
                               f"{prefix!r} names more than one run; give more of the id")
        return str(rows[0][0])

    def has_run(self, run_id: str) -> bool:
        return bool(self._sql.read("SELECT 1 FROM runs WHERE id=?", (run_id,)))

    def in_trash(self, run_id: str) -> bool:
        """Whether the run (a full id) is in the trash."""
        return bool(self._sql.read("SELECT 1 FROM runs WHERE id=? AND deleted_at IS NOT NULL",
                                   (run_id,)))

    def names(self, run_ids: Sequence[str]) -> dict[str, str]:
        """The names of those of ``run_ids`` in the library (trash included)."""
        if not run_ids:
            return {}
        rows = self._sql.read(f"SELECT id, name FROM runs WHERE id IN "
                              f"({', '.join('?' * len(run_ids))})", list(run_ids))
        return {str(run_id): str(name) for run_id, name in rows}

    def get_meta(self, run_id: str) -> dict[str, Any]:
        """A run's metadata (spec, figures, warm info) without its arrays."""
        rows = self._sql.read("SELECT meta FROM run_meta WHERE id=?", (run_id,))
        if not rows:
            raise LibraryError(f"no run {run_id!r} in the library")
        return dict(json.loads(rows[0][0]))

    def get_run(self, run_id: str, history: bool = True) -> Run:
        """The whole run; ``history=False`` skips the history and outputs (what a
        warm start needs is the solution and the state). A full id is not looked up
        first (the advisor reads runs by the ids the library gave it: one statement
        fewer each, issue 16); a missing one fails in ``get_meta`` as it would there."""
        if not (type(run_id) is str and ID_RE.fullmatch(run_id)):
            run_id = self.resolve_id(run_id)
        # one snapshot: a save replacing the run cannot interleave
        with self._sql.snapshot() as db:
            meta = self.get_meta(run_id)
            only = " AND (key LIKE 'solution/%' OR key LIKE 'state/%')" if not history else \
                " AND key NOT LIKE 'history@%'"
            blobs = self._sql.read("SELECT key, rowid, encoding FROM arrays WHERE run_id=?" +
                                   only + " ORDER BY seq", (run_id,))
            # a chunk at a time: SQLite never copies or sorts a whole blob
            arrays = {key: read_blob_array(db, rowid, enc) for key, rowid, enc in blobs}
            streamed = progress.read_history(db, run_id) if history else None
            if streamed is not None:   # its progress was saved as it ran: the parts joined
                arrays["history"] = streamed
        return Run.from_parts(meta, arrays)

    def query(self, query: RunQuery | None = None) -> list[dict[str, Any]]:
        """Run summaries (no arrays) matching ``query``, sorted and paged."""
        sql, args = (query or RunQuery()).select_sql()
        out = []
        for r in self._sql.read(sql, args):
            d = dict(zip(SUMMARY_COLUMNS, r))
            d["tags"] = d["tags"].split() if d["tags"] else []
            out.append(d)
        return out

    def count(self, query: RunQuery | None = None) -> int:
        sql, args = (query or RunQuery(limit=0)).count_sql()
        return int(self._sql.read(sql, args)[0][0])

    def lineage(self, run_id: str, direction: str = "ancestors",
                max_depth: int = 1000) -> list[dict[str, Any]]:
        """Runs along warm-start edges: the sources this run came from
        (``ancestors``), or the runs it seeded (``descendants``), nearest first."""
        run_id = self.resolve_id(run_id)
        rows = self._sql.read(lineage_sql(direction), (run_id, int(max_depth)))
        return [{"id": r[0], "depth": r[1], "payload": json.loads(r[2]), "mode": r[3],
                 "name": r[4], "status": r[5], "in_library": r[4] is not None} for r in rows]

    # ------------------------------------------------------------------ checking
    def check(self) -> list[str]:
        """SQLite's integrity check, foreign keys, and every stored checksum.

        Returns the problems found (empty when the library is sound)."""
        return check(self._sql)
