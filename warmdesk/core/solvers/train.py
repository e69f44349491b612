"""``train``: L2-regularised logistic (binary, multinomial) and linear regression
on a CSV data set, with exact analytic gradients.

The weights are the variables ``w`` (features x outputs, flattened feature by
feature) and ``b`` (one per output). The run records its feature and class
names, so a warm start onto another data set can match weights by name.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit, logsumexp

from ..problem_types import Problem, Variable
from .base import SolveContext
from .minimize import solve_scalar

MAX_CLASSES = 100


def classes_of(problem: Problem) -> list[float]:
    assert problem.dataset is not None
    y = problem.dataset.column(problem.target)
    classes = np.unique(y)
    if problem.train_model == "logistic" and classes.size != 2:
        raise ValueError(f"logistic regression needs exactly 2 classes in column "
                         f"'{problem.target}' (found {classes.size}); use 'multinomial'")
    if problem.train_model == "multinomial" and not 2 <= classes.size <= MAX_CLASSES:
        raise ValueError(f"multinomial regression needs 2 to {MAX_CLASSES} classes in "
                         f"'{problem.target}' (found {classes.size})")
    return classes.tolist()


def outputs_of(problem: Problem) -> int:
    return len(classes_of(problem)) if problem.train_model == "multinomial" else 1


def train_layout(problem: Problem) -> list[Variable]:
    """Variables ``w`` and (with an intercept) ``b``, starting at zero."""
    k = 1 if problem.train_model != "multinomial" else len(classes_of(problem))
    if problem.train_model == "logistic":
        classes_of(problem)  # validates the two classes
    d = len(problem.features)
    out = [_zero("w", d * k)]
    if problem.fit_intercept:
        out.append(_zero("b", k))
    return out


def _zero(name: str, size: int) -> Variable:
    return Variable(name, size, np.zeros(size), np.full(size, -np.inf), np.full(size, np.inf))


def feature_matrix(values: np.ndarray, idx: list[int]) -> np.ndarray:
    """The feature columns: a view when they are adjacent and in order (the
    common case, a CSV of features then the label), else one copy."""
    if idx and idx == list(range(idx[0], idx[0] + len(idx))):
        return values[:, idx[0]:idx[0] + len(idx)]
    return values[:, idx]


class TrainObjective:
    """Mean loss + l2/2 |w|^2 with analytic value, gradient and Hessian-vector
    product (same interface
    as :class:`~warmdesk.core.solvers.compiled.ScalarFunction`)."""

    def __init__(self, problem: Problem) -> None:
        ds = problem.dataset
        assert ds is not None
        self.problem = problem
        self.X = feature_matrix(ds.values, [ds.columns.index(f) for f in problem.features])
        self.n, self.d = self.X.shape
        self.k = outputs_of(problem)
        self.l2 = problem.l2
        self.intercept = problem.fit_intercept
        y = ds.column(problem.target)
        if problem.train_model == "linear":
            self.y = y
        else:
            classes = np.asarray(classes_of(problem))
            idx = np.searchsorted(classes, y)
            self.y = idx.astype(float) if problem.train_model == "logistic" else np.eye(
                classes.size)[idx]

    def _unpack(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nw = self.d * self.k
        w = x[:nw].reshape(self.d, self.k)
        b = x[nw:nw + self.k] if self.intercept else np.zeros(self.k)
        return w, b

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = self._unpack(x)
        z = self.X @ w + b
        model = self.problem.train_model
        if model == "linear":
            r = z[:, 0] - self.y
            loss = 0.5 * float(np.mean(r * r))
            dz = (r / self.n)[:, None]
        elif model == "logistic":
            zz = z[:, 0]
            loss = float(np.mean(-self.y * log_expit(zz) - (1 - self.y) * log_expit(-zz)))
            dz = ((expit(zz) - self.y) / self.n)[:, None]
        else:
            lse = logsumexp(z, axis=1)
            loss = float(np.mean(lse - np.sum(self.y * z, axis=1)))
            dz = (np.exp(z - lse[:, None]) - self.y) / self.n
        loss += 0.5 * self.l2 * float(np.sum(w * w))
        gw = self.X.T @ dz + self.l2 * w
        g = [gw.ravel()]
        if self.intercept:
            g.append(dz.sum(axis=0))
        return loss, np.concatenate(g)

    def value(self, x: np.ndarray) -> float:
        return self.value_and_grad(x)[0]

    def hessp(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """H(x) p, exact and hand-derived (the models are fixed, not expressions). With
        ``z = X w + b`` and the direction's ``dz = X p_w + p_b``: the mean loss's
        Hessian is ``X^T D X / n`` with D the second derivative in z per row, so
        ``q = D dz / n`` and ``H p = (X^T q + l2 p_w, sum of q over rows)``. D is 1
        (linear), ``s (1 - s)`` with s = expit(z) (logistic), and for the softmax S
        ``q = S * dz - S * rowsum(S * dz)`` (multinomial)."""
        w, b = self._unpack(x)
        pw, pb = self._unpack(p)
        z = self.X @ w + b
        dz = self.X @ pw + pb
        model = self.problem.train_model
        if model == "linear":
            q = dz / self.n
        elif model == "logistic":
            s = expit(z)
            q = (s * (1.0 - s)) * dz / self.n
        else:
            soft = np.exp(z - logsumexp(z, axis=1)[:, None])
            sdz = soft * dz
            q = (sdz - soft * np.sum(sdz, axis=1, keepdims=True)) / self.n
        hw = self.X.T @ q + self.l2 * pw
        out = [hw.ravel()]
        if self.intercept:
            out.append(q.sum(axis=0))
        return np.concatenate(out)

    def check_scalar(self, x: np.ndarray) -> None:
        """Always a single number."""


def solve_train(ctx: SolveContext) -> None:
    p = ctx.problem
    ctx.run.info.update({"features": list(p.features), "target": p.target,
                         "model": p.train_model})
    if p.train_model != "linear":
        ctx.run.info["classes"] = classes_of(p)
    solve_scalar(ctx, TrainObjective(p))
