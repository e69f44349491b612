"""Per-run features the advisor ranks by, kept in their own table so that a
suggestion over 100,000 runs reads a few small columns, not 100,000 specs.

``usable`` is 1 only for a run that can seed a warm start AND is not in the
trash, so the advisor's queries need no join with ``runs``."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import numpy as np

from .runs import is_usable
from .similarity import data_vector, parameter_vector

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


def upsert_features(db: sqlite3.Connection, row: tuple[Any, ...]) -> None:
    db.execute(f"INSERT OR REPLACE INTO run_features ({', '.join(FEATURE_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(FEATURE_COLUMNS))})", row)


def backfill(db: sqlite3.Connection) -> None:
    """Migration step: features for the runs already in the library."""
    for (meta_text,) in db.execute("SELECT meta FROM runs").fetchall():
        upsert_features(db, features_from_meta(json.loads(meta_text)))


def vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f8")
