"""Fine-tuning a network on new data: cold, plain warm and shrink-and-perturb
warm, over several seeds, and what the training guard says (issue 17).

Three tabular data sets:

- **breast cancer** (real: benchmarks/data/breast_cancer.csv, 569 rows, 30
  features, binary): rows shuffled once, 30% held out as the validation file;
  the previous model was trained on half of the remaining rows, the new problem
  trains on all of them ("trained on half, continued on all", as in Ash &
  Adams, NeurIPS 2020);
- **wine** (real: benchmarks/data/wine.csv, 178 rows, 13 features, 3 classes,
  multiclass): the same split rule, network (one hidden layer of 32), optimizer
  (Adam, learning rate 0.003, batches of 32), epochs and shrink/noise as breast
  cancer, chosen before any result on it was seen and not tuned for it;
- **synthetic drift**: last period's data (800 rows) and this period's (800
  rows, the inputs shifted and the class boundary rotated); the previous model
  was trained on last period's, the new problem on this period's, validated on
  a fresh sample of this period's.

The previous model trains without early stopping (long, as a model that has
fitted its data), the new runs with early stopping (patience 10). For each
seed: a cold run; a plain fine-tune under the guard (which trains its own cold
seeds, kept in one library per data set, so later seeds reuse them); a
shrink-and-perturb fine-tune under the guard. The level to reach is cold
training's: the median over seeds of the cold runs' best validation loss (the
upper middle one for an even number of seeds).
Printed per variant, medians over seeds (a seed that never reaches the level
counts as infinite): epochs and wall time to reach it, the epochs as a share
of cold's (cold measured the same way), the final validation loss, how many
seeds ended worse than cold's median plus the seed spread, and how often the
guard flagged a generalization gap.

Targets: shrink-and-perturb reaches cold's validation loss in at most 50% of
cold's epochs (median) with a final validation loss no worse than cold's
beyond the seed spread; a plain warm start that generalizes worse (final
validation loss above cold's median plus the spread) is flagged in every seed.

Run:  python benchmarks/bench_training.py [--quick] [--seeds N] [--shrink S] [--noise N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FORMAT, banner, finish, fmt, parse_args, print_table  # noqa: E402

import numpy as np  # noqa: E402

from warmdesk.core.advisor import guarded_solve  # noqa: E402
from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.library import Library  # noqa: E402
from warmdesk.core.problems import problem_from_dict  # noqa: E402
from warmdesk.core.runs import Run  # noqa: E402
from warmdesk.core.solvers.base import SolveControl  # noqa: E402
from warmdesk.core.solvers.network import EPOCH_COLUMNS  # noqa: E402
from warmdesk.core.warmstart import warm_start_from_run  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
EPOCH, VAL, WALL = (EPOCH_COLUMNS.index(c) for c in ("epoch", "val_loss", "wall_s"))


def _write(path: Path, names: list[str], rows: np.ndarray) -> str:
    lines = [",".join(names)] + [",".join(f"{v:.10g}" for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def real_set(folder: Path, csv: str, name: str, target: str, output: str) -> dict[str, Any]:
    """A real data set, split by one rule for every real set: rows shuffled once
    (seed 0), 30% held out for validation, the previous model trained on half of
    the rest and the new problem on all of it; the same network and optimizer
    settings for every real set (chosen once, not per set)."""
    lines = (DATA / csv).read_text().splitlines()
    names = lines[0].split(",")
    rows = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    rows = rows[np.random.default_rng(0).permutation(len(rows))]
    n_val = int(0.3 * len(rows))
    val, rest = rows[:n_val], rows[n_val:]
    stem = Path(csv).stem
    return {"name": name, "target": target, "output": output, "layers": [32],
            "base": _write(folder / f"{stem}_half.csv", names, rest[: len(rest) // 2]),
            "new": _write(folder / f"{stem}_all.csv", names, rest),
            "val": _write(folder / f"{stem}_val.csv", names, val),
            "lr": 0.003, "batch": 32}


def breast_cancer(folder: Path) -> dict[str, Any]:
    return real_set(folder, "breast_cancer.csv", "breast cancer (real)", "benign", "binary")


def wine(folder: Path) -> dict[str, Any]:
    return real_set(folder, "wine.csv", "wine (real)", "cultivar", "multiclass")


def synthetic_drift(folder: Path) -> dict[str, Any]:
    def sample(rows: int, seed: int, shift: float, angle: float) -> np.ndarray:
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(rows, 6)) + shift
        w = np.array([np.cos(angle), np.sin(angle), 0.6, -0.4, 0.0, 0.3])
        score = x @ w + 0.8 * np.sin(2 * x[:, 0]) * x[:, 2]
        y = (score + 0.6 * rng.normal(size=rows) > np.median(score)).astype(float)
        return np.column_stack([x, y])
    names = [f"x{i}" for i in range(6)] + ["y"]
    return {"name": "synthetic drift", "target": "y", "output": "binary", "layers": [32],
            "base": _write(folder / "drift_old.csv", names, sample(800, 1, 0.0, 0.0)),
            "new": _write(folder / "drift_new.csv", names, sample(800, 2, 0.4, 0.5)),
            "val": _write(folder / "drift_val.csv", names, sample(2000, 3, 0.4, 0.5)),
            "lr": 0.003, "batch": 32}


def spec(ds: dict[str, Any], data: str, seed: int, epochs: int, stop: bool,
         fine_tune: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": FORMAT, "name": ds["name"], "kind": "network", "data": {"file": data},
        "target": ds["target"], "output": ds["output"], "layers": ds["layers"],
        "epochs": epochs, "batch_size": ds["batch"], "seed": seed,
        "validation": {"file": ds["val"]},
        "solver": {"method": "adam", "options": {"learning_rate": ds["lr"]}}}
    if stop:
        out["early_stopping"] = {"patience": 10}
    if fine_tune is not None:
        out["fine_tune"] = fine_tune
    return out


def reach(run: Run, level: float) -> tuple[float, float]:
    """(epoch, wall s) at which ``run``'s validation loss first came down to
    ``level``; (inf, inf) if never."""
    table = run.outputs.get("epochs")
    for row in table if table is not None else []:
        if np.isfinite(row[VAL]) and row[VAL] <= level:
            return float(row[EPOCH]), float(row[WALL])
    return np.inf, np.inf


def val_loss(run: Run) -> float:
    return float(run.info["network"]["val_loss"])


def one_data_set(ds: dict[str, Any], seeds: int, epochs: int, base_epochs: int,
                 shrink: float, noise: float, folder: Path) -> tuple[list[dict[str, Any]],
                                                                     dict[str, Any]]:
    runs: dict[str, list[Run]] = {"cold": [], "plain": [], "shrink_perturb": []}
    with Library(folder / f"lib-{Path(ds['new']).stem}") as lib:
        for seed in range(seeds):
            base = solve(problem_from_dict(spec(ds, ds["base"], seed, base_epochs, False)))
            cold = solve(problem_from_dict(spec(ds, ds["new"], seed, epochs, True)))
            lib.save_run(cold)
            runs["cold"].append(cold)
            for mode, fine_tune in (("plain", {"mode": "plain"}),
                                    ("shrink_perturb", {"mode": "shrink_perturb",
                                                        "shrink": shrink, "noise": noise})):
                problem = problem_from_dict(spec(ds, ds["new"], seed, epochs, True, fine_tune))
                _, report = guarded_solve(lib, problem, warm_start_from_run(problem, base),
                                          SolveControl())
                lib.save_runs(report.runs)
                runs[mode].append(report.runs[0])
    colds = [val_loss(r) for r in runs["cold"]]
    # what cold training reaches: the median seed's best (the upper one of an even
    # count, an actual cold run's, so that more than half of the cold seeds reach
    # it and cold's own median epochs to reach it are finite; with the mean of the
    # two middle ones, 10 seeds gave cold an infinite median and every share 0)
    level = statistics.median_high(colds)
    spread = max(colds) - min(colds)
    cold_epochs = statistics.median(reach(r, level)[0] for r in runs["cold"])
    rows = []
    per: dict[str, list[dict[str, Any]]] = {}
    for variant, found in runs.items():
        reached = [reach(r, level) for r in found]
        per[variant] = [{"final": val_loss(r),
                         "flagged": (r.info.get("guard") or {}).get("generalization", {})
                         .get("flagged")} for r in found]
        eps = [e for e, _ in reached]
        walls = [w for _, w in reached]
        rows.append({"data": ds["name"], "variant": variant,
                     "reached": f"{sum(np.isfinite(eps))}/{len(found)}",
                     "epochs": statistics.median(eps), "share":
                     statistics.median(eps) / cold_epochs,
                     "wall": 1e3 * statistics.median(walls),
                     "best": statistics.median(r.info["network"]["best_epoch"] for r in found),
                     "final": statistics.median(p["final"] for p in per[variant]),
                     "worse": f"{sum(p['final'] > level + spread for p in per[variant])}"
                              f"/{len(found)}",
                     "flagged": "-" if variant == "cold" else
                     f"{sum(bool(p['flagged']) for p in per[variant])}/{len(found)}"})
    facts = {"spread": spread, "cold_median": level, "per": per, "cold_epochs": cold_epochs}
    return rows, facts


def main() -> int:
    def more(p: Any) -> None:
        p.add_argument("--seeds", type=int, default=None, help="seeds (default 5; 3 quick)")
        p.add_argument("--shrink", type=float, default=None,
                       help="shrink factor (default: the kind's default)")
        p.add_argument("--noise", type=float, default=None,
                       help="noise scale (default: the kind's default)")
        p.add_argument("--epochs", type=int, default=None,
                       help="most epochs of every new run, cold and warm alike (default 400: cold "
                            "runs end by early stopping, not by the cap; 60 quick)")
    args = parse_args(__doc__.splitlines()[0], more)
    from warmdesk.core.solvers.network_settings import NOISE_DEFAULT, SHRINK_DEFAULT
    shrink = SHRINK_DEFAULT if args.shrink is None else args.shrink
    noise = NOISE_DEFAULT if args.noise is None else args.noise
    seeds = args.seeds or (3 if args.quick else 5)
    epochs, base_epochs = (60, 150) if args.quick else (400, 300)
    epochs = args.epochs or epochs
    banner("bench_training: fine-tuning on new data, cold vs plain vs shrink-and-perturb",
           args.quick)
    print(f"{seeds} seeds; new runs up to {epochs} epochs with early stopping (patience 10); "
          f"previous models {base_epochs} epochs without; shrink {shrink:g}, noise {noise:g}")
    t0 = time.perf_counter()
    failures: list[str] = []
    all_rows: list[dict[str, Any]] = []
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for make in (breast_cancer, wine, synthetic_drift):
            ds = make(folder)
            rows, facts = one_data_set(ds, seeds, epochs, base_epochs, shrink, noise, folder)
            all_rows += rows
            verdicts.append((ds["name"], rows, facts))
    print_table(all_rows, [("data", "data set"), ("variant", "variant"),
                           ("reached", "reached cold's level"), ("epochs", "epochs (median)"),
                           ("share", "share of cold's epochs"), ("wall", "ms to reach"),
                           ("best", "epoch of its best"), ("final", "final val loss"),
                           ("worse", "worse than cold+spread"),
                           ("flagged", "guard flagged")],
                title="Epochs and wall time to reach cold training's validation loss "
                      "(the cold seeds' median best), final validation loss (medians over seeds)")
    print()
    for name, rows, facts in verdicts:
        sp = next(r for r in rows if r["variant"] == "shrink_perturb")
        plain = facts["per"]["plain"]
        limit = facts["cold_median"] + facts["spread"]
        judged = bool(np.isfinite(facts["cold_epochs"]))
        sp_fast = judged and np.isfinite(sp["share"]) and sp["share"] <= 0.5
        sp_good = sp["final"] <= limit
        worse = [r for r in plain if r["final"] > limit]
        caught = all(r["flagged"] for r in worse)
        print(f"{name}: seed spread of cold's final validation loss {fmt(facts['spread'])} "
              f"(median {fmt(facts['cold_median'])})")
        print(f"  shrink-and-perturb reaches cold's level in <= 50% of cold's epochs (median): "
              f"{'yes' if sp_fast else 'NO' if judged else 'CANNOT JUDGE (cold never)'} "
              f"({fmt(sp['share'])}); final no worse than cold "
              f"beyond the spread: {'yes' if sp_good else 'NO'} ({fmt(sp['final'])} vs "
              f"<= {fmt(limit)})")
        print(f"  plain warm starts that generalize worse: {len(worse)} of {len(plain)} seeds; "
              f"flagged by the guard: "
              f"{'none to flag' if not worse else 'every one' if caught else 'NOT every one'}"
              f" (flagged {sum(bool(r['flagged']) for r in plain)} of {len(plain)})")
    return finish(failures, t0)


if __name__ == "__main__":
    sys.exit(main())
