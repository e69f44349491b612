"""What a library listing needs beyond its pages: the values each filter can
take, the recorded savings of warm runs, and where given runs sit in a sorted,
filtered listing. Read-only SQL over the schema, kept here beside it rather
than in the GUI that shows the listing."""

from __future__ import annotations

from typing import Any

from .query import RunQuery
from .store import Library

#: Facet name -> the statement listing its values.
_FACETS = {"kind": "SELECT DISTINCT kind FROM runs ORDER BY kind",
           "status": "SELECT DISTINCT status FROM runs ORDER BY status",
           "method": "SELECT DISTINCT method FROM runs ORDER BY method",
           "tag": "SELECT DISTINCT tag FROM run_tags ORDER BY tag"}


def facet_values(library: Library) -> dict[str, list[str]]:
    """Every kind, status, method and tag in the library (live runs and trash)."""
    return {key: [str(r[0]) for r in library._sql.read(sql)] for key, sql in _FACETS.items()}


def recorded_savings(library: Library, run_ids: list[str]) -> dict[str, tuple[Any, Any]]:
    """(saving, basis) of those of ``run_ids`` that have one recorded."""
    if not run_ids:
        return {}
    marks = ", ".join("?" * len(run_ids))
    rows = library._sql.read("SELECT run_id, saving, saving_basis FROM run_features WHERE "
                        f"saving IS NOT NULL AND run_id IN ({marks})", run_ids)
    return {run_id: (value, basis) for run_id, value, basis in rows}


def run_positions(library: Library, query: RunQuery, run_ids: list[str]) -> dict[str, int | None]:
    """Each run's row in ``query``'s sorted listing (0 = first), or None when the
    query's filters leave it out: the number of matching runs listed before it
    (``sort`` then rowid, NULLs lowest, as ``RunQuery.order_by``). Two indexed
    statements per run."""
    query.order_by()                                      # the sort column is a known one
    where, args = query.where(by_id=True)
    member_sql = f"SELECT runs.rowid, runs.{query.sort} FROM runs WHERE runs.id = ? AND {where}"
    count_sql, count_args = query.count_sql()
    positions: dict[str, int | None] = {}
    for run_id in run_ids:
        found = library._sql.read(member_sql, [run_id, *args])
        if not found:
            positions[run_id] = None
            continue
        rowid, value = found[0]
        before, before_args = _listed_before(f"runs.{query.sort}", value, rowid, query.descending)
        positions[run_id] = int(library._sql.read(f"{count_sql} AND {before}",
                                             [*count_args, *before_args])[0][0])
    return positions


def _listed_before(column: str, value: Any, rowid: int, descending: bool
                   ) -> tuple[str, list[Any]]:
    """The SQL condition for the rows listed before the row (value, rowid)."""
    if value is None:
        return (f"({column} IS NOT NULL OR runs.rowid > ?)" if descending else
                f"({column} IS NULL AND runs.rowid < ?)"), [rowid]
    op, nulls = (">", "") if descending else ("<", f"{column} IS NULL OR ")
    return f"({nulls}{column} {op} ? OR ({column} = ? AND runs.rowid {op} ?))", [value, value,
                                                                                  rowid]
