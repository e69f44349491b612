"""Warm start vs cold start, for every kind and every method.

For each case and each random trial (fixed seeds) a base problem is solved
cold; then a perturbed problem (parameters or data changed by 1% "small" and
by 50% "large", with random signs) is solved

- cold (from the spec's start),
- warm with x0 only   (``warm_start_from_run(..., use_state=False)``),
- warm with the full payload (``use_state=True``), where the method offers more
  than x0 (BFGS hess_inv, Nelder-Mead initial_simplex, Powell direc,
  trust-constr qn_hess + barrier).

Work is counted in function evaluations (``Run.nfev``); wall time is secondary.
A warm run is "worse" when its final objective exceeds the cold one by a
relative difference > 1e-6, i.e. (f_warm - f_cold) / max(|f_cold|, 1e-10) > 1e-6
(a failed warm run also counts as worse).

For ``ode`` the warm case is interrupt-and-resume: a run is interrupted from
its ``on_progress`` listener once t passes T/2, then resumed (a) exactly, from
the integrator kept in memory ("live_solver"), and (b) from the stored
checkpoint (the run is saved to and read back from a Library, and its live
integrator is dropped), and compared with an uninterrupted run.

Run:  python benchmarks/bench_warm_start.py [--quick]
"""

from __future__ import annotations

import contextlib
import inspect
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (finish, PEAK_TRUE, banner, constrained_spec, fit_spec,  # noqa: E402  (first:
                     guarded, lotka_volterra_spec, median, parse_args,  # pins BLAS threads)
                     peak_values, print_table, robertson_spec, rosenbrock_spec, train_spec,
                     worst, write_csv)

import numpy as np  # noqa: E402

from warmdesk.core.engine import solve  # noqa: E402
from warmdesk.core.library import Library  # noqa: E402
from warmdesk.core.problems import Problem, problem_from_dict, with_parameters  # noqa: E402
from warmdesk.core.runs import HistoryCol, Run  # noqa: E402
from warmdesk.core.solvers import base as solver_base  # noqa: E402
from warmdesk.core.solvers.base import SolveControl  # noqa: E402
from warmdesk.core.solvers.ode import LIVE_SOLVERS  # noqa: E402
from warmdesk.core.warmstart import warm_start_from_run  # noqa: E402

WORSE_RTOL = 1e-6
PERTURBATIONS = (("small", 0.01), ("large", 0.50))
T_COL = HistoryCol.T


def rel_worse(f_warm: float | None, f_cold: float | None) -> bool:
    if f_warm is None or not math.isfinite(f_warm):
        return True
    if f_cold is None or not math.isfinite(f_cold):
        return False
    return (f_warm - f_cold) / max(abs(f_cold), 1e-10) > WORSE_RTOL


def signs(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=size)


# --------------------------------------------------------------------------- optimisation cases

@dataclass
class Case:
    kind: str
    method: str
    label: str
    # (trial seed, tmp dir) -> base problem
    base: Callable[[int, Path], Problem]
    # (base problem, delta, rng, tmp dir, tag) -> perturbed problem
    perturb: Callable[[Problem, float, np.random.Generator, Path, str], Problem]


def _perturb_parameters(p: Problem, delta: float, rng: np.random.Generator,
                        names: tuple[str, ...]) -> Problem:
    new = {}
    for k in names:
        v = np.asarray(p.parameters[k], dtype=float)
        changed = v * (1.0 + delta * signs(rng, v.shape))
        new[k] = changed.tolist() if v.ndim else float(changed)
    return with_parameters(p, **new)


def rosenbrock_case(method: str, n: int, **options: Any) -> Case:
    def base(seed: int, tmp: Path) -> Problem:
        rng = np.random.default_rng(seed)
        start = rng.uniform(-0.5, 0.5, n).round(6).tolist()
        return problem_from_dict(rosenbrock_spec(method, n=n, start=start, **options))

    def perturb(p: Problem, delta: float, rng: np.random.Generator, tmp: Path, tag: str) -> Problem:
        return _perturb_parameters(p, delta, rng, ("a", "b"))

    return Case("minimize", method, f"rosenbrock n={n}", base, perturb)


