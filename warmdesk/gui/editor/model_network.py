"""The "Model" form of the ``network`` kind: target and features, the
architecture, training, the validation split, early stopping and the fine-tune
mode of a warm start, with a line summing up the architecture and the split.

Every field writes the spec keys the core reads (``kinds/network.py``,
``solvers/network_settings.py``): ``output``, ``layers``, ``activation``,
``weight_decay``, ``epochs``, ``batch_size``, ``seed``, ``schedule``,
``validation``, ``early_stopping``, ``fine_tune``. A field left as loaded
writes nothing (the spec keeps its value exactly); an edited compound field
(``schedule``, ``validation``, ``early_stopping``, ``fine_tune``) is written
whole from its widgets, numbers left empty taking the core's defaults. The
core's errors are shown under their field. The summary is computed in the
background from each valid problem (the data prepared as the solver will).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit,
                               QRadioButton, QVBoxLayout, QWidget)

from ...core.problem_types import Problem
from ...core.solvers.network_settings import (ACTIVATIONS, FINE_TUNE_MODES, NOISE_DEFAULT,
                                              OUTPUTS, SCHEDULES, SHRINK_DEFAULT)
from ..background import run_in_background
from .columns import FIELD_WIDTH, TargetFeatures, combo
from .model import ModelForm, lay_out_form, make_form, show_text, text_of, with_hint
from .network_summary import NetworkSummary, summarise
from .values import format_value, parse_numbers, parse_scalar_or_text, put_text

SHORT = 90
#: The fields with an error label, in the form's order.
ERROR_FIELDS = ("target", "features", "output", "layers", "activation", "weight_decay",
                "epochs", "schedule", "validation", "early_stopping", "fine_tune")
#: A row showing several fields: their errors show under it, named.
SHARED_ROWS = {"epochs": ("epochs", "batch_size", "seed")}
FINE_TUNE_WORDS = {"plain": "plain: start from the old weights as they are",
                   "shrink_perturb": "shrink and perturb: old weights × shrink + noise × a "
                                     "fresh initialisation (closes the generalization gap)",
                   "freeze": "freeze: train only the last layer"}


def layers_text(value: Any) -> str:
    """``[16, 8]`` as ``16, 8``; ``[]`` as ``none``; anything else as it is."""
    if isinstance(value, list) and all(isinstance(w, int) and not isinstance(w, bool)
                                       for w in value):
        return ", ".join(str(w) for w in value) if value else "none"
    return format_value(value)


def parse_layers(text: str) -> Any:
    """``16, 8`` -> ``[16, 8]``, ``16`` -> ``[16]``, ``none`` -> ``[]``; else the text
    (the core names what is wrong)."""
    t = text.strip()
    if t.lower() in ("none", "[]"):
        return []
    value = parse_numbers(t)
    return [value] if isinstance(value, (int, float)) else value


def _numbers(fields: dict[str, QLineEdit]) -> dict[str, Any]:
    return {k: parse_scalar_or_text(e.text()) for k, e in fields.items() if e.text().strip()}


class NetworkForm(ModelForm):
    """The ``network`` kind's fields (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self.summary: NetworkSummary | None = None
        self.columns = TargetFeatures()
        self.columns.changed.connect(self._changed)
        self.errors: dict[str, QLabel] = {}
        self.output = self._combo(OUTPUTS, "regression: a number; binary: 2 classes "
                                           "(sigmoid); multiclass: 2 to 100 classes (softmax)")
        self.layers = self._line("32 (default)", "Hidden layer sizes, e.g. 16, 8 ('none': "
                                 "no hidden layer)", FIELD_WIDTH)
        self.activation = self._combo(ACTIVATIONS, "The hidden layers' activation")
        self.weight_decay = self._line("0.0001 (default)", "L2 penalty on the weights (>= 0)",
                                       FIELD_WIDTH)
        self.epochs = self._line("50 (default)", "Passes over the training rows", SHORT)
        self.batch_size = self._line("32 (default)", "Rows per mini-batch", SHORT)
        self.seed = self._line("0 (default)", "Seeds the split, the initial weights and the "
                               "shuffle: same seed, same run", SHORT)
        self.schedule = self._combo(SCHEDULES, "The learning rate over the epochs: constant; "
                                    "step (times 'factor' every 'every' epochs); cosine "
                                    "(down to 'min factor')")
        self.every = self._line("10", "step: epochs between decays", SHORT)
        self.factor = self._line("0.5", "step: the decay (0, 1]", SHORT)
        self.min_factor = self._line("0", "cosine: the last epoch's fraction of the rate",
                                     SHORT)
        self.by_fraction = QRadioButton("Fraction")
        self.by_file = QRadioButton("File")
        self.fraction = self._line("0.2 (default)", "The share of rows held out (0 to 0.9), "
                                   "drawn with the seed", SHORT)
        self.val_file = self._line("a CSV with the same columns", "Validation rows from "
                                   "another file (relative: from the problem's folder)")
        self.stopping = QCheckBox("Stop when the validation loss stops improving")
        self.patience = self._line("10", "Epochs without improvement before stopping", SHORT)
        self.min_delta = self._line("0", "The least decrease that counts as an improvement",
                                    SHORT)
        self.fine_tune = self._combo(FINE_TUNE_MODES, "How a warm start from an earlier "
                                     "network run begins (an exact resume ignores this)")
        self.shrink = self._line(f"{SHRINK_DEFAULT:g}", "The old weights' factor (0, 1]", SHORT)
        self.noise = self._line(f"{NOISE_DEFAULT:g}", "Noise, as a multiple of a fresh "
                                "initialisation", SHORT)
        for toggle in (self.by_fraction, self.by_file, self.stopping):
            toggle.toggled.connect(self._toggled)
        for box in (self.fine_tune, self.schedule):
            box.currentTextChanged.connect(lambda _t: self._show_enabled())
        self.architecture = self._note("architecture_summary")
        self.split = self._note("split_summary")
        self.fine_tune_note = self._note("fine_tune_note")
        self._lay_out()

    # ------------------------------------------------------------------ layout
    def _line(self, placeholder: str = "", tip: str = "", width: int = 0) -> QLineEdit:
        edit = super()._line(placeholder, tip, width)
        if width == SHORT:
            edit.setMinimumWidth(SHORT * 2 // 3)   # a number stays readable in a narrow dock
        return edit

    def _combo(self, items: tuple[str, ...], tip: str) -> QComboBox:
        box = combo(False, items, tip)
        box.currentTextChanged.connect(self._changed)
        return box

    def _note(self, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _field(self, name: str, widget: QWidget | None = None,
               layout: QHBoxLayout | QVBoxLayout | None = None) -> QWidget:
        error = QLabel()
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        error.setStyleSheet("color: rgb(190, 0, 0);")
        error.hide()
        self.errors[name] = error
        if widget is None:
            widget = QWidget()
            assert layout is not None
            layout.setContentsMargins(0, 0, 0, 0)
            widget.setLayout(layout)
        return with_hint(widget, error)

    @staticmethod
    def _row(*items: QWidget | str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        for item in items:
            row.addWidget(QLabel(item) if isinstance(item, str) else item)
        row.addStretch(1)
        return row

    def _lay_out(self) -> None:
        form = make_form()
        form.addRow("Target column", self._field("target", self.columns.target))
        features = QVBoxLayout()
        features.addLayout(self.columns.box)
        form.addRow("Features", self._field("features", layout=features))
        form.addRow("Output", self._field("output", self.output))
        form.addRow("Hidden layers", self._field("layers", self.layers))
        form.addRow("Activation", self._field("activation", self.activation))
        form.addRow("Architecture", self._wrapped(self.architecture))
        form.addRow("Weight decay", self._field("weight_decay", self.weight_decay))
        form.addRow("Epochs", self._field("epochs", self._box(self._row(
            self.epochs, "batch size", self.batch_size, "seed", self.seed))))
        form.addRow("Schedule", self._field("schedule", self._box(self._row(
            self.schedule, "every", self.every, "factor", self.factor, "min factor",
            self.min_factor))))
        validation = QVBoxLayout()
        validation.addLayout(self._row(self.by_fraction, self.fraction))
        validation.addLayout(self._row(self.by_file))
        validation.addWidget(self.val_file)
        form.addRow("Validation", self._field("validation", layout=validation))
        form.addRow("Split", self._wrapped(self.split))
        stopping = QVBoxLayout()
        stopping.addWidget(self.stopping)
        stopping.addLayout(self._row("patience", self.patience, "epochs, min delta",
                                     self.min_delta))
        form.addRow("Early stopping", self._field("early_stopping", layout=stopping))
        fine = QVBoxLayout()
        fine.addLayout(self._row(self.fine_tune, "shrink", self.shrink, "noise", self.noise))
        fine.addWidget(self.fine_tune_note)
        form.addRow("Fine-tune", self._field("fine_tune", layout=fine))
        lay_out_form(self, form, "The data and its preview are on the Data tab; the optimizer "
                     "(adam, sgd) and its learning rate on the Solver tab.")

    @staticmethod
    def _wrapped(label: QLabel) -> QWidget:
        """A wrapped label in a box: directly in a QFormLayout it gets the height
        of one line and its second line is cut off."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        return box

    @staticmethod
    def _box(layout: QHBoxLayout) -> QWidget:
        box = QWidget()
        layout.setContentsMargins(0, 0, 0, 0)
        box.setLayout(layout)
        return box

    # ------------------------------------------------------------------ spec
    def load(self, spec: dict[str, Any]) -> None:
        self.show_problem(None)   # the last problem's summary is not this one's
        self._loading = True
        try:
            self.columns.load(spec)
            show_text(self.output, format_value(spec.get("output", "regression")))
            self.layers.setText(layers_text(spec["layers"]) if "layers" in spec else "")
            show_text(self.activation, format_value(spec.get("activation", "relu")))
            for key, edit in (("weight_decay", self.weight_decay), ("epochs", self.epochs),
                              ("batch_size", self.batch_size), ("seed", self.seed)):
                edit.setText(text_of(spec, key))
            self._load_schedule(spec.get("schedule", "constant"))
            validation = spec.get("validation", {})
            validation = validation if isinstance(validation, dict) else {}
            self.by_file.setChecked("file" in validation)
            self.by_fraction.setChecked("file" not in validation)
            self.fraction.setText(text_of(validation, "fraction"))
            self.val_file.setText(text_of(validation, "file"))
            stopping = spec.get("early_stopping")
            stopping = stopping if isinstance(stopping, dict) else {}
            self.stopping.setChecked(bool(spec.get("early_stopping")))
            self.patience.setText(text_of(stopping, "patience"))
            self.min_delta.setText(text_of(stopping, "min_delta"))
            fine = spec.get("fine_tune", {})
            fine = {"mode": fine} if isinstance(fine, str) else fine
            fine = fine if isinstance(fine, dict) else {}
            show_text(self.fine_tune, format_value(fine.get("mode", "shrink_perturb")))
            self.shrink.setText(text_of(fine, "shrink"))
            self.noise.setText(text_of(fine, "noise"))
        finally:
            self._loading = False
        self._show_enabled()
        self.memo.reset(self._states())

    def _load_schedule(self, schedule: Any) -> None:
        schedule = {"type": schedule} if isinstance(schedule, str) else schedule
        schedule = schedule if isinstance(schedule, dict) else {}
        show_text(self.schedule, format_value(schedule.get("type", "constant")))
        for key, edit in (("every", self.every), ("factor", self.factor),
                          ("min_factor", self.min_factor)):
            edit.setText(text_of(schedule, key))

    def _states(self) -> dict[str, Any]:
        return {**self.columns.states(), "output": self.output.currentText(),
                "layers": self.layers.text(), "activation": self.activation.currentText(),
                "weight_decay": self.weight_decay.text(), "epochs": self.epochs.text(),
                "batch_size": self.batch_size.text(), "seed": self.seed.text(),
                "schedule": (self.schedule.currentText(), self.every.text(),
                             self.factor.text(), self.min_factor.text()),
                "validation": (self.by_file.isChecked(), self.fraction.text(),
                               self.val_file.text()),
                "early_stopping": (self.stopping.isChecked(), self.patience.text(),
                                   self.min_delta.text()),
                "fine_tune": (self.fine_tune.currentText(), self.shrink.text(),
                              self.noise.text())}

    def apply(self, spec: dict[str, Any]) -> None:
        states = self._states()
        self.columns.apply(spec, self.memo)
        converters = {"layers": parse_layers, "output": None, "activation": None}
        for key in ("output", "layers", "activation", "weight_decay", "epochs", "batch_size",
                    "seed"):
            if self.memo.changed(key, states[key]):
                put_text(spec, key, states[key], converters.get(key, parse_scalar_or_text))
        for key, build in (("schedule", self._schedule), ("validation", self._validation),
                           ("early_stopping", self._early_stopping),
                           ("fine_tune", self._fine_tune)):
            if self.memo.changed(key, states[key]):
                value = build()
                if value is None:
                    spec.pop(key, None)
                else:
                    spec[key] = value

    def _schedule(self) -> Any:
        numbers = _numbers({"every": self.every, "factor": self.factor,
                            "min_factor": self.min_factor})
        kind = self.schedule.currentText()
        return {"type": kind, **numbers} if numbers else kind

    def _validation(self) -> Any:
        if self.by_file.isChecked():
            return {"file": self.val_file.text().strip()}
        text = self.fraction.text()
        return {"fraction": parse_scalar_or_text(text)} if text.strip() else None

    def _early_stopping(self) -> Any:
        if not self.stopping.isChecked():
            return None
        return _numbers({"patience": self.patience, "min_delta": self.min_delta})

    def _fine_tune(self) -> Any:
        return {"mode": self.fine_tune.currentText(),
                **_numbers({"shrink": self.shrink, "noise": self.noise})}

    def _toggled(self) -> None:
        self._show_enabled()
        self._changed()

    def _show_enabled(self) -> None:
        """Only the numbers of the chosen options can be edited."""
        by_file, stopping = self.by_file.isChecked(), self.stopping.isChecked()
        self.fraction.setEnabled(not by_file)
        self.val_file.setEnabled(by_file)
        self.patience.setEnabled(stopping)
        self.min_delta.setEnabled(stopping)
        schedule = self.schedule.currentText()
        self.every.setEnabled(schedule == "step")
        self.factor.setEnabled(schedule == "step")
        self.min_factor.setEnabled(schedule == "cosine")
        mode = self.fine_tune.currentText()
        self.shrink.setEnabled(mode == "shrink_perturb")
        self.noise.setEnabled(mode == "shrink_perturb")
        self.fine_tune_note.setText(FINE_TUNE_WORDS.get(mode, mode) + ". Used when the run "
                                    "is warm-started from another network run.")

    def set_columns(self, columns: list[str] | None) -> None:
        self.columns.set_columns(columns)

    # ------------------------------------------------------------------ checking
    def show_problems(self, problems: list[tuple[str, str]]) -> None:
        for name, label in self.errors.items():
            fields = SHARED_ROWS.get(name, (name,))
            mine = [(f"{head}: {m}" if head != name else m) for head in fields
                    for f, m in problems if f == head or f.startswith((head + ".", head + "["))]
            label.setText("\n".join(mine))
            label.setVisible(bool(mine))

    def show_problem(self, problem: Problem | None) -> None:
        """Sum up a valid problem (in the background; a newer one wins)."""
        self._generation += 1
        generation = self._generation
        if problem is None:
            self.summary = None
            for label in (self.architecture, self.split):
                label.setText("(once the problem is valid)")
            return
        run_in_background(lambda: summarise(problem),
                          lambda summary: self._summarised(generation, summary),
                          lambda message: self._summarised(generation, message), owner=self)

    def _summarised(self, generation: int, summary: NetworkSummary | str) -> None:
        if generation != self._generation:
            return
        if isinstance(summary, str):
            self.summary = None
            self.architecture.setText(summary)
            self.split.setText("")
            return
        self.summary = summary
        self.architecture.setText(summary.architecture)
        self.split.setText(summary.split)
