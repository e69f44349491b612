"""The "Model" forms of the problem editor for the kinds that read a CSV file:
``fit`` (model expression, target and sigma columns, loss, f_scale) and
``train`` (model type, target, features, l2, intercept).

The column lists come from the data tab once it has read the file; until then
the combos keep whatever text the spec had.
"""

from __future__ import annotations

from typing import Any, Iterable

from PySide6.QtWidgets import QCheckBox, QLabel, QWidget

from ...core.problems import FIT_LOSSES, TRAIN_MODELS
from .columns import FIELD_WIDTH, TargetFeatures
from .columns import combo as _combo
from .columns import refill as _refill
from .expression import ExpressionField
from .model import ModelForm, lay_out_form, make_form, show_text, text_of, with_hint
from .values import format_value, parse_scalar_or_text, put_text


class FitForm(ModelForm):
    """``model``, ``target``, ``sigma``, ``loss`` and ``f_scale``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ExpressionField("model", 2, 6)
        self.model.edit.setToolTip("Uses the variables, the parameters and every data column "
                                   "except the target (each a vector with one value per row)")
        self.model.edited.connect(self._changed)
        self.target = _combo(True, tip="The column the model should match, or an expression "
                                       "of columns such as log(y)")
        self.sigma = _combo(True, tip="The uncertainty of each target value: a column of "
                                      "positive values or one number > 0 (empty: 1)")
        self.sigma.lineEdit().setPlaceholderText("1 (default)")
        self.loss = _combo(False, FIT_LOSSES, "linear: plain least squares; the others weigh "
                                              "large residuals less (not with 'lm')")
        self.f_scale = self._line("1.0 (default)", "The residual size (after dividing by sigma) "
                                  "where a robust loss starts to soften", FIELD_WIDTH)
        for combo in (self.target, self.sigma, self.loss):
            combo.currentTextChanged.connect(self._changed)
        self.residual = QLabel("Residual of each row: (model - target) / sigma")
        self.residual.setObjectName("hint")
        form = make_form(self)
        form.setContentsMargins(8, 8, 8, 8)
        form.addRow("Model", with_hint(self.model, self.names_hint))
        form.addRow("Target", self.target)
        form.addRow("Sigma", self.sigma)
        form.addRow("Loss", self.loss)
        form.addRow("f_scale", self.f_scale)
        form.addRow("", self.residual)

    def load(self, spec: dict[str, Any]) -> None:
        self._loading = True
        try:
            self.model.set_text(text_of(spec, "model"))
            show_text(self.target, text_of(spec, "target"))
            show_text(self.sigma, text_of(spec, "sigma"))
            show_text(self.loss, format_value(spec.get("loss", "linear")))
            self.f_scale.setText(text_of(spec, "f_scale"))
        finally:
            self._loading = False
        self.memo.reset(self._texts())

    def _texts(self) -> dict[str, str]:
        return {"model": self.model.text(), "target": self.target.currentText(),
                "sigma": self.sigma.currentText(), "loss": self.loss.currentText(),
                "f_scale": self.f_scale.text()}

    def apply(self, spec: dict[str, Any]) -> None:
        converters = {"sigma": parse_scalar_or_text, "f_scale": parse_scalar_or_text}
        for key, text in self._texts().items():
            if self.memo.changed(key, text):
                put_text(spec, key, text, converters.get(key))

    def expression_fields(self) -> list[ExpressionField]:
        return [self.model]

    def target_column(self) -> str:
        return self.target.currentText().strip()

    def set_columns(self, columns: list[str] | None) -> None:
        if columns is not None:
            _refill(self.target, columns)
            _refill(self.sigma, ["", *columns])

    def set_names(self, names: Iterable[str], open_names: bool) -> None:
        self.model.set_names(names, open_names)


class TrainForm(ModelForm):
    """``model`` (logistic, multinomial, linear), ``target``, ``features``, ``l2`` and
    ``fit_intercept``. The weights are made from the data: there are no variables."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = TargetFeatures()
        self.target, self.every_other, self.features = (
            self.columns.target, self.columns.every_other, self.columns.features)
        self.model = _combo(False, TRAIN_MODELS, "logistic: 2 classes; multinomial: 2 to 100 "
                                                 "classes; linear: least-squares regression")
        self.l2 = self._line("0.001 (default)", "The L2 penalty on the weights (>= 0); the "
                             "intercepts are not penalised", FIELD_WIDTH)
        self.fit_intercept = QCheckBox("Fit an intercept per output")
        self.model.currentTextChanged.connect(self._changed)
        self.columns.changed.connect(self._changed)
        self.fit_intercept.toggled.connect(self._changed)
        form = make_form()
        form.addRow("Model", self.model)
        form.addRow("Target column", self.target)
        form.addRow("Features", self.columns.box)
        form.addRow("L2 penalty", self.l2)
        form.addRow("", self.fit_intercept)
        lay_out_form(self, form, "The weights w (features × outputs) and intercepts b are "
                     "made from the data and start at 0.")

    def load(self, spec: dict[str, Any]) -> None:
        self._loading = True
        try:
            show_text(self.model, format_value(spec.get("model", "logistic")))
            self.columns.load(spec)
            self.l2.setText(text_of(spec, "l2"))
            self.fit_intercept.setChecked(spec.get("fit_intercept", True) is not False)
        finally:
            self._loading = False
        self.memo.reset(self._states())

    def _states(self) -> dict[str, Any]:
        return {"model": self.model.currentText(), **self.columns.states(),
                "l2": self.l2.text(), "fit_intercept": self.fit_intercept.isChecked()}

    def apply(self, spec: dict[str, Any]) -> None:
        states = self._states()
        if self.memo.changed("model", states["model"]):
            put_text(spec, "model", states["model"])
        self.columns.apply(spec, self.memo)
        if self.memo.changed("l2", states["l2"]):
            put_text(spec, "l2", states["l2"], parse_scalar_or_text)
        if self.memo.changed("fit_intercept", states["fit_intercept"]):
            spec["fit_intercept"] = self.fit_intercept.isChecked()

    def set_columns(self, columns: list[str] | None) -> None:
        self.columns.set_columns(columns)
