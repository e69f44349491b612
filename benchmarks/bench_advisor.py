"""The warm-start advisor against cold, "most recent" and an oracle, for every
kind where warm starts apply.

For each family and scenario, each trial (fixed seeds) builds a fresh
temporary library of past runs, then a new problem, and solves the new problem
with each strategy:

- ``cold``      ``solve(new)``.
- ``auto``      ``advice = suggest(lib, new)``; cold when ``advice.top`` is None,
                else ``solve(new, advice.top.warm)``. Work = the solve's nfev; the
                advisor's own objective evaluations (``advice.evaluations``) are
                reported separately ("adv ev").
- ``guard``     auto + guard: ``guarded_solve(lib, new, top.warm)`` (a fresh
                ``suggest`` call gives it its own warm start); work =
                ``report.total_nfev`` (warm + fallback cold), result = the kept run.
                Cold when the advice is to start cold.
- ``recent``    warm from the most recently created usable stored run of the
                same structure (``warm_start_from_run``); cold if it cannot map.
- ``oracle``    every stored usable run tried as a source (``warm_start_from_run``,
                WarmStartError skipped) and cold; the least work among those that
                reach the optimum cold found (relative gap <= 1e-6), or the least
                work overall if none does.

When the advice (or "recent") is to start cold, the cold run is reused (solves
are deterministic). Work is counted in objective / residual / right-hand-side
evaluations (``Run.nfev``); "work" in the tables is that divided by cold's.

A strategy ends "worse" when its final objective lies above the best known one
(the best of cold and every oracle try) by a relative gap
``(f - f_best) / max(|f_best|, 1e-10) > 1e-6``; a failed run counts as worse.
For ``ode`` the criterion is the final state against the cold run's final
state: ``max|y - y_cold| / max(max|y_cold|, 1e-12) > 1e-5`` is "wrong".

Libraries (per trial; "full" sizes, --quick halves them):
- a daily series of ``SERIES`` runs whose parameter (or data shift) follows a
  random walk (3% per day, log-normal) - scenarios ``small`` and ``large`` - or
  a sweep along a path (steps of 1-3% of the start value) - scenario ``path``;
  each run after the first is solved cold or (probability 0.5) warm from the
  previous one of the series, as a user would; saved with ``save_run`` then
  ``record_outcome``.
- ``DISSIMILAR`` deliberately dissimilar sources at random places in the
  series: the parameter (or data shift) x3 (a 200% change) and /3; data
  families also get new noise for each. Solved cold.
- the new problem: ``small``: a random run of the series, its parameter changed
  by +-1%; ``large``: changed by a factor (1+r) or 1/(1+r), r ~ U(0.5, 2) (a 50% to
  200% change); ``path``: the next point of the sweep. Data families always
  get new noise.

Families:
- rosenbrock-BFGS      Rosenbrock n=10, BFGS gtol 1e-8, parameter ``a`` (~1 +- 10%)
- portfolio-trustc     factories.constrained (sum w = 1, w <= 0.6, bounds),
                       trust-constr; parameter mu[0] (via ``shift``)
- portfolio-SLSQP      the same with SLSQP, ftol 1e-12 (as in the shipped example
                       resources/examples/portfolio_base.json; with SLSQP's default
                       ftol 1e-6, on f ~ -0.015, a warm SLSQP run stops after one
                       evaluation ~1e-6 above the optimum: a tolerance effect that
                       the 1e-6 relative "worse" criterion would count as a worse
                       optimum)
- multibasin-BFGS      Rosenbrock n=10 whose stored runs were solved from random
                       starts in [-2, 2] (some end at the local minimum x0 ~ -1);
                       the new problem starts from the default x = 0; gtol 1e-8
                       lies at the objective's rounding noise (see docs/advisor.md,
                       "the BFGS tolerance lottery", and solvers/noise_floor.py)
- peaks-trf, peaks-lm  the two-Gaussian fit (factories.write_peaks/fit_spec),
                       data shift ~0.5, new noise per problem
- logistic-LBFGSB      logistic regression (factories.write_classification
                       shift ~0.5), L-BFGS-B: convex, cold from zero weights is good
- lotka-volterra-RK45  ode, t in [0, 20], rtol 1e-8; scenarios:
    ``resume``       the new problem was interrupted earlier at a random fraction
                     (U(0.1, 0.9)) of its span (SolveControl + on_progress,
                     progress_interval=0, stopping once t passes it); the
                     interrupted run sits at a random place among completed runs
                     of other parameters (alpha random walk, +-1% from the new
                     one). Its in-memory integrator is dropped (as after a
                     restart of the program): resume = from the stored checkpoint.
    ``resume-live``  the same, keeping the in-memory integrator (exact resume).
    ``other``        completed runs (and one interrupted run) of other parameters
                     only, the new alpha 1% from one of them: the right advice
                     is cold.

Targets (from the issue), evaluated per family over all its trials (every
scenario pooled); scenarios that fail on their own are named too:
(a) auto median work <= 1.15 x oracle median work;
(b) after small changes (scenario ``small``), auto median <= 0.30 of cold on
    families whose oracle median there is <= 0.25;
(c) auto reaches the best known optimum at least as often as cold;
(d) with the guard no case costs more than 1.3 x cold work and none ends at a
    worse optimum than cold.

Run:  python benchmarks/bench_advisor.py [--quick] [--trials N]
      [--families name,name] [--verbose]
"""
# ruff: noqa: I001  (the _common import comes first: it pins BLAS threads)

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # tests.core.factories

