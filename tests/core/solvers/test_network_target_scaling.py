"""A regression target far from 0 and wider than 1 (issue 17: ``y`` around
200 +- 50, like scikit-learn's diabetes target): the network trains on the
target standardised with the training split's mean and scale and reports its
losses as mean squared errors in the target's own units."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.errors import WarmStartError
from warmdesk.core.kinds.registry import kind
from warmdesk.core.library import Library
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.runfile import read_runfile
from warmdesk.core.runs import Run
from warmdesk.core.solvers import network_data
from warmdesk.core.solvers.network_model import forward
from warmdesk.core.solvers.network_optim import TrainState
from warmdesk.core.solvers.network_settings import read_settings
from warmdesk.core.warmstart import warm_start_from_run

from .network_data import regression, spec

NOISE = 5.0
OLD = Path(__file__).parent / "old_runs"


def regression_spec(data: Path, **fields: object) -> dict:
    return spec(data, **{"output": "regression", "layers": [16], "epochs": 100,
                         "options": {"learning_rate": 0.003}, **fields})


def predict(run: Run, x_raw: np.ndarray) -> np.ndarray:
    """A stored run's predictions in the target's units, from what it stores:
    its weights and ``info.network`` (an old run has no target scaling: 0, 1)."""
    net = run.info["network"]
    arch = network_data.architecture(read_settings(run.problem)[0], x_raw.shape[1], [])
    theta = np.concatenate([run.solution[k] for k, _ in arch.layout()])
    x = (x_raw - np.asarray(net["input_mean"])) / np.asarray(net["input_scale"])
    z = forward(arch, theta, x)[-1][:, 0]
    return net.get("target_mean", 0.0) + net.get("target_scale", 1.0) * z


def test_cold_training_reaches_the_noise_level_at_the_examples_learning_rate(
        tmp_path: Path) -> None:
    """The target's variance is about 2900, the noise's 25. Before the target
    was standardised, 100 epochs of Adam at 0.003 left the validation MSE at
    1150 (the output was still climbing to the mean; 400 epochs reached 96);
    now about 71."""
    run = solve(problem_from_dict(regression_spec(regression(tmp_path / "r.csv"))))
    assert run.status == "converged", run.message
    assert run.info["network"]["val_loss"] < 4 * NOISE ** 2


def test_losses_are_mean_squared_errors_in_the_targets_units(tmp_path: Path) -> None:
    data = regression(tmp_path / "r.csv")
    problem = problem_from_dict(regression_spec(data, epochs=8))
    run = solve(problem)
    net = run.info["network"]
    prepared = network_data.prepare(problem)
    y_all = np.loadtxt(data, delimiter=",", skiprows=1)
    train, val = network_data.split_rows(y_all.shape[0], network_data.settings_of(problem))
    x_raw, y_raw = y_all[:, :3], y_all[:, 3]
    np.testing.assert_allclose(net["target_mean"], np.mean(y_raw[train]), rtol=1e-12)
    np.testing.assert_allclose(net["target_scale"], np.std(y_raw[train]), rtol=1e-12)
    assert prepared.target_mean == net["target_mean"]
    val_mse = float(np.mean((predict(run, x_raw[val]) - y_raw[val]) ** 2))
    train_mse = float(np.mean((predict(run, x_raw[train]) - y_raw[train]) ** 2))
    np.testing.assert_allclose(net["val_loss"], val_mse, rtol=1e-9)
    np.testing.assert_allclose(run.fun, train_mse, rtol=1e-9)
    table = run.outputs["epochs"]
    np.testing.assert_allclose(table[-1, 1:3], [train_mse, val_mse], rtol=1e-9)
    np.testing.assert_array_equal(run.history.array[:, 4], table[:, 1])


@pytest.mark.parametrize("layers", [[16], []])
def test_a_fine_tune_to_a_target_of_other_scale_predicts_what_the_run_did(
        tmp_path: Path, layers: list[int]) -> None:
    """New data whose target has another mean and scale: the mapped network
    (plain) predicts, in the target's units, what the stored run predicted."""
    old_run = solve(problem_from_dict(regression_spec(regression(tmp_path / "a.csv"),
                                                      layers=layers, epochs=5)))
    new_data = regression(tmp_path / "b.csv", rows=300, seed=5, offset=900.0,
                          amplitude=300.0, shift=0.5)
    problem = problem_from_dict(regression_spec(new_data, layers=layers,
                                                fine_tune="plain"))
    warm = warm_start_from_run(problem, old_run)
    assert warm.mode == "restart"
    data = network_data.prepare(problem)
    assert data.target_scale > 4 * old_run.info["network"]["target_scale"]
    x_raw = np.random.default_rng(0).normal(size=(20, 3)) * 2
    z = forward(data.arch, warm.x0, (x_raw - data.mean) / data.scale)[-1][:, 0]
    np.testing.assert_allclose(data.target_mean + data.target_scale * z,
                               predict(old_run, x_raw), rtol=1e-10)
    assert "output layer adjusted" in warm.report["target standardisation"]
    # and the merit (the advisor's training loss at the start) is in the target's units
    y_new = np.loadtxt(new_data, delimiter=",", skiprows=1)
    train, _ = network_data.split_rows(300, network_data.settings_of(problem))
    mse = float(np.mean((predict(old_run, y_new[train, :3]) - y_new[train, 3]) ** 2))
    np.testing.assert_allclose(kind("network").merit(problem)(warm.x0)[0], mse, rtol=1e-9)


