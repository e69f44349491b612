"""The ``network`` kind's data: features and labels from the CSV, the seeded
validation split (or a second CSV), the input standardisation and a regression
target's standardisation, both fitted on the training split, and the
architecture they imply.

The network trains on the standardised target; every loss it reports
(:meth:`NetworkData.evaluate`: the epoch table, the history, ``run.fun``,
``info.network.val_loss``, hence the training guard) is the mean squared error
in the target's own units, ``target_scale**2`` times the standardised one.

Everything is a function of the problem alone (its data and its seed), so
the kind's reader, its warm-start mapping and the solver all see the same
split, classes and standardisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets import Dataset, load_csv
from ..problem_types import Problem, Variable
from .network_model import Architecture, evaluate, standardisation, target_standardisation
from .network_settings import NetworkSettings, read_settings

MAX_CLASSES = 100
#: Seeds of the independent streams drawn from one ``seed``.
SHUFFLE_STREAM, SPLIT_STREAM, INIT_STREAM, NOISE_STREAM = 0, 1, 2, 3


@dataclass
class NetworkData:
    arch: Architecture
    features: list[str]
    classes: list[float]          #: empty for regression
    x_train: np.ndarray           #: standardised
    y_train: np.ndarray           #: standardised too (regression)
    x_val: np.ndarray
    y_val: np.ndarray
    mean: np.ndarray              #: the standardisation, fitted on the training split
    scale: np.ndarray
    #: A regression target's standardisation (the network predicts
    #: ``(y - target_mean) / target_scale``); 0 and 1 for a classification, and
    #: for a run stored before targets were standardised.
    target_mean: float = 0.0
    target_scale: float = 1.0

    @property
    def loss_factor(self) -> float:
        """Standardised losses times this are in the target's units (an MSE; 1 for
        a classification, whose target scale is 1)."""
        return self.target_scale ** 2

    def evaluate(self, theta: np.ndarray, split: str) -> tuple[float, float]:
        """(loss in the target's units, accuracy) of ``theta`` on ``"train"`` or
        ``"val"`` (NaN for no rows; NaN accuracy for regression)."""
        x, y = (self.x_train, self.y_train) if split == "train" else (self.x_val, self.y_val)
        loss, acc = evaluate(self.arch, theta, x, y)
        return loss * self.loss_factor, acc


def loss_words(output: object, target: str) -> str:
    """What a network's reported losses are, in words (one place for the CLI and
    the app): a regression's are in the target's own units."""
    return (f"mean squared error in {target}'s units" if output == "regression"
            else "cross-entropy")


def settings_of(problem: Problem) -> NetworkSettings:
    """The settings of a checked problem (its spec was read already)."""
    return read_settings(problem.spec)[0]


def classes_of(output: str, y: np.ndarray, target: str) -> list[float]:
    """The classes of a classification target; ValueError naming the problem."""
    if output == "regression":
        return []
    classes = np.unique(y)
    if output == "binary" and classes.size != 2:
        raise ValueError(f"a binary output needs exactly 2 classes in column '{target}' "
                         f"(found {classes.size}); use 'multiclass'")
    if output == "multiclass" and not 2 <= classes.size <= MAX_CLASSES:
        raise ValueError(f"a multiclass output needs 2 to {MAX_CLASSES} classes in column "
                         f"'{target}' (found {classes.size})")
    return [float(c) for c in classes]


def labels(output: str, y: np.ndarray, classes: list[float], what: str) -> np.ndarray:
    """Targets as the loss takes them: values, 0/1, or class indices."""
    if output == "regression":
        return y.astype(float)
    known = np.asarray(classes)
    idx = np.searchsorted(known, y)
    bad = (idx >= known.size) | (known[np.minimum(idx, known.size - 1)] != y)
    if np.any(bad):
        raise ValueError(f"{what} has class {y[bad][0]:g}, which the training data lacks")
    return idx.astype(float)


def architecture(s: NetworkSettings, inputs: int, classes: list[float]) -> Architecture:
    outputs = len(classes) if s.output == "multiclass" else 1
    return Architecture(inputs, s.layers, outputs, s.activation, s.output)


def validation_file(problem: Problem, s: NetworkSettings) -> Dataset:
    assert s.val_file is not None
    path = Path(s.val_file)
    if not path.is_absolute() and problem.base_dir is not None:
        path = problem.base_dir / path
    return load_csv(path)


def split_rows(rows: int, s: NetworkSettings) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation row indices (the validation fraction, seeded)."""
    if s.val_file is not None or s.val_fraction == 0:
        return np.arange(rows), np.zeros(0, dtype=np.intp)
    n_val = min(rows - 1, max(1, round(s.val_fraction * rows)))
    perm = np.random.default_rng([s.seed, SPLIT_STREAM]).permutation(rows)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def prepare(problem: Problem, s: NetworkSettings | None = None,
            target: tuple[float, float] | None = None) -> NetworkData:
    """The problem's data as the network trains on it (ValueError: unusable data).

    ``target``: a regression target's (mean, scale) to use instead of fitting
    them (a resumed training state's own, e.g. ``(0, 1)`` for a run stored
    before targets were standardised)."""
    s = s or settings_of(problem)
    ds = problem.dataset
    assert ds is not None
    x = np.column_stack([ds.column(f) for f in problem.features])
    y_raw = ds.column(problem.target)
    classes = classes_of(s.output, y_raw, problem.target)
    y = labels(s.output, y_raw, classes, ds.path.name)
    train, val = split_rows(ds.rows, s)
    if train.size == 0:
        raise ValueError("the data has no rows to train on")
    x_val, y_val = x[val], y[val]
    if s.val_file is not None:
        vds = validation_file(problem, s)
        missing = [c for c in [*problem.features, problem.target] if c not in vds.columns]
        if missing:
            raise ValueError(f"{vds.path.name} lacks column {missing[0]!r}")
        x_val = np.column_stack([vds.column(f) for f in problem.features])
        y_val = labels(s.output, vds.column(problem.target), classes, vds.path.name)
    mean, scale = standardisation(x[train])
    y_mean, y_scale = 0.0, 1.0
    if s.output == "regression":
        y_mean, y_scale = target if target is not None else target_standardisation(y[train])
    return NetworkData(architecture(s, len(problem.features), classes), list(problem.features),
                       classes, (x[train] - mean) / scale, _standard(y[train], y_mean, y_scale),
                       (x_val - mean) / scale, _standard(y_val, y_mean, y_scale), mean, scale,
                       y_mean, y_scale)