def constrained_case(method: str, n: int = 6, **options: Any) -> Case:
    def base(seed: int, tmp: Path) -> Problem:
        rng = np.random.default_rng(1000 + seed)
        c = rng.normal(0.0, 1.0, n).round(6).tolist()
        q = rng.uniform(0.5, 2.0, n).round(6).tolist()
        start = rng.uniform(-0.3, 0.3, n).round(6).tolist()
        return problem_from_dict(constrained_spec(method, c, q, s=1.0, r=2.0, start=start,
                                                  **options))

    def perturb(p: Problem, delta: float, rng: np.random.Generator, tmp: Path, tag: str) -> Problem:
        return _perturb_parameters(p, delta, rng, ("c", "q", "s", "r"))

    return Case("minimize", method, f"constrained n={n} (eq+ineq)", base, perturb)


FIT_X = np.linspace(0.0, 10.0, 200)


def _peak_file(tmp: Path, name: str, theta: dict[str, Any], seed: int) -> str:
    noise = np.random.default_rng(seed).normal(0.0, 0.01, FIT_X.size)
    y = peak_values(FIT_X, theta) + noise
    write_csv(tmp / name, ["x", "y", "s"],
              np.column_stack([FIT_X, y, np.full(FIT_X.size, 0.01)]))
    return name


def fit_case(method: str) -> Case:
    bounded = method != "lm"

    def base(seed: int, tmp: Path) -> Problem:
        rng = np.random.default_rng(2000 + seed)
        file = _peak_file(tmp, f"fit-{method}-{seed}-base.csv", PEAK_TRUE, seed)
        start = {"A": (np.array(PEAK_TRUE["A"]) * rng.uniform(0.7, 1.3, 2)).round(4).tolist(),
                 "mu": (np.array(PEAK_TRUE["mu"]) + rng.uniform(-0.3, 0.3, 2)).round(4).tolist(),
                 "sig": (np.array(PEAK_TRUE["sig"]) * rng.uniform(0.8, 1.2, 2)).round(4).tolist(),
                 "c": 0.0}
        spec = fit_spec(method, file, start, bounded=bounded)
        spec["name"] = f"peaks seed {seed}"
        return problem_from_dict(spec, base_dir=tmp)

    def perturb(p: Problem, delta: float, rng: np.random.Generator, tmp: Path, tag: str) -> Problem:
        # amplitudes, widths and offset times (1 +- delta); peak centres moved by
        # +- delta * 2 sigma (moving a centre by 50% of its position would put it
        # several widths away, where no local fit can follow)
        theta = {k: (np.asarray(v, float) * (1.0 + delta * signs(rng, np.shape(v)))).tolist()
                 for k, v in PEAK_TRUE.items() if k != "mu"}
        theta["mu"] = (np.asarray(PEAK_TRUE["mu"]) + delta * 2.0 * np.asarray(PEAK_TRUE["sig"])
                       * signs(rng, 2)).tolist()
        seed = int(p.name.rsplit(" ", 1)[1])
        file = _peak_file(tmp, f"fit-{method}-{seed}-{tag}.csv", theta, seed)
        spec = dict(p.spec)
        spec["data"] = {"file": file}
        return problem_from_dict(spec, base_dir=tmp)

    return Case("fit", method, "2 gaussian peaks, 7 params, 200 rows", base, perturb)


TRAIN_ROWS, TRAIN_FEATURES = 2000, 8


def _train_truth(model: str, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3000 + seed)
    k = 3 if model == "multinomial" else 1
    return {"W": rng.normal(0.0, 1.0, (TRAIN_FEATURES, k)), "b": rng.normal(0.0, 0.5, k)}


