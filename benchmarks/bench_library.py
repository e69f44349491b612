"""The run library at scale: 100,000 runs with 1,000-iteration histories.

Builds a library of ``--runs N`` synthetic runs (default 100,000; ``--quick``
5,000), in a temporary folder or in ``--library DIR`` (an existing library
there is reused, and topped up to N runs). The runs are realistic but not
solved: each starts from ``engine.new_run(problem)`` of one of a few base
problems of every kind (minimize, fit, train, ode), and gets a status, figures,
a creation time spread over a year, tags from a small vocabulary, some notes,
a name from one of several families, a solution, a 1,000-row history (iter,
nfev, njev, wall_s increasing; fun decreasing with noise; ...) and, for many,
a warm-start source among the earlier runs, so lineage chains exist (one of
them ~1,000 runs long). They are inserted with ``Library.save_runs`` in
batches (500 per transaction).

Then it measures (medians over repetitions):

- opening the library, in a fresh process and in this one        (< 1 s)
- filtered, sorted pages, a text search, a deep page sorted by nfev, and the
  counts for the same filters                                     (< 50 ms each)
- saving one run with a 1,000-row history into the big library    (< 20 ms)
- reading one whole run back (``get_run``), and a long lineage
- the size on disk per run (library.sqlite + -wal)
- 16 threads saving through one Library, and 4 threads each with its own
  Library (own connections, as separate programs would), while another thread
  reads (the first filtered page, and get_run): errors (0) and the read
  latency p99 (< 50 ms)

If building N runs takes longer than ``--max-build-seconds`` (default 1,080 s,
so a full run fits in 25 minutes), the build stops there and N shrinks to
what was built, which the output says clearly.

Run:  python benchmarks/bench_library.py [--quick] [--runs N] [--library DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))         # tests.core.factories

from _common import banner, median, parse_args, print_table  # noqa: E402  (first: pins BLAS)

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

from tests.core import factories  # noqa: E402
from warmdesk.core.engine import new_run, solve  # noqa: E402
from warmdesk.core.library import DB_NAME, Library, RunQuery  # noqa: E402
from warmdesk.core.problems import Problem, with_parameters  # noqa: E402
from warmdesk.core.runs import HISTORY_COLUMNS, History, Run, WarmStart, new_run_id  # noqa: E402

ROWS = 1000                          # history rows per run
BATCH = 500                          # runs per save_runs transaction
YEAR = 365 * 24 * 3600.0
TAGS = ("daily", "weekly", "baseline", "experiment", "paper", "prod", "test", "sweep",
        "calibration", "archived", "review", "gpu")
TAG_WEIGHTS = (20, 8, 6, 10, 3, 5, 6, 12, 7, 4, 3, 2)
STATUSES = ("converged", "stopped", "failed", "interrupted", "cancelled")
STATUS_WEIGHTS = (72, 10, 9, 5, 4)
NOTES = ("", "", "", "", "", "checked against the reference solution",
         "restarted from yesterday's best", "diverged after the parameter change; see log",
         "slow convergence near the bound", "for the quarterly report",
         "tolerance tightened to 1e-10", "compare with the GPU build")
LONG_CHAIN_TAG = "longchain"
TARGET_OPEN_S = 1.0
TARGET_QUERY_S = 0.050
TARGET_SAVE_S = 0.020
COL = {name: i for i, name in enumerate(HISTORY_COLUMNS)}


# =========================================================================== synthetic runs

@dataclasses.dataclass
class Template:
    """One base problem, with a few parameter variants and a real solved run."""
    kind: str
    label: str
    run: Run                           # new_run(problem) of the base problem
    variants: list[tuple[dict[str, Any], str, str]]   # (spec, problem_hash, structure_hash)
    solution: dict[str, np.ndarray]    # from one real solve
    fun_final: float
    has_grad: bool
    constrained: bool


def base_problems(folder: Path) -> list[tuple[str, Problem]]:
    f = factories
    f.write_peaks(folder)
    f.write_classification(folder)
    specs = [("rosenbrock BFGS", f.rosenbrock()),
             ("rosenbrock L-BFGS-B", f.rosenbrock("L-BFGS-B", n=20)),
             ("rosenbrock Nelder-Mead", f.rosenbrock("Nelder-Mead", n=6)),
             ("portfolio SLSQP", f.constrained()),
             ("peaks trf", f.fit_spec("trf")),
             ("peaks lm", f.fit_spec("lm")),
             ("logistic", f.train_spec("logistic")),
             ("lotka-volterra RK45", f.lotka_volterra()),
             ("robertson BDF", f.robertson_scalar())]
    return [(label, f.build(spec, folder)) for label, spec in specs]


def make_templates(folder: Path) -> list[Template]:
    templates = []
    for label, problem in base_problems(folder):
        solved = solve(problem)
        variants = [(problem.spec, problem.content_hash(), problem.structure_hash())]
        params = problem.spec.get("parameters") or {}
        scalar = [k for k, v in params.items() if isinstance(v, (int, float))]
        for i in range(1, 12 if scalar else 1):
            p = with_parameters(problem, **{k: float(params[k]) * (1 + 0.02 * i)
                                           for k in scalar[:1]})
            variants.append((p.spec, p.content_hash(), p.structure_hash()))
        templates.append(Template(
            kind=problem.kind, label=label, run=new_run(problem), variants=variants,
            solution={k: np.asarray(v, dtype=float) for k, v in solved.solution.items()},
            fun_final=float(solved.fun) if solved.fun is not None else math.nan,
            has_grad=problem.method not in ("Nelder-Mead",) and problem.kind != "ode",
            constrained=bool(problem.spec.get("constraints"))))
    return templates


def synth_history(rng: np.random.Generator, t: Template, wall: float, f0: float,
                  f1: float) -> np.ndarray:
    """A plausible 1,000-row history: counters and times increasing, fun decreasing."""
    h = np.full((ROWS, len(HISTORY_COLUMNS)), np.nan)
    it = np.arange(1, ROWS + 1, dtype=float)
    h[:, COL["iter"]] = it
    h[:, COL["nfev"]] = np.cumsum(rng.integers(1, 4, ROWS))
    h[:, COL["njev"]] = it if t.has_grad else 0.0
    h[:, COL["wall_s"]] = np.cumsum(rng.exponential(wall / ROWS, ROWS))
    if t.kind == "ode":
        h[:, COL["t"]] = np.cumsum(rng.exponential(1.0, ROWS)) * (20.0 / ROWS)
        h[:, COL["step"]] = rng.lognormal(-3.0, 0.5, ROWS)
    else:
        decay = np.exp(-it * rng.uniform(0.005, 0.02))
        noise = 1.0 + 0.05 * rng.standard_normal(ROWS)
        h[:, COL["fun"]] = f1 + (f0 - f1) * decay * noise
        h[:, COL["grad_norm"]] = np.abs(decay * rng.lognormal(0.0, 0.3, ROWS))
        h[:, COL["step"]] = rng.lognormal(-2.0, 1.0, ROWS)
        if t.constrained:
            h[:, COL["constr_viol"]] = np.abs(decay * rng.normal(0, 0.1, ROWS))
    return h


class RunFactory:
    """Makes the synthetic runs in creation order (the oldest first)."""

    def __init__(self, templates: list[Template], n: int, seed: int, long_chain: int,
                 t_start: float, span: float = YEAR) -> None:
        self.templates = templates
        self.rng = np.random.default_rng(seed)
        self.n = n
        self.made = 0
        self.t = t_start
        self.step = span / max(n, 1)      # creation times spread over ``span`` seconds
        # the long chain: every (n // long_chain)-th run warm-starts from the one before
        self.chain_every = max(1, n // long_chain) if long_chain else 0
        self.chain_len = long_chain
        self.chain_last: str | None = None
        self.chain_made = 0
        self.last_of: dict[int, list[str]] = {i: [] for i in range(len(templates))}
        self.weights = np.array([{"minimize": 14, "fit": 10, "train": 10, "ode": 8}[t.kind]
                                 for t in templates], dtype=float)
        self.weights /= self.weights.sum()
        self.tag_p = np.array(TAG_WEIGHTS, dtype=float) / 100.0
        self.status_p = np.array(STATUS_WEIGHTS, dtype=float) / sum(STATUS_WEIGHTS)

    def make(self) -> Run:
        rng = self.rng
        k = self.made
        self.made += 1
        self.t += self.step * rng.exponential(1.0)
        chain = bool(self.chain_every and k % self.chain_every == 0
                     and self.chain_made < self.chain_len)
        ti = 0 if chain else int(rng.choice(len(self.templates), p=self.weights))
        t = self.templates[ti]
        spec, phash, shash = t.variants[int(rng.integers(len(t.variants)))]
        status = "converged" if chain else str(rng.choice(STATUSES, p=self.status_p))
        wall = float(rng.lognormal(-1.0, 1.0))
        fun_final = (t.fun_final if math.isfinite(t.fun_final) else 0.0) + \
            abs(rng.normal(0, 1e-6))
        f0 = fun_final + abs(rng.normal(10.0, 5.0)) + 1.0
        h = synth_history(rng, t, wall, f0, fun_final)
        tags = [TAGS[i] for i in np.flatnonzero(rng.random(len(TAGS)) < self.tag_p)]
        family = int(rng.integers(5))
        when = time.strftime("%Y-%m-%d", time.gmtime(self.t))
        name = (f"{t.label} sweep {k % 97:02d}" if family == 0 else
                f"daily calibration {when}" if family == 1 else
                f"{t.kind} experiment #{k}" if family == 2 else
                f"paper figure {k % 12 + 1}" if family == 3 else
                f"{t.label} restart {k % 31}")
        run = dataclasses.replace(
            t.run, id=new_run_id(), name=name, problem=spec, problem_hash=phash,
            structure_hash=shash, status=status, created_at=self.t, started_at=self.t,
            finished_at=self.t + wall, wall_s=wall, nit=ROWS,
            nfev=int(h[-1, COL["nfev"]]), njev=int(h[-1, COL["njev"]]),
            solution={}, state={}, outputs={}, info=dict(t.run.info), history=History(h),
            warm=None, tags=tags, notes=str(rng.choice(NOTES)))
        if status != "failed":
            run.fun = None if t.kind == "ode" else float(h[-1, COL["fun"]])
            run.solution = {key: v * (1 + 1e-3 * rng.standard_normal(v.shape))
                            for key, v in t.solution.items()}
        else:
            run.message = "the objective is nan at evaluation 812 (iteration 407)"
        if status in ("stopped", "interrupted", "cancelled"):
            run.message = f"{status} by the user"
        recent = self.last_of[ti]
        if chain:
            run.name = f"long chain step {self.chain_made:05d}"
            run.tags = [*tags, LONG_CHAIN_TAG]
            if self.chain_last:
                run.warm = WarmStart(self.chain_last, ["x0"], mode="restart")
            self.chain_last = run.id
            self.chain_made += 1
        elif recent and rng.random() < 0.35:
            # warm-started from a recent run of the same problem: chains form
            src = recent[-1] if rng.random() < 0.7 else recent[int(rng.integers(len(recent)))]
            run.warm = WarmStart(src, ["x0"], mode="restart")
        if not chain and run.usable:
            recent.append(run.id)
            if len(recent) > 50:
                del recent[:25]
        return run


# =========================================================================== helpers

def timed(fn: Callable[[], Any], reps: int, warmup: int = 1) -> tuple[float, float, Any]:
    """(median seconds, worst seconds, last result) over ``reps`` calls."""
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return median(times), max(times), out


def p99(values: list[float]) -> float:
    if not values:
        return math.nan
    v = sorted(values)
    return v[min(len(v) - 1, int(math.ceil(0.99 * len(v))) - 1)]


def ms(seconds: float) -> str:
    return "-" if seconds is None or math.isnan(seconds) else f"{seconds * 1000:.1f} ms"


class Results:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, figure: str, value: float | None, shown: str, target: float | None = None,
            target_text: str = "-", lower_is_better: bool = True) -> None:
        if target is None or value is None:
            verdict = "info" if value is not None else "FAIL"
        elif isinstance(value, float) and math.isnan(value):
            verdict = "FAIL"
        else:
            verdict = "PASS" if (value < target if lower_is_better else value > target) \
                else "FAIL"
        self.rows.append({"figure": figure, "value": shown, "target": target_text,
                          "result": verdict})
        print(f"  {figure}: {shown}  [{target_text}: {verdict}]" if target is not None
              else f"  {figure}: {shown}", flush=True)

    @property
    def failed(self) -> list[str]:
        return [r["figure"] for r in self.rows if r["result"] == "FAIL"]


# =========================================================================== the build

def build_library(folder: Path, n: int, seed: int, max_build_s: float,
                  templates: list[Template]) -> tuple[int, float, bool]:
    """Top the library in ``folder`` up to ``n`` runs. Returns (runs built, seconds,
    stopped early by ``max_build_s``)."""
    with Library(folder) as lib:
        have = lib.count()
        has_chain = lib.count(RunQuery(tags=[LONG_CHAIN_TAG], limit=0)) > 0
    todo = n - have
    if todo <= 0:
        print(f"the library already holds {have} runs (>= {n}): nothing to build")
        return 0, 0.0, False
    print(f"building {todo} runs ({have} already there) in batches of {BATCH} "
          f"(history {ROWS} x {len(HISTORY_COLUMNS)} float64 = "
          f"{ROWS * len(HISTORY_COLUMNS) * 8 / 1000:.0f} kB raw per run)...", flush=True)
    chain = 0 if has_chain else min(1000, max(50, n // 20))
    factory = RunFactory(templates, todo, seed, chain, time.time() - YEAR)
    t0 = time.perf_counter()
    synth_s = save_s = 0.0
    built = 0
    stopped = False
    next_report = max(BATCH, todo // 10)
    lib = Library(folder)
    try:
        while built < todo:
            ts = time.perf_counter()
            batch = [factory.make() for _ in range(min(BATCH, todo - built))]
            tw = time.perf_counter()
            lib.save_runs(batch)
            te = time.perf_counter()
            synth_s += tw - ts
            save_s += te - tw
            built += len(batch)
            elapsed = te - t0
            if built >= next_report or built == todo:
                next_report += max(BATCH, todo // 10)
                size = sum(p.stat().st_size for p in folder.glob(DB_NAME + "*"))
                rate = built / elapsed
                print(f"  {built:7d} / {todo} runs  {elapsed:6.0f} s  {rate:6.0f} runs/s  "
                      f"(synthesising {synth_s / built * 1e3:.2f} ms/run, save_runs "
                      f"{save_s / built * 1e3:.2f} ms/run)  {size / 1e9:.2f} GB  "
                      f"ETA {(todo - built) / rate:.0f} s", flush=True)
            if elapsed > max_build_s and built < todo:
                stopped = True
                break
    finally:
        lib.close()
    seconds = time.perf_counter() - t0
    print(f"built {built} runs in {seconds:.0f} s: {built / seconds:.0f} runs/s "
          f"({seconds / built * 1e3:.2f} ms per run; save_runs alone "
          f"{save_s / built * 1e3:.2f} ms per run, synthesising {synth_s / built * 1e3:.2f})")
    if stopped:
        print()
        print("!" * 100)
        print(f"!! BUILD STOPPED EARLY: --max-build-seconds {max_build_s:.0f} was exceeded after "
              f"{built} of {todo} runs.")
        print(f"!! N SHRUNK from {n} to {have + built} runs; every figure below is for "
              f"{have + built} runs.")
        print(f"!! Measured build rate: {built / seconds:.0f} runs/s "
              f"(100,000 runs would take ~{100_000 / (built / seconds) / 60:.0f} min).")
        print("!" * 100, flush=True)
    return built, seconds, stopped


# =========================================================================== measurements

def measure_open(folder: Path, res: Results, reps: int) -> None:
    code = ("import sys, time\n"
            "t0 = time.perf_counter()\n"
            "from warmdesk.core.library import Library\n"
            "t1 = time.perf_counter()\n"
            "lib = Library(sys.argv[1])\n"
            "t2 = time.perf_counter()\n"
            "n = lib.count()\n"
            "t3 = time.perf_counter()\n"
            "lib.close()\n"
            "print(t1 - t0, t2 - t1, t3 - t2, n)\n")
    imports, opens, firsts, procs = [], [], [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                             text=True, check=True).stdout.split()
        procs.append(time.perf_counter() - t0)
        imports.append(float(out[0]))
        opens.append(float(out[1]))
        firsts.append(float(out[2]))
    res.add("open, fresh process: Library(dir)", median(opens), ms(median(opens)),
            TARGET_OPEN_S, "< 1 s")
    res.add("open, fresh process: + first count()", median(opens) + median(firsts),
            ms(median(opens) + median(firsts)), TARGET_OPEN_S, "< 1 s")
    print(f"    (in that process: importing the library module {ms(median(imports))}, "
          f"the whole process {ms(median(procs))})")

    def open_close() -> None:
        Library(folder).close()
    med, worst, _ = timed(open_close, reps)
    res.add("open, in-process: Library(dir)", med, f"{ms(med)} (worst {ms(worst)})",
            TARGET_OPEN_S, "< 1 s")


def measure_queries(lib: Library, n: int, res: Results, reps: int) -> RunQuery:
    deep = max(0, n // 2)
    cases = [
        ("page: minimize+converged+tag daily, by fun",
         RunQuery(kind="minimize", status="converged", tags=["daily"], sort="fun",
                  descending=False, limit=50)),
        ("page: text search 'diverged'", RunQuery(text="diverged", limit=50)),
        (f"page: all runs by nfev desc, offset {deep}",
         RunQuery(sort="nfev", descending=True, offset=deep, limit=50)),
        ("page: newest first (the default listing)", RunQuery(limit=50)),
        ("page: tags paper+review, by created_at", RunQuery(tags=["paper", "review"], limit=50)),
        ("page: status failed, method BFGS, by name",
         RunQuery(status="failed", method="BFGS", sort="name", descending=False, limit=50)),
    ]
    first = cases[0][1]
    for label, q in cases:
        med, worst, rows = timed(lambda q=q: lib.query(q), reps)
        res.add(f"{label} ({len(rows)} rows)", med, f"{ms(med)} (worst {ms(worst)})",
                TARGET_QUERY_S, "< 50 ms")
        med, worst, count = timed(lambda q=q: lib.count(q), reps)
        res.add(f"  count of the same ({count} runs)", med, f"{ms(med)} (worst {ms(worst)})",
                TARGET_QUERY_S, "< 50 ms")
    return first


def explain(lib: Library, q: RunQuery) -> list[str]:
    """EXPLAIN QUERY PLAN of a query (on a separate read-only connection)."""
    import sqlite3
    sql, args = q.select_sql()
    db = sqlite3.connect(f"file:{lib.path}?mode=ro", uri=True)
    try:
        return [r[-1] for r in db.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall()]
    finally:
        db.close()


def measure_save_get(lib: Library, factory: RunFactory, res: Results, reps: int) -> None:
    runs = [factory.make() for _ in range(reps + 1)]
    times = []
    for run in runs:
        t0 = time.perf_counter()
        lib.save_run(run)
        times.append(time.perf_counter() - t0)
    med = median(times[1:])
    res.add("save_run: one run, 1,000-row history", med,
            f"{ms(med)} (worst {ms(max(times[1:]))})", TARGET_SAVE_S, "< 20 ms")
    ids = [r["id"] for r in lib.query(RunQuery(limit=reps, offset=1000))]
    i = iter(ids * 2)
    med, worst, run = timed(lambda: lib.get_run(next(i)), reps)
    res.add("get_run: one whole run (all arrays)", med, f"{ms(med)} (worst {ms(worst)})")
    bad = [r for r in runs if not np.array_equal(lib.get_run(r.id).history.array,
                                                 r.history.array, equal_nan=True)]
    if bad:
        res.add("saved runs read back equal", None, f"{len(bad)} differ", 0, "all equal")


def measure_lineage(lib: Library, res: Results, reps: int) -> None:
    n_chain = lib.count(RunQuery(tags=[LONG_CHAIN_TAG], limit=0))
    if not n_chain:
        print("  (no long chain in this library: lineage not measured)")
        return
    mid = lib.query(RunQuery(tags=[LONG_CHAIN_TAG], sort="created_at", descending=False,
                             offset=n_chain // 2, limit=1))[0]["id"]
    for direction in ("ancestors", "descendants"):
        med, worst, rows = timed(lambda d=direction: lib.lineage(mid, d), reps)
        res.add(f"lineage {direction} of the middle of a {n_chain}-run chain "
                f"({len(rows)} runs)", med, f"{ms(med)} (worst {ms(worst)})")


def measure_size(folder: Path, n: int, res: Results) -> None:
    files = {p.name: p.stat().st_size for p in folder.glob(DB_NAME + "*")}
    total = files.get(DB_NAME, 0) + files.get(DB_NAME + "-wal", 0)
    res.add("size on disk per run (library.sqlite + -wal)", total / n,
            f"{total / n:,.0f} bytes ({total / 1e9:.2f} GB for {n} runs; raw history "
            f"{ROWS * len(HISTORY_COLUMNS) * 8:,} bytes)")


def concurrent(folder: Path, shared: Library | None, factory: RunFactory, threads: int,
               per_thread: int, readers: dict[str, Callable[[Library], Any]]
               ) -> dict[str, Any]:
    """``threads`` writer threads each saving ``per_thread`` runs (through ``shared``,
    or each through its own Library), while one more thread per entry of
    ``readers`` reads in a loop (through ``shared``, or one other Library)."""
    batches = [[factory.make() for _ in range(per_thread)] for _ in range(threads)]
    errors: list[str] = []
    save_times: list[float] = []
    read_times: dict[str, list[float]] = {name: [] for name in readers}
    lock = threading.Lock()
    start = threading.Barrier(threads + len(readers))
    done = threading.Event()

    def writer(runs: list[Run]) -> None:
        lib = shared
        try:
            if lib is None:
                lib = Library(folder)
            start.wait()
            for run in runs:
                t0 = time.perf_counter()
                try:
                    lib.save_run(run)
                except Exception as exc:  # noqa: BLE001 - counted, not raised
                    with lock:
                        errors.append(f"save: {type(exc).__name__}: {exc}")
                    continue
                with lock:
                    save_times.append(time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(f"writer: {type(exc).__name__}: {exc}")
        finally:
            if shared is None and lib is not None:
                lib.close()

    reader_lib = shared if shared is not None else Library(folder)

    def reader(name: str) -> None:
        read = readers[name]
        start.wait()
        while not done.is_set():
            t0 = time.perf_counter()
            try:
                read(reader_lib)
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(f"read: {type(exc).__name__}: {exc}")
                continue
            read_times[name].append(time.perf_counter() - t0)

    ws = [threading.Thread(target=writer, args=(b,)) for b in batches]
    rs = [threading.Thread(target=reader, args=(name,)) for name in readers]
    for t in ws + rs:
        t.start()
    t0 = time.perf_counter()
    for t in ws:
        t.join()
    wall = time.perf_counter() - t0
    done.set()
    for t in rs:
        t.join()
    if shared is None:
        reader_lib.close()
    with Library(folder) as lib:
        missing = sum(not lib.has_run(r.id) for b in batches for r in b)
    return {"errors": errors, "saves": len(save_times), "wall": wall,
            "save_p50": median(save_times), "save_p99": p99(save_times),
            "reads": {name: (len(v), median(v), p99(v), max(v, default=math.nan))
                      for name, v in read_times.items()},
            "missing": missing}


def measure_concurrency(folder: Path, lib: Library, factory: RunFactory, res: Results,
                        read_query: RunQuery) -> None:
    ids = [r["id"] for r in lib.query(RunQuery(limit=200, offset=5000))]
    pick = iter(ids * 10_000)
    readers: dict[str, Callable[[Library], Any]] = {
        "the filtered page": lambda lib: lib.query(read_query),
        "get_run": lambda lib: lib.get_run(next(pick))}
    alone = {name: timed(lambda read=read: read(lib), 9)[0] for name, read in readers.items()}
    for label, shared, threads in (("16 threads, one shared Library", lib, 16),
                                   ("4 threads, each its own Library", None, 4)):
        r = concurrent(folder, shared, factory, threads, 20, readers)
        print(f"  {label}: {r['saves']} saves in {r['wall']:.1f} s "
              f"({r['saves'] / r['wall']:.0f} runs/s; save latency p50 {ms(r['save_p50'])}, "
              f"p99 {ms(r['save_p99'])})")
        for name, (count, p50, q99, worst) in r["reads"].items():
            print(f"    meanwhile {count} reads of {name}: p50 {ms(p50)}, p99 {ms(q99)}, "
                  f"max {ms(worst)} (alone: median {ms(alone[name])})")
        for e in r["errors"][:5]:
            print(f"    error: {e}")
        res.add(f"{label}: errors", len(r["errors"]) + r["missing"] + 0.0,
                f"{len(r['errors'])} errors, {r['missing']} runs missing of "
                f"{threads * 20}", 0.5, "0")
        for name, (count, p50, q99, worst) in r["reads"].items():
            res.add(f"{label}: {name} p99 during the writes ({count} reads)", q99,
                    f"{ms(q99)} (alone {ms(alone[name])})", TARGET_QUERY_S, "< 50 ms")


# =========================================================================== main

def parse_library_args(description: str,
                       more: Callable[[argparse.ArgumentParser], None]) -> argparse.Namespace:
    """The options of the library benchmarks (this one and bench_gui_library):
    --quick, --runs, --library, then ``more``'s, then --native-blas."""
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--runs", type=int, default=None,
                            help="library size (default 100000)")
        parser.add_argument("--library", metavar="DIR",
                            help="build in (or reuse) this folder; kept afterwards")
        more(parser)
    return parse_args(description, options, quick_help="5,000 runs (unless --runs)")


