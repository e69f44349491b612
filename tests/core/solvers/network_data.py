"""Small tabular data sets for the network tests, written by the tests (seeded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def write_csv(path: Path, columns: dict[str, np.ndarray]) -> Path:
    names = list(columns)
    rows = np.column_stack([columns[c] for c in names])
    lines = [",".join(names)] + [",".join(f"{v:.6g}" for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def moons(path: Path, rows: int = 240, seed: int = 0, shift: float = 0.0,
          classes: int = 2, extra: str | None = None) -> Path:
    """Features a, b, c (and ``extra``); a non-linear class label ``y``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)) + shift
    score = x[:, 0] ** 2 + x[:, 1] - 0.5 * x[:, 2]
    edges = np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])
    cols = {"a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}
    if extra:
        cols[extra] = rng.normal(size=rows)
    cols["y"] = np.searchsorted(edges, score).astype(float)
    return write_csv(path, cols)


def spec(data: Path, **fields: Any) -> dict[str, Any]:
    method = fields.pop("method", "adam")
    options = fields.pop("options", {"learning_rate": 0.01})
    return {"format": "warmdesk.problem/1", "name": "net", "kind": "network",
            "data": {"file": str(data)}, "target": "y", "output": "binary", "layers": [8],
            "epochs": 6, "batch_size": 32, **fields,
            "solver": {"method": method, "options": options}}


def regression(path: Path, rows: int = 400, seed: int = 0, offset: float = 200.0,
               amplitude: float = 50.0, noise: float = 5.0, shift: float = 0.0) -> Path:
    """Features a, b, c; a target ``y = offset + amplitude * f(a, b, c) + noise``
    far from 0 and wider than 1 (like scikit-learn's diabetes target, 25 to 346)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)) + shift
    f = 0.8 * x[:, 0] - 0.5 * x[:, 2] + 0.6 * np.tanh(2.0 * x[:, 1])
    y = offset + amplitude * f + noise * rng.normal(size=rows)
    return write_csv(path, {"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y})