def _train_file(tmp: Path, name: str, model: str, truth: dict[str, np.ndarray],
                seed: int) -> str:
    rng = np.random.default_rng(4000 + seed)  # same X and noise for base and perturbed data
    X = rng.normal(0.0, 1.0, (TRAIN_ROWS, TRAIN_FEATURES))
    z = X @ truth["W"] + truth["b"]
    if model == "logistic":
        y = (z[:, 0] + rng.logistic(size=TRAIN_ROWS) > 0).astype(float)
    elif model == "multinomial":
        y = np.argmax(z + rng.gumbel(size=z.shape), axis=1).astype(float)
    else:
        y = z[:, 0] + rng.normal(0.0, 0.5, TRAIN_ROWS)
    cols = [f"f{i}" for i in range(TRAIN_FEATURES)] + ["label"]
    write_csv(tmp / name, cols, np.column_stack([X, y]))
    return name


def train_case(model: str, method: str, **options: Any) -> Case:
    def base(seed: int, tmp: Path) -> Problem:
        file = _train_file(tmp, f"train-{model}-{method}-{seed}-base.csv", model,
                           _train_truth(model, seed), seed)
        spec = train_spec(model, method, file, l2=1e-3, **options)
        spec["name"] = f"{model} seed {seed}"
        return problem_from_dict(spec, base_dir=tmp)

    def perturb(p: Problem, delta: float, rng: np.random.Generator, tmp: Path, tag: str) -> Problem:
        seed = int(p.name.rsplit(" ", 1)[1])
        truth = _train_truth(model, seed)
        truth = {k: v * (1.0 + delta * signs(rng, v.shape)) for k, v in truth.items()}
        file = _train_file(tmp, f"train-{model}-{method}-{seed}-{tag}.csv", model, truth, seed)
        spec = dict(p.spec)
        spec["data"] = {"file": file}
        return problem_from_dict(spec, base_dir=tmp)

    label = {"logistic": "logistic, 8 feat., 2000 rows",
             "multinomial": "multinomial 3 cl., 8 feat., 2000 rows",
             "linear": "linear, 8 feat., 2000 rows"}[model]
    return Case("train", method, label, base, perturb)


def optimisation_cases() -> list[Case]:
    tight = {"gtol": 1e-8}
    cases = [
        rosenbrock_case("BFGS", 10, **tight),
        rosenbrock_case("L-BFGS-B", 10, gtol=1e-8, ftol=1e-13, maxiter=10000),
        rosenbrock_case("CG", 10, gtol=1e-6),
        rosenbrock_case("Newton-CG", 10, xtol=1e-8),
        rosenbrock_case("TNC", 10, maxfun=10000),
        rosenbrock_case("Nelder-Mead", 4, maxiter=20000, maxfev=20000, xatol=1e-8, fatol=1e-12),
        rosenbrock_case("Powell", 4, maxiter=20000, maxfev=20000, xtol=1e-8, ftol=1e-12),
        rosenbrock_case("SLSQP", 10, ftol=1e-12, maxiter=1000),
        rosenbrock_case("trust-constr", 10, gtol=1e-8, xtol=1e-10, maxiter=5000),
        constrained_case("SLSQP", ftol=1e-12, maxiter=1000),
        constrained_case("trust-constr", gtol=1e-8, xtol=1e-10, maxiter=5000),
        fit_case("trf"), fit_case("dogbox"), fit_case("lm"),
    ]
    for model in ("logistic", "multinomial", "linear"):
        cases.append(train_case(model, "L-BFGS-B", gtol=1e-7, ftol=1e-12, maxiter=10000))
        cases.append(train_case(model, "BFGS", gtol=1e-7, maxiter=10000))
    return cases


def _run_ok(run: Run) -> Run:
    if run.status == "failed":
        raise RuntimeError(f"run failed: {run.message}")
    return run


