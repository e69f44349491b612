"""``warmdesk --self-test``: a smoke test of the installed (or frozen) app.

Offscreen, over a throw-away library and settings, it opens the real main
window, solves a bundled example cold and its successor warm (through the
window's solve manager, i.e. the job runner of ``core.jobs`` in child
processes, as every solve of the app and the CLI: the path a frozen app most
often breaks), exports both runs to a run file, imports that file into a second
library and through the window's open-files path, and closes the window.

It prints one line, ``self-test OK: <figures>`` (exit 0), or
``self-test FAILED: <reason>`` (exit 1). Nothing outside a temp folder is
touched: the user's library and settings stay as they were."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from .core.status import Status

#: Generous: the frozen app's first child start can take seconds on a busy machine.
WINDOW_TIMEOUT_S = 60
SOLVE_TIMEOUT_S = 180
IMPORT_TIMEOUT_S = 60


class SelfTestFailure(Exception):
    """A check of the self-test did not hold; the message says which."""


def run_self_test() -> int:
    """Run the self-test; print one line; return the exit code (0 or 1)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # before Qt is imported
    saved_settings = os.environ.get("WARMDESK_SETTINGS")
    try:
        with tempfile.TemporaryDirectory(prefix="warmdesk-self-test-") as tmp:
            os.environ["WARMDESK_SETTINGS"] = str(Path(tmp) / "settings.ini")
            summary = _run(Path(tmp))
    except SelfTestFailure as exc:
        print(f"self-test FAILED: {exc}", flush=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - any failure is the test's verdict, shown
        print(f"self-test FAILED: {type(exc).__name__}: {exc}", flush=True)
        return 1
    finally:
        if saved_settings is None:
            os.environ.pop("WARMDESK_SETTINGS", None)
        else:
            os.environ["WARMDESK_SETTINGS"] = saved_settings
    print(f"self-test OK: {summary}", flush=True)
    return 0


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestFailure(message)


def _wait(signal: Any, done: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run Qt's event loop until ``done()`` (checked whenever ``signal`` fires)."""
    from PySide6.QtCore import QEventLoop, QTimer

    if done():
        return
    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)

    def check(*_args: Any) -> None:
        if done():
            loop.quit()

    signal.connect(check)
    timer.start(int(timeout_s * 1000))
    run_loop = loop.exec   # Qt's local event loop
    run_loop()
    signal.disconnect(check)
    _check(done(), f"timed out after {timeout_s:.0f} s waiting for {what}")


def _run(tmp: Path) -> str:
    # The offscreen plugin notes "does not support propagateSizeHints()" on stderr:
    # harmless. No Python message handler filters it: Qt may log from its own
    # threads while Python shuts down, and a Python handler then crashes the exit.
    started = time.monotonic()
    from . import __version__
    from .core.library import Library
    from .gui.app import make_application
    from .gui.background import wait_for_background
    from .gui.settings import AppSettings

    make_application([])
    settings = AppSettings(str(tmp / "settings.ini"))
    settings.examples_offered = True   # the first-launch offer is not under test here
    library = Library(tmp / "library")
    window = None
    try:
        from .gui.main_window import MainWindow

        window = MainWindow(library, settings)
        window.show()
        _wait(window.ready, window.is_ready, WINDOW_TIMEOUT_S, "the main window to be ready")
        _check(__version__ in window.windowTitle(), "the window title lacks the version")
        ready_s = time.monotonic() - started
        solves = _solve_cold_then_warm(window, library)
        size_kb = _export_and_import(window, library, tmp, [solves["cold"], solves["warm"]])
        window.close()
    finally:
        if window is not None:
            window.manager.stop_all()   # after a failure: no solver left behind
        wait_for_background()
        library.close()
        if window is not None:
            _destroy(window)
    cold, warm = solves["cold"], solves["warm"]
    frozen = "frozen" if getattr(sys, "frozen", False) else "from source"
    return (f"WarmDesk {__version__} ({frozen}); window ready in {ready_s:.1f} s; "
            f"cold {cold.name} converged to f={cold.fun:.3g} in {cold.nfev} evaluations "
            f"({solves['cold_s']:.1f} s, child process); warm converged in {warm.nfev} "
            f"evaluations ({solves['warm_s']:.1f} s, saved {100 * (1 - warm.nfev / cold.nfev):.0f}%"
            f"); run file of 2 runs ({size_kb:.0f} KB) exported and imported; "
            f"total {time.monotonic() - started:.1f} s")


def _destroy(window: Any) -> None:
    """Delete the window and its children now, while Python and the application
    are whole, instead of leaving their order to the interpreter's exit."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    shiboken6.delete(window)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _solve_cold_then_warm(window: Any, library: Any) -> dict[str, Any]:
    """The bundled Rosenbrock example cold, then its successor warm-started from
    it under the guard: both through the window's solve manager (child processes)."""
    from .core.problems import load_problem
    from .core.warmstart import warm_start_from_run
    from .gui.runs.solve_manager import SolveRequest
    from .resources_path import examples_dir

    results: dict[str, Any] = {}
    window.manager.job_finished.connect(lambda job, result: results.__setitem__(job, result))

    def finished(job: str, what: str) -> Any:
        _wait(window.manager.job_finished, lambda: job in results, SOLVE_TIMEOUT_S, what)
        result = results[job]
        _check(result.error is None, f"{what}: {result.error}")
        _check(result.run is not None and result.run.status is Status.CONVERGED,
               f"{what} did not converge: "
               f"{getattr(result.run, 'status', None)} {getattr(result.run, 'message', '')}")
        return result.run

    examples = examples_dir()
    base = load_problem(examples / "rosenbrock_base.json")
    started = time.monotonic()
    cold = finished(window.launcher.launch_cold(base, "self-test: cold"), "the cold solve")
    cold_s = time.monotonic() - started

    successor = load_problem(examples / "rosenbrock_next.json")
    warm_start = warm_start_from_run(successor, library.get_run(cold.id))
    started = time.monotonic()
    warm = finished(window.manager.launch(SolveRequest(successor, warm_start, True,
                                                       "self-test: warm")), "the warm solve")
    warm_s = time.monotonic() - started
    _check(warm.warm is not None and warm.warm.source_run_id == cold.id,
           "the kept run is not the warm one (the guard fell back to cold)")
    _check(warm.nfev < cold.nfev, f"the warm start saved nothing ({warm.nfev} evaluations "
                                  f"warm, {cold.nfev} cold)")
    return {"cold": cold, "warm": warm, "cold_s": cold_s, "warm_s": warm_s}


def _export_and_import(window: Any, library: Any, tmp: Path, runs: list[Any]) -> float:
    """Export ``runs`` to a run file, import it into a second library and through
    the window's open-files path; returns the file's size in KB."""
    from .core.library import Library
    from .core.runfile import read_runfile, write_runfile

    ids = sorted(run.id for run in runs)
    originals = [library.get_run(i) for i in ids]
    exported = write_runfile(tmp / "self-test.wdrun", originals)
    other = Library(tmp / "other-library")
    try:
        added, present = other.import_runs(read_runfile(exported))
        _check(sorted(added) == ids and not present,
               f"the run file imported {len(added)} runs, expected {len(ids)}")
        for run_id, original in zip(ids, originals):
            back = other.get_run(run_id)
            _check(back.fun == original.fun and back.nfev == original.nfev
                   and back.history.array.shape == original.history.array.shape,
                   f"run {run_id[:8]} differs after export and import")
    finally:
        other.close()

    reports: list[Any] = []
    window.opener.runs_imported.connect(reports.append)
    window.open_paths([str(exported)])
    _wait(window.opener.runs_imported, lambda: bool(reports), IMPORT_TIMEOUT_S,
          "the window to import the run file")
    _check(not reports[0].refused, f"the window refused the run file: {reports[0].refused}")
    _check(sorted(reports[0].run_ids) == ids, "the window's import did not find the runs")
    return exported.stat().st_size / 1024


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(run_self_test())
