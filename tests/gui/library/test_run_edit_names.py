"""The app's rename, tag and notes dialogs apply the library's text rule as you
type (issue 13 item 5): a hostile name is named and cannot be confirmed, and
nothing reaches the library."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from PySide6.QtWidgets import QWidget

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.library.edit_commands import RunEditor

from ...core.factories import build, rosenbrock


@pytest.fixture
def setup(qtbot, tmp_path: Path) -> Iterator[tuple[RunEditor, Library, str]]:
    library = Library(tmp_path / "lib")
    run = solve(build(rosenbrock(n=2)))
    run.tags = ["keep"]
    library.save_run(run)
    parent = QWidget()
    qtbot.addWidget(parent)

    def selected(then: Callable[[list[dict[str, Any]]], None]) -> None:
        then([{**library.get_meta(run.id), "id": run.id}])

    yield RunEditor(library, parent, selected), library, run.id
    wait_for_background()
    library.close()


@pytest.mark.parametrize("action, text, words", [
    ("rename", "quad\u202eexe.txt", "U+202E"),
    ("rename", "title\x1b]0;pwned\x07", "U+001B"),
    ("edit_tags", "keep \x1b[31mred", "U+001B"),
    ("edit_notes", "line\nclear\x1b[2J", "U+001B"),
])
def test_a_hostile_text_is_named_and_cannot_be_confirmed(qtbot, setup, action: str, text: str,
                                                         words: str) -> None:
    editor, library, run_id = setup
    getattr(editor, action)()
    dialog = editor.active_dialog
    assert dialog.ok_button.isEnabled()            # the current text is fine
    dialog.set_text(text)
    assert not dialog.ok_button.isEnabled()
    assert words in dialog.problem.text() and dialog.problem.isVisible()
    dialog.set_text("fine-again")
    assert dialog.ok_button.isEnabled() and not dialog.problem.isVisible()
    dialog.reject()


def test_a_renamed_run_loses_the_spaces_typed_around_its_name(qtbot, setup) -> None:
    editor, library, run_id = setup
    editor.rename()
    editor.active_dialog.set_text("  the best run ")
    assert editor.active_dialog.ok_button.isEnabled()
    with qtbot.waitSignal(editor.changed, timeout=20_000):
        editor.active_dialog.accept()
    assert library.get_meta(run_id)["name"] == "the best run"