from _common import banner, fmt, median, print_table, worst  # first: pins BLAS threads

import argparse
import math
import os
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

import numpy as np

from tests.core import factories as F
from warmdesk.core.advisor import guarded_solve, record_outcome, suggest
from warmdesk.core.engine import solve
from warmdesk.core.errors import WarmStartError
from warmdesk.core.library import Library
from warmdesk.core.problems import Problem, problem_from_dict
from warmdesk.core.runs import HistoryCol, Run
from warmdesk.core.solvers.base import SolveControl
from warmdesk.core.solvers.ode import LIVE_SOLVERS
from warmdesk.core.warmstart import warm_start_from_run

T_COL = HistoryCol.T
WORSE_RTOL = 1e-6
ODE_RTOL = 1e-5
WALK_SD = 0.03
SMALL = 0.01
STRATEGIES = ("cold", "auto", "guard", "recent", "oracle")
#: Trial libraries live in memory where possible: SQLite's synchronous=FULL
#: commits (every save_run and record_outcome) cost fsyncs on a disk, which
#: only slow the benchmark down (its figures are evaluation counts, not time).
TMP_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


# --------------------------------------------------------------------------- families

@dataclass
class Ctx:
    """One trial: its folder (data files, library) and random numbers."""
    folder: Path
    rng: np.random.Generator
    files: int = 0

    def data_file(self) -> str:
        self.files += 1
        return f"d{self.files:03d}.csv"

    def seed(self) -> int:
        return int(self.rng.integers(1 << 31))


@dataclass
class Family:
    name: str
    kind: str
    knob: str                                   # what the knob is, for the output
    knob0: Callable[[np.random.Generator], float]
    make: Callable[[float, Ctx, bool], Problem]  # (knob, ctx, stored) -> problem
    scenarios: tuple[str, ...] = ("small", "large", "path")
    warm_library: bool = True                    # series runs warm from the previous (p=0.5)
    trials_factor: float = 1.0


def _rosenbrock(a: float, ctx: Ctx, stored: bool) -> Problem:
    return problem_from_dict(F.rosenbrock("BFGS", n=10, a=a, gtol=1e-8))


