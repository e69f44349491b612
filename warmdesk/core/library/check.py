"""The library's own check: SQLite's integrity check, foreign keys, and every
stored checksum (metadata and arrays), plus runs missing their history."""

from __future__ import annotations

import hashlib
import zlib

from ..errors import LibraryError
from .arrays import raw_npy
from .sql import Database


def check(database: Database) -> list[str]:
    """The problems found (empty when the library is sound)."""
    problems: list[str] = []
    result = [r[0] for r in database.read("PRAGMA integrity_check")]
    if result != ["ok"]:
        problems += [f"sqlite: {line}" for line in result[:20]]
        return problems
    problems += [f"foreign key: {r}" for r in database.read("PRAGMA foreign_key_check")[:20]]
    for run_id, meta, sha in database.read("SELECT id, meta, meta_sha256 FROM run_meta"):
        if sha is not None and hashlib.sha256(meta.encode()).hexdigest() != sha:
            problems.append(f"run {run_id}: its metadata does not match its checksum")
    arrays = database.iterate("SELECT run_id, key, data, encoding, sha256 FROM arrays")
    for run_id, key, data, encoding, sha in arrays:   # one blob in memory at a time
        try:
            raw = raw_npy(encoding, data)
        except (zlib.error, LibraryError) as exc:
            problems.append(f"run {run_id}: array {key} cannot be read: {exc}")
            continue
        if sha is not None and hashlib.sha256(raw).hexdigest() != sha:
            problems.append(f"run {run_id}: array {key} does not match its checksum")
    missing = database.read("SELECT id FROM runs WHERE NOT EXISTS (SELECT 1 FROM arrays "
                            "WHERE arrays.run_id = runs.id AND arrays.key = 'history')")
    problems += [f"run {r[0]}: its history is missing" for r in missing[:20]]
    return problems
