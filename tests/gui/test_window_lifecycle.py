"""Long solves in the window: interrupt and cancel from the active-runs panel,
and closing the window while solves run (asks, then stops them; none is left
running). Also the first-launch offer, settings that persist and the About box."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from warmdesk.core.library import Library, RunQuery
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.settings import AppSettings

from ..core.factories import build, rosenbrock

TIMEOUT = 90_000


def long_problem(name: str = "long"):
    spec = rosenbrock("Nelder-Mead", n=60, a=1.0, maxiter=10**7, maxfev=10**7,
                      xatol=1e-14, fatol=1e-14)
    spec["name"] = name
    return build(spec)


def _start_long(qtbot, window, name: str) -> tuple[str, str]:
    with qtbot.waitSignal(window.manager.run_started, timeout=TIMEOUT) as started:
        job = window.launcher.launch_cold(long_problem(name), label=name)
    run_id = started.args[1].id
    with qtbot.waitSignal(window.manager.progress, timeout=TIMEOUT,
                          check_params_cb=lambda rid, rows: rid == run_id):
        pass
    return job, run_id


def test_interrupt_and_cancel_running_solves(qtbot, window) -> None:
    job_a, run_a = _start_long(qtbot, window, "long A")
    job_b, run_b = _start_long(qtbot, window, "long B")
    assert set(window.manager.active_jobs()) == {job_a, job_b}
    with qtbot.waitSignal(window.manager.job_finished, timeout=TIMEOUT,
                          check_params_cb=lambda job, _r: job == job_a) as done:
        window.manager.interrupt(job_a)
    assert done.args[1].run.status == "interrupted"
    assert done.args[1].run.nfev > 0
    with qtbot.waitSignal(window.manager.job_finished, timeout=TIMEOUT,
                          check_params_cb=lambda job, _r: job == job_b) as done:
        window.manager.cancel(job_b)
    assert done.args[1].run.status == "cancelled"
    statuses = {r["id"]: r["status"] for r in window.library.query(RunQuery(limit=10))}
    assert statuses[run_a] == "interrupted" and statuses[run_b] == "cancelled"
    assert window.manager.active_jobs() == []


def test_close_with_solves_running_asks_then_stops_them(qtbot, window) -> None:
    _start_long(qtbot, window, "still running")
    window.close()
    box = window.confirm_box
    qtbot.waitUntil(box.isVisible)
    assert window.isVisible()                      # nothing closes before the answer
    box.button(QMessageBox.StandardButton.No).click()
    assert window.isVisible() and window.manager.active_jobs()
    window.close()
    box = window.confirm_box
    qtbot.waitUntil(box.isVisible)
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT)
    assert window.manager.active_jobs() == []
    assert window.library.count(RunQuery(status="running", limit=0)) == 0
    assert window.library.count(RunQuery(status="interrupted", limit=0)) == 1


def test_first_launch_offers_the_examples(qtbot, tmp_path: Path, monkeypatch) -> None:
    from warmdesk.gui.main_window import MainWindow

    monkeypatch.setenv("WARMDESK_SETTINGS", str(tmp_path / "s.ini"))
    library = Library(tmp_path / "lib")
    win = MainWindow(library, AppSettings(str(tmp_path / "s.ini")))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(win.examples_offer.isVisible, timeout=20000)
    with qtbot.waitSignal(win.examples_started, timeout=TIMEOUT) as started:
        win.examples_offer.load_button.click()
    assert started.args[0] == 10
    assert not win.examples_offer.isVisible()
    qtbot.waitUntil(lambda: win.editor.current_path is not None
                    and win.editor.current_path.name == "rosenbrock_next.json", timeout=20000)
    qtbot.waitUntil(lambda: library.count(RunQuery(limit=0, status="converged")) >= 1,
                    timeout=TIMEOUT)
    win.manager.stop_all()
    win.close()
    wait_for_background()
    assert AppSettings(str(tmp_path / "s.ini")).examples_offered
    assert library.count(RunQuery(status="running", limit=0)) == 0
    library.close()


def test_settings_persist_and_about_box(qtbot, window, settings) -> None:
    window.plot.set_axes("iter", "grad_norm", False, True)
    window.resize(1234, 777)
    window.close()
    again = AppSettings(settings._qs.fileName())
    assert again.plot_axes == ("iter", "grad_norm", False, True)
    assert again.geometry is not None and again.window_state is not None
    window.actions["about"].trigger()
    box = window.findChild(QMessageBox, "about_box")
    assert box is not None and "PySide6" in box.text() and "SciPy" in box.text()
    box.close()


def test_library_folder_choice_persists(qtbot, window, settings, tmp_path: Path) -> None:
    from warmdesk.gui.app import open_library

    window.set_library_folder(str(tmp_path / "other"))
    assert "other" in window.statusBar().currentMessage()
    again = AppSettings(settings._qs.fileName())
    assert again.library_dir == str(tmp_path / "other")
    library = open_library(None, again)        # the next start opens it
    assert library.folder == tmp_path / "other"
    library.close()
