"""Crash-safety stress test of the run library: SIGKILL a process that is saving
runs, many times, and check after every kill that nothing was lost or torn.

A *child* process loops forever: build a small problem (a Rosenbrock with a
random parameter; now and then a bigger one, a Nelder-Mead with a 3,000-row
history, an ODE, or a warm start from its previous run, so saves differ in
size and shape) and solve it. Most solves (70%) are jobs of the app's job
runner (``core/jobs``, in this thread): saved ``running``, solved with durable
progress (the history and last iterate written about once a second), saved
finished. The others save a ``running`` record themselves, solve (some also
save the whole run as they go: after every iteration, or every 5 or 20 ms)
and save the finished run. ONLY AFTER the final save has returned the child
appends ``id status rows sha256(history)`` to a log file (written, flushed
and fsync'ed): "reported saved".

Rows lost per kill: a job's child also writes, once its run is saved
``running`` and at each progress batch (every 50 ms), its run's id, how many
history rows it has and the wall time of the last one into a shared file.
After a kill that landed in such a solve, the parent compares them with what
the recovered run holds: the rows lost (median and max) and the seconds of
work they stand for (the target: at most 1 s).

The *parent* kills the child with SIGKILL at a random moment:

- ``work``    (most kills): 0.05-1.5 s after the child printed ``ready``
              (it has opened the library), so the kill lands in solving or saving;
- ``open``:   0-4 ms after telling a pre-started child to open the library,
              so the kill lands in ``Library()`` (creation, migration, recovery);
- ``recover``: like ``open``, but right after a ``work`` kill and before the
              parent looks, so the child dies while turning the killed run's
              ``running`` record into ``interrupted``;
- ``startup``: 0-0.6 s after starting a fresh interpreter (imports / open).

To keep cycles fast, the next child is started (and imports numpy/scipy/the
core) while the current one works; it then waits for ``go`` on stdin.

After each kill the parent opens ``Library(DIR)`` (must succeed), runs
``library.check()`` (must be ``[]``), checks that no run is left ``running``,
that the number of ``interrupted`` runs equals what the opens recovered, and
that every run reported saved since the last check is in the library with its
logged status, ``nit``/``nfev``, history row count and history sha256 (plus a
random sample of the older ones). Every ``--cli-every`` kills (default 50) it
also runs the real ``warmdesk check --library DIR`` (exit code 0), and at the
end it re-checks every run ever reported saved.

Run:  python benchmarks/stress_kill.py [--kills 1000] [--seed N] [--library DIR]
Exit code 0 when there were no failures, 1 otherwise (each failure is printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mmap
import os
import random
import selectors
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

# The phase the child is in, written as one byte into a shared file, so the
# parent can tell where each kill landed.
PHASES = {b"i": "importing", b"w": "waiting for go", b"o": "opening the library",
          b"r": "saving the running record", b"s": "solving", b"p": "saving progress",
          b"f": "saving the finished run", b"l": "writing the log line", b"b": "building"}
#: The shared file: the phase (1 byte), then the running job's run id (32 bytes),
#: its history rows so far (int64) and the wall time of the last one (float64).
SHARED_BYTES = 1 + 32 + 8 + 8
MODES = ("work", "open", "recover", "startup")
MAX_FAILURES = 25          # stop early after this many (the library is kept for a look)
#: One BLAS thread in the children: the 2 cores are shared by the parent and two children.
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in BLAS_VARS:
        env.setdefault(var, "1")
    return env


# =========================================================================== child

def _problem_spec(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """A problem spec: mostly a 10-variable Rosenbrock with BFGS, sometimes
    bigger, longer or an ODE (different save sizes)."""
    fmt = "warmdesk.problem/1"
    roll = rng.random()
    a = round(rng.uniform(0.5, 2.0), 6)
    if roll < 0.08:   # ODE: outputs, checkpoints, a few hundred history rows
        return "ode", {
            "format": fmt, "name": "lotka-volterra", "kind": "ode",
            "state": {"prey": 10.0, "pred": 5.0},
            "parameters": {"alpha": round(rng.uniform(0.8, 1.4), 6), "beta": 0.4,
                           "delta": 0.1, "gamma": 0.4},
            "rhs": {"prey": "alpha*prey - beta*prey*pred",
                    "pred": "delta*prey*pred - gamma*pred"},
            "t_span": [0, rng.choice([20.0, 50.0])], "t_eval": 41, "checkpoints": 20,
            "solver": {"method": "RK45", "options": {"rtol": 1e-8, "atol": 1e-10}}}
    n, method, options = 10, "BFGS", {"gtol": 1e-8}
    kind = "rosenbrock-10"
    if roll < 0.14:   # a 3,000-row history (~200 KB raw)
        n, method, options, kind = 10, "Nelder-Mead", {"maxiter": 3000}, "nelder-mead"
    elif roll < 0.22:  # a 50x50 inverse Hessian in the state, ~250 history rows
        n, kind = 50, "rosenbrock-50"
    return kind, {
        "format": fmt, "name": f"rosenbrock-{n}", "kind": "minimize",
        "variables": {"x": {"size": n, "start": round(rng.uniform(-1.0, 0.5), 6),
                            **({"lower": -5, "upper": 5} if method == "Nelder-Mead" else {})}},
        "parameters": {"a": a, "b": 100.0},
        "objective": "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)",
        "solver": {"method": method, "options": options}}


def history_sha256(run: Any) -> str:
    return hashlib.sha256(run.history.array.tobytes()).hexdigest()


def child_main(libdir: str, logfile: str, phasefile: str, seed: int, wait_go: bool) -> int:
    """The child: open the library, then solve and save runs until killed."""
    fd_phase = os.open(phasefile, os.O_RDWR)
    phase = mmap.mmap(fd_phase, SHARED_BYTES)

    def at(code: bytes) -> None:
        phase[0:1] = code

    at(b"i")
    parent = os.getppid()
    # only the core: no Qt, no CLI
    from warmdesk.core.engine import new_run, solve
    from warmdesk.core.jobs import Job, JobRunner, Progress, Started
    from warmdesk.core.library import Library
    from warmdesk.core.problems import problem_from_dict
    from warmdesk.core.warmstart import warm_start_from_run

    if wait_go:
        at(b"w")
        print("warm", flush=True)
        if sys.stdin.readline().strip() != "go":
            return 0           # the parent is gone or changed its mind
    at(b"o")
    lib = Library(libdir)
    print("ready", flush=True)
    rng = random.Random(seed)
    log = os.open(logfile, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    size = os.fstat(log).st_size
    if size and os.pread(log, 1, size - 1) != b"\n":
        os.write(log, b"\n")  # end a line an earlier kill cut short
    previous = None
    while True:
        if os.getppid() != parent:
            return 0           # orphaned: the parent died, do not loop forever
        at(b"b")
        kind, spec = _problem_spec(rng)
        problem = problem_from_dict(spec)
        warm = None
        if (previous is not None and previous.usable and previous.kind == problem.kind
                and previous.problem["name"] == spec["name"] and rng.random() < 0.3):
            warm = warm_start_from_run(problem, previous)
        if rng.random() < 0.7:   # a job, with durable progress
            at(b"r")
            produced = [0]

            def on_event(event: Any) -> None:
                if isinstance(event, Started):   # saved running: its solve begins
                    phase[1:SHARED_BYTES] = (event.run.id.encode().ljust(32, b"-") +
                                             struct.pack("<qd", 0, 0.0))
                    at(b"s")
                elif isinstance(event, Progress):
                    produced[0] += len(event.rows)
                    phase[1:SHARED_BYTES] = (event.run_id.encode().ljust(32, b"-") +
                                             struct.pack("<qd", produced[0],
                                                         float(event.rows[-1, 3])))
                    at(b"s")

            runner = JobRunner(lib, Job(problem, warm, guard=False, mode="here"), on_event)
            result = runner.run()
            phase[1:SHARED_BYTES] = b"-" * (SHARED_BYTES - 1)
            if result.run is None or result.unsaved is not None or result.runs == []:
                continue
            run = result.run
            at(b"l")
            _log(log, run, kind)
            previous = run
            continue
        run = new_run(problem, warm)
        run.tags = rng.sample(["stress", "daily", "sweep", "kill", "big"], rng.randint(0, 3))
        run.notes = rng.choice(["", "", "stress test run", "a" * rng.randint(1, 3000)])
        run.status = "running"
        at(b"r")
        lib.save_run(run)      # recorded as running: a kill leaves it interrupted
        on_progress: Callable[[str, Any], None] | None = None
        interval = rng.choice([0.0, 0.005, 0.02])
        if rng.random() < 0.3:
            def on_progress(run_id: str, rows: Any, run: Any = run) -> None:
                at(b"p")
                lib.save_run(run)   # partial history, still running
                at(b"s")
        at(b"s")
        run = solve(problem, warm, on_progress=on_progress, run=run, progress_interval=interval)
        at(b"f")
        lib.save_run(run)
        if rng.random() < 0.1:
            lib.save_run(run)  # saving again replaces it (idempotent)
        at(b"l")
        _log(log, run, kind)
        previous = run


def _log(log: int, run: Any, kind: str) -> None:
    """The run is saved: report it (one line, fsync'ed)."""
    hist = run.history.array
    line = json.dumps({"id": run.id, "status": run.status, "rows": int(hist.shape[0]),
                       "sha256": history_sha256(run), "nit": run.nit, "nfev": run.nfev,
                       "kind": kind})
    os.write(log, (line + "\n").encode())
    os.fsync(log)


# =========================================================================== parent

@dataclass
class Entry:
    id: str
    status: str
    rows: int
    sha256: str
    nit: int
    nfev: int
    kind: str


@dataclass
class StressResult:
    kills: int = 0
    reported: int = 0               # runs the children reported saved (log lines)
    found: int = 0                  # of those, found intact at the last check
    runs_in_library: int = 0
    interrupted: int = 0            # runs recovered running -> interrupted
    saved_unreported: int = 0       # finished runs saved but killed before the log line
    torn_log_lines: int = 0         # a log line cut short by the kill (ignored)
    cli_checks: int = 0
    failures: list[str] = field(default_factory=list)
    cycle_seconds: list[float] = field(default_factory=list)
    check_seconds: list[float] = field(default_factory=list)   # open + check + verify
    modes: dict[str, int] = field(default_factory=dict)
    phases: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    library_bytes: int = 0
    #: per kill that landed in a job's solve: history rows it had that the
    #: recovered run does not hold, and the seconds of work they stand for
    lost_rows: list[int] = field(default_factory=list)
    lost_seconds: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class _Child:
    """One child process, its stdout reader, and its stderr file."""

    def __init__(self, script: str, libdir: Path, logfile: Path, phasefile: Path,
                 errfile: Path, seed: int, wait_go: bool) -> None:
        self.errfile = errfile
        self.phasefile = phasefile
        self.err = open(errfile, "wb")
        args = [sys.executable, script, "--child", str(libdir), str(logfile), str(phasefile),
                str(seed)]
        if wait_go:
            args.append("--wait-go")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, close_fds=True, env=child_env())
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
        self.buf = b""

    def wait_line(self, expected: str, timeout: float = 120.0) -> str | None:
        """Wait for ``expected`` on stdout; None on success, else what went wrong."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return f"no {expected!r} from the child within {timeout:.0f} s"
            if not self.sel.select(left):
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)  # type: ignore[union-attr]
            if not chunk:
                return f"the child ended before printing {expected!r}: {self.stderr()}"
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        got = line.decode(errors="replace").strip()
        return None if got == expected else f"the child printed {got!r}, not {expected!r}"

    def go(self) -> None:
        self.proc.stdin.write(b"go\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait()

    def stderr(self) -> str:
        self.err.flush()
        text = self.errfile.read_text(errors="replace").strip()
        return text[-1500:] if text else "(nothing on stderr)"

    def close(self) -> None:
        self.kill()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()  # type: ignore[union-attr]
            except OSError:
                pass
        self.sel.close()
        self.err.close()


def read_log(logfile: Path) -> tuple[list[Entry], int]:
    """The whole lines of the log, and how many lines a kill cut short."""
    try:
        data = logfile.read_bytes()
    except FileNotFoundError:
        return [], 0
    lines = data.split(b"\n")
    torn = 1 if lines[-1] else 0         # no newline at the end: cut by the kill
    entries = []
    for raw in lines[:-1]:
        try:
            d = json.loads(raw)
            entries.append(Entry(d["id"], d["status"], d["rows"], d["sha256"], d["nit"],
                                 d["nfev"], d["kind"]))
        except (ValueError, KeyError):
            torn += 1                    # cut short, then ended by the next child
    return entries, torn


def verify_entries(lib: Any, entries: list[Entry]) -> list[tuple[str, str]]:
    """Each entry's run is in ``lib``, whole: its status, counts and history.

    Returns ``(run id, what is wrong)`` pairs (empty when all are whole)."""
    from warmdesk.core.errors import LibraryError

    problems: list[tuple[str, str]] = []
    add = problems.append
    for e in entries:
        try:
            run = lib.get_run(e.id)
        except LibraryError as exc:
            add((e.id, f"run {e.id} was reported saved but is not in the library: {exc}"))
            continue
        hist = run.history.array
        got = history_sha256(run)
        if run.status != e.status:
            add((e.id, f"run {e.id} was saved {e.status!r} but is {run.status!r}"))
        if hist.shape[0] != e.rows:
            add((e.id, f"run {e.id}: its history has {hist.shape[0]} rows, "
                       f"{e.rows} were saved (a partial run)"))
        elif got != e.sha256:
            add((e.id, f"run {e.id}: its history's sha256 is {got[:16]}..., "
                       f"{e.sha256[:16]}... was saved"))
        if (run.nit, run.nfev) != (e.nit, e.nfev):
            add((e.id, f"run {e.id}: nit/nfev {run.nit}/{run.nfev}, saved as "
                       f"{e.nit}/{e.nfev}"))
    return problems


def cli_check(libdir: Path) -> str | None:
    """``warmdesk check --library DIR``; None when it exits 0."""
    proc = subprocess.run([sys.executable, "-m", "warmdesk", "check", "--library", str(libdir)],
                          capture_output=True, text=True, timeout=600, env=child_env())
    if proc.returncode != 0:
        return (f"`warmdesk check --library {libdir}` exited {proc.returncode}: "
                f"{(proc.stdout + proc.stderr).strip()[-1500:]}")
    return None


class StressTest:
    """The parent's loop, in steps a test can drive: ``cycle()`` kills one child
    and checks the library; ``finish()`` does the last, complete check."""

    def __init__(self, libdir: Path, workdir: Path, seed: int = 0, cli_every: int = 50,
                 sample: int = 40, out: Callable[[str], None] = print) -> None:
        self.libdir = Path(libdir)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.logfile = self.workdir / "reported.log"
        self.rng = random.Random(seed)
        self.cli_every = cli_every
        self.sample = sample
        self.out = out
        self.result = StressResult()
        self.verified = 0            # log entries already checked whole
        self.spare: _Child | None = None
        self.children = 0
        self.baseline_interrupted = 0
        self.force_mode: str | None = None
        self.deferred = False        # a kill whose check waits for the next kill
        self.last_cli = 0
        #: (run id, rows it had, wall time of its last row) per kill in a job's solve
        self.losses: list[tuple[str, int, float]] = []
        if (self.libdir / "library.sqlite").exists():
            from warmdesk.core.library import Library, RunQuery
            with Library(self.libdir) as lib:
                self.baseline_interrupted = lib.count(RunQuery(status="interrupted", limit=0))
                before = lib.count(RunQuery(limit=0))
            self.out(f"reusing the library in {self.libdir}: {before} runs, "
                     f"{self.baseline_interrupted} of them interrupted")

    # -- children
    def _start(self, wait_go: bool) -> _Child:
        self.children += 1
        slot = self.children % 4     # the current child, the spare, and their files
        phasefile = self.workdir / f"phase-{slot}"
        phasefile.write_bytes(b"-" * SHARED_BYTES)
        return _Child(os.path.abspath(__file__), self.libdir, self.logfile, phasefile,
                      self.workdir / f"child-{slot}.err", self.rng.randrange(2 ** 31), wait_go)

    def _prestart(self) -> None:
        if self.spare is None:
            self.spare = self._start(wait_go=True)

    def close(self) -> None:
        if self.spare is not None:
            self.spare.close()
            self.spare = None

    def _fail(self, message: str) -> None:
        self.result.failures.append(message)
        self.out(f"FAILURE (after kill {self.result.kills}): {message}")

    # -- one cycle
    def _mode(self) -> str:
        if self.force_mode:
            mode, self.force_mode = self.force_mode, None
            return mode
        if self.result.kills == 0 and not (self.libdir / "library.sqlite").exists():
            return "open"        # the first kill lands in creating the library
        return self.rng.choices(("work", "open", "startup"), weights=(84, 9, 7))[0]

    def cycle(self) -> None:
        """Start (or wake) a child, SIGKILL it, and check the library."""
        t0 = time.perf_counter()
        mode = self._mode()
        self.result.modes[mode] = self.result.modes.get(mode, 0) + 1
        if mode == "startup":
            child = self._start(wait_go=False)
            time.sleep(self.rng.uniform(0.0, 0.6))
        else:
            self._prestart()
            child, self.spare = self.spare, None
            assert child is not None
            problem = child.wait_line("warm")
            if problem:
                self._fail(f"the child did not start: {problem}")
                child.close()
                return
            child.go()
            if mode == "work":
                problem = child.wait_line("ready")
                if problem:
                    self._fail(f"the child could not open the library: {problem}")
                    child.close()
                    return
                self._prestart()  # the next child imports while this one works
                time.sleep(self.rng.uniform(0.05, 1.5))
            else:                # open, recover: the kill lands in Library() (~1 ms)
                time.sleep(self.rng.uniform(0.0, 0.004))
        if not child.alive():
            self._fail(f"the child ended by itself (exit code {child.proc.returncode}) "
                       f"before the kill: {child.stderr()}")
        code = child.kill()
        shared = child.phasefile.read_bytes()
        phase = PHASES.get(shared[:1], "starting the interpreter")
        if len(shared) >= SHARED_BYTES and shared[1:33] != b"-" * 32 and phase == "solving":
            produced, wall = struct.unpack("<qd", shared[33:SHARED_BYTES])
            self.losses.append((shared[1:33].decode(), produced, wall))
        child.close()
        self.result.kills += 1
        if code == -signal.SIGKILL:
            self.result.phases[phase] = self.result.phases.get(phase, 0) + 1
        self._prestart()         # (if not yet) the next child imports while we check
        if mode == "work" and self.rng.random() < 0.08:
            # leave the killed run 'running' for the next child to recover, and
            # kill that child while it opens the library; check after that kill
            self.force_mode, self.deferred = "recover", True
        else:
            self.deferred = False
            cli = self.cli_every > 0 and self.result.kills - self.last_cli >= self.cli_every
            self.check(cli=cli)
        self.result.cycle_seconds.append(time.perf_counter() - t0)

    # -- the checks after a kill
    def check(self, cli: bool = False, everything: bool = False) -> None:
        """Open the library and check it; every problem found is a failure."""
        from warmdesk.core.library import Library, RunQuery

        t0 = time.perf_counter()
        try:
            lib = Library(self.libdir)
        except Exception as exc:  # noqa: BLE001 - any error here is the finding
            self._fail(f"Library({self.libdir}) failed after the kill: "
                       f"{type(exc).__name__}: {exc}")
            return
        try:
            for p in lib.check()[:10]:
                self._fail(f"library.check(): {p}")
            running = lib.count(RunQuery(status="running", limit=0))
            if running:
                self._fail(f"{running} runs are still 'running' after opening the library")
            entries, self.result.torn_log_lines = read_log(self.logfile)
            new, old = entries[self.verified:], entries[:self.verified]
            bad = verify_entries(lib, new)
            if everything:
                bad += verify_entries(lib, old)
            else:
                # a sample of the older ones whole, and every one of them still
                # there with its status (one query)
                bad += verify_entries(lib, self.rng.sample(old, min(self.sample, len(old))))
                status = {r["id"]: r["status"] for r in lib.query(RunQuery(limit=10 ** 9))}
                bad += [(e.id, f"run {e.id} was saved {e.status!r} but is now "
                               f"{status.get(e.id, 'missing from the library')!r}")
                        for e in old if status.get(e.id) != e.status]
            self.verified = len(entries)
            for _, message in bad[:10]:
                self._fail(message)
            self._measure_losses(lib)
            total = lib.count(RunQuery(limit=0))
            interrupted = lib.count(RunQuery(status="interrupted", limit=0))
            r = self.result
            r.reported = len(entries)
            r.found = len(entries) - len({run_id for run_id, _ in bad})
            r.runs_in_library = total
            r.interrupted = interrupted - self.baseline_interrupted
            r.saved_unreported = max(0, total - interrupted - len(entries))
        finally:
            lib.close()
        self.result.check_seconds.append(time.perf_counter() - t0)
        if cli:
            self.last_cli = self.result.kills
            self.result.cli_checks += 1
            problem = cli_check(self.libdir)
            if problem:
                self._fail(problem)

    def _measure_losses(self, lib: Any) -> None:
        """What each kill in a job's solve lost: the rows the child had that the
        recovered run does not hold (its progress is written about once a second)."""
        for run_id, produced, wall in self.losses:
            if not lib.has_run(run_id):
                continue             # killed before its running record was committed
            run = lib.get_run(run_id)
            if run.status != "interrupted":
                continue             # its final save landed before the kill
            hist = run.history.array
            self.result.lost_rows.append(max(0, produced - len(hist)))
            self.result.lost_seconds.append(
                max(0.0, wall - (float(hist[-1, 3]) if len(hist) else 0.0)))
        self.losses = []

    def finish(self) -> StressResult:
        """The last, complete check: every run ever reported whole, and the CLI."""
        self.close()
        self.check(cli=True, everything=True)
        self.result.library_bytes = sum(
            p.stat().st_size for p in self.libdir.glob("library.sqlite*"))
        return self.result


def run_stress(kills: int, seed: int = 0, libdir: Path | None = None,
               workdir: Path | None = None, cli_every: int = 50, progress_every: int = 50,
               out: Callable[[str], None] = print) -> StressResult:
    """``kills`` kill-and-check cycles; returns the counts and the failures."""
    own = workdir is None
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="warmdesk-stress-"))
    lib = Path(libdir) if libdir else work / "library"
    test = StressTest(lib, work, seed=seed, cli_every=cli_every, out=out)
    t0 = time.perf_counter()
    try:
        while test.result.kills < kills and len(test.result.failures) < MAX_FAILURES:
            test.cycle()
            k = test.result.kills
            if progress_every and k % progress_every == 0:
                r = test.result
                out(f"  {k:5d} kills  {r.reported:6d} reported saved  {r.runs_in_library:6d} "
                    f"runs in the library  {len(r.failures)} failures  "
                    f"{statistics.fmean(r.cycle_seconds):.2f} s/cycle, last check "
                    f"{r.check_seconds[-1] if r.check_seconds else 0:.2f} s  "
                    f"({time.perf_counter() - t0:.0f} s)")
        result = test.finish()
    finally:
        test.close()
    result.elapsed = time.perf_counter() - t0
    if own and result.ok:
        shutil.rmtree(work, ignore_errors=True)
    elif own:
        out(f"the library and the log are kept in {work} for a look")
    return result


def report(r: StressResult, out: Callable[[str], None] = print) -> None:
    mean = statistics.fmean(r.cycle_seconds) if r.cycle_seconds else float("nan")
    out("")
    out("results")
    out("-------")
    rows = [("kills", r.kills),
            ("  by mode", ", ".join(f"{m} {r.modes.get(m, 0)}" for m in MODES)),
            ("  where they landed", ", ".join(f"{k} {v}" for k, v in
                                              sorted(r.phases.items(), key=lambda kv: -kv[1]))),
            ("runs reported saved", r.reported),
            ("runs found (whole, as reported)", r.found),
            ("runs in the library", r.runs_in_library),
            ("  recovered as interrupted", r.interrupted),
            ("  saved but killed before reporting", r.saved_unreported),
            ("log lines cut by a kill (ignored)", r.torn_log_lines),
            ("`warmdesk check` runs (all exit 0)" if r.ok else "`warmdesk check` runs",
             r.cli_checks),
            ("library size on disk", f"{r.library_bytes / 1e6:.1f} MB"),
            ("mean time per cycle", f"{mean:.3f} s"),
            ("  of which checking (mean, last)",
             f"{statistics.fmean(r.check_seconds or [0]):.3f} s, "
             f"{(r.check_seconds or [0])[-1]:.3f} s"),
            ("total time", f"{r.elapsed:.0f} s"),
            ("kills in a job's solve, measured", len(r.lost_rows)),
            ("  history rows lost per kill", _spread(r.lost_rows, "{:.0f}")),
            ("  as seconds of work (target <= 1 s)", _spread(r.lost_seconds, "{:.3f} s")),
            ("failures", len(r.failures))]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        out(f"{k.ljust(width)}  {v}")
    out("")
    if r.failures:
        out(f"FAIL: {len(r.failures)} failures; the first ones:")
        for f in r.failures[:10]:
            out(f"  - {f}")
    else:
        out(f"PASS: {r.kills} kills, {r.found} of {r.reported} runs reported saved found whole, "
            "no run left running, the library sound after every kill")


def _spread(values: list[Any], fmt: str) -> str:
    if not values:
        return "(none)"
    return (f"median {fmt.format(statistics.median(values))}, "
            f"max {fmt.format(max(values))}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        libdir, logfile, phasefile, seed = argv[1:5]
        return child_main(libdir, logfile, phasefile, int(seed), "--wait-go" in argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--library", metavar="DIR", help="the library folder (default: a new "
                        "temporary one, removed afterwards when all went well)")
    parser.add_argument("--cli-every", type=int, default=50,
                        help="run `warmdesk check` every N kills (default 50)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10 ** 6)
    print("=" * 100)
    print(f"WarmDesk library crash-safety stress test: {args.kills} SIGKILLs, seed {seed} "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"{time.strftime('%Y-%m-%d %H:%M')})")
    print("=" * 100, flush=True)
    result = run_stress(args.kills, seed=seed,
                        libdir=Path(args.library) if args.library else None,
                        cli_every=args.cli_every, out=lambda s: print(s, flush=True))
    report(result, out=lambda s: print(s, flush=True))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
