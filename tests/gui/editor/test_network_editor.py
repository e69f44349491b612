"""The network kind's form in the real editor: mlp_base.json round-trips
exactly, the architecture and the split are summed up from the data, every
field writes the spec the core reads, and a bad field shows the core's error
under it."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QLabel

from warmdesk.core.problems import problem_from_dict
from warmdesk.core.solvers import network_data
from warmdesk.core.solvers.network_settings import read_settings
from warmdesk.gui.background import wait_for_background
from warmdesk.gui.editor.model_network import NetworkForm, layers_text, parse_layers
from warmdesk.gui.editor.problem_editor import ProblemEditor
from warmdesk.resources_path import examples_dir

TIMEOUT = 20_000


@pytest.fixture
def editor(qtbot):
    widget = ProblemEditor()
    qtbot.addWidget(widget)
    widget.resize(900, 900)
    widget.show()
    qtbot.waitUntil(widget.is_valid, timeout=TIMEOUT)
    yield widget
    wait_for_background()


def open_example(qtbot, editor: ProblemEditor, name: str) -> tuple[dict, NetworkForm]:
    path = examples_dir() / f"{name}.json"
    spec = json.loads(path.read_text())
    with qtbot.waitSignal(editor.problem_changed, timeout=TIMEOUT):
        editor.set_spec(spec, path.parent, path)
    form = editor.forms["network"]
    assert isinstance(form, NetworkForm)
    qtbot.waitUntil(lambda: form.summary is not None, timeout=TIMEOUT)
    return spec, form


def edited(qtbot, editor: ProblemEditor, change) -> None:
    """Make an edit and wait for its check (valid or not)."""
    count = editor.edit_count
    change()
    assert editor.edit_count > count and editor.is_checking()
    qtbot.waitUntil(lambda: not editor.is_checking(), timeout=TIMEOUT)
    wait_for_background()


def visible_error(label: QLabel) -> str:
    return label.text() if not label.isHidden() else ""


def test_mlp_base_round_trips_and_is_summed_up(qtbot, editor) -> None:
    spec, form = open_example(qtbot, editor, "mlp_base")
    assert editor.spec() == spec
    assert editor.tabs.isTabVisible(3)                   # the Data tab and its preview
    qtbot.waitUntil(lambda: editor.data.preview.rowCount() > 0, timeout=TIMEOUT)
    assert editor.data.columns == ["temperature", "pressure", "vibration", "humidity", "good"]
    assert form.architecture.text() == ("4 inputs → 16 relu → 1 sigmoid, 97 weights "
                                        "(classes 0, 1)")
    assert form.split.text().startswith("480 training rows, 120 validation rows (fraction "
                                        "0.2 of 600 rows")
    assert form.layers.text() == "16" and form.output.currentText() == "binary"
    assert form.stopping.isChecked() and form.patience.text() == "10"
    assert form.shrink.isEnabled()      # shrink_perturb, the default mode
    next_spec, form = open_example(qtbot, editor, "mlp_next")
    assert editor.spec() == next_spec
    assert (form.fine_tune.currentText(), form.shrink.text(), form.noise.text()) == \
        ("shrink_perturb", "0.3", "0.1")
    assert form.architecture.text().startswith("5 inputs → 16 relu → 1 sigmoid, 113 weights")


def test_every_field_writes_the_spec_the_core_reads(qtbot, editor) -> None:
    spec, form = open_example(qtbot, editor, "mlp_base")
    edited(qtbot, editor, lambda: form.layers.setText("16, 8"))
    edited(qtbot, editor, lambda: form.activation.setCurrentText("tanh"))
    edited(qtbot, editor, lambda: form.epochs.setText("25"))
    edited(qtbot, editor, lambda: form.batch_size.setText("64"))
    edited(qtbot, editor, lambda: form.seed.setText("7"))
    edited(qtbot, editor, lambda: form.schedule.setCurrentText("step"))
    assert form.every.isEnabled() and not form.min_factor.isEnabled()
    edited(qtbot, editor, lambda: form.every.setText("5"))
    edited(qtbot, editor, lambda: form.fraction.setText("0.25"))
    edited(qtbot, editor, lambda: form.stopping.setChecked(False))
    edited(qtbot, editor, lambda: form.fine_tune.setCurrentText("freeze"))
    qtbot.waitUntil(lambda: form.summary is not None and form.summary.val_rows == 150,
                    timeout=TIMEOUT)
    out = editor.spec()
    assert {k: out.get(k) for k in ("layers", "activation", "epochs", "batch_size", "seed",
                                    "schedule", "validation", "fine_tune")} == {
        "layers": [16, 8], "activation": "tanh", "epochs": 25, "batch_size": 64, "seed": 7,
        "schedule": {"type": "step", "every": 5}, "validation": {"fraction": 0.25},
        "fine_tune": {"mode": "freeze"}}
    assert "early_stopping" not in out
    untouched = {k for k, v in spec.items() if k in out and out[k] == v}
    assert set(untouched) == set(spec) - {"layers", "activation", "epochs", "batch_size",
                                          "seed", "schedule", "validation", "early_stopping"}
    settings, errors = read_settings(out)
    assert errors == []
    assert (settings.layers, settings.schedule.type, settings.schedule.every,
            settings.patience, settings.fine_tune) == ((16, 8), "step", 5, None, "freeze")
    assert editor.is_valid()
    assert form.architecture.text() == ("4 inputs → 16 tanh → 8 tanh → 1 sigmoid, "
                                        "225 weights (classes 0, 1)")
    assert form.split.text().startswith("450 training rows, 150 validation rows")
    assert "8 mini-batches of up to 64" in form.split.text()
    # a validation file: its rows, named
    edited(qtbot, editor, lambda: form.by_file.setChecked(True))
    edited(qtbot, editor, lambda: form.val_file.setText("mlp_next.csv"))
    qtbot.waitUntil(lambda: form.summary is not None and form.summary.val_rows == 800,
                    timeout=TIMEOUT)
    assert editor.spec()["validation"] == {"file": "mlp_next.csv"}
    assert form.split.text().startswith("600 training rows, 800 validation rows (from "
                                        "mlp_next.csv)")


def test_a_regression_says_how_its_target_is_standardised(qtbot, editor) -> None:
    """A regression trains on its target standardised with the training rows'
    mean and scale: the form says which, and that the losses are in its units."""
    _spec, form = open_example(qtbot, editor, "mlp_base")
    edited(qtbot, editor, lambda: form.output.setCurrentText("regression"))
    qtbot.waitUntil(lambda: "linear" in form.architecture.text(), timeout=TIMEOUT)
    assert editor.spec()["output"] == "regression"
    data = network_data.prepare(problem_from_dict(editor.spec(), base_dir=examples_dir()))
    assert 0.0 < data.target_mean < 1.0 and 0.0 < data.target_scale <= 0.5
    assert form.architecture.text() == (
        f"4 inputs → 16 relu → 1 linear, 97 weights (trained on good standardised: mean "
        f"{data.target_mean:.4g}, scale {data.target_scale:.4g}; losses are mean squared "
        "errors in its units)")


def test_a_bad_field_shows_the_cores_error_under_it(qtbot, editor) -> None:
    _spec, form = open_example(qtbot, editor, "mlp_base")
    edited(qtbot, editor, lambda: form.epochs.setText("0"))
    assert not editor.is_valid()
    assert visible_error(form.errors["epochs"]) == \
        "must be a whole number from 1 to 100000 (got 0)"
    assert "epochs: must be a whole number" in editor.status_panel.problems.item(0).text()
    assert form.architecture.text() == "(once the problem is valid)"
    edited(qtbot, editor, lambda: form.batch_size.setText("2.5"))
    assert "batch_size: must be a whole number" in visible_error(form.errors["epochs"])
    edited(qtbot, editor, lambda: form.layers.setText("16, wide"))
    assert editor.spec()["layers"] == "16, wide"
    assert visible_error(form.errors["layers"]).startswith("must be a list of at most 16")
    edited(qtbot, editor, lambda: form.shrink.setText("0"))
    assert visible_error(form.errors["fine_tune"]) == "must be a number > 0 and <= 1 (got 0)"
    edited(qtbot, editor, lambda: form.columns.target.setEditText("nope"))
    assert "nope" in visible_error(form.errors["target"])
    for edit, text in ((form.epochs, "60"), (form.batch_size, "32"), (form.layers, "16"),
                       (form.shrink, "")):
        edited(qtbot, editor, lambda e=edit, t=text: e.setText(t))
    edited(qtbot, editor, lambda: form.columns.target.setEditText("good"))
    qtbot.waitUntil(editor.is_valid, timeout=TIMEOUT)
    assert all(not visible_error(label) for label in form.errors.values())
    qtbot.waitUntil(lambda: form.summary is not None, timeout=TIMEOUT)
    assert form.architecture.text().startswith("4 inputs → 16 relu → 1 sigmoid")


def test_layers_text_and_back() -> None:
    assert layers_text([16, 8]) == "16, 8" and layers_text([]) == "none"
    assert parse_layers("16, 8") == [16, 8] and parse_layers("32") == [32]
    assert parse_layers("none") == [] and parse_layers("[]") == []
    assert parse_layers("16, wide") == "16, wide"
