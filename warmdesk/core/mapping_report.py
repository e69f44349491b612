"""The mapping report of a warm start: what of the source run's payload applied
to the new problem, and how (a light module: the GUI shows it without
importing the solvers).

The mapping (``core.warmstart``) writes the report as a JSON-able dict, which is
what runs store (``run.warm.report``); :class:`MappingReport` is its typed
reading, tolerant of reports from other versions (missing keys are empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class MappingReport:
    source_run_id: str | None = None
    payload: list[str] = field(default_factory=list)   # what is used: "x0", "hess_inv", ...
    mode: str = "restart"
    matched: list[str] = field(default_factory=list)   # variables taken as they were
    resized: list[dict[str, Any]] = field(default_factory=list)  # name, from, to, taken
    defaulted: list[str] = field(default_factory=list)  # new variables: from the start
    dropped: list[str] = field(default_factory=list)    # old variables the problem lacks
    clipped: dict[str, int] = field(default_factory=dict)  # name -> values moved into bounds
    refused: dict[str, str] = field(default_factory=dict)  # payload -> why it was not used
    source_note: str | None = None
    checkpoint_t: float | None = None                   # ode: where it resumes
    note: str | None = None
    predicted: dict[str, Any] | None = None             # advisor: a predicted start
    scaled: str | None = None   # why the solve first runs scaled by the Hessian (L-BFGS-B, CG)

    @classmethod
    def from_dict(cls, report: dict[str, Any]) -> MappingReport:
        """The report's known keys (others are ignored here, kept in the dict)."""
        return cls(**{f.name: report[f.name] for f in fields(cls) if f.name in report})

    def lines(self) -> list[str]:
        """The report as a few lines for a terminal."""
        lines = [f"warm start from {self.source_run_id}: payload "
                 f"{', '.join(self.payload)} ({self.mode})"]
        if self.matched:
            lines.append(f"  matched:   {', '.join(map(str, self.matched))}")
        for r in self.resized:
            lines.append(f"  resized:   {r['name']} {r['from']} -> {r['to']} "
                         f"(first {r['taken']} taken, rest from the start)")
        if self.defaulted:
            lines.append(f"  defaulted: {', '.join(map(str, self.defaulted))} (from the start)")
        if self.dropped:
            lines.append(f"  dropped:   {', '.join(map(str, self.dropped))}")
        for name, count in self.clipped.items():
            lines.append(f"  clipped:   {name} ({count} values into the new bounds)")
        if self.source_note:
            lines.append(f"  note:      {self.source_note}")
        if self.scaled:
            lines.append(f"  scaled:    {self.scaled}")
        for key, why in self.refused.items():
            lines.append(f"  not used:  {key}: {why}")
        if self.checkpoint_t is not None:
            lines.append(f"  resumes at t={self.checkpoint_t:.6g}"
                         + (f"; {self.note}" if self.note else ""))
        elif self.note:
            lines.append(f"  note:      {self.note}")
        return lines


def format_report(report: dict[str, Any]) -> str:
    """The mapping report (as stored) as a few lines for a terminal."""
    return "\n".join(MappingReport.from_dict(report).lines())