def run_case(case: Case, trials: int, tmp: Path, failures: list[str],
             anomalies: list[str]) -> list[dict[str, Any]]:
    # samples[(pert, payload)] -> list of per-trial dicts
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    payload_names: dict[str, str] = {}
    for seed in range(trials):
        label = f"{case.kind}/{case.method} {case.label} trial {seed}"
        base_p = guarded(f"{label} (base problem)", lambda: case.base(seed, tmp), failures)
        if base_p is None:
            continue
        base_run = guarded(f"{label} (base solve)", lambda: _run_ok(solve(base_p)), failures)
        if base_run is None:
            continue
        for pi, (pert, delta) in enumerate(PERTURBATIONS):
            rng = np.random.default_rng([seed, pi, 77])
            q = guarded(f"{label} {pert} (perturbed problem)",
                        lambda: case.perturb(base_p, delta, rng, tmp, f"{pert}"), failures)
            if q is None:
                continue
            cold = guarded(f"{label} {pert} cold", lambda: _run_ok(solve(q)), failures)
            if cold is None:
                continue
            ws_x0 = guarded(f"{label} {pert} warm_start_from_run(use_state=False)",
                            lambda: warm_start_from_run(q, base_run, use_state=False), failures)
            ws_full = guarded(f"{label} {pert} warm_start_from_run(use_state=True)",
                              lambda: warm_start_from_run(q, base_run, use_state=True), failures)
            results: dict[str, Run] = {}
            for tag, ws in (("x0", ws_x0), ("full", ws_full)):
                if ws is None:
                    continue
                if tag == "full" and ws_x0 is not None and list(ws.payload) == list(ws_x0.payload):
                    refused = ws.report.get("refused", {})
                    payload_names.setdefault("full-none", "; ".join(
                        f"{k}: {v}" for k, v in refused.items()))
                    continue
                payload_names[tag] = "+".join(ws.payload)
                warm = solve(q, warm=ws)
                results[tag] = warm
                if warm.status == "failed":
                    anomalies.append(f"{label} {pert} warm({'+'.join(ws.payload)}) FAILED: "
                                     f"{warm.message}")
            for tag, warm in results.items():
                f_w = warm.fun if warm.status != "failed" else None
                entry = {"cold_nfev": cold.nfev, "warm_nfev": warm.nfev,
                         "ratio": warm.nfev / max(cold.nfev, 1),
                         "wall_ratio": warm.wall_s / max(cold.wall_s, 1e-9),
                         "worse": rel_worse(f_w, cold.fun), "f_cold": cold.fun, "f_warm": f_w,
                         "status": warm.status, "cold_status": cold.status,
                         "same_as_x0": False,
                         "scaled": (warm.info.get("scaled_start") or {}).get("used") is True}
                if tag == "full" and "x0" in results:
                    x0r = results["x0"]
                    entry["same_as_x0"] = (x0r.nfev == warm.nfev and x0r.fun == warm.fun)
                if warm.status != "converged" and cold.status == "converged" \
                        and warm.status != "failed":
                    anomalies.append(
                        f"{label} {pert} warm({'+'.join(warm.warm.payload) if warm.warm else tag})"
                        f" ended '{warm.status}' where cold converged: '{warm.message[:70]}' "
                        f"(nfev warm {warm.nfev} / cold {cold.nfev}; f_warm={f_w!r}, "
                        f"f_cold={cold.fun!r})")
                if tag == "full" and warm.nfev > 2 * cold.nfev:
                    anomalies.append(
                        f"{label} {pert} warm({'+'.join(warm.warm.payload) if warm.warm else tag})"
                        f" took {warm.nfev / max(cold.nfev, 1):.2f}x the cold work "
                        f"(nfev {warm.nfev} vs {cold.nfev}; x0-only: "
                        f"{results['x0'].nfev if 'x0' in results else '-'})")
                if entry["worse"]:
                    anomalies.append(
                        f"{label} {pert} warm({'+'.join(warm.warm.payload) if warm.warm else tag})"
                        f" ended worse: f_warm={f_w!r} vs f_cold={cold.fun!r} "
                        f"(nfev warm {warm.nfev} / cold {cold.nfev}; status {warm.status}, "
                        f"cold {cold.status}; '{warm.message[:80]}')")
                samples.setdefault((pert, tag), []).append(entry)
    rows = []
    for pert, _ in PERTURBATIONS:
        for tag in ("x0", "full"):
            s = samples.get((pert, tag))
            if not s:
                continue
            notes = []
            not_conv = sum(e["status"] not in ("converged",) for e in s)
            cold_nc = sum(e["cold_status"] not in ("converged",) for e in s)
            if not_conv:
                notes.append(f"warm not converged {not_conv}/{len(s)}")
            if cold_nc:
                notes.append(f"cold not converged {cold_nc}/{len(s)}")
            same = sum(e["same_as_x0"] for e in s)
            if tag == "full" and same:
                notes.append(f"identical to x0-only {same}/{len(s)}")
            if tag == "x0" and "full-none" in payload_names:
                notes.append("no payload beyond x0")
            scaled = sum(e["scaled"] for e in s)
            if scaled:   # solvers/curvature.py: L-BFGS-B and CG from a hard source
                notes.append(f"scaled start {scaled}/{len(s)}")
            rows.append({"kind": case.kind, "method": case.method, "problem": case.label,
                         "pert": pert, "payload": payload_names.get(tag, tag), "n": len(s),
                         "cold": median(e["cold_nfev"] for e in s),
                         "warm": median(e["warm_nfev"] for e in s),
                         "ratio": median(e["ratio"] for e in s),
                         "worst": worst(e["ratio"] for e in s),
                         "worse": f"{sum(e['worse'] for e in s)}/{len(s)}",
                         "wall": median(e["wall_ratio"] for e in s),
                         "notes": "; ".join(notes)})
    return rows


