"""The library browser over 100,000 runs: opening, jumping, scrolling.

The library is built with ``bench_library``'s synthetic runs (its templates,
factory and batched ``build_library``), in ``--library DIR`` (reused, and
topped up to ``--runs``, when it exists) or in a temporary folder removed
afterwards. The browser reads summaries only, so the runs get short
histories (``--history-rows``, default 20, instead of bench_library's 1,000):
the library builds in about a minute and stays small.

Measured, with the LibraryBrowser shown at 1400x800 (offscreen unless
QT_QPA_PLATFORM says otherwise):

- open: from creating the browser to the first rows drawn (the count known,
  page 0 read, and a paint of the table with those rows)          (< 500 ms)
- jumps: the table scrolled to ``--jumps`` random rows; time until every row
  on screen is filled and drawn, p50 / p95                        (p95 < 250 ms)
- scrolling: ``--scroll-seconds`` of fast scrolling (a scroll bar drag of 60
  rows every 16 ms), with the rows that fill in meanwhile;
- the GUI thread's stalls over the jumps and the scrolling: a 5 ms QTimer
  measures how late it fires: p99 (< 50 ms, as bench_gui_live) and the worst;
  the same timer while idle shows the machine's own noise. A stall includes a
  table repaint (~10 ms of CPU at 1400x800) and, on a busy machine, the time
  the GUI thread waits for a CPU or for the GIL held by a pool thread reading
  a page: the load average is printed before and after.
- for scale: re-sorting by objective and a text filter, to the first rows drawn.

Run:  python benchmarks/bench_gui_library.py [--quick] [--runs N] [--library DIR]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import bench_library  # noqa: E402  (imports _common first: pins BLAS)
from _common import banner, print_table  # noqa: E402
from bench_library import ms  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QAbstractItemView, QApplication  # noqa: E402

from warmdesk.core.library import Library  # noqa: E402
from warmdesk.gui.background import wait_for_background  # noqa: E402
from warmdesk.gui.library.browser import LibraryBrowser  # noqa: E402
from warmdesk.gui.library.model import COLUMN_OF  # noqa: E402

TARGET_OPEN_S = 0.5
TARGET_JUMP_P95_S = 0.25
TARGET_STALL_S = 0.05
PROBE_MS = 5


class PaintProbe(QObject):
    """Counts the paints of a widget (the table's viewport)."""

    def __init__(self, widget: Any) -> None:
        super().__init__()
        self.paints = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


class LatenessProbe:
    """A 5 ms timer on the GUI thread; how late each tick came is a stall."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._last = 0.0
        self.timer = QTimer(interval=PROBE_MS, timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, now - self._last - PROBE_MS / 1000))
        self._last = now


def spin_until(app: QApplication, done: Callable[[], bool], timeout_s: float = 60.0) -> float:
    """Run Qt's event loop until ``done()`` (polled every millisecond); seconds taken."""
    t0 = time.perf_counter()
    if done():
        return 0.0
    loop = QEventLoop()
    poll = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
    poll.timeout.connect(lambda: loop.quit() if done() else None)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    poll.start()
    run_event_loop = loop.exec   # Qt's event loop (QEventLoop.exec)
    run_event_loop()
    poll.stop()
    if not done():
        raise TimeoutError("the browser did not get there in time")
    return time.perf_counter() - t0


def visible_rows(browser: LibraryBrowser) -> range:
    table = browser.table
    first = max(0, table.rowAt(0))
    last = table.rowAt(table.viewport().height() - 1)
    return range(first, (last if last >= 0 else browser.model.rowCount() - 1) + 1)


def shown(app: QApplication, browser: LibraryBrowser, probe: PaintProbe,
          timeout_s: float = 60.0) -> float:
    """Wait until the rows on screen are read and then drawn; seconds taken."""
    t0 = time.perf_counter()
    model = browser.model
    spin_until(app, lambda: model.total is not None and all(
        model.is_loaded(r) for r in visible_rows(browser)), timeout_s)
    painted = probe.paints
    browser.table.viewport().update()
    spin_until(app, lambda: probe.paints > painted, timeout_s)
    return time.perf_counter() - t0


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def build(folder: Path, n: int, history_rows: int, seed: int) -> None:
    bench_library.ROWS = history_rows      # bench_library reads it when it makes each run
    with tempfile.TemporaryDirectory() as data:
        templates = bench_library.make_templates(Path(data))
    bench_library.build_library(folder, n, seed, 3600.0, templates)


def measure(app: QApplication, library: Library, args: argparse.Namespace,
            rows: list[dict[str, Any]]) -> None:
    def add(figure: str, value: float, target: float | None = None, text: str = "") -> None:
        verdict = "" if target is None else ("PASS" if value < target else "FAIL")
        rows.append({"figure": figure, "value": text or ms(value),
                     "target": f"< {ms(target)}" if target else "-", "result": verdict})
        print(f"  {figure}: {text or ms(value)}", flush=True)

    stall = LatenessProbe()
    t0 = time.perf_counter()
    browser = LibraryBrowser(library)
    browser.resize(1400, 800)
    browser.show()
    probe = PaintProbe(browser.table.viewport())
    shown(app, browser, probe)
    total = browser.model.total or 0
    add(f"open: browser created -> first rows drawn ({total:,} runs)",
        time.perf_counter() - t0, TARGET_OPEN_S)
    spin_until(app, lambda: browser.facet_boxes["tag"].count() > 1)
    add("  (facet values and total count loaded, from creation)", time.perf_counter() - t0)

    stall.start()
    rng = random.Random(args.seed)
    jumps = []
    for _ in range(args.jumps):
        row = rng.randrange(total)
        t1 = time.perf_counter()
        browser.table.scrollTo(browser.model.index(row, 0),
                               QAbstractItemView.ScrollHint.PositionAtTop)
        shown(app, browser, probe)
        jumps.append(time.perf_counter() - t1)
    add(f"jump to a random row, rows filled and drawn: p50 ({len(jumps)} jumps)",
        statistics.median(jumps))
    add("jump to a random row, rows filled and drawn: p95", quantile(jumps, 0.95),
        TARGET_JUMP_P95_S)

    jump_late = list(stall.late)
    bar = browser.table.verticalScrollBar()
    bar.setValue(0)
    scroller = QTimer(interval=16)      # a fast scroll bar drag: 60 rows every 16 ms
    scroller.timeout.connect(lambda: bar.setValue(
        0 if bar.value() >= bar.maximum() else min(bar.maximum(), bar.value() + 60)))
    t_end = time.perf_counter() + args.scroll_seconds
    stall.late.clear()
    cpu0 = time.process_time()
    scroller.start()
    spin_until(app, lambda: time.perf_counter() >= t_end)
    scroller.stop()
    cpu = (time.process_time() - cpu0) / args.scroll_seconds
    scroll_late = list(stall.late)
    t1 = time.perf_counter()
    shown(app, browser, probe)
    add(f"after {args.scroll_seconds:.0f} s of fast scrolling (60 rows / 16 ms): rows filled "
        "and drawn", time.perf_counter() - t1)
    add("  (this process's CPU use while scrolling, all threads)", cpu, text=f"{cpu:.0%}")
    stall.late.clear()
    spin_until(app, lambda: time.perf_counter() >= t_end + 2.0)      # 2 s idle
    stall.stop()
    idle_late = list(stall.late)
    for label, late in (("jumps", jump_late), ("scrolling", scroll_late),
                        ("idle, for comparison (the machine's noise)", idle_late)):
        add(f"GUI thread stall (5 ms timer lateness), {label}: p50 / p99 / worst",
            max(late), text=" / ".join(ms(v) for v in (quantile(late, 0.5), quantile(late, 0.99),
                                                      max(late))) + f" ({len(late)} ticks)")
    add("GUI thread stall over jumps and scrolling: p99", quantile(jump_late + scroll_late, 0.99),
        TARGET_STALL_S)
    add("GUI thread stall over jumps and scrolling: worst", max(jump_late + scroll_late))

    bar.setValue(0)
    t1 = time.perf_counter()
    browser.table.horizontalHeader().setSortIndicator(COLUMN_OF["fun"],
                                                      Qt.SortOrder.AscendingOrder)
    spin_until(app, lambda: browser.model.query.sort == "fun" and browser.model.total)
    shown(app, browser, probe)
    add("sort by objective: first rows drawn", time.perf_counter() - t1)
    t1 = time.perf_counter()
    browser.filter_edit.setText("diverged")
    spin_until(app, lambda: browser.model.query.text == "diverged")
    t_debounced = time.perf_counter()
    spin_until(app, lambda: browser.count_label.text().startswith(
        f"{browser.model.total:,} of") if browser.model.total is not None else False)
    shown(app, browser, probe)
    add(f"text filter 'diverged' ({browser.model.total:,} runs): first rows drawn, "
        "after the 250 ms debounce", time.perf_counter() - t_debounced)
    browser.close()
    wait_for_background()


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history-rows", type=int, default=20,
                        help="history rows of each synthetic run (default 20)")
    parser.add_argument("--jumps", type=int, default=40)
    parser.add_argument("--scroll-seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=20261127)


def main() -> int:
    args = bench_library.parse_library_args(__doc__.split("\n\n")[0], _options)
    n = bench_library.library_size(args)
    banner(f"WarmDesk library browser over {n:,} runs", args.quick)
    own = args.library is None
    folder = bench_library.library_folder(args, "warmdesk-bench-gui-library-")
    print(f"library: {folder}  (QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    t_start = time.perf_counter()
    try:
        build(folder, n, args.history_rows, args.seed)
        app = QApplication.instance() or QApplication([sys.argv[0]])
        rows: list[dict[str, Any]] = []
        t0 = time.perf_counter()
        library = Library(folder)
        print(f"opening the library: {ms(time.perf_counter() - t0)}\n\nmeasuring")
        try:
            measure(app, library, args, rows)
        finally:
            library.close()
        print_table(rows, [("figure", "figure"), ("value", "measured"), ("target", "target"),
                           ("result", "result")], title=f"Summary: {n:,} runs")
        failed = [r["figure"] for r in rows if r["result"] == "FAIL"]
        print("\n" + ("FAIL: " + "; ".join(failed) if failed else
                      "PASS: every figure within its target"))
        print(f"total time {time.perf_counter() - t_start:.0f} s; load average now "
              f"{os.getloadavg()[0]:.1f}")
        return 1 if failed else 0
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