def _multibasin(a: float, ctx: Ctx, stored: bool) -> Problem:
    spec = F.rosenbrock("BFGS", n=10, a=a, gtol=1e-8)
    if stored:  # the stored runs were solved from random starts
        spec["variables"]["x"]["start"] = ctx.rng.uniform(-2.0, 2.0, 10).tolist()
    return problem_from_dict(spec)


def _portfolio(method: str, **options: Any) -> Callable[[float, Ctx, bool], Problem]:
    def make(mu0: float, ctx: Ctx, stored: bool) -> Problem:
        spec = F.constrained(method, shift=mu0 - 0.05)
        spec["solver"]["options"].update(options)
        return problem_from_dict(spec)
    return make


def _peaks(method: str) -> Callable[[float, Ctx, bool], Problem]:
    def make(shift: float, ctx: Ctx, stored: bool) -> Problem:
        name = ctx.data_file()
        F.write_peaks(ctx.folder, name, shift=shift, seed=ctx.seed())
        return problem_from_dict(F.fit_spec(method, file=name), base_dir=ctx.folder)
    return make


def _logistic(shift: float, ctx: Ctx, stored: bool) -> Problem:
    name = ctx.data_file()
    F.write_classification(ctx.folder, name, seed=ctx.seed(), shift=shift)
    return problem_from_dict(F.train_spec("logistic", "L-BFGS-B", file=name),
                             base_dir=ctx.folder)


def _lotka(alpha: float, ctx: Ctx, stored: bool) -> Problem:
    return problem_from_dict(F.lotka_volterra("RK45", alpha=alpha, t1=20.0))


FAMILIES = [
    Family("rosenbrock-BFGS", "minimize", "a", lambda r: r.uniform(0.9, 1.1), _rosenbrock),
    Family("portfolio-trustc", "minimize", "mu[0]", lambda r: r.uniform(0.05, 0.08),
           _portfolio("trust-constr"), trials_factor=0.8),
    Family("portfolio-SLSQP", "minimize", "mu[0]", lambda r: r.uniform(0.05, 0.08),
           _portfolio("SLSQP", ftol=1e-12)),
    Family("multibasin-BFGS", "minimize", "a", lambda r: r.uniform(0.9, 1.1), _multibasin,
           warm_library=False),
    Family("peaks-trf", "fit", "data shift", lambda r: r.uniform(0.3, 0.7), _peaks("trf")),
    Family("peaks-lm", "fit", "data shift", lambda r: r.uniform(0.3, 0.7), _peaks("lm")),
    Family("logistic-LBFGSB", "train", "data shift", lambda r: r.uniform(0.3, 0.7), _logistic),
    Family("lotka-volterra-RK45", "ode", "alpha", lambda r: r.uniform(1.0, 1.2), _lotka,
           scenarios=("resume", "resume-live", "other"), warm_library=False),
]


# --------------------------------------------------------------------------- outcomes

@dataclass
class Result:
    work: int
    fun: float | None
    state: np.ndarray | None = None   # ode: the final state
    status: str = ""
    source: str | None = None         # the warm source (run id prefix, "pred", None = cold)


@dataclass
class Case:
    family: str
    scenario: str
    trial: int
    seed: int
    library_runs: int = 0
    results: dict[str, Result] = field(default_factory=dict)
    worse: dict[str, bool] = field(default_factory=dict)
    gap: dict[str, float] = field(default_factory=dict)
    guard_worse_than_cold: bool = False
    f_best: float | None = None
    adv_evals: int = 0
    adv_ms: float = 0.0
    adv_cold: bool = False
    adv_reason: str = ""
    adv_source: str = ""
    guard_action: str = ""
    guard_reason: str = ""
    oracle_tries: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def ratio(self, strategy: str) -> float:
        cold = self.results["cold"].work
        return self.results[strategy].work / cold if cold > 0 else math.nan


