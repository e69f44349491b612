"""The tests leave the user's home alone: a pytest run of the GUI tests' key
paths (the window and its settings, the file dialogs that Qt remembers in
``QtProject.conf``, the problem editor) with ``HOME`` set to an empty folder
leaves that folder empty. Everything they write goes to a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Tests that open the window, save its settings, open QFileDialogs and edit problems.
KEY_PATHS = (
    "tests/gui/test_window_lifecycle.py::test_settings_persist_and_about_box",
    "tests/gui/plot/test_convergence_plot.py::test_the_export_dialog_and_menu_pick_the_format",
    "tests/gui/library/test_library_browser.py::test_export_writes_a_readable_run_file",
    "tests/gui/editor/test_problem_editor.py",
    "tests/gui/test_unsaved_edits.py",
    "tests/gui/test_user_guide.py",
)
#: What points a program at the user's folders; all of it is removed for the run.
USER_FOLDERS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                "WARMDESK_LIBRARY", "WARMDESK_SETTINGS")


def _left_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.slow
def test_gui_tests_leave_an_empty_home_empty(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in USER_FOLDERS}
    env.update(HOME=str(home), PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         f"--basetemp={tmp_path / 'basetemp'}", *KEY_PATHS],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert _left_under(home) == [], "the GUI tests wrote into the user's home"
