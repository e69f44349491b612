"""Starter content for a new problem of each kind: small, valid, and a pattern to
edit. ``fit`` and ``train`` starters read a CSV of the bundled examples (their
folder is the spec's folder until the problem is saved elsewhere, when the
data path is rewritten to still point at it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...core.problems import FORMAT, KINDS
from ...resources_path import examples_dir


def starter_spec(kind: str) -> tuple[dict[str, Any], Path | None]:
    """The starter spec for ``kind`` and the folder its relative data path is read from."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    head: dict[str, Any] = {"format": FORMAT, "name": f"new {kind} problem", "kind": kind}
    if kind == "minimize":
        return {**head,
                "description": "Rosenbrock's banana valley in two dimensions: replace the "
                               "objective with your own.",
                "variables": {"x": {"size": 2, "start": [-1.2, 1.0], "lower": -5, "upper": 5}},
                "parameters": {"a": 1.0, "b": 100.0},
                "objective": "b*(x[1] - x[0]**2)**2 + (a - x[0])**2",
                "solver": {"method": "L-BFGS-B", "options": {}}}, None
    if kind == "fit":
        return {**head,
                "description": "An exponential decay on a background, fitted to the example "
                               "detector counts: choose your own CSV on the Data tab.",
                "variables": {"N0": {"start": 500.0, "lower": 0},
                              "tau": {"start": 5.0, "lower": 0.1},
                              "bg": {"start": 1.0, "lower": 0}},
                "data": {"file": "decay_base.csv"},
                "model": "N0*exp(-time/tau) + bg",
                "target": "counts",
                "sigma": "sigma",
                "solver": {"method": "trf", "options": {}}}, examples_dir()
    if kind == "train":
        return {**head,
                "description": "Logistic regression on the example churn data: choose your own "
                               "CSV on the Data tab.",
                "data": {"file": "churn_base.csv"},
                "target": "churned",
                "model": "logistic",
                "l2": 0.001,
                "solver": {"method": "L-BFGS-B", "options": {}}}, examples_dir()
    return {**head,
            "description": "A damped oscillator: replace the right-hand sides with your own.",
            "state": {"pos": {"start": 1.0}, "vel": {"start": 0.0}},
            "parameters": {"k": 1.0, "c": 0.1},
            "rhs": {"pos": "vel", "vel": "-k*pos - c*vel"},
            "t_span": [0.0, 20.0],
            "t_eval": 201,
            "checkpoints": 10,
            "solver": {"method": "RK45", "options": {}}}, None
