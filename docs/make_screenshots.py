"""Save PNGs of WarmDesk's main views into docs/screenshots/ (run from the repo root):

    python docs/make_screenshots.py

It builds a small library in a temporary folder from the bundled examples (each
family's base problem solved cold, its next problem warm-started from it), opens
the real main window offscreen at 1024x700, 1440x900 and 1920x1080 (each as a
first launch at that size) and grabs it (main-window-WxH.png); at 1440x900 also
the problem editor, the warm-start panel with suggestions and the run details,
and, from the network example (mlp_next trained cold and fine-tuned from
mlp_base), the training curves warm vs cold and the network editor; and the
Bratu sweep (resources/examples/sweeps/) in the sweep editor, run chained and
cold, in the Sweep tab (sweep-*.png). ``python docs/make_screenshots.py sweeps``
makes only those.
Fonts must be installed (Debian: fonts-dejavu-core), else every glyph renders
as a box.
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
FAMILIES = ("rosenbrock", "peaks", "portfolio", "lotka_volterra", "churn", "decay", "mlp")


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
        lib.save_run(solve(load_problem(examples / "mlp_next.json")))  # the cold reference
    return pair


#: The main window is shot at each of these sizes (a small laptop, a common
#: desktop, full HD), each laid out as a first launch at that size.
MAIN_SIZES = ((1024, 700), (1440, 900), (1920, 1080))


def wait(condition, timeout_s: float = 30.0) -> None:
    """Run the event loop until ``condition()`` holds (or exit after ``timeout_s``)."""
    from PySide6.QtCore import QEventLoop, QTimer

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


def open_window(folder: Path, settings_path: Path, size: tuple[int, int],
                cold_id: str, warm_id: str):
    """A main window at ``size`` (a first launch: default layout), the rosenbrock
    problem in the editor with its suggestions, the warm and cold runs compared."""
    from warmdesk.core.library import Library
    from warmdesk.gui.main_window import MainWindow
    from warmdesk.gui.settings import AppSettings

    settings = AppSettings(str(settings_path))
    settings.examples_offered = True
    library = Library(folder)
    window = MainWindow(library, settings)
    window.resize(*size)
    window.show()

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
    window.plot.flush()
    return window, library


def close_window(window, library) -> None:
    from PySide6.QtWidgets import QApplication

    from warmdesk.gui.background import wait_for_background

    window.manager.stop_all()
    window.close()
    wait_for_background()
    library.close()
    QApplication.processEvents()


def shoot_network(window, library) -> None:
    """The fine-tuned mlp run beside its cold reference in the training curves,
    and mlp_next.json in the network editor."""
    from warmdesk.core.library import RunQuery

    warm = [r["id"] for r in library.query(RunQuery(kind="network", limit=10))
            if r["warm_source"]]
    window.browser.select_runs(warm[:1])

    def gap_shown() -> bool:
        return window.training.gap() is not None

    wait(gap_shown)
    window.training.flush()
    save(window.plot_tabs, "training-curves.png")
    window.open_paths([ROOT / "resources" / "examples" / "mlp_next.json"])
    form = window.editor.forms["network"]

    def summed_up() -> bool:
        return form.summary is not None

    wait(summed_up)
    window.editor.tabs.setCurrentIndex(2)
    save(form, "network-editor.png")   # the whole form (the dock shows part of it)


def shoot_sweep(window) -> None:
    """The Bratu sweep in its editor (the path), then its result chained and cold."""
    window.open_paths([ROOT / "resources" / "examples" / "sweeps" / "bratu_sweep.json"])

    def edited() -> bool:
        editor = window.sweeps.editor
        return editor is not None and editor.run_button.isEnabled()

    wait(edited)
    editor = window.sweeps.editor
    save(editor, "sweep-editor.png")
    for cold in (False, True):
        editor.cold.setChecked(cold)
        editor.run()

        def swept() -> bool:
            return not window.sweeps.manager.is_running()

        wait(swept, 300)
    editor.close()
    save(window.sweeps.view, "sweep-result.png")
    save(window, "main-window-sweep.png")


def save(widget, name: str) -> None:
    widget.grab().save(str(OUT / name))
    print("saved", OUT / name)


def main() -> int:
    from warmdesk.gui.app import make_application

    OUT.mkdir(parents=True, exist_ok=True)
    only_sweeps = sys.argv[1:] == ["sweeps"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "library"
        cold_id, warm_id = build_library(folder)
        app = make_application([])  # noqa: F841 - the QApplication must exist (and live)
        for k, (width, height) in enumerate(MAIN_SIZES):
            if only_sweeps and (width, height) != (1440, 900):
                continue
            window, library = open_window(folder, Path(tmp) / f"settings-{k}.ini",
                                          (width, height), cold_id, warm_id)
            if only_sweeps:
                shoot_sweep(window)
                close_window(window, library)
                continue
            save(window, f"main-window-{width}x{height}.png")
            if (width, height) == (1440, 900):
                save(window.editor_dock, "problem-editor.png")
                save(window.warm_dock, "warm-start-panel.png")
                window.show_details(warm_id)

                def details() -> bool:
                    run = window.details.run()
                    return run is not None and run.id == warm_id

                wait(details)
                save(window.details_dock, "run-details.png")
                save(window, "main-window-details.png")
                shoot_network(window, library)
                shoot_sweep(window)
            close_window(window, library)
    return 0


if __name__ == "__main__":
    sys.exit(main())