OPT_COLUMNS = [("kind", "kind"), ("method", "method"), ("problem", "problem"),
               ("pert", "pert."), ("payload", "payload"), ("n", "trials"),
               ("cold", "cold nfev"), ("warm", "warm nfev"), ("ratio", "median w/c"),
               ("worst", "worst w/c"), ("worse", "worse f"), ("wall", "wall w/c"),
               ("notes", "notes")]


# --------------------------------------------------------------------------- acceptance check

def acceptance_check(failures: list[str]) -> None:
    print()
    title = ("Acceptance check: Rosenbrock n=10, start 0, no bounds (BFGS takes none), a=1, "
             "b=100, BFGS gtol 1e-8; re-solved with a=1.01")
    print(title)
    print("-" * len(title))

    def check() -> bool:
        base = problem_from_dict(rosenbrock_spec("BFGS", n=10, a=1.0, b=100.0, start=0.0,
                                                 gtol=1e-8))
        base_run = _run_ok(solve(base))
        q = with_parameters(base, a=1.01)
        cold = _run_ok(solve(q))
        ws_x0 = warm_start_from_run(q, base_run, use_state=False)
        ws = warm_start_from_run(q, base_run, use_state=True)
        warm_x0 = _run_ok(solve(q, warm=ws_x0))
        warm = _run_ok(solve(q, warm=ws))
        print(f"base a=1:       {base_run.status}, nfev {base_run.nfev}, f {base_run.fun:.3e}")
        print(f"cold a=1.01:    {cold.status}, nfev {cold.nfev}, f {cold.fun:.10e}")
        print(f"warm x0 only:   {warm_x0.status}, nfev {warm_x0.nfev}, f {warm_x0.fun:.10e}  "
              f"ratio {warm_x0.nfev / cold.nfev:.3f}")
        print(f"warm {'+'.join(ws.payload):10s} {warm.status}, nfev {warm.nfev}, "
              f"f {warm.fun:.10e}  ratio {warm.nfev / cold.nfev:.3f}")
        ratio = warm.nfev / cold.nfev
        ok = "hess_inv" in ws.payload and ratio <= 0.25 and not rel_worse(warm.fun, cold.fun)
        print(f"ACCEPTANCE warm(hess_inv) nfev / cold nfev = {warm.nfev}/{cold.nfev} = "
              f"{ratio:.3f} (must be <= 0.25; final f not worse than cold): "
              f"{'PASS' if ok else 'FAIL'}")
        return ok

    if guarded("acceptance check", check, failures) is None:
        print("ACCEPTANCE: FAIL (the check itself failed)")


