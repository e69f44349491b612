"""Fine-tuning a network on new data: cold, plain warm, shrink-and-perturb, and
whether the training guard flags the plain warm start (issue 17).

For each data set and each seed (the training seed of both the old model and
the new runs: initialisation and shuffle; the data split is fixed):

1. an *old* model is trained on the old data without early stopping, to the
   end of its epochs (it overfits: the situation of Ash & Adams 2020, "On
   Warm-Starting Neural Network Training");
2. the new data are trained, with early stopping on the validation loss:
   - **cold** (no warm start, the seed's fresh initialisation),
   - **plain** fine-tune from the old model (``fine_tune: plain``),
   - **s&p**: shrink-and-perturb fine-tune (``fine_tune: shrink_perturb``,
     the defaults of ``network_settings.SHRINK_DEFAULT``/``NOISE_DEFAULT``),
   the two fine-tunes under the training guard (``advisor.training_guard``:
   cold seeds of the same problem, taken from the library when stored, the
   gap against their median flagged beyond their spread).

Figures per seed: the epochs and wall time each run needed to reach the cold
run's best validation loss (the same seed's; ``-``: never within its epochs),
and the final validation loss (of the weights each run kept: its best epoch).
The wall time of a fine-tune does not count the old model's training (it is in
the library already).

Targets (issue 17):
- shrink-and-perturb reaches cold's best validation loss in at most 50% of the
  epochs cold needed to reach it (median over seeds);
- its final validation loss is no worse than cold's median beyond the seed
  spread (the range of the cold runs' final validation losses over the seeds);
- a plain warm start that generalizes worse (its final validation loss above
  every cold seed's) is flagged by the guard in every such seed.

Data sets:
- ``breast_cancer``: Breast Cancer Wisconsin (Diagnostic), 569 rows, 30
  features (``benchmarks/data/breast_cancer.csv``, see its README): a fixed
  30% validation file; the old data are half of the rest, the new data all of
  it (the issue's "trained on half the data, continued on all of it");
- ``drift``: synthetic binary classification with drift: the new data's
  inputs are shifted and the boundary's coefficients moved; 15% of the old
  labels are flipped (noise that an old model overfits); the validation file
  comes from the new distribution.

Run:  python benchmarks/bench_training.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (FORMAT, banner, finish, guarded, median, parse_args,  # noqa: E402
                     print_table, write_csv)

import numpy as np  # noqa: E402

from warmdesk.core.advisor import guarded_solve  # noqa: E402
from warmdesk.core.advisor.training_guard import COLD_SEEDS, MIN_SPREAD  # noqa: E402
from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.library import Library  # noqa: E402
from warmdesk.core.problems import problem_from_dict  # noqa: E402
from warmdesk.core.runs import Run  # noqa: E402
from warmdesk.core.solvers.base import SolveControl  # noqa: E402
from warmdesk.core.solvers.network import EPOCH_COLUMNS  # noqa: E402
from warmdesk.core.solvers.network_settings import NOISE_DEFAULT, SHRINK_DEFAULT  # noqa: E402
from warmdesk.core.warmstart import warm_start_from_run  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
ARMS = ("cold", "plain", "s&p")
EPOCH, VAL, WALL = (EPOCH_COLUMNS.index(c) for c in ("epoch", "val_loss", "wall_s"))


@dataclass
class DataSet:
    name: str
    columns: list[str]
    old: np.ndarray
    new: np.ndarray
    val: np.ndarray
    layers: list[int]
    learning_rate: float
    base_epochs: int
    epochs: int
    patience: int


def breast_cancer() -> DataSet:
    path = DATA / "breast_cancer.csv"
    columns = path.read_text().splitlines()[0].split(",")
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    order = np.random.default_rng(20201).permutation(len(rows))   # one fixed split
    n_val = int(0.3 * len(rows))
    val, rest = rows[order[:n_val]], rows[order[n_val:]]
    return DataSet("breast_cancer", columns, rest[:len(rest) // 2], rest, val, [64], 0.01,
                   base_epochs=200, epochs=150, patience=15)


def _drifted(rows: int, rng: np.random.Generator, drift: float, noise: float) -> np.ndarray:
    x = rng.normal(size=(rows, 6)) + drift * np.array([0.6, -0.4, 0.3, 0.0, 0.2, -0.2])
    coef = np.array([1.0, -0.8, 0.6, 0.5, -0.4, 0.3]) + drift * np.array(
        [-0.3, 0.3, 0.2, -0.2, 0.3, 0.1])
    score = x @ coef + np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2]
    y = (score + 0.3 * rng.normal(size=rows) > 0).astype(float)
    flip = rng.random(rows) < noise
    y[flip] = 1 - y[flip]
    return np.column_stack([x, y])


def drift() -> DataSet:
    rng = np.random.default_rng(20202)
    old = _drifted(300, rng, 0.0, 0.15)
    new = _drifted(600, rng, 1.0, 0.05)
    val = _drifted(600, rng, 1.0, 0.05)
    columns = [f"x{i}" for i in range(6)] + ["y"]
    return DataSet("drift", columns, old, new, val, [64], 0.01,
                   base_epochs=300, epochs=150, patience=15)


def _spec(ds: DataSet, files: dict[str, str], which: str, seed: int, epochs: int,
          stop: bool, fine_tune: Any = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "format": FORMAT, "name": f"bench_training {ds.name}", "kind": "network",
        "data": {"file": files[which]}, "target": ds.columns[-1], "output": "binary",
        "layers": ds.layers, "activation": "relu", "weight_decay": 1e-4, "epochs": epochs,
        "batch_size": 32, "seed": seed, "validation": {"file": files["val"]},
        "solver": {"method": "adam", "options": {"learning_rate": ds.learning_rate}}}
    if stop:
        spec["early_stopping"] = {"patience": ds.patience}
    if fine_tune is not None:
        spec["fine_tune"] = fine_tune
    return spec


def _reach(curve: np.ndarray, target: float) -> tuple[int | None, float | None]:
    """The first epoch (and its wall time) whose validation loss is <= target."""
    for row in curve:
        if np.isfinite(row[VAL]) and row[VAL] <= target:
            return int(row[EPOCH]), float(row[WALL])
    return None, None


def one_seed(ds: DataSet, files: dict[str, str], lib: Library, seed: int,
             shrink_perturb: dict[str, Any]) -> list[dict[str, Any]]:
    base = solve(problem_from_dict(_spec(ds, files, "old", seed, ds.base_epochs, False)))
    cold = solve(problem_from_dict(_spec(ds, files, "new", seed, ds.epochs, True)))
    lib.save_run(cold)   # the guard's cold seed of this very problem: reused, not retrained
    rows = [_row(seed, "cold", cold, None)]
    for arm, mode in (("plain", "plain"), ("s&p", shrink_perturb)):
        problem = problem_from_dict(_spec(ds, files, "new", seed, ds.epochs, True, mode))
        _, report = guarded_solve(lib, problem, warm_start_from_run(problem, base),
                                  SolveControl())
        lib.save_runs([r for r in report.runs if r.warm is None])   # cold seeds, for reuse
        warm = report.runs[0]
        rows.append(_row(seed, arm, warm, warm.info["guard"].get("generalization")))
    return rows


def _row(seed: int, arm: str, run: Run, gap: dict[str, Any] | None) -> dict[str, Any]:
    net = run.info["network"]
    return {"seed": seed, "arm": arm, "curve": np.asarray(run.outputs["epochs"]),
            "best_epoch": int(net["best_epoch"]), "epochs_run": int(net["epochs_done"]),
            "val_loss": float(net["val_loss"]),
            "flagged": None if gap is None else bool(gap["flagged"]),
            "guard_gap": None if gap is None else gap["gap"],
            "guard_spread": None if gap is None else gap["spread"]}


def add_reach(rows: list[dict[str, Any]]) -> tuple[float, float]:
    """Epochs (and wall time) each run needed to reach cold's best validation loss,
    two ways: ``seed_*`` the same seed's cold run's best, as a share of the epochs
    that cold run needed to reach it; ``typical_*`` the cold seeds' median best
    (what cold training typically reaches: the guard's reference), as a share of
    the cold seeds' median epochs to their best. Returns that target and those
    median epochs."""
    colds = {r["seed"]: r for r in rows if r["arm"] == "cold"}
    typical = median(r["val_loss"] for r in colds.values())
    cold_epochs = median(r["best_epoch"] for r in colds.values())
    for r in rows:
        cold = colds[r["seed"]]
        for key, target, epochs in (("seed", cold["val_loss"], cold["best_epoch"]),
                                    ("typical", typical, cold_epochs)):
            reached, wall = _reach(r["curve"], target)
            r[f"{key}_epochs"], r[f"{key}_wall_ms"] = reached, None if wall is None else 1e3 * wall
            r[f"{key}_share"] = None if reached is None else reached / max(1.0, epochs)
    return typical, cold_epochs


def write_files(ds: DataSet, folder: Path) -> dict[str, str]:
    files = {}
    for which in ("old", "new", "val"):
        path = folder / f"{ds.name}_{which}.csv"
        write_csv(path, ds.columns, getattr(ds, which))
        files[which] = str(path)
    return files


def _median_share(rows: list[dict[str, Any]], key: str) -> float:
    """The median share over seeds; a run that never reached the target counts as
    infinitely slow (so a median of ``inf`` means most did not reach it)."""
    return float(np.median([r[key] if r[key] is not None else math.inf for r in rows]))


def verdicts(ds: str, rows: list[dict[str, Any]]) -> list[str]:
    """The targets for one data set, as printed lines."""
    by = {arm: [r for r in rows if r["arm"] == arm] for arm in ARMS}
    cold_vals = [r["val_loss"] for r in by["cold"]]
    spread = max(cold_vals) - min(cold_vals)
    out = []
    for key, words in (("typical", "the cold seeds' median best validation loss"),
                       ("seed", "the same seed's cold best validation loss")):
        share = _median_share(by["s&p"], f"{key}_share")
        plain = _median_share(by["plain"], f"{key}_share")
        out.append(f"{ds}: s&p reaches {words} in a median {100 * share:.0f}% of cold's "
                   f"epochs (plain {100 * plain:.0f}%; target <= 50%): "
                   + ("MET" if share <= 0.5 else "MISSED"))
    sp_val, cold_val = median(r["val_loss"] for r in by["s&p"]), median(cold_vals)
    ok = "MET" if sp_val <= cold_val + spread else "MISSED"
    out.append(f"{ds}: s&p final validation loss median {sp_val:.4f} vs cold {cold_val:.4f}, "
               f"seed spread {spread:.4f} (target: no worse beyond the spread): {ok}")
    worse_any = [r for r in by["plain"] + by["s&p"] if r["val_loss"] > max(cold_vals)]
    worse = [r for r in worse_any if r["arm"] == "plain"]
    flagged = [r for r in worse if r["flagged"]]
    ok = ("MET" if len(flagged) == len(worse) else "MISSED") if worse else "not tested"
    out.append(f"{ds}: plain warm generalized worse than every cold seed in {len(worse)} of "
               f"{len(by['plain'])} seeds; the guard flagged {len(flagged)} of them "
               f"(target: all): {ok}")
    others = [r for r in by["plain"] + by["s&p"] if r["flagged"] and r not in worse_any]
    within = [r for r in by["plain"] + by["s&p"] if r["val_loss"] <= max(cold_vals)]
    out.append(f"{ds}: the guard also flagged {len(others)} fine-tunes not worse than every "
               f"cold seed ({sum(r['arm'] == 'plain' for r in others)} plain, "
               f"{sum(r['arm'] == 's&p' for r in others)} s&p; "
               f"{sum(bool(r['flagged']) for r in within)} of the {len(within)} within the "
               f"cold seeds' range)")
    return out


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shrink", type=float, default=SHRINK_DEFAULT,
                        help=f"shrink-and-perturb's shrink factor (default {SHRINK_DEFAULT})")
    parser.add_argument("--noise", type=float, default=NOISE_DEFAULT,
                        help=f"shrink-and-perturb's noise (default {NOISE_DEFAULT})")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="the first of the seeds (to check tuned defaults on fresh seeds)")


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], _options, quick_help="3 seeds, fewer epochs")
    shrink_perturb = {"mode": "shrink_perturb", "shrink": args.shrink, "noise": args.noise}
    t_start = time.perf_counter()
    banner("bench_training: fine-tune warm starts and the training guard", args.quick)
    print(f"shrink-and-perturb: shrink {args.shrink:g}, noise {args.noise:g}; guard: "
          f"{COLD_SEEDS} cold seeds, spread at least {100 * MIN_SPREAD:g}% of their median")
    seeds = range(args.first_seed, args.first_seed + (3 if args.quick else 5))
    failures: list[str] = []
    summary: list[str] = []
    with tempfile.TemporaryDirectory(prefix="warmdesk-bench-training-") as tmp:
        for ds in (breast_cancer(), drift()):
            if args.quick:
                ds.base_epochs, ds.epochs = ds.base_epochs // 2, ds.epochs // 2
            files = write_files(ds, Path(tmp))
            rows: list[dict[str, Any]] = []
            with Library(Path(tmp) / f"lib-{ds.name}") as lib:
                for seed in seeds:
                    got = guarded(f"{ds.name} seed {seed}", lambda: one_seed(ds, files, lib, seed,
                                                                  shrink_perturb),
                                  failures)
                    rows += got or []
            typical, cold_epochs = add_reach(rows) if rows else (math.nan, math.nan)
            print_table(rows, [("seed", "seed"), ("arm", "arm"),
                               ("seed_epochs", "epochs to seed's cold best"),
                               ("seed_share", "share"), ("seed_wall_ms", "wall ms"),
                               ("typical_epochs", "epochs to median cold best"),
                               ("typical_share", "share"), ("typical_wall_ms", "wall ms"),
                               ("epochs_run", "epochs run"), ("val_loss", "final val loss"),
                               ("flagged", "guard flagged"), ("guard_gap", "guard gap"),
                               ("guard_spread", "guard spread")],
                        title=f"{ds.name}: old {len(ds.old)} rows, new {len(ds.new)}, "
                              f"validation {len(ds.val)}; layers {ds.layers}, old model "
                              f"{ds.base_epochs} epochs, new runs up to {ds.epochs} "
                              f"(patience {ds.patience}); median cold best {typical:.4f} "
                              f"at a median epoch {cold_epochs:g}")
            keys = ("seed_epochs", "seed_wall_ms", "typical_epochs", "typical_wall_ms",
                    "val_loss")
            medians = [{"arm": arm, "reached": sum(r["typical_epochs"] is not None
                                                   for r in rows if r["arm"] == arm),
                        **{k: median(r[k] for r in rows if r["arm"] == arm) for k in keys}}
                       for arm in ARMS]
            print_table(medians, [("arm", "arm"), ("seed_epochs", "epochs to seed's cold best"),
                                  ("seed_wall_ms", "wall ms"),
                                  ("typical_epochs", "epochs to median cold best"),
                                  ("typical_wall_ms", "wall ms"),
                                  ("reached", "seeds reaching it"),
                                  ("val_loss", "final val loss")],
                        title=f"{ds.name}: medians over the seeds that reached the target")
            if rows:
                summary += verdicts(ds.name, rows)
    print()
    print("Targets")
    print("-------")
    for line in summary:
        print(line)
    return finish(failures, t_start)


if __name__ == "__main__":
    sys.exit(main())
