"""The MLP itself: exact gradients, training that learns, schedules and options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.solvers.network_model import Architecture, loss_and_grad
from warmdesk.core.solvers.network_optim import TrainState
from warmdesk.core.solvers.network_settings import Schedule

from .network_data import moons, spec


@pytest.mark.parametrize("output,k", [("regression", 1), ("binary", 1), ("multiclass", 3)])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gradient_matches_finite_differences(output: str, k: int, activation: str) -> None:
    rng = np.random.default_rng(1)
    arch = Architecture(4, (5, 3), k, activation, output)
    theta = arch.initial(rng) + 0.1 * rng.standard_normal(arch.size)  # biases non-zero
    x = rng.normal(size=(7, 4))
    y = (rng.normal(size=7) if output == "regression" else
         rng.integers(0, max(k, 2), size=7).astype(float))
    mask = arch.weight_mask()
    _, f, g = loss_and_grad(arch, theta, x, y, 0.03, mask)
    h = 1e-6
    fd = np.array([(loss_and_grad(arch, theta + h * e, x, y, 0.03, mask)[1]
                    - loss_and_grad(arch, theta - h * e, x, y, 0.03, mask)[1]) / (2 * h)
                   for e in np.eye(arch.size)])
    assert np.isfinite(f)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("method", ["adam", "sgd"])
@pytest.mark.parametrize("output,classes", [("binary", 2), ("multiclass", 3),
                                            ("regression", 2)])
def test_training_reduces_the_loss(tmp_path: Path, method: str, output: str,
                                   classes: int) -> None:
    data = moons(tmp_path / "d.csv", classes=classes)
    options = {"learning_rate": 0.01 if method == "adam" else 0.05}
    run = solve(problem_from_dict(spec(data, output=output, epochs=25, method=method,
                                       options=options)))
    assert run.status == "converged", run.message
    table = run.outputs["epochs"]
    assert table.shape == (25, 7)
    if output == "regression":
        # the output starts near the target's mean (the target is standardised):
        # learning is beating its variance, the MSE of predicting the mean
        assert table[-1, 1] < 0.6 * run.info["network"]["target_scale"] ** 2
    else:
        assert table[-1, 1] < 0.6 * table[0, 1]        # training loss
    assert table[-1, 2] < table[0, 2]                  # validation loss
    hist = run.history.array
    assert hist.shape[0] == 25 and list(hist[:, 0]) == list(range(1, 26))
    np.testing.assert_array_equal(hist[:, 4], table[:, 1])
    assert run.nfev == 25 * 6                          # 192 training rows / 32
    if output != "regression":
        assert table[-1, 3] > (0.8 if output == "binary" else 0.65)  # training accuracy
    assert run.info["network"]["train_rows"] == 192 and run.info["network"]["val_rows"] == 48


def test_the_same_seed_trains_the_same_model_and_another_does_not(tmp_path: Path) -> None:
    data = moons(tmp_path / "d.csv")
    a = solve(problem_from_dict(spec(data, seed=3)))
    b = solve(problem_from_dict(spec(data, seed=3)))
    c = solve(problem_from_dict(spec(data, seed=4)))
    assert all(np.array_equal(a.solution[k], b.solution[k]) for k in a.solution)
    assert not np.array_equal(a.solution["W1"], c.solution["W1"])


def test_early_stopping_keeps_the_best_validation_epoch(tmp_path: Path) -> None:
    data = moons(tmp_path / "d.csv", rows=120)
    run = solve(problem_from_dict(spec(data, layers=[64], epochs=400, weight_decay=0.0,
                                       early_stopping={"patience": 5},
                                       options={"learning_rate": 0.05})))
    net = run.info["network"]
    table = run.outputs["epochs"]
    assert net["stopped_early"] and net["epochs_done"] < 400
    best = int(np.argmin(table[:, 2]))
    assert net["best_epoch"] == best + 1 == net["epochs_done"] - 5
    assert net["val_loss"] == pytest.approx(table[best, 2])


def test_schedules() -> None:
    assert Schedule().factor_at(7, 10) == 1.0
    assert [Schedule("step", every=2, factor=0.5).factor_at(e, 10) for e in range(5)] == \
        [1.0, 1.0, 0.5, 0.5, 0.25]
    cosine = Schedule("cosine", min_factor=0.1)
    assert cosine.factor_at(0, 11) == 1.0 and cosine.factor_at(10, 11) == pytest.approx(0.1)
    assert cosine.factor_at(5, 11) == pytest.approx(0.55)


def test_the_packed_state_round_trips_exactly() -> None:
    rng = np.random.default_rng(5)
    rng.permutation(10)
    s = TrainState.fresh("sgd", rng.normal(size=6), rng)
    s.epoch, s.batch, s.step, s.best_val, s.bad_epochs = 3, 2, 17, 0.25, 1
    back = TrainState.unpack(s.pack(), 6)
    assert back.rng_state == s.rng_state and (back.epoch, back.batch, back.step) == (3, 2, 17)
    assert np.array_equal(back.theta, s.theta) and back.method == "sgd"
    with pytest.raises(ValueError):
        TrainState.unpack(s.pack(), 7)
