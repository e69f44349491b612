"""How far apart two problems of the same structure are: their parameters and,
for ``fit`` and ``train``, their data (by fingerprint and column statistics).

Distances are relative (scale-free), so "parameters differ by 3%" means the
same thing whatever the units.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

#: Parameters smaller than this in magnitude are compared in absolute terms.
ABS_FLOOR = 1e-9


def parameter_vector(spec: Mapping[str, Any]) -> tuple[list[str], np.ndarray]:
    """The spec's parameters flattened in name order: names (with indices) and values."""
    names: list[str] = []
    values: list[float] = []
    for name in sorted(spec.get("parameters", {})):
        value = np.ravel(np.asarray(spec["parameters"][name], dtype=float))
        if value.size == 1:
            names.append(name)
        else:
            names += [f"{name}[{i}]" for i in range(value.size)]
        values += value.tolist()
    return names, np.asarray(values, dtype=float)


def data_vector(data: Mapping[str, Any] | None) -> np.ndarray:
    """Column means then standard deviations (empty without data)."""
    if not data:
        return np.zeros(0)
    return np.concatenate([np.asarray(data.get("mean", []), float),
                           np.asarray(data.get("std", []), float),
                           [float(data.get("rows", 0))]])


def relative_distances(target: np.ndarray, others: np.ndarray) -> np.ndarray:
    """RMS relative difference between ``target`` (n,) and each row of ``others`` (m, n)."""
    if target.size == 0:
        return np.zeros(others.shape[0])
    scale = np.maximum(np.maximum(np.abs(target), np.abs(others)), ABS_FLOOR)
    return np.sqrt(np.mean(((others - target) / scale) ** 2, axis=1))


def data_distances(target: np.ndarray, others: np.ndarray, same_sha: np.ndarray) -> np.ndarray:
    """Distance between data sets: 0 for identical files, else how far the column
    means moved in units of the column's spread, and the relative row count."""
    if target.size == 0:
        return np.zeros(others.shape[0])
    k = (target.size - 1) // 2
    spread = np.maximum(np.maximum(target[k:2 * k], others[:, k:2 * k]), ABS_FLOOR)
    means = (others[:, :k] - target[:k]) / spread
    stds = np.log(np.maximum(others[:, k:2 * k], ABS_FLOOR) / np.maximum(target[k:2 * k],
                                                                         ABS_FLOOR))
    rows = np.abs(others[:, -1] - target[-1]) / max(target[-1], 1.0)
    d = np.sqrt(np.mean(means ** 2, axis=1) + np.mean(stds ** 2, axis=1) + rows ** 2)
    return np.where(same_sha, 0.0, d)
