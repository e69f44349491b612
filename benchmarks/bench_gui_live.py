"""The live convergence plot under load: 16 curves growing to 100,000 points
each while 8 real solves run in child processes.

What runs, for ``--seconds`` (default 25):

- a window holding the ConvergencePlot at 1200x700, shown (offscreen unless a
  DISPLAY is given; QT_QPA_PLATFORM=offscreen is set if unset and no DISPLAY);
- 16 live curves, each fed a batch of history rows every 50 ms by its own
  clock (what a solver child process sends; see Feeder), generated with numpy:
  a decreasing objective with row-to-row noise (log-normal, sigma ``--noise``,
  default 0.05) and spikes (0.2% of rows, 5x to 50x). They reach ``--points``
  rows after ``--ramp`` seconds, then keep growing slowly (5 rows a batch) as
  a running solver's curve does;
- 8 real solves (a 20,000-variable L-BFGS-B Rosenbrock that does not stop by
  itself) launched through the app's SolveManager: a worker thread each,
  driving a child process, progress reaching the GUI thread as signals; a
  solve that ends is replaced at once. The children run at nice +10 (the
  manager's SOLVER_NICENESS) unless ``--no-nice``;
- a 5 ms QTimer on the GUI thread measuring how late it fires (event-loop
  lateness).

Printed: lateness p50/p95/p99/max (ms), plot frames per second (frame_drawn
count / seconds; also over the part where all curves hold >= --points),
points per curve at the end, CPU count, the GUI thread's CPU time and the
load average (other work on the machine shows there). Targets: p99 < 50 ms,
>= 30 fps. The plot redraws only when data changed, at most every 30 ms
(FRAME_INTERVAL_MS), so ~33 fps is the ceiling.

Measured here (2 CPUs, offscreen, 8 children at nice +10, through the
SolveManager, load average ~5 from other work): 32.4 fps overall, 32.7 while
all 16 curves hold >= 100,000 points; lateness p50 0.7 ms, p99 29.5 ms. With
``--no-nice`` the 8 CPU-bound children take the GUI's share of the 2 cores: ~6 fps,
p99 ~1 s.

Run:  python benchmarks/bench_gui_live.py [--seconds 25] [--no-nice] [--profile]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import rosenbrock_spec

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse

import numpy as np
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from warmdesk.core.problems import problem_from_dict
from warmdesk.core.runs import HISTORY_COLUMNS, HistoryCol
from warmdesk.gui.plot.convergence_plot import ConvergencePlot

BATCH_INTERVAL_MS = 50     # ~20 batches/s per run, like a solver child's progress
STEADY_ROWS = 5            # rows per batch once a curve holds --points


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--curves", type=int, default=16)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--ramp", type=float, default=8.0,
                        help="seconds for the live curves to reach --points")
    parser.add_argument("--solves", type=int, default=8)
    parser.add_argument("--noise", type=float, default=0.05,
                        help="row-to-row noise of the synthetic objective (log-normal sigma)")
    parser.add_argument("--no-nice", action="store_true",
                        help="leave the solver children at the GUI's priority")
    parser.add_argument("--profile", action="store_true",
                        help="profile the GUI thread and print the top functions")
    parser.add_argument("--grab", metavar="PNG", help="save the window as it ends to PNG")
    parser.add_argument("--native-blas", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


class Feeder:
    """One synthetic live run. Like a solver child process, it sends a batch
    every BATCH_INTERVAL_MS by its own clock, whatever the GUI is doing: when
    the GUI thread was busy, the batches due meanwhile arrive together (as
    queued pipe messages would), and the runs never fall into step."""

    def __init__(self, plot: ConvergencePlot, index: int, count: int, points: int,
                 ramp_s: float, noise: float = 0.05) -> None:
        self.plot, self.run_id = plot, f"live-{index:02d}"
        self.noise = noise
        self.rng = np.random.default_rng(index)
        self.rows = self.sent = 0
        self.points = points
        self.ramp_rows = int(np.ceil(points / (ramp_s * 1000 / BATCH_INTERVAL_MS)))
        self.scale = 10.0 ** self.rng.uniform(-1, 2)
        self.decay = self.rng.uniform(0.5, 3.0) / points
        self.phase_s = index * BATCH_INTERVAL_MS / 1000 / count
        self.started = time.perf_counter()
        plot.begin_live(self.run_id, f"synthetic run {index + 1}")
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.feed)

    def start(self) -> None:
        self.started = time.perf_counter()
        self.timer.start(int(self.phase_s * 1000))

    def stop(self) -> None:
        self.timer.stop()

    def feed(self) -> None:
        interval = BATCH_INTERVAL_MS / 1000
        due = int((time.perf_counter() - self.started - self.phase_s) / interval) + 1
        while self.sent < due:
            count = self.ramp_rows if self.rows < self.points else STEADY_ROWS
            self.plot.append_rows(self.run_id, self.batch(count))
            self.rows += count
            self.sent += 1
        next_at = self.started + self.phase_s + self.sent * interval
        self.timer.start(max(0, int((next_at - time.perf_counter()) * 1000)))

    def batch(self, count: int) -> np.ndarray:
        it = np.arange(self.rows + 1, self.rows + count + 1, dtype=float)
        rows = np.full((count, len(HISTORY_COLUMNS)), np.nan)
        rows[:, HistoryCol.ITER] = it
        rows[:, HistoryCol.NFEV] = 2 * it + 1
        rows[:, HistoryCol.NJEV] = it + 1
        rows[:, HistoryCol.WALL_S] = time.perf_counter() - self.started
        noise = np.exp(self.rng.normal(0.0, self.noise, count))
        spikes = np.where(self.rng.random(count) < 0.002, self.rng.uniform(5, 50, count), 1.0)
        fun = self.scale * np.exp(-self.decay * it) * noise * spikes + 1e-6
        rows[:, HistoryCol.FUN] = fun
        rows[:, HistoryCol.GRAD_NORM] = fun * 0.3 * np.exp(self.rng.normal(0.0, 0.5, count))
        rows[:, HistoryCol.STEP] = np.abs(self.rng.normal(0.0, 0.01, count))
        return rows


class BackgroundSolves:
    """``count`` real solves driven by the app's own SolveManager (a worker
    QThread per solve, each driving a child process; progress reaches the GUI
    thread as signals, runs are saved to a temporary library), each replaced
    by a new one when it ends."""

    def __init__(self, count: int, nice: bool, folder: Path) -> None:
        from warmdesk.core.library import Library
        from warmdesk.gui.runs import solve_manager
        from warmdesk.gui.runs.solve_manager import SolveManager

        if not nice:
            solve_manager.SOLVER_NICENESS = 0
        self.problem = problem_from_dict(rosenbrock_spec(
            "L-BFGS-B", n=20_000, gtol=1e-300, ftol=1e-300, maxiter=10_000_000))
        self.count = count
        self.library = Library(folder)
        self.manager = SolveManager(self.library)
        self.stopping = False
        self.started = self.rows = 0
        self.manager.progress.connect(self._progress)
        self.manager.job_finished.connect(self._finished)

    def start(self) -> None:
        for _ in range(self.count):
            self._launch()

    def _launch(self) -> None:
        from warmdesk.gui.runs.solve_manager import SolveRequest

        self.started += 1
        self.manager.launch(SolveRequest(self.problem, None, False, f"load {self.started}"))

    def _finished(self, _job_id: str, _result: object) -> None:
        if not self.stopping:
            self._launch()

    def _progress(self, _run_id: str, rows: np.ndarray) -> None:
        self.rows += len(rows)

    def alive(self) -> int:
        return len(self.manager.active_jobs())

    def running_children(self) -> int:
        return self.manager.running_threads()

    def stop(self) -> None:
        self.stopping = True
        self.manager.stop_all()
        self.library.close()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    args = parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QWidget()
    window.setWindowTitle("bench_gui_live")
    plot = ConvergencePlot(window)
    QVBoxLayout(window).addWidget(plot)
    window.resize(1200, 700)
    window.show()

    import tempfile
    tmp = tempfile.TemporaryDirectory()
    solves = BackgroundSolves(args.solves, nice=not args.no_nice, folder=Path(tmp.name))
    solves.start()
    deadline = time.perf_counter() + 60
    while solves.rows < 10 * args.solves and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.05)  # the benchmark's own set-up (children starting), not measured

    feeders = [Feeder(plot, i, args.curves, args.points, args.ramp, args.noise)
               for i in range(args.curves)]
    lateness: list[float] = []
    frames: list[float] = []
    plot.frame_drawn.connect(lambda: frames.append(time.perf_counter()))
    probe, clock = QTimer(), QElapsedTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(5)
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        if last[0]:
            lateness.append(max(0.0, now - last[0] - 5.0))
        last[0] = now

    probe.timeout.connect(tick)
    full_at: list[float] = []

    def check_full() -> None:
        if not full_at and all(len(plot.curve_data(f.run_id)[0]) >= args.points
                               for f in feeders):
            full_at.append(time.perf_counter())

    checker = QTimer()
    checker.timeout.connect(check_full)
    checker.start(100)
    clock.start()
    probe.start()
    cpu0 = time.thread_time()
    t0 = time.perf_counter()
    for feeder in feeders:
        feeder.start()
    QTimer.singleShot(int(args.seconds * 1000), app.quit)
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    run_event_loop = app.exec
    run_event_loop()
    if profiler is not None:
        profiler.disable()
    t1 = time.perf_counter()
    gui_cpu = time.thread_time() - cpu0
    for feeder in feeders:
        feeder.stop()
    probe.stop()
    alive_at_end = solves.alive()
    solves.stop()
    tmp.cleanup()

    elapsed = t1 - t0
    drawn = [f for f in frames if t0 <= f <= t1]
    print(f"CPUs: {os.cpu_count()}   platform: {app.platformName()}   window 1200x700   "
          f"{elapsed:.1f} s measured")
    print(f"background solves: {args.solves} wanted, {alive_at_end} running at the end, "
          f"{solves.started} started, {solves.rows} progress rows received, children "
          f"{'at nice +10' if not args.no_nice else 'not niced'}")
    print(f"GUI thread CPU time: {gui_cpu:.1f} s of {elapsed:.1f} s "
          f"({100 * gui_cpu / elapsed:.0f}%); "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"event-loop lateness (5 ms probe, {len(lateness)} ticks): "
          f"p50 {percentile(lateness, 50):.1f} ms  p95 {percentile(lateness, 95):.1f} ms  "
          f"p99 {percentile(lateness, 99):.1f} ms  max {max(lateness, default=float('nan')):.1f} ms"
          f"   (target p99 < 50 ms)")
    print(f"plot frames: {len(drawn)} in {elapsed:.1f} s = {len(drawn) / elapsed:.1f} fps"
          f"   (target >= 30)")
    if full_at:
        late = [f for f in drawn if f >= full_at[0]]
        span = t1 - full_at[0]
        late_lat = lateness[int(len(lateness) * (full_at[0] - t0) / elapsed):]
        print(f"  with all {args.curves} curves >= {args.points:,} points "
              f"(from {full_at[0] - t0:.1f} s): {len(late)} frames in {span:.1f} s = "
              f"{len(late) / span:.1f} fps; lateness p50 {percentile(late_lat, 50):.1f} ms, "
              f"p99 {percentile(late_lat, 99):.1f} ms")
    else:
        print(f"  the curves never all reached {args.points:,} points")
    sizes = [len(plot.curve_data(f.run_id)[0]) for f in feeders]
    print(f"points per curve at the end: min {min(sizes):,}  max {max(sizes):,}")
    if profiler is not None:
        import pstats
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    if args.grab:
        window.grab().save(args.grab)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
