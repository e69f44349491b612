"""Shared steps of the sweep GUI tests."""

from __future__ import annotations

from pathlib import Path

from warmdesk.core.sweeps import SweepSpec
from warmdesk.gui.sweeps.editor import SweepEditor

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples" / "sweeps"
TIMEOUT = 30_000


def open_editor(qtbot, window, path: Path) -> SweepEditor:
    """Open a sweep file as the user does (File > Open, a drop): by its content."""
    before = window.sweeps.editor
    window.open_paths([path])
    qtbot.waitUntil(lambda: window.sweeps.editor is not None
                    and window.sweeps.editor is not before, timeout=TIMEOUT)
    return window.sweeps.editor


def spec_of(editor: SweepEditor) -> SweepSpec:
    result = editor.preview_result()
    assert result is not None and result.sweep is not None, result
    return result.sweep


def wait_valid(qtbot, editor: SweepEditor) -> SweepSpec:
    qtbot.waitUntil(lambda: editor.run_button.isEnabled(), timeout=TIMEOUT)
    return spec_of(editor)