def _standard(y: np.ndarray, mean: float, scale: float) -> np.ndarray:
    """``(y - mean) / scale``; ``y`` itself (bit for bit) for ``(0, 1)``."""
    return y if (mean, scale) == (0.0, 1.0) else (y - mean) / scale


def initial_weights(arch: Architecture, seed: int) -> np.ndarray:
    """The seed's fresh initialisation (a cold start; a fine-tune's new columns)."""
    return arch.initial(np.random.default_rng([seed, INIT_STREAM]))


def perturbation(arch: Architecture, seed: int) -> np.ndarray:
    """Shrink-and-perturb's noise: drawn like an initialisation, from its own
    stream. Not :func:`initial_weights`: a fine-tune usually shares its seed and
    architecture with the run it starts from, whose own initialisation that
    is, so it would pull the weights back along their starting point instead
    of perturbing them."""
    return arch.initial(np.random.default_rng([seed, NOISE_STREAM]))


def layout(problem: Problem, s: NetworkSettings, data_classes: list[float]) -> list[Variable]:
    """The problem's variables: the weights, starting at the seed's initialisation."""
    arch = architecture(s, len(problem.features), data_classes)
    start = initial_weights(arch, s.seed)
    out, o = [], 0
    for name, size in arch.layout():
        out.append(Variable(name, size, start[o:o + size].copy(), np.full(size, -np.inf),
                            np.full(size, np.inf)))
        o += size
    return out