# --------------------------------------------------------------------------- ode

SOLVE_HAS_INTERVAL = "progress_interval" in inspect.signature(solve).parameters


@contextlib.contextmanager
def _recorder_interval_zero() -> Iterator[None]:
    """Fallback for an engine without ``solve(progress_interval=...)``: patch the
    Recorder's default interval (only its default argument, only inside the block)."""
    init = solver_base.Recorder.__init__
    saved = init.__defaults__
    init.__defaults__ = (None, 0.0)
    try:
        yield
    finally:
        init.__defaults__ = saved


def interrupted_at_half(problem: Problem, every_row: bool = True) -> Run:
    """Interrupt from the on_progress listener once the t column passes T/2.

    By default progress is throttled to one batch per 50 ms, so the listener of
    a fast solve sees its first batch late (or only at the end); ``every_row``
    asks for a batch after every step (``progress_interval=0``).
    """
    T0, T1 = problem.t_span
    half = T0 + 0.5 * (T1 - T0)
    control = SolveControl()

    def on_progress(run_id: str, batch: np.ndarray) -> None:
        if batch.size and batch[-1, T_COL] >= half:
            control.interrupt()

    if not every_row:
        return solve(problem, control=control, on_progress=on_progress)
    if SOLVE_HAS_INTERVAL:
        return solve(problem, control=control, on_progress=on_progress, progress_interval=0.0)
    with _recorder_interval_zero():
        return solve(problem, control=control, on_progress=on_progress)


def final_state(run: Run) -> np.ndarray:
    return np.concatenate([np.ravel(v) for v in run.solution.values()])


def max_rel_diff(a: np.ndarray, b: np.ndarray, atol: float) -> float:
    return float(np.max(np.abs(a - b) / (np.abs(b) + atol)))


@dataclass
class OdeCase:
    method: str
    label: str
    spec: Callable[[str, np.random.Generator], dict[str, Any]]
    atol: float


def ode_cases() -> list[OdeCase]:
    def lv(method: str, rng: np.random.Generator) -> dict[str, Any]:
        j = rng.uniform(0.95, 1.05, 4)
        return lotka_volterra_spec(method, alpha=1.1 * j[0], beta=0.4 * j[1], delta=0.1 * j[2],
                                   gamma=0.4 * j[3], t1=50.0)

    def rob(method: str, rng: np.random.Generator) -> dict[str, Any]:
        j = rng.uniform(0.95, 1.05, 3)
        # max_step T/50: without it the step that crosses T/2 is the last one (it ends at T),
        # so there is nothing left to interrupt
        return robertson_spec(method, k1=0.04 * j[0], k2=3e7 * j[1], k3=1e4 * j[2], t1=1000.0,
                              max_step=20.0)

    cases = [OdeCase(m, "Lotka-Volterra t=[0,50] rtol 1e-8", lv, 1e-10)
             for m in ("RK45", "DOP853", "Radau", "BDF", "LSODA")]
    cases += [OdeCase(m, "Robertson t=[0,1000] rtol 1e-6 max_step 20", rob, 1e-10)
              for m in ("Radau", "BDF", "LSODA")]
    return cases


