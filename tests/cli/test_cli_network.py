"""What the command line says of a network run: its validation figures, that
a regression's losses (``f`` among them) are mean squared errors in the
target's units, and what its weights predict, for a run stored before targets
were standardised too."""

from __future__ import annotations

import json
from pathlib import Path

from warmdesk.core.library import Library

from ..cli_runner import run_cli
from ..core.solvers.network_data import moons, regression, spec

OLD_RUNS = Path(__file__).parents[1] / "core" / "solvers" / "old_runs"


def solved(tmp_path: Path, fields: dict) -> tuple[str, dict]:
    path = tmp_path / "net.json"
    path.write_text(json.dumps(fields))
    result = run_cli("solve", path, library=tmp_path / "lib")
    assert result.returncode == 0, result.stderr
    with Library(tmp_path / "lib") as lib:
        run = lib.get_run(lib.query()[0]["id"], history=False)
    return result.stdout, dict(run.info["network"])


def test_a_regression_says_its_losses_are_in_the_targets_units(tmp_path: Path) -> None:
    data = regression(tmp_path / "r.csv")
    out, net = solved(tmp_path, spec(data, output="regression", epochs=5))
    assert (f"  network: validation loss {net['val_loss']:.6g}; f and the losses are the "
            "mean squared error in y's units") in out
    assert (f"  y standardised on the training rows (mean {net['target_mean']:.6g}, scale "
            f"{net['target_scale']:.6g}): the weights predict (y - mean) / scale") in out


def test_a_classification_says_cross_entropy_and_accuracy(tmp_path: Path) -> None:
    out, net = solved(tmp_path, spec(moons(tmp_path / "m.csv"), epochs=3))
    assert (f"  network: validation loss {net['val_loss']:.6g}, accuracy "
            f"{net['val_acc']:.4g}; f and the losses are the cross-entropy") in out
    assert "standardised" not in out


def test_an_old_regression_run_shows_its_weights_predict_the_target_as_it_is(
        tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    assert run_cli("import", OLD_RUNS / "old_regression_runs.wdrun",
                   library=lib).returncode == 0
    with Library(lib) as library:
        converged = [r["id"] for r in library.query() if r["status"] == "converged"]
    out = run_cli("show", converged[0], library=lib).stdout
    assert "f and the losses are the mean squared error in y's units" in out
    assert ("  the weights predict y as it is (a run stored before targets were "
            "standardised)") in out
