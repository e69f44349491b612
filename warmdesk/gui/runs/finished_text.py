"""What the status bar says when a solve finishes: its status and objective, the
saving in the plot title's words (one wording: ``core.saving_text``), or that the
run is NOT stored when the library could not take it."""

from __future__ import annotations

from ...core.saving_text import evaluation_unit, recorded_saving_sentence
from .solve_manager import JobResult


def finished_text(result: JobResult) -> str | None:
    run = result.run
    if run is None:
        return None
    if result.unsaved is not None:
        # not in the library (a full disk): the prompt offers Retry / Save as run
        # file..., and the status bar must not say it is stored
        return (f"{run.name}: {run.status}, but NOT stored in the library: "
                "retry or save it as a run file")
    text = (f"{run.name}: {run.status}, f = {run.fun:.6g} after {run.nfev} evaluations"
            if run.fun is not None else f"{run.name}: {run.status}")
    saving = recorded_saving_sentence(run.info.get("saving"), evaluation_unit(run.kind))
    return f"{text}; {saving}" if saving else text
