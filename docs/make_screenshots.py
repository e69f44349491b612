"""Save PNGs of WarmDesk's main views into docs/screenshots/ (run from the repo root):

    python docs/make_screenshots.py

It builds a small library in a temporary folder from the bundled examples (each
family's base problem solved cold, its next problem warm-started from it), opens
the real main window offscreen at 1440x900 and grabs: the library with the
convergence plot, the problem editor, the warm-start panel with suggestions and
the run details. Fonts must be installed (Debian: fonts-dejavu-core), else every
glyph renders as a box.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
FAMILIES = ("rosenbrock", "peaks", "portfolio", "lotka_volterra", "churn", "decay")


def build_library(folder: Path) -> tuple[str, str]:
    """Solve base (cold) and next (warm) of several families; returns the rosenbrock pair."""
    from warmdesk.core.advisor import record_outcome
    from warmdesk.core.engine import solve
    from warmdesk.core.library import Library
    from warmdesk.core.problems import load_problem
    from warmdesk.core.warmstart import warm_start_from_run

    examples = ROOT / "resources" / "examples"
    pair = ("", "")
    with Library(folder) as lib:
        for family in FAMILIES:
            base = solve(load_problem(examples / f"{family}_base.json"))
            lib.save_run(base)
            record_outcome(lib, base)
            nxt = load_problem(examples / f"{family}_next.json")
            warm = solve(nxt, warm_start_from_run(nxt, base))
            lib.save_run(warm)
            record_outcome(lib, warm)
            if family == "rosenbrock":
                pair = (base.id, warm.id)
    return pair


def main() -> int:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from warmdesk.core.library import Library
    from warmdesk.gui.app import make_application
    from warmdesk.gui.background import wait_for_background
    from warmdesk.gui.settings import AppSettings

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "library"
        cold_id, warm_id = build_library(folder)
        app = make_application([])  # noqa: F841 - the QApplication must exist (and live)
        from warmdesk.gui.main_window import MainWindow

        settings = AppSettings(str(Path(tmp) / "settings.ini"))
        settings.examples_offered = True
        library = Library(folder)
        window = MainWindow(library, settings)
        window.resize(1440, 900)
        window.show()

        def wait(condition, timeout_s: float = 30.0) -> None:
            loop = QEventLoop()
            timer = QTimer()
            timer.timeout.connect(lambda: condition() and loop.quit())
            timer.start(50)
            QTimer.singleShot(int(timeout_s * 1000), loop.quit)
            run_nested_loop = loop.exec  # Qt's QEventLoop.exec
            run_nested_loop()
            timer.stop()
            if not condition():
                raise SystemExit(f"timed out waiting for {condition.__name__}")

        def ready() -> bool:
            return window.is_ready()

        wait(ready)
        window.open_paths([ROOT / "resources" / "examples" / "rosenbrock_next.json"])

        def advised() -> bool:
            return window.warm_panel.advice() is not None and not window.warm_panel.is_busy()

        wait(advised)
        window.browser.select_runs([cold_id, warm_id])

        def compared() -> bool:
            return "saved" in window.plot.comparison_text()

        wait(compared)

        def settle() -> bool:
            return True

        wait(settle, 1)
        shots = {"main-window.png": window, "problem-editor.png": window.editor_dock,
                 "warm-start-panel.png": window.warm_dock}
        for name, widget in shots.items():
            window.plot.flush()
            widget.grab().save(str(OUT / name))
            print("saved", OUT / name)
        window.show_details(warm_id)

        def details() -> bool:
            run = window.details.run()
            return run is not None and run.id == warm_id

        wait(details)
        window.details_dock.grab().save(str(OUT / "run-details.png"))
        print("saved", OUT / "run-details.png")
        window.grab().save(str(OUT / "main-window-details.png"))
        window.manager.stop_all()
        window.close()
        wait_for_background()
        library.close()
        QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
