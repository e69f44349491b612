"""Sweeps: a family of problems solved point after point, each started from
its neighbour (issue 18). ``spec`` (the ``warmdesk.sweep/1`` file), ``chaining``
(order and chains), ``predictor`` (the secant start), ``check`` (is a point a
solution?), ``chain`` (one chain, where it runs), ``codec`` (runs as plain data),
``stored`` (a past sweep read back from the library), ``executors`` (here)
and ``dask_runner`` + ``remote`` (a Dask cluster; Dask is imported only there),
``runner`` (the client: seeds, stores, reports) and ``events``.
docs/sweeps.md tells the whole story."""

from .events import (PointFinished, PointResult, SweepEvent, SweepFailed, SweepFinished,
                     SweepResult, SweepStarted)
from .executors import Executor, InlineExecutor
from .runner import SweepRunner
from .spec import SweepSpec, load_sweep, sweep_from_dict, sweep_key
from .stored import StoredSweep, load_sweep_result, load_with_twin

__all__ = ["Executor", "InlineExecutor", "PointFinished", "PointResult", "SweepEvent",
           "SweepFailed", "SweepFinished", "SweepResult", "SweepRunner", "SweepSpec",
           "SweepStarted", "StoredSweep", "load_sweep", "load_sweep_result", "load_with_twin",
           "sweep_from_dict", "sweep_key"]
