"""The sweeps in the library: listed from the indexed ``sweep_runs`` table
(real sweeps, run in this process), kept in step with saves, edits, the trash
and a migration from schema 5."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from warmdesk.core.library import (DB_NAME, Library, list_sweeps, sweep_of_run, sweep_runs,
                                   sweep_summary, sweep_verdicts)
from warmdesk.core.sweeps import SweepRunner, sweep_key

from ..sweeps.helpers import bratu_sweep

#: two points before Bratu's fold (lam ~ 3.51), two past it: those fail the check
PATH = [{"lam": v} for v in (1.0, 2.0, 3.7, 3.9)]


def test_a_sweeps_runs_are_listed_with_its_points_failures_and_mode(tmp_path: Path) -> None:
    sweep = bratu_sweep(path=PATH, chaining={"max_halvings": 0})
    with Library(tmp_path / "lib") as library:
        chained = SweepRunner(library, sweep).run()
        cold = SweepRunner(library, sweep, cold=True).run()
        listed = list_sweeps(library)
        assert [s.sweep_id for s in listed] == [cold.sweep_id, chained.sweep_id]  # newest first
        by_id = {s.sweep_id: s for s in listed}
        for result, mode in ((chained, "chained"), (cold, "cold")):
            s = by_id[result.sweep_id]
            assert (s.name, s.total, s.points, s.mode) == ("bratu-test", 4, 4, mode)
            assert s.failed == len(result.failed) == 2
            assert s.runs == sum(len(p.runs) for p in result.points.values())
            assert s.spec_key == sweep_key(sweep)
            assert s.newest == max(r.created_at for p in result.points.values() for r in p.runs)
        assert [s.sweep_id for s in list_sweeps(library, spec_key=sweep_key(sweep))] == \
            [cold.sweep_id, chained.sweep_id]
        assert list_sweeps(library, spec_key="another spec") == []
        rows = sweep_runs(library, chained.sweep_id)
        assert {r.run_id for r in rows} == {r.id for p in chained.points.values() for r in p.runs}
        finals = [r for r in rows if r.final]
        assert [r.point for r in finals] == [0, 1, 2, 3]
        assert [r.run_id for r in finals] == [chained.points[i].run.id for i in range(4)]
        assert [r.check for r in finals] == [chained.points[i].reason for i in range(4)]
        # the verdicts of a listing's page: every run that failed the check, a point's
        # final run and the attempts before it alike (an attempt past the fold that
        # "converged" with a residual left must not read as a good run)
        every = [r.run_id for r in rows]
        verdicts = sweep_verdicts(library, every + ["not-a-run"])
        failed_runs = {r.id for i in (2, 3) for r in chained.points[i].runs}
        assert set(verdicts) == failed_runs and len(failed_runs) > 2
        assert {chained.points[i].run.id: verdicts[chained.points[i].run.id]
                for i in (2, 3)} == {chained.points[i].run.id: chained.points[i].reason
                                     for i in (2, 3)}
        assert all(library.get_run(r).info["sweep"]["check"] == verdicts[r] for r in verdicts)
        assert [r.final for r in rows].count(True) == 4
        assert "max_fun" in verdicts[chained.points[2].run.id]
        assert sweep_verdicts(library, []) == {}
        assert {sweep_of_run(library, r) for r in every} == {chained.sweep_id}
        assert sweep_of_run(library, "not-a-run") is None


def test_the_trash_an_edit_and_a_resave_keep_the_index_in_step(tmp_path: Path) -> None:
    sweep = bratu_sweep(path=PATH[:2])
    with Library(tmp_path / "lib") as library:
        result = SweepRunner(library, sweep).run()
        first = result.points[0].run
        library.rename(first.id, "renamed")                 # an edit rewrites the metadata
        library.set_info(first.id, note="kept")
        assert sweep_summary(library, result.sweep_id).points == 2
        library.delete([first.id])                          # the trash: not listed
        assert sweep_summary(library, result.sweep_id).points == 1
        assert first.id not in {r.run_id for r in sweep_runs(library, result.sweep_id)}
        library.restore([first.id])
        assert sweep_summary(library, result.sweep_id).points == 2
        # a run saved again without its sweep's info leaves the sweep
        plain = library.get_run(first.id)
        del plain.info["sweep"]
        library.save_run(plain)
        assert sweep_summary(library, result.sweep_id).points == 1
        for run in result.points[1].runs:
            library.delete([run.id])
        library.empty_trash()
        assert sweep_summary(library, result.sweep_id) is None
        assert list_sweeps(library) == []
        assert library.check() == []


def test_a_schema_5_library_gets_its_sweeps_indexed_on_opening(tmp_path: Path) -> None:
    sweep = bratu_sweep(path=PATH[:3], chaining={"max_halvings": 0})
    with Library(tmp_path / "lib") as library:
        result = SweepRunner(library, sweep).run()
        before = list_sweeps(library)
    db = sqlite3.connect(tmp_path / "lib" / DB_NAME)
    db.execute("DROP TABLE sweep_runs")        # as a library made before schema 6
    db.execute("PRAGMA user_version=5")
    db.commit()
    db.close()
    with Library(tmp_path / "lib") as library:
        assert library.schema_version == 6
        assert list_sweeps(library) == before
        assert before[0].sweep_id == result.sweep_id and before[0].failed == 1
        assert library.check() == []


def test_a_sweep_stored_before_its_name_spec_and_mode_were_recorded(tmp_path: Path) -> None:
    """Runs of a sweep made by the first WarmDesk with sweeps (no name, spec,
    total or cold in info.sweep): listed, their mode told by their seeds."""
    sweep = bratu_sweep(path=PATH[:2])
    with Library(tmp_path / "lib") as library:
        for cold in (False, True):
            result = SweepRunner(library, sweep, cold=cold).run()
            runs = [library.get_run(r.id) for p in result.points.values() for r in p.runs]
            for run in runs:
                for key in ("name", "spec", "total", "cold"):
                    del run.info["sweep"][key]
            library.save_runs(runs)
            s = sweep_summary(library, result.sweep_id)
            assert (s.name, s.spec_key, s.total, s.points, s.failed) == (None, None, None, 2, 0)
            assert s.mode == ("cold" if cold else "chained")
