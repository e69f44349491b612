"""Adding a kind needs no edit in the GUI: a fifth kind, registered by a test
(the core's own proof, :mod:`tests.core.kinds.test_fake_kind`, reused), gets its
File > New problem entry, opens in the editor with the generic form (checked
live, errors by field, Solve refused while invalid), and its solve runs through
the real solve manager into the library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QKeySequence

from warmdesk.core.kinds import registry
from warmdesk.core.kinds.base import FormField, Kind
from warmdesk.core.library import RunQuery
from warmdesk.gui.editor.expression import ExpressionField
from warmdesk.gui.editor.forms import GenericForm
from warmdesk.gui.editor.problem_editor import ProblemEditor

from ...core.kinds.test_fake_kind import Simplex, spec

TIMEOUT = 20_000
SHOTS = Path(__file__).parent / "shots"


class SimplexWithStarter(Simplex):
    """The core test's kind, with the starter and typed form fields a real plug-in
    would have."""

    form_field_types = (FormField("objective", "expression", "Objective",
                                  "A number to minimise, in the points and parameters"),)

    def starter(self) -> tuple[dict[str, Any], bool]:
        body = {k: v for k, v in spec().items() if k not in ("format", "name", "kind")}
        return body, False


@pytest.fixture
def simplex() -> Iterator[Kind]:
    """Registered before the window is built, unregistered after it is gone."""
    kind = SimplexWithStarter()
    registry.register(kind)
    try:
        yield kind
    finally:
        registry.unregister(kind.name)
    assert registry.find_kind("simplex") is None


def new_problem_menu(window: Any) -> Any:
    file_menu = next(a.menu() for a in window.menuBar().actions()
                     if a.text().replace("&", "") == "File")
    return next(a.menu() for a in file_menu.actions()
                if a.menu() is not None and a.text().replace("&", "") == "New problem")


def test_a_registered_kind_is_offered_edited_solved_and_stored(qtbot, simplex: Kind,
                                                               window) -> None:
    menu = new_problem_menu(window)
    entries = [a.objectName() for a in menu.actions()]
    assert entries == [f"action_new_{k.name}" for k in registry.kinds()]
    assert entries[-1] == "action_new_simplex"
    action = window.actions["new_simplex"]
    assert action.text() == "&Simplex" and action.toolTip() == "A new simplex problem"
    assert window.actions["new_minimize"].shortcut() == QKeySequence(QKeySequence.StandardKey.New)
    assert action.shortcut().isEmpty()

    editor = window.editor
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT):
        action.trigger()
    form = editor.forms["simplex"]
    assert isinstance(form, GenericForm) and list(form.edits) == ["objective"]
    assert editor.model_stack.currentWidget().widget() is form
    assert editor.spec()["kind"] == "simplex"
    assert editor.tabs.tabText(0) == "Points" and editor.tabs.isTabVisible(0)
    assert not editor.tabs.isTabVisible(editor.tabs.indexOf(editor.data))
    assert editor.solver.method.currentText() == "Nelder-Mead"

    objective = form.edits["objective"]
    assert isinstance(objective, ExpressionField) and form.expression_fields() == [objective]
    assert objective.edit.toolTip().startswith("A number to minimise")

    # a name not in scope: marked as typed, refused by the core, Solve refused
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as checked:
        objective.edit.setPlainText("(p[0] - b)**2")
    ok, message = checked.args
    assert not ok and message.startswith("objective:") and "b" in message
    assert "b" in objective.error_message()
    assert not window.actions["solve"].isEnabled()
    # fixed: valid again, and the solve goes through the manager
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT):
        objective.edit.setPlainText("(p[0] - a)**2 + (p[1] - 2*a)**2")
    assert editor.spec()["objective"] == "(p[0] - a)**2 + (p[1] - 2*a)**2"
    assert objective.error_message() == "" and not form.errors["objective"].isVisibleTo(form)
    qtbot.waitUntil(window.actions["solve"].isEnabled, timeout=TIMEOUT)

    finished: list[Any] = []
    window.manager.job_finished.connect(lambda _job, result: finished.append(result))
    window.actions["solve"].trigger()
    qtbot.waitUntil(lambda: bool(finished), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.library.count(RunQuery(kind="simplex", limit=0)) == 1,
                    timeout=TIMEOUT)
    (row,) = window.library.query(RunQuery(kind="simplex"))
    assert row["status"] == "converged", row.get("message")
    assert row["method"] == "Nelder-Mead"

    if SHOTS.is_dir():   # for a look by eye: mkdir tests/gui/editor/shots
        window.grab().save(str(SHOTS / "simplex_window.png"))


def test_a_kind_that_declares_nothing_for_the_app_is_edited_as_json(qtbot) -> None:
    """No starter, no form fields: it opens empty with its errors, and each of its
    fields (but the unknowns, which have their tab) is a JSON-or-text line."""
    editor = ProblemEditor()
    qtbot.addWidget(editor)
    qtbot.waitUntil(editor.is_valid, timeout=TIMEOUT)
    kind = Simplex()
    registry.register(kind)   # after the editor was built: its form is made when needed
    try:
        with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as checked:
            editor.new_problem("simplex")
        ok, message = checked.args
        assert not ok and "objective" in message
        form = editor.forms["simplex"]
        assert isinstance(form, GenericForm) and list(form.edits) == ["objective"]
        assert editor.spec()["kind"] == "simplex"
        edit = form.edits["objective"]
        assert not isinstance(edit, ExpressionField)
        # malformed JSON is a field error before the core sees it
        with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as checked:
            edit.setText("[1, 2")
        assert "objective: not valid JSON" in checked.args[1]
        assert form.errors["objective"].isVisibleTo(form)
        # plain text is a text (an expression), JSON a value
        edit.setText("p[0]**2")
        assert editor.spec()["objective"] == "p[0]**2"
        edit.setText('{"a": [1, 2]}')
        assert editor.spec()["objective"] == {"a": [1, 2]}
    finally:
        registry.unregister(kind.name)


def test_an_editor_whose_kind_is_unregistered_says_so_and_does_not_raise(qtbot) -> None:
    """A kind taken out of the registry (a plug-in unloaded) while an editor still
    holds a problem of it: the next check reports it instead of raising in Qt's
    event loop (the cause of an order-dependent failure of this file's tests)."""
    kind = Simplex()
    registry.register(kind)
    editor = ProblemEditor()
    qtbot.addWidget(editor)
    try:
        with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT):
            editor.new_problem("simplex")
    finally:
        registry.unregister(kind.name)
    edit = editor.forms["simplex"].edits["objective"]
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as checked:
        edit.setText("p[0]**2 + 1")
    ok, message = checked.args
    assert not ok and "simplex" in message and "no longer" in message
