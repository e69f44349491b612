"""A sweep run in this process (the inline executor): chained starts, the
residual check past the fold, step halving, every point stored with its
lineage, cancel. The Dask executor runs the same chains (test_dask.py)."""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.library import Library
from warmdesk.core.status import Status
from warmdesk.core.sweeps import PointFinished, SweepFinished, SweepRunner, SweepStarted
from warmdesk.core.sweeps import codec

from .helpers import bratu_sweep


def test_chained_points_cost_less_than_cold_ones_and_the_fold_is_caught(tmp_path: Path
                                                                         ) -> None:
    sweep = bratu_sweep()
    with Library(tmp_path / "lib") as library:
        events: list[object] = []
        chained = SweepRunner(library, sweep, on_event=events.append).run()
        cold = SweepRunner(library, sweep, cold=True).run()
    assert isinstance(events[0], SweepStarted) and isinstance(events[-1], SweepFinished)
    assert [e.done for e in events if isinstance(e, PointFinished)] == list(range(1, 34))
    lam = {i: p.values["lam"] for i, p in chained.points.items()}
    past_fold = [i for i in range(33) if lam[i] > 3.52]
    # past the fold the solver says converged with a residual left: both runs flag it
    assert chained.failed == past_fold == cold.failed
    for i in past_fold:
        point = chained.points[i]
        assert point.run.status is Status.CONVERGED and "max_fun" in (point.reason or "")
        assert point.run.info["sweep"]["check"] == point.reason
    before = [i for i in range(1, 33) if i not in past_fold]
    ratio = statistics.median(chained.points[i].evaluations / cold.points[i].evaluations
                              for i in before)
    assert ratio < 0.6, ratio
    for i in before:      # no chained point is worse than its cold twin
        assert chained.points[i].run.fun <= cold.points[i].run.fun + 1e-14
    assert {p.seed for i, p in chained.points.items() if i >= 2} <= {"secant", "previous"}
    assert {p.seed for p in cold.points.values()} == {"cold"}


def test_every_point_is_stored_with_its_sweep_and_its_predecessor(tmp_path: Path) -> None:
    sweep = bratu_sweep(path=[{"lam": v} for v in (0.5, 0.75, 1.0, 1.25)])
    with Library(tmp_path / "lib") as library:
        result = SweepRunner(library, sweep).run()
        runs = [library.get_run(result.points[i].run.id) for i in range(4)]
        assert library.lineage(runs[3].id)   # the chain is the library's lineage
    assert [r.info["sweep"]["point"] for r in runs] == [0, 1, 2, 3]
    assert {r.info["sweep"]["id"] for r in runs} == {result.sweep_id}
    assert [r.info["sweep"]["previous"] for r in runs] == [None] + [r.id for r in runs[:3]]
    assert [r.warm_source for r in runs] == [None] + [r.id for r in runs[:3]]
    assert runs[2].warm is not None and runs[2].warm.payload[0] == "x0 (predicted)"
    assert runs[2].warm.report["predicted"]["from"] == [runs[1].id, runs[0].id]


def test_a_second_sweep_starts_from_the_advisors_pick(tmp_path: Path) -> None:
    sweep = bratu_sweep(path=[{"lam": v} for v in (1.0, 1.5, 2.0)])
    with Library(tmp_path / "lib") as library:
        first = SweepRunner(library, sweep).run()
        again = SweepRunner(library, sweep).run()
    assert first.points[0].seed == "cold" and again.points[0].seed == "advisor"
    assert again.points[0].run.warm_source is not None
    assert again.points[0].evaluations < first.points[0].evaluations