def run_ode_case(case: OdeCase, trials: int, lib: Library, failures: list[str],
                 anomalies: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    per: dict[str, list[dict[str, Any]]] = {"exact resume (live_solver)": [],
                                            "checkpoint restart": []}
    throttle_row = None
    for seed in range(trials):
        label = f"ode/{case.method} {case.label} trial {seed}"

        def one() -> None:
            nonlocal throttle_row
            p = problem_from_dict(case.spec(case.method, np.random.default_rng(5000 + seed)))
            full = _run_ok(solve(p))
            cut = interrupted_at_half(p)
            if cut.status != "interrupted":
                raise RuntimeError(f"the interrupt at T/2 did not stop the run: status "
                                   f"{cut.status}, t reached {cut.info.get('t_reached')}")
            if seed == 0:
                dflt = interrupted_at_half(p, every_row=False)
                throttle_row = {"method": case.method, "problem": case.label,
                                "status": dflt.status,
                                "t": dflt.info.get("t_reached"),
                                "T": p.t_span[1], "wall": full.wall_s}
            y_full = final_state(full)
            # (a) exact resume from the integrator kept in memory
            ws = warm_start_from_run(p, cut)
            if ws.mode != "exact-resume":
                anomalies.append(f"{label}: expected an exact resume in-process, got "
                                 f"{ws.mode} payload {ws.payload}")
            res = _run_ok(solve(p, warm=ws))
            per["exact resume (live_solver)"].append(_ode_entry(full, cut, res, ws, y_full,
                                                                case.atol))
            # (b) restart from the stored checkpoint: via the library, live integrator dropped
            lib.save_run(cut)
            stored = lib.get_run(cut.id)
            LIVE_SOLVERS._items.pop(cut.id, None)
            ws2 = warm_start_from_run(p, stored)
            if ws2.mode != "restart" or "checkpoint" not in ws2.payload:
                anomalies.append(f"{label}: expected a checkpoint restart, got {ws2.mode} "
                                 f"{ws2.payload}")
            res2 = _run_ok(solve(p, warm=ws2))
            per["checkpoint restart"].append(_ode_entry(full, cut, res2, ws2, y_full,
                                                        case.atol))
            for name, e in (("exact", per["exact resume (live_solver)"][-1]),
                            ("checkpoint", per["checkpoint restart"][-1])):
                if name == "exact" and e["diff"] != 0.0:
                    anomalies.append(f"{label}: exact resume is not bit-identical to the "
                                     f"uninterrupted run (max rel diff {e['diff']:.3e})")
                if e["diff"] > 1e-3:
                    anomalies.append(f"{label}: {name} resume ends {e['diff']:.3e} (relative) "
                                     f"away from the uninterrupted run")

        guarded(label, one, failures)
    rows = []
    for mode, es in per.items():
        if not es:
            continue
        rows.append({"method": case.method, "problem": case.label, "mode": mode, "n": len(es),
                     "t_int": median(e["t_int"] for e in es),
                     "t_res": median(e["t_res"] for e in es),
                     "full": median(e["full"] for e in es),
                     "cut": median(e["cut"] for e in es),
                     "res": median(e["res"] for e in es),
                     "ratio": median(e["ratio"] for e in es),
                     "worst": worst(e["ratio"] for e in es),
                     "total": median(e["total"] for e in es),
                     "jev": f"{median(e['jev_parts'] for e in es):g}/"
                            f"{median(e['jev_full'] for e in es):g}",
                     "diff": worst(e["diff"] for e in es)})
    return rows, throttle_row


def _ode_entry(full: Run, cut: Run, res: Run, ws: Any, y_full: np.ndarray,
               atol: float) -> dict[str, Any]:
    return {"t_int": cut.info.get("t_reached", math.nan),
            "t_res": float(ws.report.get("checkpoint_t", math.nan)),
            "full": full.nfev, "cut": cut.nfev, "res": res.nfev,
            "ratio": res.nfev / max(full.nfev, 1),
            "total": (cut.nfev + res.nfev) / max(full.nfev, 1),
            "jev_parts": cut.njev + res.njev, "jev_full": full.njev,
            "diff": max_rel_diff(final_state(res), y_full, atol)}


ODE_COLUMNS = [("method", "method"), ("problem", "problem"), ("mode", "resume"),
               ("n", "trials"), ("t_int", "t interrupted"), ("t_res", "t resumed from"),
               ("full", "full RHS"), ("cut", "1st part RHS"), ("res", "resumed RHS"),
               ("ratio", "resumed/full"), ("worst", "worst"),
               ("total", "(1st+resumed)/full"), ("jev", "jac evals (parts/full)"),
               ("diff", "max rel diff y(T)")]


# --------------------------------------------------------------------------- main

def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    banner("bench_warm_start: warm vs cold, every kind and method", args.quick)
    trials = 2 if args.quick else 9
    ode_trials = 1 if args.quick else 3
    print(f"{trials} random trials per case (seeds 0..{trials - 1}); perturbations: "
          + ", ".join(f"{n} = {d:.0%}" for n, d in PERTURBATIONS)
          + " (each parameter / true data-generating parameter times 1 +- delta, random signs)")
    print("ratio = warm nfev / cold nfev on the perturbed problem (median and worst over trials);"
          " 'worse f' = warm final objective")
    print(f"worse than cold by > {WORSE_RTOL:g} relative (count/trials); wall = median warm/cold "
          "Run.wall_s")
    failures: list[str] = []
    anomalies: list[str] = []
    t_start = time.perf_counter()

    acceptance_check(failures)

    rows: list[dict[str, Any]] = []
    cases = optimisation_cases()
    if args.quick:
        keep = {("minimize", "BFGS"), ("minimize", "Nelder-Mead"), ("minimize", "Powell"),
                ("minimize", "L-BFGS-B"), ("minimize", "trust-constr"), ("fit", "trf"),
                ("train", "BFGS")}
        cases = [c for c in cases if (c.kind, c.method) in keep
                 and not (c.method == "trust-constr" and "rosenbrock" in c.label)
                 and not (c.kind == "train" and "multinomial" not in c.label)]
    print()
    print("Running optimisation cases ...")
    with tempfile.TemporaryDirectory(prefix="warmdesk-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for case in cases:
            t0 = time.perf_counter()
            case_rows = guarded(f"{case.kind}/{case.method} {case.label}",
                                lambda: run_case(case, trials, tmp, failures, anomalies),
                                failures)
            if case_rows:
                rows.extend(case_rows)
            print(f"  {case.kind:8s} {case.method:12s} {case.label:38s} "
                  f"{time.perf_counter() - t0:6.1f} s")
            sys.stdout.flush()
        print_table(rows, OPT_COLUMNS,
                    title="Warm vs cold on perturbed problems (nfev = objective/residual "
                          "evaluations)")

        print()
        print("Running ode interrupt/resume cases ...")
        ode_rows: list[dict[str, Any]] = []
        throttle_rows: list[dict[str, Any]] = []
        ocases = ode_cases()
        if args.quick:
            ocases = [c for c in ocases if c.method in ("RK45", "BDF")]
        lib = Library(tmp / "library")
        try:
            for case in ocases:
                t0 = time.perf_counter()
                out = guarded(f"ode/{case.method} {case.label}",
                              lambda: run_ode_case(case, ode_trials, lib, failures, anomalies),
                              failures)
                if out:
                    ode_rows.extend(out[0])
                    if out[1]:
                        throttle_rows.append(out[1])
                print(f"  ode      {case.method:12s} {case.label:38s} "
                      f"{time.perf_counter() - t0:6.1f} s")
        finally:
            lib.close()
        print_table(ode_rows, ODE_COLUMNS,
                    title="ODE: interrupted at t >= T/2 from on_progress, then resumed "
                          "(RHS = right-hand-side evaluations; y(T) diff vs the uninterrupted "
                          "run, |dy|/(|y|+atol))")
        print_table(throttle_rows, [("method", "method"), ("problem", "problem"),
                                    ("wall", "full solve wall s"), ("status", "status"),
                                    ("t", "t reached"), ("T", "T")],
                    title="ODE: the same on_progress interrupt at T/2 with the DEFAULT progress "
                          "throttle (one batch per 50 ms)")

    print()
    print("Anomalies (warm worse than cold, failed warm runs, resume differences):")
    if anomalies:
        for a in anomalies[:60]:
            print("  - " + a)
        if len(anomalies) > 60:
            print(f"  ... and {len(anomalies) - 60} more")
    else:
        print("  none")
    return finish(failures, t_start)


if __name__ == "__main__":
    sys.exit(main())
