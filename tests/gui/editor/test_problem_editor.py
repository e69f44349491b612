"""The problem editor: every example loads, round-trips and validates; edits are
checked live and in the background; files open and save; data is previewed.

Decided behaviour for bad files (tested below): a file that is not a JSON object
(malformed JSON) leaves the editor's content as it was and emits ``load_failed``
with the reason; a JSON object with bad fields is shown in the forms with every
error listed (``validity_changed(False, ...)``), ready to be fixed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from warmdesk.core.engine import solve
from warmdesk.core.problems import load_problem, problem_from_dict
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.editor.problem_editor import ProblemEditor
from warmdesk.resources_path import examples_dir

from ...core.factories import build, fit_spec, rosenbrock, write_peaks

EXAMPLES = sorted(examples_dir().glob("*.json"))
TIMEOUT = 10_000


@pytest.fixture
def editor(qtbot):
    """A shown editor whose starter problem has been checked (so no late result of it
    can be mistaken for the result a test waits for)."""
    widget = ProblemEditor()
    qtbot.addWidget(widget)
    widget.resize(900, 650)
    widget.show()
    qtbot.waitUntil(widget.is_valid, timeout=TIMEOUT)
    yield widget
    wait_for_background()


def load(qtbot, editor: ProblemEditor, spec: dict, base_dir: Path | None = None):
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        editor.set_spec(spec, base_dir)
    return blocker.args[0]


def test_there_are_examples_of_every_kind() -> None:
    kinds = {json.loads(p.read_text())["kind"] for p in EXAMPLES}
    assert kinds == {"minimize", "fit", "train", "ode", "network"}
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_loads_round_trips_and_validates(qtbot, editor, path: Path) -> None:
    raw = json.loads(path.read_text())
    files: list[str] = []
    editor.file_changed.connect(files.append)
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        editor.load_file(path)
    problem = blocker.args[0]
    assert problem.kind == raw["kind"] and problem.name == raw["name"]
    assert editor.current_path == path and files == [str(path)]
    assert editor.spec() == problem_from_dict(raw, path.parent).spec
    assert editor.is_valid() and editor.problem() is problem
    assert editor.status_text().startswith("✓ Valid")


@pytest.mark.parametrize("kind", ["minimize", "fit", "train", "ode"])
def test_new_problem_of_every_kind_validates(qtbot, editor, kind: str) -> None:
    files: list[str] = []
    editor.file_changed.connect(files.append)
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        editor.new_problem(kind)
    assert blocker.args[0].kind == kind
    assert files == [""] and editor.current_path is None
    assert editor.header.kind.isVisible() and editor.header.kind.currentText() == kind


def test_choosing_another_kind_for_a_new_problem_gives_its_starter(qtbot, editor) -> None:
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        editor.header.kind.setCurrentText("ode")
    assert blocker.args[0].kind == "ode"
    assert editor.tabs.tabText(0) == "State"
    assert list(editor.forms["ode"].fields) == ["pos", "vel"]


def test_a_spec_of_no_known_kind_can_be_repaired(qtbot, editor) -> None:
    spec = rosenbrock(n=3)
    spec["kind"] = "minimise"
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as blocker:
        editor.set_spec(spec)
    assert blocker.args[1] == ("kind: must be one of minimize, fit, train, ode, network "
                               '(got "minimise")')
    assert editor.header.kind.isVisibleTo(editor) and editor.spec()["kind"] == "minimise"
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as fixed:
        editor.header.kind.setCurrentText("minimize")
    assert fixed.args[0].spec == build(rosenbrock(n=3)).spec
    assert not editor.header.kind.isVisibleTo(editor)


def test_a_typed_bad_expression_is_marked_and_fixing_it_validates(qtbot, editor) -> None:
    load(qtbot, editor, rosenbrock(n=3))
    field = editor.forms["minimize"].objective
    editor.tabs.setCurrentIndex(2)
    field.edit.clear()
    field.edit.setFocus()
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as blocker:
        qtbot.keyClicks(field.edit, "sum(x**2) + y")
    ok, message = blocker.args
    assert not ok
    assert "objective: unknown name 'y' (known: a, b, x) at column 13" in message.splitlines()
    assert field.edit.error_range() == (12, 13)
    selection = field.edit.extraSelections()[0]
    assert selection.cursor.selectedText() == "y"
    assert field.error_message().startswith("col 13: unknown name 'y'")
    assert field.message.isVisible()
    assert editor.problem() is None
    assert editor.spec()["objective"] == "sum(x**2) + y"  # the text is kept as typed
    assert editor.tabs.tabBar().tabTextColor(2).red() > 150  # the Model tab is marked
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as fixed:
        qtbot.keyClick(field.edit, Qt.Key.Key_Backspace)
        qtbot.keyClicks(field.edit, "a")
    assert fixed.args[0].spec["objective"] == "sum(x**2) + a"
    assert field.edit.extraSelections() == [] and field.error_message() == ""
    assert editor.is_valid()


def test_a_syntax_error_points_at_its_token(qtbot, editor) -> None:
    load(qtbot, editor, rosenbrock(n=3))
    edit = editor.forms["minimize"].objective.edit
    edit.set_text("sum(x) x")
    assert edit.error().message.startswith("unexpected name 'x'; expected an operator")
    assert edit.error_range() == (7, 8)
    edit.set_text("sum(x) + 2x")
    assert edit.error_range() == (9, 11)  # invalid number '2x'
    edit.set_text("sum(x")
    assert edit.error_range() == (3, 4) and "never closed" in edit.error().message


def test_fit_expressions_may_use_the_data_columns(qtbot, editor, tmp_path: Path) -> None:
    write_peaks(tmp_path)
    load(qtbot, editor, fit_spec(), tmp_path)
    form = editor.forms["fit"]
    qtbot.waitUntil(lambda: editor.data.columns == ["x", "y", "s"], timeout=TIMEOUT)
    assert form.model.edit.error() is None
    assert form.model.edit.names() >= {"x", "s", "A", "mu", "sig", "c"}
    assert "y" not in form.model.edit.names()  # the target is not an input
    assert "columns x, s" in form.names_hint.text()
    form.model.set_text("A[0]*y")
    assert "unknown name 'y'" in form.model.error_message()


def test_set_parameter_changes_the_problem_and_its_hash(qtbot, editor) -> None:
    first = load(qtbot, editor, rosenbrock(n=4))
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        editor.set_parameter("a", 1.25)
    second = blocker.args[0]
    assert float(second.parameters["a"]) == 1.25
    assert second.content_hash() != first.content_hash()
    assert second.structure_hash() == first.structure_hash()
    assert editor.spec()["parameters"] == {"a": 1.25, "b": 100.0}
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        editor.set_parameter("b", [10.0, 20.0, 30.0])
    assert blocker.args[0].parameters["b"].tolist() == [10.0, 20.0, 30.0]
    with pytest.raises(KeyError):
        editor.set_parameter("nope", 1.0)


def test_a_malformed_file_leaves_the_editor_as_it_was(qtbot, editor, tmp_path: Path) -> None:
    load(qtbot, editor, rosenbrock(n=3))
    before = editor.spec()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "warmdesk.problem/1", "name": ')
    with qtbot.waitSignal(editor.load_failed, timeout=TIMEOUT) as blocker:
        editor.load_file(bad)
    assert blocker.args[0].startswith("file: not valid JSON")
    assert editor.spec() == before and editor.current_path is None
    assert editor.is_valid()
    banner = editor.status_panel.banner
    assert banner.isVisible() and "Could not open bad.json: file: not valid JSON" in banner.text()


def test_a_spec_with_wrong_fields_is_shown_with_its_errors(qtbot, editor, tmp_path: Path) -> None:
    spec = rosenbrock(n=3)
    spec["solver"]["method"] = "bfgs"
    spec["objectiv"] = "x"
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(spec))
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as blocker:
        editor.load_file(path)
    ok, message = blocker.args
    assert not ok
    lines = message.splitlines()
    assert "objectiv: unknown field for kind 'minimize'" in lines
    assert any(line.startswith("solver.method: must be one of BFGS, L-BFGS-B") for line in lines)
    assert editor.current_path == path and editor.problem() is None
    assert editor.spec()["solver"]["method"] == "bfgs" and editor.spec()["objectiv"] == "x"
    assert editor.solver.method.currentText() == "bfgs"
    assert editor.status_panel.problems.count() == 2
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as fixed:
        editor.solver.set_method("BFGS")
    assert fixed.args == [False, "objectiv: unknown field for kind 'minimize'"]


def test_bad_cells_keep_their_text_and_name_their_field(qtbot, editor) -> None:
    load(qtbot, editor, rosenbrock(n=3))
    table = editor.variables
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as blocker:
        table.set_cell(0, 2, "zero")
    ok, message = blocker.args
    assert not ok and message.splitlines()[0] == 'variables.x.start: must be a number (got "zero")'
    assert table.table.item(0, 2).text() == "zero"
    assert table.table.item(0, 2).background().color().red() == 255
    assert editor.spec()["variables"]["x"]["start"] == "zero"
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        table.set_cell(0, 2, "0.5, 1, 1.5")
    assert blocker.args[0].variables[0].start.tolist() == [0.5, 1.0, 1.5]
    assert editor.spec()["variables"]["x"] == {"size": 3, "start": [0.5, 1, 1.5]}
    editor.parameters.add_row()
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as blocker:
        editor.parameters.set_cell(2, 0, "a")
    assert blocker.args[1] == "parameters.a: is named twice (rows 1 and 3)"


def test_the_data_preview_shows_the_csv(qtbot, editor, tmp_path: Path) -> None:
    (tmp_path / "obs.csv").write_text("t,signal,err\n" + "".join(
        f"{i},{2 * i + 1},0.5\n" for i in range(30)))
    spec = {"format": "warmdesk.problem/1", "name": "line", "kind": "fit",
            "variables": {"k": 1.0, "c": 0.0}, "data": {"file": "obs.csv"},
            "model": "k*t + c", "target": "signal", "sigma": "err"}
    problem = load(qtbot, editor, spec, tmp_path)
    assert problem.dataset.rows == 30
    messages: list[str] = []
    editor.validity_changed.connect(lambda _ok, message: messages.append(message))
    data = editor.data
    qtbot.waitUntil(lambda: data.columns == ["t", "signal", "err"], timeout=TIMEOUT)
    preview = data.preview
    assert [preview.horizontalHeaderItem(i).text() for i in range(3)] == ["t", "signal", "err"]
    assert preview.rowCount() == 20 and preview.item(3, 1).text() == "7"
    assert "30 rows × 3 columns" in data.info.text() and "t, signal, err" in data.info.text()
    assert [editor.forms["fit"].target.itemText(i) for i in range(3)] == ["t", "signal", "err"]
    (tmp_path / "broken.csv").write_text("t,signal\n1,2\n2,n/a\n")
    with qtbot.waitSignal(data.preview_ready, timeout=TIMEOUT):
        data.path.setText("broken.csv")
    assert data.info.text() == "broken.csv: row 3, column 'signal': 'n/a' is not a number"
    assert preview.rowCount() == 0 and data.columns is None
    with qtbot.waitSignal(data.preview_ready, timeout=TIMEOUT):
        data.path.setText("missing.csv")
    assert data.info.text().startswith("cannot read") and "missing.csv" in data.info.text()
    qtbot.waitUntil(lambda: any(m.startswith("data.file: cannot read") for m in messages),
                    timeout=TIMEOUT)
    assert editor.problem() is None


def test_save_file_writes_what_load_problem_reads_back(qtbot, editor, tmp_path: Path) -> None:
    for name in ("decay_base.json", "decay_base.csv"):
        shutil.copy(examples_dir() / name, tmp_path / name)
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT):
        editor.load_file(tmp_path / "decay_base.json")
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT):
        editor.forms["fit"].f_scale.setText("3.5")
    target = tmp_path / "decay_edited.json"
    files: list[str] = []
    editor.file_changed.connect(files.append)
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        editor.save_file(target)
    assert editor.current_path == target and files == [str(target)]
    on_disk = json.loads(target.read_text(encoding="utf-8"))
    assert on_disk == editor.spec() and on_disk["f_scale"] == 3.5
    assert load_problem(target).spec == editor.spec()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "decay_base.csv", "decay_base.json", "decay_edited.json"]  # no temp file left


def test_saving_elsewhere_keeps_the_data_reachable(qtbot, editor, tmp_path: Path) -> None:
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT):
        editor.new_problem("train")
    (tmp_path / "sub").mkdir()
    target = tmp_path / "sub" / "mine.json"
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        editor.save_file(target)
    written = json.loads(target.read_text())
    assert Path(written["data"]["file"]) == examples_dir() / "churn_base.csv"
    assert load_problem(target).dataset.rows == 400
    assert editor.data.path.text() == written["data"]["file"]
    assert not editor.header.kind.isVisible()  # saved: no longer a new problem


def test_a_failed_save_says_why(qtbot, editor, tmp_path: Path) -> None:
    with qtbot.waitSignal(editor.save_failed, timeout=TIMEOUT) as blocker:
        editor.save_file(tmp_path / "no" / "such" / "folder.json")
    assert "No such file or directory" in blocker.args[0]
    assert editor.current_path is None
    assert "Could not save folder.json" in editor.status_panel.banner.text()


def test_switching_method_keeps_the_options_valid(qtbot, editor) -> None:
    load(qtbot, editor, rosenbrock(n=3, gtol=1e-8, maxiter=300))
    solver = editor.solver
    assert solver.options_texts() == {"gtol": "1e-08", "maxiter": "300"}
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        solver.set_method("Nelder-Mead")
    problem = blocker.args[0]
    assert problem.method == "Nelder-Mead" and problem.options == {"maxiter": 300}
    assert "Dropped for Nelder-Mead: gtol" in solver.note.text()
    rows = [solver.table.item(r, 0).text() for r in range(solver.table.rowCount())]
    assert rows == ["maxiter", "maxfev", "xatol", "fatol", "adaptive"]
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        solver.set_option("adaptive", "true")
    assert blocker.args[0].options == {"maxiter": 300, "adaptive": True}
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as blocker:
        solver.set_option("xatol", "-1")
    assert blocker.args[1] == "solver.options.xatol: must be in (0, inf]"
    assert solver.table.item(2, 1).toolTip() == "must be in (0, inf]"
    methods = [solver.method.itemText(i) for i in range(solver.method.count())]
    assert methods == ["BFGS", "L-BFGS-B", "CG", "Newton-CG", "TNC", "Nelder-Mead", "Powell",
                       "SLSQP", "trust-constr"]


def test_constraints_and_train_features_are_edited_in_the_forms(qtbot, editor) -> None:
    spec = json.loads((examples_dir() / "tank_base.json").read_text())
    load(qtbot, editor, spec, examples_dir())
    form = editor.forms["minimize"]
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        form.add_constraint()
        form.rows[1].expr.edit.setPlainText("20 - h")
    assert [c.name for c in blocker.args[0].constraints] == ["capacity", "c1"]
    assert editor.spec()["constraints"][1] == {"type": "ineq", "expr": "20 - h"}
    churn = json.loads((examples_dir() / "churn_base.json").read_text())
    first = load(qtbot, editor, churn, examples_dir())
    train = editor.forms["train"]
    qtbot.waitUntil(lambda: train.features.count() == 5, timeout=TIMEOUT)
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        train.features.item(4).setCheckState(Qt.CheckState.Unchecked)
    assert blocker.args[0].features == churn["features"][:4]
    assert blocker.args[0].size == first.size - 1


def test_ode_right_hand_sides_follow_the_state_table(qtbot, editor) -> None:
    spec = json.loads((examples_dir() / "lotka_volterra_base.json").read_text())
    load(qtbot, editor, spec)
    ode = editor.forms["ode"]
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as blocker:
        editor.variables.add_row()
    assert list(ode.fields) == ["prey", "predator", "y2"]
    assert "rhs.y2: is required (the derivative of this state)" in blocker.args[1]
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        ode.fields["y2"].edit.setPlainText("-y2 + t")
    assert blocker.args[0].size == 3
    assert editor.spec()["rhs"]["y2"] == "-y2 + t"


def test_new_problem_from_a_run(qtbot, editor) -> None:
    run = solve(build(rosenbrock(n=3, a=1.5)))
    files: list[str] = []
    editor.file_changed.connect(files.append)
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        editor.new_from_run(run)
    assert blocker.args[0].spec == run.problem
    assert files == [""] and editor.current_path is None
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT) as blocker:
        editor.set_parameter("a", 1.6)
    assert blocker.args[0].structure_hash() == run.structure_hash
    assert blocker.args[0].content_hash() != run.problem_hash


def test_only_the_latest_edit_is_reported(qtbot, editor) -> None:
    load(qtbot, editor, rosenbrock(n=3))
    seen: list[float] = []
    editor.problem_changed.connect(lambda p: seen.append(float(p.parameters["a"])))
    editor.set_parameter("a", 2.0)
    editor.set_parameter("a", 3.0)
    qtbot.waitUntil(lambda: editor.is_valid(), timeout=TIMEOUT)
    assert seen == [3.0]


def test_a_method_that_ignores_the_bounds_is_a_field_error_and_solve_is_refused(
        qtbot, window) -> None:
    """BFGS picked for a bounded problem: the method is marked with the core's own
    refusal (one rule), the Solver tab turns red, and Solve starts nothing."""
    from warmdesk.core.method_capabilities import refusals
    from warmdesk.gui.editor.expression import ERROR_COLOR

    editor = window.editor
    problem = load(qtbot, editor, rosenbrock("L-BFGS-B", n=3))
    assert problem.variables[0].bounded and editor.solver.method_problem() == ""
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as blocker:
        editor.solver.set_method("BFGS")
    ok, message = blocker.args
    (_, expected), = refusals("minimize", "BFGS", ["x"])
    assert not ok and message == f"solver.method: {expected}"
    assert editor.solver.method_problem() == expected
    solver_tab = editor.tabs.indexOf(editor.solver)
    assert editor.tabs.tabBar().tabTextColor(solver_tab) == ERROR_COLOR
    editor.status_panel.field_clicked.emit("solver.method")  # a click on the problem
    assert editor.tabs.currentIndex() == solver_tab and editor.solver.method_error.isVisible()
    assert editor.problem() is None

    launched: list[str] = []
    window.manager.job_launched.connect(lambda job_id, _label: launched.append(job_id))
    assert not window.actions["solve"].isEnabled()
    assert not window.actions["solve_cold"].isEnabled()
    with qtbot.waitSignal(window.launcher.message, timeout=TIMEOUT) as said:
        window.launcher.solve()  # asked for all the same (a shortcut, a script)
    assert said.args[0].startswith("The problem has errors")
    assert launched == [] and window.manager.active_jobs() == []

    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT):
        editor.solver.set_method("TNC")  # a method that honours them: valid again
    assert editor.solver.method_problem() == "" and editor.solver.method_error.isHidden()


def test_a_spec_too_big_for_memory_is_refused_in_the_editor(qtbot, editor) -> None:
    """The core's memory estimate reaches the editor: t_eval is marked at once."""
    from warmdesk.core.memory_estimate import memory_limit

    states = 20_000 if 20_000 * 100_000 * 8 * 2 > memory_limit() else 100_000
    spec = {"format": "warmdesk.problem/1", "name": "big", "kind": "ode",
            "state": {"y": {"size": states, "start": 1.0}}, "rhs": {"y": "-y"},
            "t_span": [0, 1], "t_eval": 100_000}
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as blocker:
        editor.set_spec(spec)
    ok, message = blocker.args
    assert not ok and message.startswith("t_eval: the solve would need about ")
    assert "lower 't_eval' (fewer output points) or the size of 'state'" in message
    assert editor.problem() is None