def test_trouble_halves_the_step_and_the_steps_are_runs_too(tmp_path: Path) -> None:
    # 15 iterations cannot go from lam 0.4 to 3.4 at once; from half way they can
    sweep = bratu_sweep(path=[{"lam": 0.2}, {"lam": 0.4}, {"lam": 3.4}],
                        overrides=[{"points": [2], "set": {"solver": {"options": {
                            "maxiter": 15}}}}], chaining={"max_halvings": 4})
    with Library(tmp_path / "lib") as library:
        result = SweepRunner(library, sweep, advise=False).run()
        point = result.points[2]
        roles = [library.get_run(r.id).info["sweep"]["role"] for r in point.runs]
    assert point.ok and point.run.status is Status.CONVERGED
    assert point.runs[0].status is Status.STOPPED          # the direct attempt
    assert "step" in roles and roles[-1] == "point"
    steps = [r for r in point.runs if r.info["sweep"]["role"] == "step"]
    assert all(0.4 < r.info["sweep"]["values"]["lam"] < 3.4 for r in steps)
    assert point.evaluations == sum(r.nfev for r in point.runs)
    assert point.run.info["sweep"]["seed"] == "halved"


def test_without_halving_a_troubled_point_is_marked_with_the_reason(tmp_path: Path) -> None:
    sweep = bratu_sweep(path=[{"lam": 0.2}, {"lam": 0.4}, {"lam": 0.8}, {"lam": 1.0}],
                        overrides=[{"points": [2], "set": {"solver": {"options": {
                            "maxiter": 2}}}}], chaining={"max_halvings": 0})
    with Library(tmp_path / "lib") as library:
        result = SweepRunner(library, sweep, advise=False).run()
    assert result.failed == [2]
    assert "stopped" in (result.points[2].reason or "")
    # the chain goes on from its last good point
    assert result.points[3].ok and result.points[3].run.info["sweep"]["previous"] == \
        result.points[1].run.id


def test_cancel_stops_the_chain_and_keeps_what_finished(tmp_path: Path) -> None:
    sweep = bratu_sweep()
    with Library(tmp_path / "lib") as library:
        runner = SweepRunner(library, sweep)

        def on_event(event: object) -> None:
            if isinstance(event, PointFinished) and event.done == 5:
                runner.cancel()
        runner.on_event = on_event
        result = runner.run()
        assert result.cancelled and sorted(result.points) == [0, 1, 2, 3, 4]
        assert result.missing == list(range(5, 33))
        assert library.count() == 5


def test_runs_cross_as_plain_data_and_bad_arrays_are_refused(tmp_path: Path) -> None:
    sweep = bratu_sweep(path=[{"lam": 1.0}])
    with Library(tmp_path / "lib") as library:
        run = SweepRunner(library, sweep).run().points[0].run
    encoded = codec.encode_run(run)
    back = codec.decode_run(codec.plain(encoded))
    assert back.id == run.id and np.array_equal(back.solution["u"], run.solution["u"])
    assert np.array_equal(back.history.array, run.history.array, equal_nan=True)
    encoded["arrays"]["solution/u"]["shape"] = [17]
    with pytest.raises(codec.CodecError, match="128 bytes for shape"):
        codec.decode_run(encoded)
    with pytest.raises(codec.CodecError):
        codec.decode_run({"meta": "x"})


def test_an_ode_sweep_is_swept_cold_and_says_why(tmp_path: Path) -> None:
    from warmdesk.core.engine import solve
    from warmdesk.core.problems import problem_from_dict
    from warmdesk.core.sweeps import sweep_from_dict

    from ..factories import lotka_volterra

    sweep = sweep_from_dict({"format": "warmdesk.sweep/1", "problem": lotka_volterra(t1=5.0),
                             "path": [{"alpha": 1.1}, {"alpha": 1.12}, {"alpha": 1.14}]})
    events: list[object] = []
    with Library(tmp_path / "lib") as library:
        result = SweepRunner(library, sweep, on_event=events.append).run()
    started = events[0]
    assert isinstance(started, SweepStarted) and "swept cold" in started.note
    assert {p.seed for p in result.points.values()} == {"cold"}
    last = result.points[2].run
    cold = solve(problem_from_dict(sweep.points[2].spec))
    for name, value in cold.solution.items():
        assert np.allclose(last.solution[name], value)
        assert np.shape(last.solution[name]) == np.shape(value)   # a scalar stays a scalar
    # an ode has no objective: its points pass on reaching the end with a finite state
    assert result.failed == [] and all(p.ok and p.reason is None
                                       for p in result.points.values())
