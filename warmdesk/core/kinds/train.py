"""``train``: a linear, logistic or multinomial model trained on data columns
(its weights found by a scipy.optimize.minimize method)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from ..errors import WarmStartError
from ..problem_types import Problem
from ..runs import Run
from ..solvers import facts
from ..solvers.base import SolveContext, WarmStart
from ..solvers.options import MINIMIZE_OPTIONS
from . import mapping
from .base import FieldReader, Kind, Merit, OptionRules, Words, read_target_and_features
from .memory import FLOAT, TRAIN_DATA_COPIES, MemoryNeed, matrix_need

MODELS = ("logistic", "multinomial", "linear")


class Train(Kind):
    name = "train"
    tip = "Train a logistic, multinomial or linear regression on a CSV file"
    menu_text = "&Train (regression)"
    menu_tip = "A new model to train"
    fields = frozenset({"data", "target", "features", "model", "l2", "fit_intercept"})
    methods = {m: facts.MINIMIZE_METHOD_FACTS[m]
               for m in ("L-BFGS-B", "BFGS", "CG", "Newton-CG", "TNC")}
    default_method = "L-BFGS-B"
    words = Words(size_field="features")
    matrix_copies = {"BFGS": 7}
    uses_dataset = True
    edits_variables = False  # its weights are laid out from the data

    def options(self, method: str) -> OptionRules:
        return MINIMIZE_OPTIONS.get(method, {})

    def payloads(self, method: str) -> tuple[str, ...]:
        return facts.MINIMIZE_PAYLOADS.get(method, ("x0",))

    def read(self, reader: FieldReader, d: dict[str, Any], p: Problem) -> None:
        p.dataset = reader.dataset(d)
        p.train_model = d.get("model", "logistic")
        if p.train_model not in MODELS:
            reader.fail("model", f"must be one of {', '.join(MODELS)} "
                               f"(got {reader.show(p.train_model)})")
        p.l2 = reader.number_field(d, "l2", 1e-3, 0.0)
        fi = d.get("fit_intercept", True)
        if not isinstance(fi, bool):
            reader.fail("fit_intercept", "must be true or false")
        p.fit_intercept = bool(fi)
        p.structure_extra = {"train_model": p.train_model}
        if p.dataset is None:
            return
        if not read_target_and_features(reader, d, p):
            return
        if reader.errors:
            return
        try:  # the layout depends on the classes in the data
            p.variables = _train_solver().train_layout(p)
        except ValueError as exc:
            reader.fail("target", str(exc))

    def solve(self, ctx: SolveContext) -> None:
        _train_solver().solve_train(ctx)

    def warm_start(self, problem: Problem, run: Run) -> WarmStart:
        report = mapping.new_report(run)
        x0 = _map_weights(problem, run, report)
        same_layout = (mapping.layout_of(run) == problem.layout
                       and run.info.get("features") == problem.features
                       and run.info.get("classes") == _classes(problem))
        return mapping.restart(problem, run, report, x0,
                               source_honours_bounds=self.facts(run.method).bounds,
                               start_payload="weights", accepted=self.payloads(problem.method),
                               same_layout=same_layout, say_no_state=True)

    def merit(self, problem: Problem) -> Merit:
        obj = _train_solver().TrainObjective(problem)
        return lambda x: (obj.value(x), 0.0)

    def memory_needs(self, problem: Problem) -> list[MemoryNeed]:
        needs = matrix_need(problem, self.matrix_copies, self.method_names,
                            self.words.matrix, self.words.size_field)
        if problem.dataset is None:
            return needs
        rows, n = problem.dataset.rows, problem.size
        width = len(problem.features) + max(1, n // max(1, len(problem.features)))
        needs.append(MemoryNeed(("data.file", "features"),
                                f"the feature matrix and scores ({rows} rows x {width} "
                                f"columns, {TRAIN_DATA_COPIES} copies)",
                                rows * width * FLOAT * TRAIN_DATA_COPIES,
                                "train on fewer rows (a shorter 'data.file') or fewer "
                                "'features'"))
        return needs

    def method_note(self, method: str) -> str:
        return "Uses the exact gradient."  # its weights have no bounds to honour

    def starter(self) -> tuple[dict[str, Any], bool]:
        return {"description": "Logistic regression on the example churn data: choose your "
                               "own CSV on the Data tab.",
                "data": {"file": "churn_base.csv"},
                "target": "churned",
                "model": "logistic",
                "l2": 0.001,
                "solver": {"method": "L-BFGS-B", "options": {}}}, True


def _map_weights(problem: Problem, run: Run, report: dict[str, Any]) -> np.ndarray:
    """Weights matched by feature and class name; the rest start at zero."""
    old_features = list(run.info.get("features", []))
    old_classes = list(run.info.get("classes", [None]))
    new_classes = (_train_solver().classes_of(problem) if problem.train_model == "multinomial"
                   else [None])
    if problem.train_model == "logistic":
        new_classes = old_classes = [None]
    d_old = len(old_features)
    k_old = len(old_classes) if run.info.get("model") == "multinomial" else 1
    w_old = np.asarray(run.solution.get("w", np.zeros(0)), dtype=float)
    if w_old.size != d_old * k_old or run.info.get("model") != problem.train_model:
        raise WarmStartError(f"run {run.id} trained a '{run.info.get('model')}' model; "
                             f"the problem trains '{problem.train_model}'")
    w_old = w_old.reshape(d_old, k_old)
    k_new = len(new_classes) if problem.train_model == "multinomial" else 1
    w = np.zeros((len(problem.features), k_new))
    col = {c: i for i, c in enumerate(old_classes)}
    cmap = [(j, col[c]) for j, c in enumerate(new_classes) if c in col]
    for i, f in enumerate(problem.features):
        if f in old_features:
            report["matched"].append(f)
            for j, jo in cmap:
                w[i, j] = w_old[old_features.index(f), jo]
        else:
            report["defaulted"].append(f)
    report["dropped"] = [f for f in old_features if f not in problem.features]
    if len(cmap) != k_new:
        report["defaulted"] += [f"class {c}" for c in new_classes if c not in col]
    parts = [w.ravel()]
    if problem.fit_intercept:
        b = np.zeros(k_new)
        b_old = np.ravel(run.solution.get("b", np.zeros(0)))
        for j, jo in cmap:
            if jo < b_old.size:
                b[j] = b_old[jo]
        parts.append(b)
    return np.concatenate(parts)


def _classes(problem: Problem) -> list[Any] | None:
    if problem.train_model == "linear":
        return None
    return list(_train_solver().classes_of(problem))


KIND = Train()


def _train_solver() -> ModuleType:
    """The train adapter, imported when first used (it brings scipy; see solvers/facts.py)."""
    from ..solvers import train
    return train
