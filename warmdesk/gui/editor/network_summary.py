"""What a checked ``network`` problem amounts to, in words for its form: the
architecture (``4 inputs → 16 relu → 1 sigmoid, 97 weights``, with the classes
or a regression target's standardisation) and the split (how many rows train
and how many validate). Qt-free: it runs in the
background (it prepares the data as the solver will, a second CSV included).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...core.problem_types import Problem
from ...core.solvers import network_data

#: The output layer's function per ``output``.
OUTPUT_FUNCTIONS = {"regression": "linear", "binary": "sigmoid", "multiclass": "softmax"}


@dataclass(frozen=True)
class NetworkSummary:
    architecture: str     #: "4 inputs → 16 relu → 1 sigmoid, 97 weights (classes 0, 1)"
    split: str            #: "480 training rows, 120 validation rows (...)"
    train_rows: int
    val_rows: int
    weights: int


def summarise(problem: Problem) -> NetworkSummary:
    """The summary of a checked network problem (ValueError: unusable data)."""
    s = network_data.settings_of(problem)
    data = network_data.prepare(problem, s)
    arch = data.arch
    layers = [f"{arch.inputs} input{'s' if arch.inputs != 1 else ''}",
              *(f"{w} {arch.activation}" for w in arch.hidden),
              f"{arch.outputs} {OUTPUT_FUNCTIONS.get(arch.output, arch.output)}"]
    architecture = " → ".join(layers) + f", {arch.size} weights"
    if data.classes:
        architecture += f" (classes {', '.join(f'{c:g}' for c in data.classes)})"
    else:
        architecture += (f" (trained on {problem.target} standardised: mean "
                         f"{data.target_mean:.4g}, scale {data.target_scale:.4g}; losses are "
                         "mean squared errors in its units)")
    n_train, n_val = int(data.x_train.shape[0]), int(data.x_val.shape[0])
    rows = problem.dataset.rows if problem.dataset is not None else n_train
    if s.val_file is not None:
        where = f"from {s.val_file}"
    elif n_val:
        where = f"fraction {s.val_fraction:g} of {rows} rows, drawn with seed {s.seed}"
    else:
        where = "validation fraction 0: no validation data"
    batches = math.ceil(n_train / s.batch_size)
    split = (f"{n_train} training rows, {n_val} validation rows ({where}); "
             f"{batches} mini-batch{'es' if batches != 1 else ''} of up to {s.batch_size} "
             "per epoch")
    return NetworkSummary(architecture, split, n_train, n_val, arch.size)
