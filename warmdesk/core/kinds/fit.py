"""``fit``: a model of data columns fitted to a target column by least squares
(scipy.optimize.least_squares), with bounds, a loss and weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..expressions import ExpressionError
from ..problem_types import NAME_RE, Problem
from ..runs import Run
from ..solvers import facts
from ..solvers.base import SolveContext, WarmStart
from ..solvers.options import FIT_OPTIONS
from . import mapping
from .base import FieldReader, Kind, Merit, OptionRules
from .memory import FIT_JACOBIAN_COPIES, FLOAT, MemoryNeed

LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")


class Fit(Kind):
    name = "fit"
    tip = "Fit a model expression to columns of a CSV file (least squares)"
    menu_text = "&Fit (least squares)"
    menu_tip = "A new curve fit"
    fields = frozenset({"variables", "data", "model", "target", "sigma", "loss", "f_scale"})
    methods = facts.FIT_METHOD_FACTS
    default_method = "trf"
    uses_dataset = True

    def options(self, method: str) -> OptionRules:
        return FIT_OPTIONS

    def payloads(self, method: str) -> tuple[str, ...]:
        return facts.FIT_PAYLOADS

    def read(self, reader: FieldReader, d: dict[str, Any], p: Problem) -> None:
        p.variables = reader.variables("variables", d.get("variables"))
        p.dataset = reader.dataset(d)
        if p.dataset is None:
            return
        self._target(reader, d.get("target"), p)
        columns = [c for c in p.dataset.columns if c not in p.target_columns]
        reader.no_clash(p, columns)
        p.model = reader.expression("model", d.get("model"), reader.all_names(p) + columns)
        sigma = d.get("sigma")
        if isinstance(sigma, str):
            p.sigma = reader.column("sigma", sigma, p.dataset)
            if p.sigma and np.any(p.dataset.column(p.sigma) <= 0):
                reader.fail("sigma", f"column '{sigma}' must hold positive values")
        elif sigma is not None:
            p.sigma = reader.number_field(d, "sigma", 1.0, 0.0, low_open=True)
        p.loss = d.get("loss", "linear")
        if p.loss not in LOSSES:
            reader.fail("loss", f"must be one of {', '.join(LOSSES)} (got {reader.show(p.loss)})")
        elif p.method == "lm" and p.loss != "linear":
            reader.fail("loss", "method 'lm' supports only the 'linear' loss")
        p.f_scale = reader.number_field(d, "f_scale", 1.0, 0.0, low_open=True)
        if p.method == "lm":
            if p.dataset.rows < p.size:
                reader.fail("solver.method", "'lm' needs at least as many data rows as unknowns")

    def _target(self, reader: FieldReader, value: Any, p: Problem) -> None:
        """``target``: a column, or an expression of columns and parameters
        (``log(y)``) giving a finite value for every row."""
        ds = p.dataset
        assert ds is not None
        if not isinstance(value, str) or value in ds.columns or NAME_RE.match(value.strip()):
            p.target = reader.column("target", value, ds)
            return
        expr = reader.expression("target", value, list(ds.columns) + list(p.parameters))
        if expr is None:
            return
        if not expr.names_used & set(ds.columns):
            reader.fail("target", f"'{value}' uses no column of {ds.path.name}; give a column "
                                f"({', '.join(ds.columns[:12])}) or an expression of columns")
            return
        p.target, p.target_expression = value, expr
        try:
            y = p.target_values()
        except (ExpressionError, ValueError) as exc:
            reader.fail("target", f"'{value}' must give one number per data row "
                                f"({ds.rows}): {getattr(exc, 'message', exc)}")
            p.target, p.target_expression = "", None
            return
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            i = int(bad[0])
            row = ", ".join(f"{c}={ds.column(c)[i]:g}" for c in sorted(p.target_columns))
            more = f" and {bad.size - 1} more rows" if bad.size > 1 else ""
            reader.fail("target", f"'{value}' is {y[i]} at data row {i + 1} of {ds.path.name} "
                                f"({row}){more}; every row needs a finite target: fix the data "
                                "or the expression")
            p.target, p.target_expression = "", None

    def solve(self, ctx: SolveContext) -> None:
        from ..solvers import fit as fit_solver  # lazily: see solvers/facts.py
        fit_solver.solve_fit(ctx)

    def warm_start(self, problem: Problem, run: Run) -> WarmStart:
        return mapping.restart_by_name(problem, run,
                                       source_honours_bounds=self.facts(run.method).bounds,
                                       accepted=self.payloads(problem.method),
                                       say_no_state=False)

    def merit(self, problem: Problem) -> Merit:
        from ..solvers import fit as fit_solver
        rf = fit_solver.residual_function(problem)
        lower, upper = problem.bounds_arrays()

        def fit_merit(x: np.ndarray) -> tuple[float, float]:
            r = rf.value(np.clip(x, lower, upper))
            return 0.5 * float(np.dot(r, r)), 0.0
        return fit_merit

    def memory_needs(self, problem: Problem) -> list[MemoryNeed]:
        if problem.dataset is None:
            return []
        rows, n = problem.dataset.rows, problem.size
        return [MemoryNeed(("variables", "data.file"),
                           f"the Jacobian ({rows} data rows x {n} unknowns, "
                           f"{FIT_JACOBIAN_COPIES} copies)",
                           rows * n * FLOAT * FIT_JACOBIAN_COPIES,
                           "fit fewer data rows (a shorter 'data.file') or fewer "
                           "'variables'")]

    def method_note(self, method: str) -> str:
        return ("Levenberg-Marquardt: no bounds, only the linear loss, needs rows ≥ unknowns."
                if method == "lm" else "Honours bounds and every loss.")

    def starter(self) -> tuple[dict[str, Any], bool]:
        return {"description": "An exponential decay on a background, fitted to the example "
                               "detector counts: choose your own CSV on the Data tab.",
                "variables": {"N0": {"start": 500.0, "lower": 0},
                              "tau": {"start": 5.0, "lower": 0.1},
                              "bg": {"start": 1.0, "lower": 0}},
                "data": {"file": "decay_base.csv"},
                "model": "N0*exp(-time/tau) + bg",
                "target": "counts",
                "sigma": "sigma",
                "solver": {"method": "trf", "options": {}}}, True


KIND = Fit()
