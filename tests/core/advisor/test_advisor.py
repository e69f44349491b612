"""The advisor on constructed libraries: ranking, cold advice, the secant
predictor, the guard on a harmful source, and recorded savings."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest

from warmdesk.core.advisor import guarded_solve, record_outcome, suggest
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.problems import with_parameters
from warmdesk.core.warmstart import warm_start_from_run

from ...cli_runner import run_cli
from ..factories import (ROSENBROCK, build, lotka_volterra, rosenbrock, train_spec,
                        write_classification)


def _save(lib: Library, run) -> None:
    lib.save_run(run)
    record_outcome(lib, run)


def test_empty_library_says_start_cold(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        advice = suggest(lib, build(rosenbrock()))
    assert advice.start_cold and advice.top is None
    assert "no earlier run" in advice.reason


def test_nearest_good_basin_wins_over_nearer_bad_basin(tmp_path: Path) -> None:
    """A stored run stuck in another basin is nearer in parameters but worse for
    the new objective: the advisor must not inherit its basin."""
    spec = rosenbrock("BFGS", n=6)
    with Library(tmp_path) as lib:
        good = solve(build(spec))                      # a=1: global minimum
        _save(lib, good)
        local = copy.deepcopy(spec)
        local["parameters"]["a"] = 1.005
        local["variables"]["x"]["start"] = [-1.0, 1, 1, 1, 1, 1]
        bad = solve(build(local))                      # the local minimum near x0 = -1
        assert bad.solution["x"][0] < 0
        _save(lib, bad)
        new = build(rosenbrock("BFGS", n=6, a=1.01))
        advice = suggest(lib, new)
    assert advice.top is not None and advice.top.run_id == good.id
    bad_s = next(s for s in advice.suggestions if s.run_id == bad.id)
    assert bad_s.param_distance < advice.top.param_distance
    assert bad_s.score < advice.top.score
    assert "f at its solution" in advice.top.explanation
    assert "parameters differ by" in advice.top.explanation
    assert advice.top.run_name == good.name and bad_s.run_name == bad.name
    assert advice.top.to_dict()["run_name"] == good.name


def test_ranking_prefers_the_nearest_of_a_sweep_and_the_prediction_extrapolates(
        tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        runs = {}
        for a in (1.0, 1.02, 1.04, 1.06):
            r = solve(build(rosenbrock("BFGS", n=6, a=a)))
            _save(lib, r)
            runs[a] = r
        new = build(rosenbrock("BFGS", n=6, a=1.08))
        advice = suggest(lib, new, top=10)
        top = advice.top
        assert top is not None
        assert top.source == "predicted" or top.run_id == runs[1.06].id
        predicted = [s for s in advice.suggestions if s.source == "predicted"]
        assert predicted, "a sweep should give a secant prediction"
        p = predicted[0]
        assert p.warm.report["predicted"]["from"][0] == runs[1.06].id
        assert p.f < next(s.f for s in advice.suggestions
                          if s.run_id == runs[1.06].id and s.source == "run")
        assert "secant" in p.explanation
        warm = solve(new, p.warm)
        nearest = solve(new, warm_start_from_run(new, runs[1.06]))
        cold = solve(new)
        assert warm.status == "converged" and warm.nfev <= nearest.nfev < cold.nfev


def test_suggestion_carries_a_mapping_report_for_another_structure(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        _save(lib, solve(build(rosenbrock("BFGS", n=6))))
        bigger = build(rosenbrock("BFGS", n=8))
        advice = suggest(lib, bigger)
    s = advice.suggestions[0]
    assert not s.same_structure and s.warm.report["resized"][0]["to"] == 8
    assert "another structure" in s.explanation


def test_family_that_never_saved_says_cold_is_as_good(tmp_path: Path) -> None:
    write_classification(tmp_path, "d.csv", seed=0)
    spec = train_spec("logistic", "L-BFGS-B", "d.csv")
    problem = build(spec, tmp_path)
    with Library(tmp_path / "lib") as lib:
        cold = solve(problem)
        _save(lib, cold)
        for _ in range(3):  # warm runs whose measured saving is nil
            r = solve(problem, warm_start_from_run(problem, cold))
            r.nfev = cold.nfev  # as a convex problem with a good default start behaves
            _save(lib, r)
        advice = suggest(lib, problem)
    assert advice.start_cold and "saved a median 0%" in advice.reason
    assert advice.suggestions  # still listed, for a user who wants one


def test_guard_falls_back_from_a_harmful_source_and_keeps_the_better(tmp_path: Path) -> None:
    """A source from another basin (the local minimum) would end worse than cold."""
    spec = rosenbrock("BFGS", n=6)
    with Library(tmp_path) as lib:
        cold_ref = solve(build(spec))
        _save(lib, cold_ref)
        local = copy.deepcopy(spec)
        local["variables"]["x"]["start"] = [-1.0, 1, 1, 1, 1, 1]
        harmful = solve(build(local))
        _save(lib, harmful)
        new = build(rosenbrock("BFGS", n=6, a=1.01))
        warm = warm_start_from_run(new, harmful)
        unguarded = solve(new, warm)
        cold = solve(new)
        assert unguarded.fun > cold.fun + 1.0  # the trap: silently worse
        kept, report = guarded_solve(lib, new, warm)
    assert report.action == "fell back to cold"
    assert abs(kept.fun - cold.fun) < 1e-8
    assert report.total_nfev <= 1.3 * cold.nfev + report.budget
    assert kept.info["guard"]["kept"] == kept.id and len(report.runs) == 2


def test_guard_stops_a_slow_warm_run_within_its_budget(tmp_path: Path) -> None:
    spec = rosenbrock("BFGS", n=10)
    with Library(tmp_path) as lib:
        ref = solve(build(spec))
        _save(lib, ref)
        new = build(rosenbrock("BFGS", n=10, a=3.0))  # a 200% change
        warm = warm_start_from_run(new, ref)
        warm.state["hess_inv"] = warm.state["hess_inv"] * 1e-6  # a misleading curvature
        kept, report = guarded_solve(lib, new, warm)
    cold = solve(new)
    assert report.action in ("fell back to cold", "kept warm (cold checked)")
    assert "budget" in report.reason or "not converged" in report.reason
    assert report.total_nfev <= 1.3 * ref.nfev + cold.nfev
    assert kept.fun <= cold.fun + 1e-8


def test_guard_keeps_a_good_warm_run(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        ref = solve(build(rosenbrock()))
        _save(lib, ref)
        new = build(rosenbrock(a=1.01))
        kept, report = guarded_solve(lib, new, warm_start_from_run(new, ref))
    assert report.action == "kept warm" and kept.warm is not None
    assert report.total_nfev == kept.nfev < 0.3 * ref.nfev


def test_savings_are_estimated_then_measured(tmp_path: Path) -> None:
    with Library(tmp_path) as lib:
        base = solve(build(rosenbrock()))
        _save(lib, base)
        new = build(rosenbrock(a=1.01))
        warm = solve(new, warm_start_from_run(new, base))
        _save(lib, warm)
        estimated = lib.get_run(warm.id).info["saving"]
        assert estimated["basis"] == "estimated" and estimated["cold_run"] == base.id
        cold = solve(new)
        _save(lib, cold)
        measured = lib.get_run(warm.id).info["saving"]
        assert measured["basis"] == "measured" and measured["cold_run"] == cold.id
        assert measured["value"] == pytest.approx(1 - warm.nfev / cold.nfev)


def test_ode_advice_resumes_only_the_same_system(tmp_path: Path) -> None:
    from warmdesk.core.solvers.base import SolveControl
    problem = build(lotka_volterra())
    control = SolveControl()

    def stop(rid, rows):
        if rows[-1, 8] > 10:
            control.interrupt()
    with Library(tmp_path) as lib:
        half = solve(problem, control=control, on_progress=stop, progress_interval=0)
        lib.save_run(half)
        advice = suggest(lib, problem)
        assert advice.top is not None and advice.top.run_id == half.id
        assert "remains" in advice.top.explanation
        other = suggest(lib, with_parameters(problem, alpha=1.2))
    assert other.start_cold and "another trajectory" in other.reason


def test_cli_suggest_and_guarded_auto_solve(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return run_cli(*args, library=tmp_path / "lib")
    base = tmp_path / "base.json"
    base.write_text(json.dumps(ROSENBROCK))
    nxt = tmp_path / "next.json"
    nxt.write_text(json.dumps({**ROSENBROCK, "parameters": {"a": 1.01, "b": 100.0}}))
    cold = json.loads(run("solve", str(base), "--json").stdout)
    out = run("suggest", str(nxt), "--json", "--top", "3")
    advice = json.loads(out.stdout)
    assert advice["suggestions"][0]["run_id"] == cold["run_id"]
    first = advice["suggestions"][0]
    for key in ("score", "payload", "explanation", "mapping"):
        assert key in first
    assert first["payload"] == ["x0", "hess_inv"]
    solved = json.loads(run("solve", str(nxt), "--warm", "auto", "--guard", "--json").stdout)
    assert solved["warm_source"] == cold["run_id"] and solved["guard"]["action"] == "kept warm"
    assert solved["saving"]["value"] > 0.75
    text = run("suggest", str(nxt)).stdout
    assert "score" in text and "matched" in text


def test_names_are_current_and_savings_shown_with_or_without_measured_ones(
        tmp_path: Path) -> None:
    """The advisor names sources from the runs it read (a rename is seen) and asks
    for best sources and savings only once a warm start in the structure has a
    measured saving (issue 16); the advice is the same either way."""
    with Library(tmp_path) as lib:
        first = solve(build(rosenbrock("BFGS", n=6)))
        _save(lib, first)
        lib.rename(first.id, "renamed source")
        advice = suggest(lib, build(rosenbrock("BFGS", n=6, a=1.01)), top=10)
        assert advice.family_count == 0
        assert advice.top is not None and advice.top.run_id == first.id
        assert advice.top.run_name == "renamed source" and advice.top.saving is None
        warm = solve(build(rosenbrock("BFGS", n=6, a=1.01)), advice.top.warm)
        _save(lib, warm)
        cold = solve(build(rosenbrock("BFGS", n=6, a=1.01)))
        _save(lib, cold)         # measures the warm run's saving
        again = suggest(lib, build(rosenbrock("BFGS", n=6, a=1.02)), top=10)
    assert again.family_count == 1
    by_id = {s.run_id: s for s in again.suggestions}
    assert by_id[first.id].saving is not None and by_id[first.id].saving > 0
    assert by_id[first.id].run_name == "renamed source"
    assert {by_id[r.id].run_name for r in (warm, cold)} == {warm.name, cold.name}