def result_of(run: Run, work: int | None = None, source: str | None = None) -> Result:
    state = None
    if run.kind == "ode" and run.solution:
        state = np.concatenate([np.ravel(v) for v in run.solution.values()])
    fun = run.fun if run.status != "failed" else None
    return Result(run.nfev if work is None else work, fun, state, run.status, source)


def rel_gap(f: float | None, f_ref: float | None) -> float:
    if f is None or not math.isfinite(f):
        return math.inf
    if f_ref is None or not math.isfinite(f_ref):
        return -math.inf
    return (f - f_ref) / max(abs(f_ref), 1e-10)


def state_error(y: np.ndarray | None, y_ref: np.ndarray | None) -> float:
    if y is None or y_ref is None or y.shape != y_ref.shape:
        return math.inf
    return float(np.max(np.abs(y - y_ref)) / max(float(np.max(np.abs(y_ref))), 1e-12))


def label(run_id: str | None) -> str:
    return run_id[:8] if run_id else "cold"


# --------------------------------------------------------------------------- libraries

def knob_series(fam: Family, scenario: str, n: int, rng: np.random.Generator
                ) -> tuple[list[float], float, int | None]:
    """The stored series' knob values, the new problem's, and the reference index."""
    c0 = fam.knob0(rng)
    if scenario == "path":
        step = c0 * rng.uniform(0.01, 0.03) * rng.choice([-1.0, 1.0])
        knobs = [c0 + k * step for k in range(n + 1)]
        return knobs[:-1], knobs[-1], n - 1
    knobs = list(c0 * np.exp(np.concatenate([[0.0], np.cumsum(rng.normal(0, WALK_SD, n - 1))])))
    ref = int(rng.integers(n))
    if scenario == "large":
        r = rng.uniform(0.5, 2.0)
        new = knobs[ref] * (1 + r) if rng.random() < 0.5 else knobs[ref] / (1 + r)
    else:  # small, and the ode scenarios
        new = knobs[ref] * (1 + SMALL * rng.choice([-1.0, 1.0]))
    return knobs, float(new), ref


def save(lib: Library, run: Run, stored: list[Run]) -> None:
    lib.save_run(run)
    record_outcome(lib, run)
    stored.append(run)


def interrupted_run(problem: Problem, fraction: float) -> Run:
    control = SolveControl()
    t0, t1 = problem.t_span
    cut = t0 + fraction * (t1 - t0)

    def stop(run_id: str, rows: np.ndarray) -> None:
        if rows.size and rows[-1, T_COL] > cut:
            control.interrupt()
    run = solve(problem, control=control, on_progress=stop, progress_interval=0)
    if run.status != "interrupted":
        raise RuntimeError(f"the interrupt at t={cut:.3g} did not stop the run ({run.status})")
    return run


def build_library(fam: Family, scenario: str, ctx: Ctx, lib: Library, series: int,
                  dissimilar: int) -> tuple[list[Run], Problem]:
    """Fill ``lib`` with past runs; return them (creation order) and the new problem."""
    rng = ctx.rng
    knobs, new_knob, _ref = knob_series(fam, scenario, series, rng)
    center = knobs[0]
    entries: list[tuple[str, float]] = [("series", k) for k in knobs]
    odd = [center * 3.0, center / 3.0, center * 3.0][:dissimilar]
    for k in odd:  # at random places after the first run
        entries.insert(int(rng.integers(1, len(entries) + 1)), ("dissimilar", k))
    interrupt_at = None
    if fam.kind == "ode":
        # the interrupted run: of the new problem (resume) or of a stored alpha (other)
        interrupt_at = int(rng.integers(1, len(entries) + 1))
        entries.insert(interrupt_at, ("interrupted", new_knob if scenario != "other"
                                      else knobs[int(rng.integers(len(knobs)))]))
    stored: list[Run] = []
    previous: Run | None = None
    for what, knob in entries:
        problem = fam.make(knob, ctx, True)
        if what == "interrupted":
            run = interrupted_run(problem, float(rng.uniform(0.1, 0.9)))
            if scenario != "resume-live":
                LIVE_SOLVERS._items.pop(run.id, None)  # as after a restart of the program
            save(lib, run, stored)
            continue
        warm = None
        if (what == "series" and fam.warm_library and previous is not None
                and rng.random() < 0.5):
            warm = warm_start_from_run(problem, previous)
        run = solve(problem, warm)
        save(lib, run, stored)
        if what == "series":
            previous = run
    if fam.kind == "ode":
        new = fam.make(new_knob, ctx, False)
        if scenario != "other":
            # the new problem is the interrupted one: the same spec
            cut = next(r for r in stored if r.status == "interrupted")
            assert cut.problem_hash == new.content_hash()
        return stored, new
    return stored, fam.make(new_knob, ctx, False)