def library_size(args: argparse.Namespace) -> int:
    """--runs, else 5,000 runs with --quick, else 100,000."""
    return args.runs or (5000 if args.quick else 100_000)


def library_folder(args: argparse.Namespace, prefix: str) -> Path:
    """--library, else a new temporary folder (the caller removes it)."""
    return Path(args.library) if args.library else Path(tempfile.mkdtemp(prefix=prefix))


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-build-seconds", type=float, default=1080.0,
                        help="stop building after this long and measure what was built "
                             "(default 1080 s)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--keep", action="store_true", help="keep the temporary library")


def main() -> int:
    args = parse_library_args(__doc__.split("\n\n")[0], _options)
    n = library_size(args)
    reps = 7 if args.quick else 15
    banner(f"WarmDesk run library at scale: {n} runs with {ROWS}-row histories", args.quick)
    own = args.library is None
    folder = library_folder(args, "warmdesk-bench-library-")
    print(f"library: {folder}")
    t_all = time.perf_counter()
    res = Results()
    try:
        with tempfile.TemporaryDirectory() as data:
            templates = make_templates(Path(data))
        print(f"{len(templates)} base problems: "
              + ", ".join(f"{t.label} ({t.kind})" for t in templates))
        built, build_s, stopped = build_library(folder, n, args.seed,
                                                args.max_build_seconds, templates)
        with Library(folder) as lib:
            n_now = lib.count()
        if built:
            res.add("build rate (save_runs, 500 per transaction)", built / build_s,
                    f"{built / build_s:.0f} runs/s ({built} runs in {build_s:.0f} s)"
                    + ("  [STOPPED EARLY: N shrunk]" if stopped else ""))
        extra = RunFactory(templates, 10_000, args.seed + 1, 0, time.time(), span=600.0)

        print("\nopening")
        measure_open(folder, res, 5 if args.quick else 7)
        with Library(folder) as lib:
            print("\nqueries")
            first = measure_queries(lib, n_now, res, reps)
            print("\nsaving and reading one run")
            measure_save_get(lib, extra, res, reps + 5)
            print("\nlineage")
            measure_lineage(lib, res, reps)
            print("\nconcurrency (writes of 1,000-row runs; reads: the first query above, "
                  "and get_run)")
            measure_concurrency(folder, lib, extra, res, first)
            n_final = lib.count()
            print("\nsize")
            measure_size(folder, n_final, res)
            slow = [r for r in res.rows if r["result"] == "FAIL"
                    and r["figure"].startswith(("page", "  count"))]
            if slow:
                print("\nquery plans (EXPLAIN QUERY PLAN) of the queries over target:")
                for q_label, q in (("newest first", RunQuery(limit=50)),
                                   ("by nfev desc", RunQuery(sort="nfev", limit=50)),
                                   ("by fun, filtered", first),
                                   ("text", RunQuery(text="diverged", limit=50))):
                    print(f"  {q_label}: " + " | ".join(explain(lib, q)))
        print()
        print_table(res.rows, [("figure", "figure"), ("value", "measured"),
                               ("target", "target"), ("result", "result")],
                    title=f"Summary: {n_final} runs"
                          + (f" (N SHRUNK from {n}: build stopped by --max-build-seconds)"
                             if stopped else ""))
        print(f"\ntotal time {time.perf_counter() - t_all:.0f} s")
        failed = res.failed
        print("\n" + (f"FAIL: {len(failed)} figures over target: " + "; ".join(failed)
                      if failed else "PASS: every figure within its target"))
        return 1 if failed else 0
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        return 2
    finally:
        if own and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        elif own:
            print(f"(the library is kept in {folder})")


if __name__ == "__main__":
    sys.exit(main())
