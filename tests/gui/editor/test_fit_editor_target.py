"""The problem editor with a fit whose target is an expression (``log(counts)``):
it loads, validates and saves back the same spec, and the columns the target
reads are not offered to the model."""

from __future__ import annotations

import json
from pathlib import Path

from warmdesk.core.problems import load_problem, problem_from_dict
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.editor.problem_editor import ProblemEditor

from ...core.test_fit_target import _decay

TIMEOUT = 10_000


def test_an_expression_target_loads_validates_and_round_trips(qtbot, tmp_path: Path) -> None:
    editor = ProblemEditor()
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(editor.is_valid, timeout=TIMEOUT)
    path = _decay(tmp_path)
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        editor.load_file(path)
    problem = blocker.args[0]
    assert problem.target == "log(counts)" and problem.target_columns == {"counts"}
    assert editor.is_valid()
    assert editor.spec() == problem_from_dict(json.loads(path.read_text()), tmp_path).spec
    form = editor.forms["fit"]
    qtbot.waitUntil(lambda: editor.data.columns == ["t", "counts"], timeout=TIMEOUT)
    assert "t" in form.model.edit.names() and "counts" not in form.model.edit.names()
    saved = tmp_path / "saved.json"
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        editor.save_file(saved)
    assert load_problem(saved).spec == editor.spec()
    assert json.loads(saved.read_text())["target"] == "log(counts)"
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT):  # a bare column again
        form.target.setCurrentText("counts")
    assert editor.problem().target == "counts" and editor.problem().target_expression is None
    wait_for_background()
