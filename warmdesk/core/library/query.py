"""Queries over the run library, built as SQL with bound parameters only.

Sort columns come from a fixed list; every user value is a bound parameter,
so text such as ``x'); DROP TABLE runs;--`` is only ever searched for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The summary columns a listing returns (no arrays, no spec).
SUMMARY_COLUMNS = ("id", "name", "kind", "method", "status", "created_at", "finished_at",
                   "wall_s", "fun", "nit", "nfev", "njev", "problem_hash", "structure_hash",
                   "warm_source", "tags", "notes", "deleted_at")
SORTABLE = ("created_at", "finished_at", "name", "kind", "method", "status", "fun", "nit",
            "nfev", "njev", "wall_s")


@dataclass
class RunQuery:
    kind: str | None = None
    status: str | None = None
    method: str | None = None
    tags: list[str] = field(default_factory=list)       # runs carrying all of these
    text: str | None = None                             # in name or notes
    since: float | None = None                          # created_at >= (unix seconds)
    until: float | None = None                          # created_at < (unix seconds)
    problem_hash: str | None = None
    structure_hash: str | None = None
    statuses: tuple[str, ...] | None = None
    deleted: bool = False                               # the trash instead of the library
    sort: str = "created_at"
    descending: bool = True
    limit: int = 100
    offset: int = 0

    def where(self, paging: bool = False, by_id: bool = False) -> tuple[str, list[Any]]:
        """The WHERE clause and its parameters (``by_id``: for a statement on
        ``runs`` alone that looks runs up by id, so no tag drives it)."""
        clauses = ["deleted_at IS NOT NULL" if self.deleted else "deleted_at IS NULL"]
        args: list[Any] = []
        for column in ("kind", "status", "method", "problem_hash", "structure_hash"):
            value = getattr(self, column)
            if value:
                clauses.append(f"{column} = ?")
                args.append(value)
        if self.statuses:
            clauses.append(f"status IN ({', '.join('?' * len(self.statuses))})")
            args.extend(self.statuses)
        for k, tag in enumerate(self.tags):
            # the first tag drives the query (see _source); the others filter
            clauses.append("t0.tag = ?" if k == 0 and not by_id and self._tag_driven(paging) else
                           "id IN (SELECT run_id FROM run_tags WHERE tag = ?)")
            args.append(tag)
        if self.text:
            pattern = "%" + self.text.replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            clauses.append("(name LIKE ? ESCAPE '\\' OR notes LIKE ? ESCAPE '\\')")
            args += [pattern, pattern]
        if self.since is not None:
            clauses.append("created_at >= ?")
            args.append(float(self.since))
        if self.until is not None:
            clauses.append("created_at < ?")
            args.append(float(self.until))
        return " AND ".join(clauses), args

    def order_by(self) -> str:
        if self.sort not in SORTABLE:
            raise ValueError(f"cannot sort by {self.sort!r}; choose one of {', '.join(SORTABLE)}")
        direction = "DESC" if self.descending else "ASC"
        # rowid breaks ties: every index ends with it, so an index on the sort
        # column serves the ORDER BY without sorting (NULLs sort as lowest)
        return f"{self.sort} {direction}, runs.rowid {direction}"

    def _tag_driven(self, paging: bool) -> bool:
        """Whether the query starts from the runs carrying the first tag (CROSS
        JOIN fixes that order for SQLite's planner). A sorted page filtered by
        kind or status walks the (kind, status, sort) index instead and stops
        after a page; a count is cheapest from the tag."""
        return bool(self.tags) and not (paging and (self.kind or self.status))

    def _source(self, paging: bool = False) -> str:
        if self._tag_driven(paging):
            return "run_tags AS t0 CROSS JOIN runs ON runs.id = t0.run_id"
        return "runs"

    def select_sql(self) -> tuple[str, list[Any]]:
        where, args = self.where(paging=True)
        columns = ", ".join(f"runs.{c}" for c in SUMMARY_COLUMNS)
        sql = (f"SELECT {columns} FROM {self._source(paging=True)} WHERE {where} "
               f"ORDER BY {self.order_by()} LIMIT ? OFFSET ?")
        return sql, [*args, max(0, int(self.limit)), max(0, int(self.offset))]

    def _indexed_filters(self) -> bool:
        return bool(self.kind or self.status or self.method or self.tags or self.statuses
                    or self.problem_hash or self.structure_hash or self.deleted)

    def count_sql(self) -> tuple[str, list[Any]]:
        where, args = self.where()
        # a text search alone reads every row: in table order, not through an index
        source = ("runs NOT INDEXED" if self.text and not self._indexed_filters()
                  else self._source())
        return f"SELECT COUNT(*) FROM {source} WHERE {where}", args


def lineage_sql(direction: str) -> str:
    """The statement listing the runs along warm-start edges from one run
    (parameters: the run's id, the maximum depth), nearest first:
    ``(id, depth, payload, mode, name, status)``; name and status are NULL
    for a run no longer in the library."""
    if direction == "ancestors":
        step = "SELECT e.source_id, l.depth + 1, e.payload, e.mode FROM edges e " \
               "JOIN lineage l ON e.target_id = l.id"
    elif direction == "descendants":
        step = "SELECT e.target_id, l.depth + 1, e.payload, e.mode FROM edges e " \
               "JOIN lineage l ON e.source_id = l.id"
    else:
        raise ValueError("direction is 'ancestors' or 'descendants'")
    return (f"WITH RECURSIVE lineage(id, depth, payload, mode) AS ("
            f"SELECT ?, 0, NULL, NULL UNION {step} WHERE l.depth < ?) "
            "SELECT l.id, MIN(l.depth), l.payload, l.mode, r.name, r.status "
            "FROM lineage l LEFT JOIN runs r ON r.id = l.id WHERE l.depth > 0 "
            "GROUP BY l.id ORDER BY MIN(l.depth), l.id")
