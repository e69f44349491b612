"""Per-run features the advisor ranks by, kept in their own table so that a
suggestion over 100,000 runs reads a few small columns, not 100,000 specs.

``usable`` is 1 only for a run that can seed a warm start AND is not in the
trash, so the advisor's queries need no join with ``runs``.

:class:`Features` (``Library.features``) answers the advisor's questions about
them in Python, as typed rows: the advisor never sees SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..runs import is_usable
from ..similarity import data_vector, parameter_vector
from .sql import Connection, Database

FEATURE_COLUMNS = ("run_id", "kind", "structure_hash", "problem_hash", "method", "created_at",
                   "usable", "is_cold", "nfev", "fun", "params", "data_sha", "data_vec",
                   "source_id", "saving", "saving_basis")

CREATE_SQL = (
    """CREATE TABLE run_features (
        run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL, structure_hash TEXT NOT NULL, problem_hash TEXT NOT NULL,
        method TEXT NOT NULL, created_at REAL NOT NULL, usable INTEGER NOT NULL,
        is_cold INTEGER NOT NULL, nfev INTEGER, fun REAL, params BLOB NOT NULL,
        data_sha TEXT, data_vec BLOB NOT NULL, source_id TEXT, saving REAL,
        saving_basis TEXT)""",
    "CREATE INDEX features_structure ON run_features(structure_hash, usable, created_at)",
    "CREATE INDEX features_kind ON run_features(kind, usable, created_at)",
    "CREATE INDEX features_saving ON run_features(structure_hash, created_at) "
    "WHERE saving IS NOT NULL",
    "CREATE INDEX features_problem ON run_features(problem_hash, is_cold)",
    "CREATE INDEX features_source ON run_features(source_id)",
)


def features_from_meta(meta: dict[str, Any]) -> tuple[Any, ...]:
    """One ``run_features`` row from a run's metadata (as stored)."""
    _, params = parameter_vector(meta.get("problem", {}))
    info = meta.get("info", {}) or {}
    data = info.get("data")
    saving = info.get("saving") or {}
    warm = meta.get("warm") or {}
    usable = is_usable(meta.get("status"), info)
    fun = meta.get("fun")
    return (meta["id"], meta["kind"], meta["structure_hash"], meta["problem_hash"],
            meta["method"], float(meta.get("created_at") or 0.0), int(usable),
            int(not warm), meta.get("nfev"), fun if isinstance(fun, (int, float)) else None,
            params.astype("<f8").tobytes(), (data or {}).get("sha256"),
            data_vector(data).astype("<f8").tobytes(), warm.get("source_run_id"),
            saving.get("value"), saving.get("basis"))


def upsert_features(db: Connection, row: tuple[Any, ...]) -> None:
    db.execute(f"INSERT OR REPLACE INTO run_features ({', '.join(FEATURE_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(FEATURE_COLUMNS))})", row)


def backfill(db: Connection) -> None:
    """Migration step: features for the runs already in the library."""
    for (meta_text,) in db.execute("SELECT meta FROM runs").fetchall():
        upsert_features(db, features_from_meta(json.loads(meta_text)))


def vector(blob: bytes) -> np.ndarray:
    """A stored vector (``params``, ``data_vec``): little-endian float64 bytes."""
    return np.frombuffer(blob, dtype="<f8")


@dataclass(frozen=True)
class FeatureTable:
    """Usable runs of one structure whose parameter vectors have ``width``
    values, newest first, as columns (one array for all the parameters: a
    suggestion reads up to 20,000 rows, and one object per row would cost more
    than the query)."""
    read: int                   # the rows read, before keeping those of ``width``
    run_ids: list[str]
    params: np.ndarray          # (len, width): the parameter vectors (similarity.parameter_vector)
    data_sha: list[str | None]  # sha256 of each run's data set, if it has one
    data_blobs: list[bytes] = field(repr=False)

    def __len__(self) -> int:
        return len(self.run_ids)

    def data_vectors(self) -> list[np.ndarray]:
        """Each run's data vector (similarity.data_vector)."""
        return [vector(b) for b in self.data_blobs]


class Features:
    """The advisor's questions about the runs' features (``Library.features``)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def of_structure(self, structure_hash: str, limit: int, width: int) -> FeatureTable:
        """The newest (at most ``limit``) usable runs of one structure, of which
        those whose parameter vectors have ``width`` values are kept."""
        rows = self._db.read(
            "SELECT f.run_id, f.params, f.data_vec, f.data_sha FROM run_features f "
            "WHERE f.structure_hash = ? AND f.usable = 1 "
            "ORDER BY f.created_at DESC LIMIT ?", (structure_hash, limit))
        size = 8 * width
        kept = [r for r in rows if len(r[1]) == size]
        params = np.frombuffer(b"".join(r[1] for r in kept), dtype="<f8")
        return FeatureTable(len(rows), [r[0] for r in kept], params.reshape(len(kept), width),
                            [r[3] for r in kept], [r[2] for r in kept])

    def other_structures(self, kind: str, structure_hash: str, limit: int) -> list[str]:
        """The newest usable runs (ids) of ``kind`` whose structure is not
        ``structure_hash`` (at most ``limit``)."""
        rows = self._db.read(
            "SELECT run_id FROM run_features WHERE kind = ? AND usable = 1 AND "
            "structure_hash != ? ORDER BY created_at DESC LIMIT ?",
            (kind, structure_hash, limit))
        return [str(r[0]) for r in rows]