def test_a_training_state_of_version_1_has_no_target_scaling() -> None:
    state = TrainState.fresh("adam", np.arange(6.0), np.random.default_rng(2), (210.5, 48.25))
    packed = state.pack()
    back = TrainState.unpack(packed, 6)
    assert back.target == (210.5, 48.25)
    v1 = np.concatenate([packed[:24], [1.0], packed[25:44]])   # header of 20, version 1
    old = TrainState.unpack(v1, 6)
    assert old.target == (0.0, 1.0) and old.rng_state == back.rng_state
    with pytest.raises(ValueError):
        TrainState.unpack(packed[:-1], 6)
    with pytest.raises(ValueError):
        TrainState.unpack(np.concatenate([v1[:24], [2.0], v1[25:]]), 6)


# -- runs stored before targets were standardised (old_runs/make_old_runs.py) --

def old_runs(tmp_path: Path) -> tuple[Path, dict[str, Run]]:
    for name in ("old_regression.csv", "old_regression_runs.wdrun"):
        shutil.copy(OLD / name, tmp_path / name)
    runs = read_runfile(tmp_path / "old_regression_runs.wdrun")
    return tmp_path, {run.status.value: run for run in runs}


def test_an_old_interrupted_run_resumes_bit_for_bit_as_it_was_training(
        tmp_path: Path) -> None:
    """The old code's uninterrupted run is what resuming its interrupted run
    with this code gives: the weights trained on the target as it is."""
    base, runs = old_runs(tmp_path)
    full, stopped = runs["converged"], runs["interrupted"]
    assert "target_mean" not in stopped.info["network"]
    problem = problem_from_dict(stopped.problem, base_dir=base)
    with Library(tmp_path / "lib") as lib:
        lib.save_run(stopped)
        warm = warm_start_from_run(problem, lib.get_run(stopped.id))
    assert warm.mode == "exact-resume"
    resumed = solve(problem, warm)
    assert resumed.status == "converged", resumed.message
    for key in full.solution:
        assert np.array_equal(resumed.solution[key], full.solution[key]), key
    done = len(stopped.outputs["epochs"])
    np.testing.assert_array_equal(resumed.outputs["epochs"][:, :6],
                                  full.outputs["epochs"][done:, :6])
    assert resumed.info["network"]["val_loss"] == full.info["network"]["val_loss"]
    assert (resumed.info["network"]["target_mean"],
            resumed.info["network"]["target_scale"]) == (0.0, 1.0)