# --------------------------------------------------------------------------- one trial

def run_trial(fam: Family, scenario: str, trial: int, seed: int, series: int,
              dissimilar: int) -> Case:
    case = Case(fam.name, scenario, trial, seed)
    with tempfile.TemporaryDirectory(prefix="bench-advisor-", dir=TMP_ROOT) as tmp:
        ctx = Ctx(Path(tmp), np.random.default_rng(seed))
        lib = Library(Path(tmp) / "lib")
        try:
            stored, new = build_library(fam, scenario, ctx, lib, series, dissimilar)
            case.library_runs = len(stored)
            measure(case, fam, lib, stored, new)
        except Exception as exc:  # noqa: BLE001 - report, never end the benchmark
            case.error = f"{type(exc).__name__}: {exc}"
            tb = traceback.format_exc(limit=4).strip().splitlines()
            case.notes.append(" | ".join(t.strip() for t in tb[-4:])[:400])
        finally:
            lib.close()
    return case


def measure(case: Case, fam: Family, lib: Library, stored: list[Run], new: Problem) -> None:
    ode = fam.kind == "ode"
    # cold
    cold_run = solve(new)
    cold = result_of(cold_run)
    case.results["cold"] = cold

    # auto
    t = time.perf_counter()
    advice = suggest(lib, new)
    case.adv_ms = 1000 * (time.perf_counter() - t)
    case.adv_evals = advice.evaluations
    case.adv_reason = advice.reason
    top = advice.top
    if top is None:
        case.adv_cold = True
        case.results["auto"] = Result(cold.work, cold.fun, cold.state, cold.status, None)
    else:
        case.adv_source = "pred" if top.source == "predicted" else label(top.run_id)
        case.results["auto"] = result_of(solve(new, top.warm), source=case.adv_source)

    # auto + guard (its own warm start: a WarmStart is used once)
    again = suggest(lib, new).top
    if (again is None) != (top is None) or (again is not None and top is not None and (
            again.run_id != top.run_id or again.source != top.source)):
        case.notes.append("suggest gave another top on the second call")
    if again is None:
        case.results["guard"] = Result(cold.work, cold.fun, cold.state, cold.status, None)
        case.guard_action = "cold (advice)"
    else:
        kept, report = guarded_solve(lib, new, again.warm)
        case.guard_action = report.action
        case.guard_reason = report.reason
        r = result_of(kept, work=report.total_nfev,
                      source="pred" if again.source == "predicted" else label(again.run_id))
        case.results["guard"] = r

    # most recent usable run of the same structure
    same = [r for r in stored if r.usable and r.structure_hash == new.structure_hash()]
    recent = max(same, key=lambda r: r.created_at) if same else None
    rec_result = None
    if recent is not None:
        try:
            warm = warm_start_from_run(new, lib.get_run(recent.id, history=False))
            rec_result = result_of(solve(new, warm), source=label(recent.id))
        except WarmStartError:
            rec_result = None
    case.results["recent"] = rec_result or Result(cold.work, cold.fun, cold.state,
                                                  cold.status, None)

    # oracle: every stored usable run, and cold
    tries: list[Result] = [cold]
    for r in stored:
        if not r.usable:
            continue
        try:
            warm = warm_start_from_run(new, lib.get_run(r.id, history=False))
        except WarmStartError:
            continue
        tries.append(result_of(solve(new, warm), source=label(r.id)))
    case.oracle_tries = len(tries) - 1
    if ode:
        reach = [x for x in tries if state_error(x.state, cold.state) <= ODE_RTOL]
    else:
        reach = [x for x in tries if rel_gap(x.fun, cold.fun) <= WORSE_RTOL]
    best_try = min(reach or tries, key=lambda x: x.work)
    case.results["oracle"] = best_try

    # worse optima
    if ode:
        for s in STRATEGIES:
            err = state_error(case.results[s].state, cold.state)
            case.gap[s] = err
            case.worse[s] = err > ODE_RTOL
        case.guard_worse_than_cold = case.worse["guard"]
    else:
        funs = [x.fun for x in tries if x.fun is not None and math.isfinite(x.fun)]
        f_best = min(funs) if funs else None
        case.f_best = f_best
        for s in STRATEGIES:
            g = rel_gap(case.results[s].fun, f_best)
            case.gap[s] = g
            case.worse[s] = g > WORSE_RTOL
        case.guard_worse_than_cold = rel_gap(case.results["guard"].fun, cold.fun) > WORSE_RTOL


