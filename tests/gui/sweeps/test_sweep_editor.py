"""The sweep editor in the real window: a sweep file opens by its content, every
error the core names is shown on its field, a bad point is crossed on the path,
and Save writes a file the core loads from its new folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from warmdesk.core.sweeps import load_sweep
from warmdesk.gui.sweeps.editor import SweepEditor
from warmdesk.gui.sweeps.sweep_data import Axis

from .helpers import EXAMPLES, TIMEOUT, open_editor, spec_of

ROOT = Path(__file__).resolve().parents[3]


def _valid(qtbot, editor: SweepEditor) -> None:
    qtbot.waitUntil(lambda: editor.preview_result() is not None
                    and not editor._timer.isActive() and editor.state.text() != "Checking…",
                    timeout=TIMEOUT)


def test_a_sweep_file_opens_in_the_sweep_editor_by_its_content(qtbot, window) -> None:
    window.open_paths([EXAMPLES / "bratu_sweep.json"])
    qtbot.waitUntil(lambda: window.sweeps.editor is not None, timeout=TIMEOUT)
    editor = window.sweeps.editor
    _valid(qtbot, editor)
    assert editor.isVisible() and editor.name.text() == "bratu-lambda"
    assert [editor.table.item(0, c).text() for c in range(4)] == ["lam", "0.1", "4.1", "33"]
    assert editor.max_halvings.value() == 2 and editor.max_fun.text() == "1e-14"
    # Dask is installed here: one worker process by default, not the app's own
    assert editor.workers.value() == 1 and editor.workers.maximum() >= 1
    result = editor.preview_result()
    assert result.errors == [] and len(result.sweep.points) == 33
    # the path: one chain (one worker) through every point, in the core's order
    assert sum(len(c) for c in result.chains) == 33
    assert [p[1] for p in editor.preview.drawn[0]] == [
        result.sweep.points[i].values["lam"] for i in result.chains[0]]
    assert editor.run_button.isEnabled()
    # the problem being edited is untouched (it was a sweep, not a problem)
    assert window.editor.current_path is None


def test_every_bad_field_is_shown_where_it_is(qtbot, window) -> None:
    editor = open_editor(qtbot, window, EXAMPLES / "bratu_sweep.json")
    _valid(qtbot, editor)
    editor.table.item(0, 3).setText("many")           # vary.lam.num
    editor.max_fun.setText("-1")                      # check.max_fun
    editor.max_fun.textEdited.emit("-1")
    editor._add_row(Axis("nope", "1", "2", "3"))   # no such parameter
    qtbot.waitUntil(lambda: editor.errors.count() >= 2, timeout=TIMEOUT)
    said = [editor.errors.item(i).text() for i in range(editor.errors.count())]
    assert any(s.startswith("vary.lam.num:") for s in said), said
    assert any(s.startswith("check.max_fun:") for s in said), said
    assert "vary.lam.num" in editor.table.item(0, 3).toolTip()
    assert editor.table.item(0, 3).background().color().red() == 255
    assert "must be a finite number >= 0" in editor.max_fun.toolTip()
    assert "border" in editor.max_fun.styleSheet()
    assert not editor.run_button.isEnabled()
    # the grid is whole again: the core goes on to the parameters' names
    editor.table.item(0, 3).setText("9")
    qtbot.waitUntil(lambda: "no such parameter" in editor.table.item(1, 0).toolTip(),
                    timeout=TIMEOUT)
    assert editor.table.item(0, 3).toolTip() == ""
    # fixed: the marks go, Run comes back
    editor.table.selectRow(1)
    editor._remove_row()
    editor.max_fun.setText("1e-14")
    editor.max_fun.textEdited.emit("1e-14")
    qtbot.waitUntil(lambda: editor.run_button.isEnabled(), timeout=TIMEOUT)
    assert editor.errors.count() == 0 and editor.max_fun.styleSheet() == ""
    assert len(editor.preview_result().sweep.points) == 9


def test_a_bad_point_is_named_and_crossed_on_the_path(qtbot, window, tmp_path) -> None:
    data = json.loads((EXAMPLES / "bratu_sweep.json").read_text())
    data["vary"] = {"lam": {"from": 0.5, "to": 1.5, "num": 5}}
    data["overrides"] = [{"points": [3], "set": {"solver": {"method": "no-such-method"}}}]
    path = tmp_path / "bad_point.json"
    data["problem"] = str(EXAMPLES / "bratu.json")
    path.write_text(json.dumps(data))
    editor = open_editor(qtbot, window, path)
    _valid(qtbot, editor)
    result = editor.preview_result()
    assert result.sweep is None and result.bad_points() == {3}
    assert all(f.startswith("points[3].solver.method") for f, _ in result.errors)
    assert sum(len(c) for c in result.chains) == 5       # the path is still drawn
    assert "points[3].solver.method" in editor.errors.item(0).text()
    assert not editor.run_button.isEnabled()


def test_save_writes_a_sweep_the_core_loads_from_its_new_folder(qtbot, window,
                                                               tmp_path) -> None:
    editor = open_editor(qtbot, window, EXAMPLES / "bratu_sweep.json")
    _valid(qtbot, editor)
    editor.table.item(0, 3).setText("7")
    editor.chain_length.setValue(3)
    _valid(qtbot, editor)
    target = tmp_path / "elsewhere" / "mine.json"
    target.parent.mkdir()
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        editor.save_to(target)
    saved = json.loads(target.read_text())
    original = json.loads((EXAMPLES / "bratu_sweep.json").read_text())
    assert saved["vary"] == {"lam": {"from": 0.1, "to": 4.1, "num": 7}}
    assert saved["chaining"] == {**original["chaining"], "chain_length": 3}
    assert saved["description"] == original["description"]   # fields not edited are kept
    sweep = load_sweep(target)                                # the problem path follows
    assert len(sweep.points) == 7 and sweep.chain_length == 3
    assert editor.path == target


def test_a_new_sweep_from_the_problem_being_edited(qtbot, window) -> None:
    window.actions["new_sweep"].trigger()
    qtbot.waitUntil(lambda: window.sweeps.editor is not None, timeout=TIMEOUT)
    editor = window.sweeps.editor
    _valid(qtbot, editor)
    data = editor.spec_data()
    assert data["problem"]["kind"] == window.editor.spec()["kind"]
    first = next(iter(window.editor.spec()["parameters"]))
    assert editor.table.item(0, 0).text() == first
    assert editor.preview_result().sweep is not None and len(spec_of(editor).points) == 11


def test_the_app_starts_without_dask() -> None:
    code = ("import sys\nimport warmdesk.gui.main_window\n"
            "print([m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_table_cells_hold_what_was_typed() -> None:
    assert Axis("a", "0.5", "2", "4").to_json() == {"from": 0.5, "to": 2, "num": 4}
    assert Axis("a", values="80, 100 120").to_json() == [80, 100, 120]
    assert Axis("a", "x", "2", "4.5").to_json() == {"from": "x", "to": 2, "num": 4.5}


def test_sweep_files_are_told_from_problems_by_their_format(tmp_path) -> None:
    from warmdesk.gui.sweeps.sweep_data import is_sweep_file

    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff{not json")
    assert is_sweep_file(EXAMPLES / "bratu_sweep.json")
    assert not is_sweep_file(EXAMPLES / "bratu.json")          # a problem
    assert not is_sweep_file(garbage)                          # the problem editor says why
    assert not is_sweep_file(tmp_path / "missing.json")


def test_relative_paths_follow_a_sweep_saved_elsewhere(tmp_path) -> None:
    from warmdesk.gui.sweeps.sweep_data import rebase_problem

    old, new = tmp_path / "a", tmp_path / "a" / "b"
    inline = {"kind": "fit", "data": {"file": "peaks.csv", "columns": ["x"]}}
    out = rebase_problem({"problem": inline, "csv": "points.csv"}, old, new)
    assert out["csv"] == str(old / "points.csv")     # outside the new folder: absolute
    assert out["problem"]["data"] == {"file": str(old / "peaks.csv"), "columns": ["x"]}
    assert inline["data"]["file"] == "peaks.csv"      # the editor's copy is untouched
    assert rebase_problem({"problem": "p.json"}, old, old) == {"problem": "p.json"}
