"""A past sweep read back from the library is the sweep that ran: the same
points, final runs, verdicts, seeds and evaluations; its cold twin of the same
spec comes with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.errors import LibraryError
from warmdesk.core.library import Library
from warmdesk.core.sweeps import SweepResult, SweepRunner, load_sweep_result, load_with_twin

from .helpers import bratu_sweep

PATH = [{"lam": v} for v in (1.0, 2.0, 3.0, 3.7)]


def _same(stored: SweepResult, ran: SweepResult) -> None:
    assert (stored.sweep_id, stored.name, stored.total) == (ran.sweep_id, ran.name, ran.total)
    assert sorted(stored.points) == sorted(ran.points)
    assert stored.failed == ran.failed
    for i, point in ran.points.items():
        back = stored.points[i]
        assert back.run.id == point.run.id and back.ok == point.ok
        assert back.reason == point.reason and back.values == point.values
        assert back.seed == point.seed and back.chain == point.chain
        assert back.evaluations == point.evaluations
        assert [r.id for r in back.runs] == [r.id for r in point.runs]
        assert back.run.fun == point.run.fun
        assert np.array_equal(back.run.solution["u"], point.run.solution["u"])


def test_a_stored_sweep_is_the_sweep_that_ran_and_brings_its_cold_twin(tmp_path: Path) -> None:
    sweep = bratu_sweep(path=PATH, chaining={"chain_length": 2})
    other = bratu_sweep(path=PATH[:2])          # another spec: never its twin
    with Library(tmp_path / "lib") as library:
        chained = SweepRunner(library, sweep).run()
        SweepRunner(library, other, cold=True).run()
        alone = load_with_twin(library, chained.sweep_id)
        assert list(alone) == ["chained"]
        stored = alone["chained"]
        assert stored.parameters == ["lam"] and stored.mode == "chained"
        assert stored.chains == [[0, 1], [2, 3]]
        _same(stored.result, chained)
        cold = SweepRunner(library, sweep, cold=True).run()
        both = load_with_twin(library, chained.sweep_id)
        assert set(both) == {"chained", "cold"}
        _same(both["cold"].result, cold)
        from_cold = load_with_twin(library, cold.sweep_id)
        assert from_cold["chained"].result.sweep_id == chained.sweep_id
        with pytest.raises(LibraryError, match="no sweep"):
            load_sweep_result(library, "0" * 32)


def test_a_point_cut_short_is_shown_failed_without_a_verdict(tmp_path: Path) -> None:
    """A point none of whose runs was marked its final one (a sweep cut short
    between the solve and the verdict) is not taken for one that passed."""
    sweep = bratu_sweep(path=PATH[:2])
    with Library(tmp_path / "lib") as library:
        result = SweepRunner(library, sweep).run()
        run = library.get_run(result.points[1].run.id)
        del run.info["sweep"]["check"]
        run.info["sweep"]["final"] = False
        library.save_run(run)
        stored = load_sweep_result(library, result.sweep_id).result
    assert stored.points[0].ok and not stored.points[1].ok
    assert "no verdict" in (stored.points[1].reason or "")