# --------------------------------------------------------------------------- reporting

def summary_rows(cases: list[Case]) -> list[dict[str, Any]]:
    rows = []
    ok = [c for c in cases if c.error is None]
    for s in STRATEGIES:
        ratios = [c.ratio(s) for c in ok]
        row: dict[str, Any] = {"strategy": s, "median": median(ratios), "worst": worst(ratios),
                               "best": min(ratios) if ratios else math.nan,
                               "worse": f"{sum(c.worse[s] for c in ok)}/{len(ok)}"}
        if s == "auto":
            row["extra"] = (f"advised cold {sum(c.adv_cold for c in ok)}/{len(ok)}; "
                            f"predicted {sum(c.adv_source == 'pred' for c in ok)}; "
                            f"advisor evals median {fmt(median(c.adv_evals for c in ok))} "
                            f"max {max((c.adv_evals for c in ok), default=0)}; suggest "
                            f"{fmt(median(c.adv_ms for c in ok))} ms median")
        elif s == "guard":
            acts: dict[str, int] = {}
            for c in ok:
                acts[c.guard_action] = acts.get(c.guard_action, 0) + 1
            row["extra"] = "; ".join(f"{k} {v}" for k, v in sorted(acts.items()))
        elif s == "cold":
            row["extra"] = (f"cold nfev median {fmt(median(c.results['cold'].work for c in ok))}"
                            f"; library runs {fmt(median(c.library_runs for c in ok))}")
        elif s == "oracle":
            row["extra"] = (f"cold best in {sum(c.results['oracle'].source is None for c in ok)}"
                            f"/{len(ok)}; tries median {fmt(median(c.oracle_tries for c in ok))}")
        rows.append(row)
    return rows


COLUMNS = [("strategy", "strategy"), ("median", "work med"), ("worst", "work worst"),
           ("best", "work best"), ("worse", "worse optimum"), ("extra", "notes")]


def case_text(c: Case, *strategies: str) -> str:
    parts = [f"{c.family} {c.scenario} trial {c.trial} seed {c.seed}:"]
    parts.append(f"cold nfev {c.results['cold'].work}")
    for s in strategies or STRATEGIES[1:]:
        r = c.results[s]
        parts.append(f"{s} {c.ratio(s):.3f}x ({r.work}, src {r.source or 'cold'}"
                     + (f", gap {c.gap[s]:.2e}" if c.gap.get(s, 0) and math.isfinite(
                         c.gap[s]) and c.gap[s] > 0 else "")
                     + (", WORSE" if c.worse.get(s) else "") + ")")
    if c.f_best is not None:
        parts.append(f"f_best {c.f_best:.6g} f_cold {c.results['cold'].fun}")
    parts.append(f"advice: {c.adv_reason[:110]}")
    if c.guard_action:
        parts.append(f"guard: {c.guard_action}"
                     + (f" ({c.guard_reason[:90]})" if c.guard_reason and "guard" in strategies
                        else ""))
    return "  " + " ".join(parts)


