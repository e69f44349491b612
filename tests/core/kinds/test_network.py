"""The ``network`` kind: every bad field named, and the fine-tune mapping
(inputs by feature name with the standardisation re-fitted, outputs by class,
the modes plain, shrink-and-perturb and freeze), said in the mapping report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.errors import SpecError, WarmStartError
from warmdesk.core.mapping_report import format_report
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.solvers import network_data
from warmdesk.core.solvers.network_model import forward
from warmdesk.core.warmstart import warm_start_from_run

from ..solvers.network_data import moons, spec, write_csv


def fields_failing(d: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as err:
        problem_from_dict(d)
    return [fld for fld, _ in err.value.problems]


@pytest.mark.parametrize("bad,field", [
    ({"output": "ranking"}, "output"),
    ({"layers": [8, 0]}, "layers"),
    ({"layers": "8"}, "layers"),
    ({"activation": "gelu"}, "activation"),
    ({"epochs": 0}, "epochs"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"seed": -1}, "seed"),
    ({"weight_decay": -0.1}, "weight_decay"),
    ({"schedule": {"type": "step", "factor": 0}}, "schedule.factor"),
    ({"schedule": "linear"}, "schedule"),
    ({"validation": {"fraction": 0.95}}, "validation.fraction"),
    ({"validation": {"fraction": 0.2, "file": "v.csv"}}, "validation"),
    ({"validation": {"file": "missing.csv"}}, "validation.file"),
    ({"early_stopping": {"patience": 0}}, "early_stopping.patience"),
    ({"early_stopping": {"patience": 3}, "validation": {"fraction": 0}}, "early_stopping"),
    ({"fine_tune": {"mode": "shrink_perturb", "shrink": 1.5}}, "fine_tune.shrink"),
    ({"fine_tune": "distill"}, "fine_tune"),
    ({"target": "nope"}, "target"),
    ({"features": ["a", "y"]}, "features[1]"),
    ({"solver": {"method": "rmsprop"}}, "solver.method"),
    ({"solver": {"method": "adam", "options": {"momentum": 0.9}}}, "solver.options.momentum"),
    ({"solver": {"method": "sgd", "options": {"learning_rate": 0}}},
     "solver.options.learning_rate"),
])
def test_every_bad_field_is_named(tmp_path: Path, bad: dict[str, Any], field: str) -> None:
    d = {**spec(moons(tmp_path / "d.csv")), **bad}
    if "file" in d.get("validation", {}):
        d["validation"] = {**d["validation"], "file": str(tmp_path / d["validation"]["file"])}
    assert field in fields_failing(d)


def test_bad_data_for_the_output_is_named(tmp_path: Path) -> None:
    data = moons(tmp_path / "d.csv", classes=3)
    assert fields_failing(spec(data, output="binary")) == ["target"]
    assert problem_from_dict(spec(data, output="multiclass")).layout == [
        ("W1", 24), ("b1", 8), ("W2", 24), ("b2", 3)]


def test_a_validation_file_is_used(tmp_path: Path) -> None:
    data = moons(tmp_path / "d.csv")
    val = moons(tmp_path / "v.csv", rows=50, seed=9)
    run = solve(problem_from_dict(spec(data, validation={"file": str(val)})))
    assert run.info["network"]["val_rows"] == 50 and run.info["network"]["train_rows"] == 240


def trained(tmp_path: Path, data: Path, **fields: Any) -> Any:
    run = solve(problem_from_dict(spec(data, epochs=4, **fields)))
    assert run.status == "converged"
    return run


def test_plain_fine_tune_keeps_the_function_of_matched_features(tmp_path: Path) -> None:
    """New data, other standardisation, a new feature: the mapped network computes
    the old one's outputs (the new feature at zero weight)."""
    old_run = trained(tmp_path, moons(tmp_path / "a.csv"))
    new_data = moons(tmp_path / "b.csv", rows=300, seed=5, shift=0.7, extra="d")
    problem = problem_from_dict(spec(new_data, fine_tune="plain"))
    warm = warm_start_from_run(problem, old_run)
    report = warm.report
    assert warm.mode == "restart" and report["mode"] == "plain"
    assert report["matched"] == ["output", "input a", "input b", "input c"]
    assert report["defaulted"] == ["input d (zero weight)"] and report["dropped"] == []
    data = network_data.prepare(problem)
    x_raw = np.random.default_rng(0).normal(size=(20, 4)) * 3
    new_out = forward(data.arch, warm.x0, (x_raw - data.mean) / data.scale)[-1]
    old_arch = network_data.architecture(network_data.settings_of(problem), 3, [0.0, 1.0])
    old_theta = np.concatenate([old_run.solution[k] for k, _ in old_arch.layout()])
    net = old_run.info["network"]
    old_x = (x_raw[:, :3] - net["input_mean"]) / np.asarray(net["input_scale"])
    np.testing.assert_allclose(new_out, forward(old_arch, old_theta, old_x)[-1], atol=1e-10)
    assert "plain" in format_report(report)


