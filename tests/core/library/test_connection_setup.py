"""Every connection to a library is set up one way (``library/sql.py``): WAL,
``synchronous=FULL`` (a save is on disk when it returns), foreign keys, and
statement journals in memory (no temporary file per save; issue 16)."""

from __future__ import annotations

import threading
from pathlib import Path

from warmdesk.core.engine import solve
from warmdesk.core.library import Library

from ..factories import build, rosenbrock

#: PRAGMA values: synchronous FULL = 2, temp_store MEMORY = 2.
EXPECTED = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "temp_store": 2}


def _settings(db: object) -> dict[str, object]:
    return {name: db.execute(f"PRAGMA {name}").fetchone()[0]   # type: ignore[attr-defined]
            for name in EXPECTED}


def test_the_writer_and_every_reader_are_set_up_alike(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        lib.save_run(solve(build(rosenbrock(n=3))))
        seen = {"writer": _settings(lib._sql.writer), "reader": _settings(lib._sql.reader())}

        def other_thread() -> None:
            seen["thread"] = _settings(lib._sql.reader())
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert seen == {"writer": EXPECTED, "reader": EXPECTED, "thread": EXPECTED}

