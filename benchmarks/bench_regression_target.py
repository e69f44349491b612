"""A regression target far from 0: how fast a cold network gets to a useful
validation loss when it trains on the target standardised (issue 17).

Two data sets, trained cold as the examples train (one hidden layer of 16
relu units, Adam at learning rate 0.003, batches of 32, weight decay 1e-4, no
early stopping: the whole curve is measured), over several seeds (each seed
its own validation split and initialisation):

- **diabetes** (real: benchmarks/data/diabetes.csv, 442 rows, 10 features,
  the target a disease progression of 25 to 346, mean 152, sd 77), 20% of the
  rows held out;
- **synthetic** (400 rows, 3 features, ``y = 200 + 50 f(x) + noise`` with
  noise sd 5: the test's data, tests/core/solvers/network_data.regression),
  20% held out.

References on each seed's own split: the validation MSE of predicting the
training mean, and of ordinary least squares on the raw features (numpy's
lstsq with an intercept). Printed per data set, medians over seeds: the
validation MSE (in the target's units) after 10, 25, 50, 100 and 200 epochs,
the best one and its epoch, the epochs to come within 20% of least squares'
validation MSE ("never" if not within the epochs), and the wall time. (The
diabetes target is close to linear in its features: a network does not beat
least squares on 354 training rows, and without early stopping it overfits
once it has got there.)

Whether the target was standardised is read from the runs (``info.network``
has ``target_scale``), so the script measures an older checkout the same way.

Target: within 20% of least squares' validation MSE on diabetes in at most
50 epochs (median), and the synthetic data's validation MSE within 4x the
noise variance (100) by epoch 100.

Run:  python benchmarks/bench_regression_target.py [--quick] [--seeds N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FORMAT, banner, finish, fmt, median, parse_args, print_table  # noqa: E402

import numpy as np  # noqa: E402

from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.problems import problem_from_dict  # noqa: E402
from warmdesk.core.solvers import network_data  # noqa: E402
from warmdesk.core.solvers.network import EPOCH_COLUMNS  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
CHECKPOINTS = (10, 25, 50, 100, 200)
VAL = EPOCH_COLUMNS.index("val_loss")
#: "Useful": within this factor of least squares' validation MSE.
NEAR_OLS = 1.2


def synthetic(folder: Path) -> Path:
    """The test's data (tests/core/solvers/network_data.regression, seed 0)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    f = 0.8 * x[:, 0] - 0.5 * x[:, 2] + 0.6 * np.tanh(2.0 * x[:, 1])
    y = 200.0 + 50.0 * f + 5.0 * rng.normal(size=400)
    rows = np.column_stack([x, y])
    lines = ["a,b,c,y"] + [",".join(f"{v:.6g}" for v in r) for r in rows]
    path = folder / "synthetic.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def spec(data: Path, target: str, seed: int, epochs: int) -> dict[str, Any]:
    return {"format": FORMAT, "name": f"{data.stem}-{seed}", "kind": "network",
            "data": {"file": str(data)}, "target": target, "output": "regression",
            "layers": [16], "activation": "relu", "epochs": epochs, "batch_size": 32,
            "seed": seed, "validation": {"fraction": 0.2},
            "solver": {"method": "adam", "options": {"learning_rate": 0.003}}}


def references(problem: Any) -> tuple[float, float]:
    """(mean predictor, least squares) validation MSE on the problem's own split."""
    ds = problem.dataset
    x = np.column_stack([ds.column(f) for f in problem.features])
    y = ds.column(problem.target)
    train, val = network_data.split_rows(ds.rows, network_data.settings_of(problem))
    mean_mse = float(np.mean((y[val] - y[train].mean()) ** 2))
    design = np.column_stack([np.ones(len(y)), x])
    coef = np.linalg.lstsq(design[train], y[train], rcond=None)[0]
    return mean_mse, float(np.mean((design[val] @ coef - y[val]) ** 2))


def one_seed(data: Path, target: str, seed: int, epochs: int) -> dict[str, Any]:
    problem = problem_from_dict(spec(data, target, seed, epochs))
    mean_mse, ols_mse = references(problem)
    t0 = time.perf_counter()
    run = solve(problem)
    wall = time.perf_counter() - t0
    val = np.asarray(run.outputs["epochs"], dtype=float)[:, VAL]
    near = np.nonzero(val <= NEAR_OLS * ols_mse)[0]
    out = {"mean": mean_mse, "ols": ols_mse, "best": float(val.min()),
           "best_epoch": int(val.argmin()) + 1,
           "near": int(near[0]) + 1 if near.size else float("inf"), "wall": wall,
           "standardised": "target_scale" in run.info["network"]}
    for e in CHECKPOINTS:
        out[f"at{e}"] = float(val[e - 1]) if e <= val.size else float("nan")
    return out


def main() -> int:
    def more(p: Any) -> None:
        p.add_argument("--seeds", type=int, default=None, help="seeds (default 5; 3 quick)")
    args = parse_args(__doc__.splitlines()[0], more)
    seeds = args.seeds or (3 if args.quick else 5)
    epochs = 60 if args.quick else 200
    banner("bench_regression_target: a target far from 0, trained cold", args.quick)
    print(f"{seeds} seeds; {epochs} epochs, no early stopping; [16] relu, adam 0.003, "
          "batches of 32")
    t0 = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("diabetes", DATA / "diabetes.csv", "progression"),
                 ("synthetic", synthetic(Path(tmp)), "y")]
        for name, path, target in cases:
            per = [one_seed(path, target, seed, epochs) for seed in range(seeds)]
            row: dict[str, Any] = {"data": name,
                                   "std": "yes" if all(p["standardised"] for p in per)
                                   else "no"}
            for key in ("mean", "ols", "best", "best_epoch", "near", "wall",
                        *(f"at{e}" for e in CHECKPOINTS)):
                row[key] = median(p[key] for p in per)
            row["near"] = "never" if row["near"] == float("inf") else row["near"]
            row["wall"] = 1000 * row["wall"]
            rows.append(row)
    print_table(rows, [("data", "data set"), ("std", "target standardised"),
                       ("mean", "mean-predictor MSE"), ("ols", "least-squares MSE"),
                       *((f"at{e}", f"epoch {e}") for e in CHECKPOINTS if e <= epochs),
                       ("best", "best"), ("best_epoch", "its epoch"),
                       ("near", f"epochs to <= {NEAR_OLS:g} x LS"), ("wall", "ms")],
                title="Validation MSE in the target's units (medians over seeds)")
    print()
    diabetes, synth = rows
    fast = isinstance(diabetes["near"], float) and diabetes["near"] <= 50
    print(f"diabetes within {NEAR_OLS:g} x least squares in <= 50 epochs: "
          f"{'yes' if fast else 'NO'} ({fmt(diabetes['near'])})")
    if epochs >= 100:
        good = synth["at100"] <= 100
        print(f"synthetic validation MSE <= 100 (4 x the noise variance) by epoch 100: "
              f"{'yes' if good else 'NO'} ({fmt(synth['at100'])})")
    return finish([], t0)


if __name__ == "__main__":
    sys.exit(main())
