"""Finished runs the library could not store (its disk is full): the one home
of what happens then, for the CLI and the app alike.

The runs stay whole in memory; their placeholders (the rows saved ``running``
when they started) are removed so no phantom ``interrupted`` run appears later;
and the runs can be written to a ``.wdrun`` run file in a folder that has room,
to be imported once the library's disk has space again. Every sentence says
exactly what was and was not written.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .errors import WarmDeskError
from .library import Library
from .runs import Run
from .runfile import write_runfile
from .status import Status


@dataclass
class Unsaved:
    """Runs whose final save failed: the error, and what the library holds of each."""

    runs: list[Run]
    error: str
    #: per run id: ``removed`` (its record saved running at the start was removed),
    #: ``absent`` (nothing of it is stored), ``left`` (that record could not be
    #: removed), ``unknown`` (the library could not be read), or the status it was
    #: stored with earlier (a guarded run, saved as it ended)
    fate: dict[str, str] = field(default_factory=dict)
    #: why the records saved running could not be removed (None if they were)
    discard_error: str | None = None

    def library_sentence(self) -> str:
        """What the library holds of these runs, to the letter."""
        groups: dict[str, list[str]] = {}
        for run in self.runs:
            groups.setdefault(self.fate.get(run.id, "absent"), []).append(run.id[:12])
        return "; ".join(self._clause(fate, ids) for fate, ids in groups.items())

    def _clause(self, fate: str, ids: list[str]) -> str:
        one = len(ids) == 1
        what = ("run " if one else "runs ") + ", ".join(ids) + (" is" if one else " are")
        it, its = ("it", "its") if one else ("them", "their")
        if fate == "removed":
            record = ("the record saved as running at the start was removed" if one else
                      "the records saved as running at the start were removed")
            return f"{what} not in the library: {record}, nothing else was written"
        if fate == "absent":
            return f"{what} not in the library: nothing of {it} was written"
        if fate == "left":
            return (f"{what} not stored with {its} result: {its} record saved as running at "
                    f"the start could not be removed either ({self.discard_error}), so the "
                    f"library will show {it} as interrupted with no result until the run file "
                    "is imported, which replaces that record")
        if fate == "unknown":
            return (f"{what} not stored with {its} result (what the library holds of {it} "
                    "could not be read)")
        return (f"{what} in the library as saved when {'it' if one else 'they'} ended "
                f"({fate}), without what was added after (the guard's report)")


class SavesWhileSolving:
    """The saves while runs are solved. A run that cannot be saved ``running``
    as it starts stops the solve before any of its work (that save was rolled
    back: nothing is stored). Once a run has finished, a failed save stops
    nothing: the final save of every run decides, and on failure the runs are
    kept in memory (:func:`keep_unsaved`)."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self._ended = False

    def start(self, run: Run) -> None:
        try:
            self._library.save_run(run)
        except WarmDeskError:
            if not self._ended:
                raise

    def end(self, run: Run) -> None:
        self._ended = True
        try:
            self._library.save_run(run)
        except WarmDeskError:
            pass  # saved again, with every run, at the end


def keep_unsaved(library: Library, runs: Sequence[Run], error: WarmDeskError) -> Unsaved:
    """After a failed final save of ``runs``: remove their records saved
    ``running`` (if the library can still take that), find what it holds of
    each, and return what to tell the user."""
    unsaved = Unsaved(list(runs), str(error))
    try:
        removed = set(library.discard_unfinished(run.id for run in runs))
    except WarmDeskError as exc:
        removed, unsaved.discard_error = set(), str(exc)
    for run in runs:
        if run.id in removed:
            unsaved.fate[run.id] = "removed"
            continue
        try:
            status = library.get_meta(run.id)["status"] if library.has_run(run.id) else None
        except WarmDeskError:
            unsaved.fate[run.id] = "unknown"
            continue
        unsaved.fate[run.id] = ("absent" if status is None else
                                "left" if status == Status.RUNNING else str(status))
    return unsaved


def rescue_folders() -> list[Path]:
    """Where a run file goes when the library's disk is full, in order: the
    temp dir, then the current directory."""
    return list(dict.fromkeys([Path(tempfile.gettempdir()), Path(os.getcwd())]))


def rescue_name(runs: Sequence[Run]) -> str:
    return f"warmdesk-unsaved-{runs[0].id[:12]}.wdrun"


def write_elsewhere(runs: Sequence[Run],
                    folders: Sequence[Path] | None = None) -> tuple[Path | None, list[str]]:
    """Write ``runs`` into one run file in the first folder that takes it
    (``rescue_folders()`` unless given). Returns the path (None if no folder
    did) and one reason per folder that failed."""
    failures: list[str] = []
    for folder in folders if folders is not None else rescue_folders():
        path = Path(folder) / rescue_name(runs)
        try:
            return write_runfile(path, runs), failures
        except WarmDeskError as exc:
            failures.append(f"{folder}: {exc}")
    return None, failures
