"""core.library.listing over a real library: facets, savings, and each run's
position in sorted, filtered listings (checked against the listing itself)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from warmdesk.core.engine import solve
from warmdesk.core.library import (Library, RunQuery, facet_values, recorded_savings,
                                   run_positions)
from warmdesk.core.runs import new_run_id

from ..factories import build, rosenbrock


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    base = solve(build(rosenbrock()))
    runs = [dataclasses.replace(
        base, id=new_run_id(), name=f"run {i % 17:02d}", created_at=1e9 + (i * 7) % 23,
        fun=None if i % 5 == 0 else float(i % 4), status="failed" if i % 5 == 0 else "converged",
        method="CG" if i % 3 == 0 else "BFGS", tags=["alpha"] if i % 2 else ["beta", "alpha"],
        notes="needle" if i % 7 == 0 else "") for i in range(60)]
    lib = Library(tmp_path_factory.mktemp("listing") / "lib")
    lib.save_runs(runs)
    lib.delete([runs[1].id, runs[2].id])
    yield lib
    lib.close()


QUERIES = [RunQuery(), RunQuery(sort="fun"), RunQuery(sort="fun", descending=False),
           RunQuery(sort="name", descending=False, tags=["beta"]),
           RunQuery(sort="fun", status="converged", method="CG"),
           RunQuery(sort="created_at", text="needle"), RunQuery(deleted=True, sort="fun"),
           RunQuery(sort="nfev", tags=["alpha", "beta"], descending=False)]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.sort}-{q.descending}")
def test_positions_are_the_rows_of_the_listing(library: Library, query: RunQuery) -> None:
    listing = [r["id"] for r in library.query(dataclasses.replace(query, limit=1000))]
    everyone = [r["id"] for r in library.query(RunQuery(limit=1000))] + \
               [r["id"] for r in library.query(RunQuery(limit=1000, deleted=True))]
    positions = run_positions(library, query, everyone)
    assert listing  # every query shows something
    for run_id in everyone:
        expected = listing.index(run_id) if run_id in listing else None
        assert positions[run_id] == expected, run_id


def test_positions_refuse_an_unknown_sort_column(library: Library) -> None:
    with pytest.raises(ValueError, match="cannot sort"):
        run_positions(library, RunQuery(sort="id; DROP TABLE runs"), ["x"])


def test_facets_and_savings(library: Library) -> None:
    facets = facet_values(library)
    assert facets["method"] == ["BFGS", "CG"] and facets["status"] == ["converged", "failed"]
    assert facets["tag"] == ["alpha", "beta"] and facets["kind"] == ["minimize"]
    some = [r["id"] for r in library.query(RunQuery(limit=3))]
    assert recorded_savings(library, some) == {} and recorded_savings(library, []) == {}
    library.set_info(some[0], saving={"value": 0.8, "basis": "measured", "cold_run": "c",
                                      "cold_nfev": 10, "warm_nfev": 2})
    assert recorded_savings(library, some) == {some[0]: (0.8, "measured")}
