"""The library's SQLite schema and its forward migrations.

``PRAGMA user_version`` holds the schema version. Each migration runs in one
transaction, so a library is never left half-migrated; a library made by a
newer WarmDesk is refused rather than guessed at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Union

from ..errors import LibraryError
from .features import CREATE_SQL as FEATURES_SQL
from .features import backfill
from .sql import Connection, Database
from .sweeps import CREATE_SQL as SWEEPS_SQL
from .sweeps import backfill as backfill_sweeps

SCHEMA_VERSION = 6

#: Each step is SQL, or a function given the connection (inside the transaction).
Step = Union[str, Callable[[Connection], None]]

MIGRATIONS: dict[int, tuple[Step, ...]] = {
    1: (
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, method TEXT NOT NULL,
            status TEXT NOT NULL, created_at REAL NOT NULL, finished_at REAL, wall_s REAL,
            fun REAL, nit INTEGER, nfev INTEGER, njev INTEGER,
            problem_hash TEXT NOT NULL, structure_hash TEXT NOT NULL, warm_source TEXT,
            meta TEXT NOT NULL)""",
        """CREATE TABLE arrays (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            key TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, key))""",
        "CREATE INDEX runs_structure ON runs(structure_hash, status)",
        "CREATE INDEX runs_created ON runs(created_at)",
    ),
    # 2: tags, notes, trash, checksums, compressed arrays, lineage edges, query indexes.
    2: (
        "ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN deleted_at REAL",
        "ALTER TABLE runs ADD COLUMN meta_sha256 TEXT",
        "ALTER TABLE arrays ADD COLUMN encoding TEXT NOT NULL DEFAULT 'npy'",
        "ALTER TABLE arrays ADD COLUMN sha256 TEXT",
        "ALTER TABLE arrays ADD COLUMN seq INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE run_tags (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            tag TEXT NOT NULL, PRIMARY KEY (tag, run_id))""",
        "CREATE INDEX run_tags_run ON run_tags(run_id)",
        """CREATE TABLE edges (
            target_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            source_id TEXT NOT NULL, payload TEXT NOT NULL, mode TEXT NOT NULL,
            PRIMARY KEY (target_id, source_id))""",
        "CREATE INDEX edges_source ON edges(source_id)",
        """INSERT OR IGNORE INTO edges (target_id, source_id, payload, mode)
            SELECT id, warm_source, COALESCE(json_extract(meta, '$.warm.payload'), '[]'),
                   COALESCE(json_extract(meta, '$.warm.mode'), 'restart')
            FROM runs WHERE warm_source IS NOT NULL""",
        """INSERT OR IGNORE INTO run_tags (run_id, tag)
            SELECT runs.id, j.value FROM runs, json_each(runs.meta, '$.tags') AS j""",
        """UPDATE runs SET tags = COALESCE((SELECT group_concat(value, ' ')
            FROM json_each(runs.meta, '$.tags')), ''),
            notes = COALESCE(json_extract(meta, '$.notes'), '')""",
        "UPDATE arrays SET seq = rowid",
        "CREATE INDEX runs_live_created ON runs(deleted_at, created_at)",
        "CREATE INDEX runs_kind ON runs(kind, created_at)",
        "CREATE INDEX runs_status ON runs(status)",
        "CREATE INDEX runs_method ON runs(method)",
        "CREATE INDEX runs_fun ON runs(fun)",
        "CREATE INDEX runs_name ON runs(name)",
        "CREATE INDEX runs_problem ON runs(problem_hash)",
    ),
    # 3: the advisor's features of each run (parameters, data, outcome).
    3: (*FEATURES_SQL, backfill),
    # 4: the metadata JSON moves out of `runs`, whose rows become small, so
    # filtered and sorted listings over 100,000 runs scan a few MB, not a few GB;
    # indexes for the sortable figures.
    4: (
        """CREATE TABLE run_meta (
            id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            meta TEXT NOT NULL, meta_sha256 TEXT)""",
        "INSERT INTO run_meta (id, meta, meta_sha256) SELECT id, meta, meta_sha256 FROM runs",
        "ALTER TABLE runs DROP COLUMN meta",
        "ALTER TABLE runs DROP COLUMN meta_sha256",
        # Sorting: one index per sortable column over the live runs only (the
        # trash is small), so a sorted page walks an index and fetches 50 rows.
        "DROP INDEX runs_live_created",
        "DROP INDEX runs_fun",
        "DROP INDEX runs_name",
        *(f"CREATE INDEX runs_live_{c} ON runs({c}) WHERE deleted_at IS NULL"
          for c in ("created_at", "finished_at", "name", "kind", "method", "status", "fun",
                    "nit", "nfev", "njev", "wall_s")),
        "CREATE INDEX runs_deleted ON runs(deleted_at) WHERE deleted_at IS NOT NULL",
        # the facets a browser filters by most, sorted by date or by objective
        "CREATE INDEX runs_live_kind_status_created ON runs(kind, status, created_at) "
        "WHERE deleted_at IS NULL",
        "CREATE INDEX runs_live_kind_status_fun ON runs(kind, status, fun) "
        "WHERE deleted_at IS NULL",
    ),
    # 5: the owner of each live (``running``) run: the process that saved it,
    # so that another process opening the library recovers only the runs whose
    # owner is provably gone (core.run_owner). A row exists only while its run
    # is ``running``; runs left running by an older WarmDesk have none.
    5: (
        """CREATE TABLE run_owners (
            run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            host TEXT NOT NULL, pid INTEGER NOT NULL, started TEXT,
            claimed_at REAL NOT NULL)""",
    ),
    # 6: the runs of sweeps (info.sweep) indexed, so the sweeps in the library
    # and the runs of one are listed without parsing every run's metadata.
    6: (*SWEEPS_SQL, backfill_sweeps),
}


def migrate(database: Database, folder: Path) -> None:
    """Bring the library in ``folder`` up to :data:`SCHEMA_VERSION`, one
    transaction per version; refuse one made by a newer WarmDesk."""
    version = database.user_version
    if version > SCHEMA_VERSION:
        raise LibraryError(f"the library in {folder} was made by a newer WarmDesk "
                           f"(schema {version}; this one knows up to {SCHEMA_VERSION})")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with database.transaction(f"upgrading the library to schema {target}") as db:
            if database.user_version >= target:
                continue  # another process opening it at the same time did this step
            for step in MIGRATIONS[target]:
                if callable(step):
                    step(db)
                else:
                    db.execute(step)
            database.set_user_version(db, target)