def evaluate_targets(fam: Family, cases: list[Case]) -> list[tuple[str, bool | None, str,
                                                                   list[str]]]:
    ok = [c for c in cases if c.error is None]
    out: list[tuple[str, bool | None, str, list[str]]] = []
    if not ok:
        return [("all", False, "no trial finished", [])]
    # (a)
    auto_m = median(c.ratio("auto") for c in ok)
    orc_m = median(c.ratio("oracle") for c in ok)
    passed = auto_m <= 1.15 * orc_m
    per_scen = []
    for scen in fam.scenarios:
        sc = [c for c in ok if c.scenario == scen]
        if not sc:
            continue
        am, om = median(c.ratio("auto") for c in sc), median(c.ratio("oracle") for c in sc)
        per_scen.append(f"{scen} {am:.3f}/{om:.3f}{'' if am <= 1.15 * om else ' FAIL'}")
    bad = sorted((c for c in ok if c.ratio("auto") > 1.15 * c.ratio("oracle")),
                 key=lambda c: -c.ratio("auto") / max(c.ratio("oracle"), 1e-12))
    out.append(("(a) auto median <= 1.15 x oracle median", passed,
                (f"auto {auto_m:.3f} vs oracle {orc_m:.3f} (x1.15 = {1.15 * orc_m:.3f}); "
                 f"per scenario auto/oracle: {', '.join(per_scen)}"),
                [case_text(c, "auto", "oracle") for c in bad[:8]] if not passed else []))
    # (b)
    small = [c for c in ok if c.scenario == "small"]
    if small:
        am = median(c.ratio("auto") for c in small)
        om = median(c.ratio("oracle") for c in small)
        if om <= 0.25:
            passed_b = am <= 0.30
            bad = sorted((c for c in small if c.ratio("auto") > 0.30),
                         key=lambda c: -c.ratio("auto"))
            out.append(("(b) small: auto median <= 0.30 of cold", passed_b,
                        f"auto {am:.3f}, oracle {om:.3f}",
                        [case_text(c, "auto", "oracle") for c in bad[:8]]
                        if not passed_b else []))
        else:
            out.append(("(b) small: auto median <= 0.30 of cold", None,
                        f"n/a: oracle median {om:.3f} > 0.25 (auto {am:.3f})", []))
    else:
        out.append(("(b) small: auto median <= 0.30 of cold", None,
                    "n/a: no 'small' scenario", []))
    # (c)
    auto_ok = sum(not c.worse["auto"] for c in ok)
    cold_ok = sum(not c.worse["cold"] for c in ok)
    passed_c = auto_ok >= cold_ok
    bad = [c for c in ok if c.worse["auto"] and not c.worse["cold"]]
    out.append(("(c) auto reaches the best optimum as often as cold", passed_c,
                f"auto {auto_ok}/{len(ok)}, cold {cold_ok}/{len(ok)}",
                [case_text(c, "auto") for c in bad[:8]] if bad else []))
    # (d)
    over = [c for c in ok if c.results["guard"].work > 1.3 * c.results["cold"].work]
    worse = [c for c in ok if c.guard_worse_than_cold]
    passed_d = not over and not worse
    out.append(("(d) guard: <= 1.3 x cold, never worse than cold", passed_d,
                (f"max {max(c.ratio('guard') for c in ok):.3f}x cold; over 1.3x: {len(over)}; "
                 f"worse than cold: {len(worse)}"),
                [case_text(c, "guard", "auto") for c in (over + [w for w in worse
                                                                 if w not in over])[:10]]))
    return out