def test_an_old_run_fine_tunes_with_its_predictions_kept(tmp_path: Path) -> None:
    base, runs = old_runs(tmp_path)
    old = runs["converged"]
    new_data = regression(tmp_path / "n.csv", rows=200, seed=9, offset=150.0)
    problem = problem_from_dict(regression_spec(new_data, layers=[6], fine_tune="plain",
                                                epochs=3))
    with Library(tmp_path / "lib") as lib:
        lib.save_run(old)
        warm = warm_start_from_run(problem, lib.get_run(old.id))
    data = network_data.prepare(problem)
    x_raw = np.random.default_rng(1).normal(size=(15, 3))
    z = forward(data.arch, warm.x0, (x_raw - data.mean) / data.scale)[-1][:, 0]
    np.testing.assert_allclose(data.target_mean + data.target_scale * z,
                               predict(old, x_raw), rtol=1e-10)
    assert "was 0, 1" in warm.report["target standardisation"]
    tuned = solve(problem, warm)
    assert tuned.status == "converged", tuned.message
    assert tuned.info["network"]["target_scale"] == data.target_scale


@pytest.mark.parametrize("scale", [0.0, "wide", None, float("nan")])
def test_a_damaged_stored_target_scale_is_named(tmp_path: Path, scale: object) -> None:
    run = solve(problem_from_dict(regression_spec(regression(tmp_path / "a.csv"), epochs=2)))
    run.info["network"]["target_scale"] = scale
    problem = problem_from_dict(regression_spec(regression(tmp_path / "b.csv", seed=2)))
    with pytest.raises(WarmStartError, match=f"run {run.id}'s stored target standardisation"):
        warm_start_from_run(problem, run)


def test_an_old_interrupted_runs_start_is_judged_in_the_targets_units(tmp_path: Path) -> None:
    """The advisor's merit of the resume (the training loss at its weights) is
    the MSE its weights make in the target's units, as for any start."""
    base, runs = old_runs(tmp_path)
    stopped = runs["interrupted"]
    problem = problem_from_dict(stopped.problem, base_dir=base)
    warm = warm_start_from_run(problem, stopped)
    assert warm.mode == "exact-resume" and "stored before targets" in warm.report["note"]
    table = np.loadtxt(base / "old_regression.csv", delimiter=",", skiprows=1)
    train, _ = network_data.split_rows(table.shape[0], network_data.settings_of(problem))
    mse = float(np.mean((predict(stopped, table[train, :3]) - table[train, 3]) ** 2))
    np.testing.assert_allclose(kind("network").merit(problem)(warm.x0)[0], mse, rtol=1e-9)


@pytest.mark.parametrize("key,value", [("input_mean", "oops"), ("input_mean", [[1, 2]]),
                                       ("input_scale", None), ("input_mean", ["a", "b", "c"]),
                                       ("input_scale", [1.0, 0.0, 1.0]),
                                       ("input_scale", [1.0, float("inf"), 1.0]),
                                       ("input_mean", [0.0, float("nan"), 0.0])])
def test_a_damaged_stored_input_standardisation_is_named(tmp_path: Path, key: str,
                                                          value: object) -> None:
    """A fine-tune from a run whose stored input means or scales are not finite
    numbers (scales above 0), one per feature, is refused naming the run: not a
    bare ValueError, and never weights divided by a zero or infinite scale."""
    run = solve(problem_from_dict(regression_spec(regression(tmp_path / "a.csv"), epochs=2)))
    run.info["network"][key] = value
    problem = problem_from_dict(regression_spec(regression(tmp_path / "b.csv", seed=2)))
    with pytest.raises(WarmStartError, match=f"run {run.id}'s stored input standardisation"):
        warm_start_from_run(problem, run)
