"""Edits to stored runs, each one transaction: names, notes and tags (checked
by :mod:`~warmdesk.core.text_rules`, the one rule of specs and run files
too), a run's ``info``, the trash. A mixin of :class:`~.store.Library`."""

from __future__ import annotations

import time
from typing import Any, Sequence

from ..errors import LibraryError
from ..text_rules import check_label, check_notes, check_tags
from . import runs_table as table
from .features import features_from_meta, upsert_features
from .sql import Database


def _refuse_if(problem: str | None) -> None:
    if problem:
        raise LibraryError(problem)


class Edits:
    """What :class:`~.store.Library` edits in place."""

    _sql: Database

    def resolve_id(self, prefix: str) -> str:
        raise NotImplementedError   # Library.resolve_id overrides it

    def _update_meta(self, run_id: str, doing: str, **changes: Any) -> None:
        run_id = self.resolve_id(run_id)
        with self._sql.transaction(doing) as db:
            meta = table.stored_meta(db, run_id)
            meta.update(changes)
            table.write_meta(db, run_id, meta)
            if "tags" in changes:
                table.replace_tags(db, run_id, changes["tags"])

    def set_info(self, run_id: str, **items: Any) -> None:
        """Merge ``items`` into a stored run's ``info`` (e.g. its measured saving)."""
        run_id = self.resolve_id(run_id)
        with self._sql.transaction("updating the run") as db:
            meta = table.stored_meta(db, run_id)
            meta["info"] = {**meta.get("info", {}), **items}
            table.write_meta(db, run_id, meta)

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
        with self._sql.transaction("deleting runs") as db:
            db.executemany("UPDATE runs SET deleted_at=? WHERE id=?",
                           [(time.time(), i) for i in ids])
            db.executemany("UPDATE run_features SET usable=0 WHERE run_id=?", [(i,) for i in ids])
        return len(ids)

    def restore(self, run_ids: Sequence[str]) -> int:
        ids = [self.resolve_id(r) for r in run_ids]
        with self._sql.transaction("restoring runs") as db:
            db.executemany("UPDATE runs SET deleted_at=NULL WHERE id=?", [(i,) for i in ids])
            for run_id in ids:
                upsert_features(db, features_from_meta(table.stored_meta(db, run_id)))
        return len(ids)

    def empty_trash(self) -> int:
        """Remove the runs in the trash for good."""
        with self._sql.transaction("emptying the trash") as db:
            return int(db.execute("DELETE FROM runs WHERE deleted_at IS NOT NULL").rowcount)
