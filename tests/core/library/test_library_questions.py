"""The library's answers to the advisor's questions (``Library.features``,
``Library.outcomes``), its small lookups (names, the trash), the error types of
its one SQL wrapper, and the Python 3.10 array fallback."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from warmdesk.core.advisor import record_outcome
from warmdesk.core.engine import solve
from warmdesk.core.library import BugError, ColdRun, FeatureTable, KnownError, Library, WarmRun
from warmdesk.core.library import arrays
from warmdesk.core.similarity import parameter_vector
from warmdesk.core.warmstart import warm_start_from_run

from ..factories import build, lotka_volterra, rosenbrock


@pytest.fixture
def family(tmp_path: Path):
    """A cold run of a=1.0, a cold run of a=1.2, a warm run of a=1.1 seeded by
    the first (its saving recorded), and an ODE run of another structure."""
    lib = Library(tmp_path)
    cold = solve(build(rosenbrock(n=3, a=1.0)))
    cold_far = solve(build(rosenbrock(n=3, a=1.2)))
    new = build(rosenbrock(n=3, a=1.1))
    warm = solve(new, warm_start_from_run(new, cold))
    ode = solve(build(lotka_volterra(t1=2.0)))
    for run in (cold, cold_far, warm, ode):
        lib.save_run(run)
        record_outcome(lib, run)
    yield lib, cold, cold_far, warm, ode
    lib.close()


def test_features_of_a_structure_are_columns_newest_first(family) -> None:
    lib, cold, cold_far, warm, ode = family
    params = parameter_vector(cold.problem)[1]
    n = params.size
    table = lib.features.of_structure(cold.structure_hash, limit=10, width=n)
    assert isinstance(table, FeatureTable) and table.read == len(table) == 3
    assert table.run_ids == [warm.id, cold_far.id, cold.id]
    assert table.params.shape == (3, n) and np.array_equal(table.params[2], params)
    assert table.data_sha == [None] * 3 and [v.size for v in table.data_vectors()] == [0] * 3
    assert lib.features.of_structure(cold.structure_hash, limit=1, width=n).run_ids == [warm.id]
    other_width = lib.features.of_structure(cold.structure_hash, limit=10, width=n + 1)
    assert other_width.read == 3 and len(other_width) == 0
    assert other_width.params.shape == (0, n + 1)
    lib.delete([cold_far.id])                 # the trash seeds nothing
    assert cold_far.id not in lib.features.of_structure(cold.structure_hash, 10, n).run_ids


def test_other_structures_leave_the_structure_out(family) -> None:
    lib, cold, _, _, ode = family
    assert lib.features.other_structures("minimize", cold.structure_hash, 8) == []
    assert lib.features.other_structures("ode", cold.structure_hash, 8) == [ode.id]


def test_cold_runs_of_a_problem_and_of_its_structure(family) -> None:
    lib, cold, cold_far, warm, _ = family
    same = lib.outcomes.cold_runs_of_problem(cold.problem_hash, None, 5)
    assert same == [ColdRun(cold.id, cold.nfev, cold.fun, same[0].params)]
    assert lib.outcomes.cold_runs_of_problem(cold.problem_hash, cold.id, 5) == []
    others = lib.outcomes.cold_runs_of_structure(warm.structure_hash, warm.problem_hash, None)
    assert [r.run_id for r in others] == [cold_far.id, cold.id]   # never the warm run
    assert np.array_equal(others[0].params, parameter_vector(cold_far.problem)[1])


def test_savings_within_the_structure(family) -> None:
    lib, cold, cold_far, warm, _ = family
    saving = warm.info["saving"]["value"]
    assert lib.outcomes.savings_within(cold.structure_hash) == [pytest.approx(saving)]
    assert lib.outcomes.source_savings(cold.structure_hash, [cold.id, cold_far.id]) == \
        {cold.id: pytest.approx(saving)}
    assert lib.outcomes.source_savings(cold.structure_hash, []) == {}
    assert lib.outcomes.best_sources(cold.structure_hash, 4) == [cold.id]
    # estimated (no cold run of a=1.1 yet): a cold run of it will measure it
    assert warm.info["saving"]["basis"] == "estimated"
    assert lib.outcomes.unmeasured_warm_runs(warm.problem_hash) == [WarmRun(warm.id, warm.nfev)]
    assert lib.outcomes.unmeasured_warm_runs(cold.problem_hash) == []


def test_names_and_the_trash(family) -> None:
    lib, cold, cold_far, _, _ = family
    assert lib.names([cold.id, "0" * 32]) == {cold.id: cold.name}
    assert lib.names([]) == {}
    lib.delete([cold_far.id])
    assert lib.in_trash(cold_far.id) and not lib.in_trash(cold.id)


def test_the_wrapper_tells_a_bug_from_the_environment(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        with pytest.raises(BugError, match="reading the library failed: no such column"):
            lib._sql.read("SELECT no_such_column FROM runs")
        lib.save_run(solve(build(rosenbrock(n=3))))
        pages = lib._sql.writer.execute("PRAGMA page_count").fetchone()[0]
        lib._sql.writer.execute(f"PRAGMA max_page_count={pages}")  # the disk is full
        with pytest.raises(KnownError, match="the disk is full: saving the run failed and "
                                             "was rolled back"):
            lib.save_run(solve(build(rosenbrock("BFGS", n=200, maxiter=400))))
        assert lib.count() == 1


def test_arrays_round_trip_without_incremental_blob_io(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.10 has no ``Connection.blobopen``: each blob is written and
    read whole; the run comes back the same (small and compressed arrays)."""
    monkeypatch.setattr(arrays, "sys", SimpleNamespace(version_info=(3, 10, 13)))
    run = solve(build(rosenbrock("BFGS", n=200, maxiter=50)))
    with Library(tmp_path) as lib:
        lib.save_run(run)
        back = lib.get_run(run.id)
        assert lib.check() == []
    stored, original = back.arrays(), run.arrays()
    assert stored.keys() == original.keys()
    for key, arr in original.items():
        assert stored[key].dtype == arr.dtype and stored[key].tobytes() == arr.tobytes(), key
