"""``run.info``: the named facts a run carries besides its figures.

A ``TypedDict``, not a dataclass, on purpose: ``info`` is stored as a JSON
object (run meta, run files, the library's ``meta`` column, ``set_info``), and
files from other versions may hold keys this one does not know. A TypedDict is
that same plain dict at run time, so the stored form cannot change and unknown
keys are kept as they came, while mypy checks every known key and its type.
Every key is optional: which ones a run has depends on its kind and its end.
"""

from __future__ import annotations

from typing import Any, TypedDict


class KeptIterate(TypedDict):
    """A failed run that kept its last iterate (it can seed a warm start)."""

    fun: float
    nit: int


class RunInfo(TypedDict, total=False):
    # -- every run (engine.new_run)
    layout: list[list[Any]]            # [[variable name, size], ...] in solution order
    base_dir: str                      # where its relative data paths point (dropped on import)
    data: dict[str, Any]               # data set fingerprint and column summary
    # -- how it ended (engine, solvers)
    traceback: str                     # a failure's last frames
    warnings: list[str]                # warnings caught while solving
    kept_iterate: KeptIterate          # a failed run that kept its last iterate
    stopped_by: str                    # which limit stopped it (e.g. the guard's budget)
    warning: str                       # "worse than cold" (advisor.expectation)
    state_note: str                    # why the solver state was not kept
    # -- minimize and fit
    optimality: float
    constr_violation: float
    accepted_at_noise: dict[str, Any]  # a step accepted at the noise floor
    steps_at_noise: int
    restarted_at: dict[str, Any]       # a non-stationary end restarted once
    not_stationary: dict[str, Any]     # ... and still not stationary
    scaled_start: dict[str, Any]       # a warm L-BFGS-B/CG start's curvature phase:
    #                                    used, evaluations, iterations, ended (curvature.py)
    rejected_non_finite: int           # fit: trial points with non-finite residuals
    rows: int                          # fit: data rows
    fit_report: dict[str, Any]         # fit: FitReport.to_dict() (read with FitReport.read)
    # -- train
    features: list[str]
    target: str
    model: str                         # "linear", "logistic" or "multinomial"
    classes: list[Any]
    # -- network (its architecture, split and how training ended: solvers/network.py)
    network: dict[str, Any]
    # -- ode
    t_reached: float
    live_solver: bool                  # an interrupted integrator kept in this process
    # -- advisor and library
    guard: dict[str, Any]              # GuardReport.to_dict() (plus "kept")
    saving: dict[str, Any]             # Saving.to_dict() (core.saving)
    import_note: str                   # what importing a run file changed
    # -- sweeps (core/sweeps/chain.py): id, chain, point, values, role, seed,
    #    previous (the run before it in its chain), resumed, check (None: passed)
    sweep: dict[str, Any]


#: The known keys, in the order above (docs, the run details' list).
RUN_INFO_KEYS: tuple[str, ...] = tuple(RunInfo.__annotations__)
