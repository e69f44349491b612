"""``bench_wall``'s section "warm (auto) in WarmDesk vs cold bare scipy" (not a
benchmark itself).

The warm-start benchmark's small-change families (``bench_warm_start.py``:
parameters or data changed by 1%, random signs): per trial a base problem is
solved and saved to a fresh library (not timed); then the changed problem is
solved both ways, timed:

- WarmDesk, warm (auto): parse the spec, ``suggest`` (the advisor), solve from
  its top suggestion (cold when it has none), save the run;
- bare: the changed problem solved cold by scipy with hand-written numpy
  (the train data read with ``np.loadtxt``).

The peak fit and the constrained families are not here: they have no
hand-written bare version yet. Two larger Rosenbrock families (n=100, not in
bench_warm_start) follow, to show where warm starts pay in wall time: the
fixed costs of parse, advice and a durable save (~3 ms) are paid back only
when the evaluations saved cost more than that.
"""

from __future__ import annotations

import gc
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np
from scipy import optimize
from scipy.special import expit, log_expit

from _common import median, print_table, rosenbrock_spec, train_spec, worst
from _wall_cases import rosen_value_grad
from bench_warm_start import _train_file, _train_truth, signs
from warmdesk.core.advisor import suggest
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.problems import problem_from_dict

#: name, method, options (those of bench_warm_start's cases)
ROSENBROCK = [("BFGS", {"gtol": 1e-8}),
              ("L-BFGS-B", {"gtol": 1e-8, "ftol": 1e-13, "maxiter": 10000}),
              ("CG", {"gtol": 1e-6})]
TRAIN = [("L-BFGS-B", {"gtol": 1e-7, "ftol": 1e-12, "maxiter": 10000}),
         ("BFGS", {"gtol": 1e-7, "maxiter": 10000})]
DELTA = 0.01


def _rosenbrock_pair(method: str, options: dict[str, Any], seed: int, folder: Path, n: int = 10
                     ) -> tuple[dict[str, Any], dict[str, Any], Callable[[], Any]]:
    rng = np.random.default_rng(seed)
    start = rng.uniform(-0.5, 0.5, n).round(6).tolist()
    base = rosenbrock_spec(method, n=n, start=start, **options)
    rng2 = np.random.default_rng([seed, 0, 77])
    a, b = (v * (1.0 + DELTA * float(signs(rng2, ()))) for v in (1.0, 100.0))
    new = rosenbrock_spec(method, n=n, start=start, a=a, b=b, **options)
    x = base["variables"]["x"]
    bounds = (optimize.Bounds(np.full(n, x["lower"]), np.full(n, x["upper"]))
              if "lower" in x else None)

    def bare() -> Any:
        return optimize.minimize(lambda z: rosen_value_grad(z, a, b), np.array(start), jac=True,
                                 method=method, bounds=bounds, options=dict(options))
    return base, new, bare


def _train_pair(method: str, options: dict[str, Any], seed: int, folder: Path
                ) -> tuple[dict[str, Any], dict[str, Any], Callable[[], Any]]:
    truth = _train_truth("logistic", seed)
    base_file = _train_file(folder, f"wall-{method}-{seed}-base.csv", "logistic", truth, seed)
    rng = np.random.default_rng([seed, 0, 77])
    changed = {k: v * (1.0 + DELTA * signs(rng, v.shape)) for k, v in truth.items()}
    new_file = _train_file(folder, f"wall-{method}-{seed}-small.csv", "logistic", changed, seed)
    base, new = (train_spec("logistic", method, str(folder / f), l2=1e-3, **options)
                 for f in (base_file, new_file))
    l2 = 1e-3

    def bare() -> Any:
        data = np.loadtxt(folder / new_file, delimiter=",", skiprows=1)
        X, y = data[:, :-1], data[:, -1]
        m = X.shape[0]

        def value_grad(p: np.ndarray) -> tuple[float, np.ndarray]:
            w, c = p[:-1], p[-1]
            z = X @ w + c
            f = float(np.mean(-y * log_expit(z) - (1 - y) * log_expit(-z)))
            dz = (expit(z) - y) / m
            return f + 0.5 * l2 * float(w @ w), np.append(X.T @ dz + l2 * w, dz.sum())

        return optimize.minimize(value_grad, np.zeros(X.shape[1] + 1), jac=True, method=method,
                                 options=dict(options))
    return base, new, bare


