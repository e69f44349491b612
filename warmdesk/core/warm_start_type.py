"""One warm start, from the choice in the app or CLI to the stored run.

A :class:`WarmStart` says what a new solve starts from: the source run, the
payload used (``x0``, ``hess_inv``, ``checkpoint``, ...), its mode, the mapping
report, and — while it is being solved — the mapped arrays. A run keeps the
same type without the arrays (:meth:`WarmStart.provenance`); that is what its
run file and the library store, as :meth:`WarmStart.to_dict`. The mapping onto a
new problem is done elsewhere (``core.warmstart`` and the kinds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: A warm start from an earlier solution (the default).
RESTART = "restart"
#: An ODE continued exactly from its last checkpoint or live integrator.
EXACT_RESUME = "exact-resume"


@dataclass
class WarmStart:
    """What a new solve starts from, already mapped onto the new problem's layout."""

    source_run_id: str | None
    payload: list[str]                 # names of what is used: "x0", "hess_inv", ...
    x0: np.ndarray | None = None       # flat, in the new problem's variable order
    state: dict[str, np.ndarray] = field(default_factory=dict)
    mode: str = RESTART                # or EXACT_RESUME
    report: dict[str, Any] = field(default_factory=dict)  # the mapping report (JSON-able)
    live_solver: Any = None            # ode only, in-process exact resume (never stored)

    def provenance(self) -> WarmStart:
        """What a run records: the same start without its arrays or live solver."""
        return WarmStart(self.source_run_id, list(self.payload), mode=self.mode,
                         report=dict(self.report))

    def to_dict(self, arrays: bool = False) -> dict[str, Any]:
        """The stored form (run meta, run files, the library): exactly
        ``source_run_id``, ``payload``, ``mode`` and ``report``. With ``arrays``
        also ``x0`` and ``state``, to hand the start to a solver child process
        (a live integrator cannot cross over: its mode becomes ``restart``)."""
        out: dict[str, Any] = {"source_run_id": self.source_run_id,
                               "payload": list(self.payload), "mode": self.mode,
                               "report": self.report}
        if arrays:
            out.update(x0=self.x0, state=dict(self.state), report=dict(self.report))
            if self.live_solver is not None:
                out["mode"] = RESTART
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WarmStart:
        """Read either form of :meth:`to_dict` (a missing mode is ``restart``)."""
        x0 = d.get("x0")
        return cls(d.get("source_run_id"), list(d.get("payload", [])),
                   x0=None if x0 is None else np.asarray(x0, dtype=float),
                   state=dict(d.get("state") or {}), mode=d.get("mode", RESTART),
                   report=dict(d.get("report", {})))
