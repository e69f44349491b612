"""The train models' hand-derived Hessian-vector products against central differences
of their exact gradients (solvers/train.py TrainObjective.hessp), for every model,
with and without an intercept, in random directions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.solvers.train import TrainObjective

from ..factories import build, train_spec, write_classification


@pytest.mark.parametrize("model, classes", [("logistic", 2), ("multinomial", 3), ("linear", 2)])
@pytest.mark.parametrize("intercept", [True, False])
def test_hessp_matches_differences_of_the_gradient(tmp_path: Path, model: str, classes: int,
                                                   intercept: bool) -> None:
    write_classification(tmp_path, classes=classes)
    spec = train_spec(model)
    spec["fit_intercept"] = intercept
    obj = TrainObjective(build(spec, tmp_path))
    size = obj.d * obj.k + (obj.k if intercept else 0)
    rng = np.random.default_rng(classes + 2 * intercept)
    eps = 1e-6
    for _ in range(3):
        x, p = rng.normal(size=size), rng.normal(size=size)
        hv = obj.hessp(x, p)
        fd = (obj.value_and_grad(x + eps * p)[1] - obj.value_and_grad(x - eps * p)[1]) / (2 * eps)
        np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-8)
    # linear in the direction, and symmetric: u.(H v) == v.(H u)
    u, v = rng.normal(size=size), rng.normal(size=size)
    np.testing.assert_allclose(obj.hessp(x, u + 2 * v), obj.hessp(x, u) + 2 * obj.hessp(x, v),
                               rtol=1e-12, atol=1e-14)
    assert u @ obj.hessp(x, v) == pytest.approx(v @ obj.hessp(x, u), rel=1e-12)