def _one(folder: Path, base: dict[str, Any], new: dict[str, Any], bare: Callable[[], Any],
         tag: str) -> tuple[float, float, int, int, bool]:
    lib = Library(folder / f"warm-lib-{tag}")
    try:
        lib.save_run(solve(problem_from_dict(base, base_dir=folder)))
        gc.collect()
        t = time.perf_counter()
        problem = problem_from_dict(new, base_dir=folder)
        top = suggest(lib, problem).top
        run = solve(problem, top.warm if top is not None else None)
        lib.save_run(run)
        wd = time.perf_counter() - t
    finally:
        lib.close()
    gc.collect()
    t = time.perf_counter()
    res = bare()
    cold = time.perf_counter() - t
    return wd, cold, run.nfev, int(res.nfev), top is not None


def warm_section(folder: Path, quick: bool, reps: int) -> None:
    trials = 2 if quick else 5
    families: list[tuple[str, str, Callable[..., Any], dict[str, Any]]] = [
        ("Rosenbrock n=10", m, _rosenbrock_pair, o) for m, o in ROSENBROCK]
    families += [("logistic, 8 feat., 2000 rows", m, _train_pair, o) for m, o in TRAIN]
    families += [("Rosenbrock n=100 (larger)", m, partial(_rosenbrock_pair, n=100), o)
                 for m, o in ROSENBROCK[:2]]
    rows = []
    for label, method, make, options in families:
        ratios, wds, colds, nf_w, nf_c, warm_used = [], [], [], [], [], 0
        for seed in range(trials):
            base, new, bare = make(method, options, seed, folder)
            best = None
            for r in range(max(1, reps // 2)):
                out = _one(folder, base, new, bare, f"{method}-{seed}-{r}-{abs(hash(label))}")
                best = out if best is None else (min(best[0], out[0]), min(best[1], out[1]),
                                                 *out[2:])
            assert best is not None
            wds.append(best[0] * 1e3)
            colds.append(best[1] * 1e3)
            ratios.append(best[0] / best[1])
            nf_w.append(best[2])
            nf_c.append(best[3])
            warm_used += best[4]
        rows.append({"family": label, "method": method, "trials": trials,
                     "wd": median(wds), "bare": median(colds), "ratio": median(ratios),
                     "worst": worst(ratios), "nfev_w": median(nf_w), "nfev_c": median(nf_c),
                     "warm": f"{warm_used}/{trials}",
                     "faster": "yes" if worst(ratios) < 1.0 else "NO"})
    print_table(rows, [("family", "family (1% change)"), ("method", "method"),
                       ("trials", "trials"), ("wd", "WarmDesk warm ms"),
                       ("bare", "bare cold ms"), ("ratio", "median ratio"),
                       ("worst", "worst ratio"), ("nfev_w", "warm nfev"),
                       ("nfev_c", "bare cold nfev"), ("warm", "advisor warm"),
                       ("faster", "warm faster every trial")],
                title="warm (auto) in WarmDesk vs cold bare scipy (end to end, best of "
                      f"{max(1, reps // 2)} per trial)")
    small = [r for r in rows if "larger" not in r["family"]]
    met = all(r["faster"] == "yes" for r in small)
    print(f"\nwarm (auto) faster than cold bare scipy on every small-change family of "
          f"bench_warm_start, every trial: {'yes' if met else 'NO'} (target: yes)")