def test_dropped_feature_and_new_class(tmp_path: Path) -> None:
    old_run = trained(tmp_path, moons(tmp_path / "a.csv", classes=3), output="multiclass")
    rows = 240
    rng = np.random.default_rng(2)
    new_data = write_csv(tmp_path / "b.csv", {"a": rng.normal(size=rows),
                                              "c": rng.normal(size=rows),
                                              "y": rng.integers(1, 5, size=rows).astype(float)})
    problem = problem_from_dict(spec(new_data, output="multiclass", fine_tune="plain"))
    warm = warm_start_from_run(problem, old_run)
    r = warm.report
    assert r["matched"] == ["class 1", "class 2", "input a", "input c"]
    assert r["defaulted"] == ["class 3 (fresh)", "class 4 (fresh)"]
    assert r["dropped"] == ["class 0", "input b"]
    fresh = network_data.initial_weights(network_data.prepare(problem).arch, 0)
    w2 = warm.x0[-(8 * 4 + 4):-4].reshape(8, 4)
    w2_old = old_run.solution["W2"].reshape(8, 3)
    np.testing.assert_array_equal(w2[:, :2], w2_old[:, 1:])      # classes 1, 2 kept
    np.testing.assert_array_equal(w2[:, 2:], fresh[-(8 * 4 + 4):-4].reshape(8, 4)[:, 2:])


def test_shrink_perturb_and_freeze(tmp_path: Path) -> None:
    data = moons(tmp_path / "a.csv")
    old_run = trained(tmp_path, data)
    plain = warm_start_from_run(problem_from_dict(spec(data, fine_tune="plain")), old_run)
    sp = problem_from_dict(spec(data, fine_tune={"mode": "shrink_perturb", "shrink": 0.3,
                                                 "noise": 0.05}))
    warm = warm_start_from_run(sp, old_run)
    noise = network_data.perturbation(network_data.prepare(sp).arch, 0)
    np.testing.assert_allclose(warm.x0, 0.3 * plain.x0 + 0.05 * noise)
    assert warm.report["fine_tune"] == {"mode": "shrink_perturb", "shrink": 0.3, "noise": 0.05}
    assert "x 0.3 + 0.05 x a fresh initialisation" in format_report(warm.report)
    frozen = problem_from_dict(spec(data, fine_tune="freeze"))
    warm = warm_start_from_run(frozen, old_run)
    run = solve(frozen, warm)
    assert run.info["network"]["trained"] == "last layer (freeze)"
    for k in ("W1", "b1"):
        np.testing.assert_array_equal(run.solution[k], old_run.solution[k])
    assert not np.array_equal(run.solution["W2"], old_run.solution["W2"])


def test_other_hidden_layers_are_refused(tmp_path: Path) -> None:
    data = moons(tmp_path / "a.csv")
    old_run = trained(tmp_path, data)
    with pytest.raises(WarmStartError, match="hidden layers"):
        warm_start_from_run(problem_from_dict(spec(data, layers=[8, 4])), old_run)


def test_the_advisor_offers_a_stored_run_for_new_data(tmp_path: Path) -> None:
    """The library hands a warm start the run without its outputs: what the
    fine-tune needs (the standardisation) is with the run's facts."""
    from warmdesk.core.advisor import suggest
    from warmdesk.core.library import Library
    old_run = trained(tmp_path, moons(tmp_path / "a.csv"))
    problem = problem_from_dict(spec(moons(tmp_path / "b.csv", seed=5, shift=0.3, extra="d")))
    with Library(tmp_path / "lib") as lib:
        lib.save_run(old_run)
        stored = lib.get_run(old_run.id, history=False)
        assert not stored.outputs
        assert warm_start_from_run(problem, stored).report["mode"] == "shrink_perturb"
        advice = suggest(lib, problem)
    assert not advice.notes, advice.notes
    assert [s.run_id for s in advice.suggestions] == [old_run.id]


def test_the_perturbation_is_not_the_source_runs_own_initialisation(tmp_path: Path) -> None:
    """Shrink-and-perturb adds noise independent of the weights it perturbs (Ash
    & Adams 2020). The source run and the fine-tune share the default seed 0 and
    the architecture, so the fine-tune's cold initialisation is the source's
    own: used as the noise, it would move the weights back along their own
    starting point instead of perturbing them. The noise is scaled like an
    initialisation (zero on the biases) and the same for the same problem. (64
    hidden units: 256 weights, so independent draws have |cos| ~ 0.06.)"""
    data = moons(tmp_path / "a.csv")
    old_run = trained(tmp_path, data, layers=[64])
    plain = warm_start_from_run(problem_from_dict(spec(data, layers=[64], fine_tune="plain")),
                                old_run)
    sp = problem_from_dict(spec(data, layers=[64], fine_tune={"mode": "shrink_perturb",
                                                              "shrink": 0.3, "noise": 0.1}))
    warm = warm_start_from_run(sp, old_run)
    arch = network_data.prepare(sp).arch
    own_init = network_data.initial_weights(arch, old_run.info["network"]["seed"])
    noise = (warm.x0 - 0.3 * plain.x0) / 0.1
    cos = float(noise @ own_init / np.sqrt((noise @ noise) * (own_init @ own_init)))
    assert abs(cos) < 0.3, cos
    for (w, b), (w0, _) in zip(arch.unpack(noise), arch.unpack(own_init)):
        np.testing.assert_allclose(b, 0.0, atol=1e-12)
        assert 0.6 < np.linalg.norm(w) / np.linalg.norm(w0) < 1.6
    np.testing.assert_array_equal(warm_start_from_run(sp, old_run).x0, warm.x0)