# --------------------------------------------------------------------------- main

def load() -> str:
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="The warm-start advisor vs cold / recent / oracle")
    p.add_argument("--quick", action="store_true", help="3 trials, smaller libraries (< 2 min)")
    p.add_argument("--native-blas", action="store_true", help="see _common.NATIVE_BLAS")
    p.add_argument("--trials", type=int, default=None, help="trials per family and scenario")
    p.add_argument("--families", default="", help="comma-separated family names (default all)")
    p.add_argument("--verbose", action="store_true", help="one line per trial")
    return p.parse_args()


def main() -> int:
    args = parse()
    banner("Warm-start advisor: auto / auto+guard / most recent / oracle vs cold", args.quick)
    trials = args.trials or (3 if args.quick else 10)
    series, dissimilar = (8, 2) if args.quick else (16, 3)
    wanted = [f for f in args.families.split(",") if f]
    families = [f for f in FAMILIES if not wanted or f.name in wanted]
    print(f"trials per family and scenario: {trials} (x trials_factor); library: a series of "
          f"{series} runs + {dissimilar} dissimilar (+1 interrupted run for ode)")
    print("work = nfev / cold nfev (advisor evaluations excluded, shown in notes); worse "
          f"optimum: relative gap to the best known f > {WORSE_RTOL:g} (ode: final state vs "
          f"cold's, relative error > {ODE_RTOL:g})")
    print(f"at the start: {load()} (2 cores)")
    t_all = time.perf_counter()
    verdicts: list[tuple[str, list[tuple[str, bool | None, str, list[str]]]]] = []
    errors: list[str] = []
    for fi, fam in enumerate(families):
        t_fam = time.perf_counter()
        n_trials = max(2, round(trials * fam.trials_factor))
        cases: list[Case] = []
        for si, scen in enumerate(fam.scenarios):
            for k in range(n_trials):
                seed = 10_000 * (FAMILIES.index(fam) + 1) + 100 * si + k
                c = run_trial(fam, scen, k, seed, series, dissimilar)
                cases.append(c)
                if c.error:
                    msg = f"ERROR {fam.name} {scen} trial {k} seed {seed}: {c.error}"
                    errors.append(msg)
                    print(msg)
                    for n in c.notes:
                        print("      " + n)
                elif args.verbose:
                    print(case_text(c))
                    for n in c.notes:
                        print("      note: " + n)
        rows = []
        for scen in fam.scenarios:
            for row in summary_rows([c for c in cases if c.scenario == scen]):
                rows.append({"scenario": scen, **row})
        print_table(rows, [("scenario", "scenario")] + COLUMNS,
                    title=f"{fam.name} ({fam.kind}; knob: {fam.knob}; {n_trials} trials per "
                          f"scenario; {time.perf_counter() - t_fam:.0f} s)")
        notes = [f"{c.scenario} trial {c.trial}: {n}" for c in cases if c.error is None
                 for n in c.notes]
        for n in notes[:5]:
            print("  note: " + n)
        verdicts.append((fam.name, evaluate_targets(fam, cases)))
        sys.stdout.flush()

    print()
    print("=" * 100)
    print("TARGETS (per family, all scenarios pooled)")
    print("=" * 100)
    failed = 0
    for name, checks in verdicts:
        print(f"\n{name}")
        for what, passed, detail, bad in checks:
            tag = "n/a " if passed is None else ("PASS" if passed else "FAIL")
            failed += passed is False
            print(f"  {tag}  {what}: {detail}")
            if bad:
                print("        cases:" if passed is False else "        cases (not a fail "
                      "of the target, shown for the advisor):")
                for line in bad:
                    print("      " + line)
    print()
    print(f"{failed} target check(s) FAILED, {len(errors)} trial error(s); total "
          f"{time.perf_counter() - t_all:.0f} s; {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
