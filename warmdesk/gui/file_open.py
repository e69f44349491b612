"""One entry point for opening files: drops on the window, File > Open, the
command line (``warmdesk FILE ...``), another launch's hand-over and the OS's
file-open events all call :meth:`FileOpener.open_paths`.

Run files (``.wdrun``) are read and imported in the background through the
run-file reader's checks and the library's one-transaction import; a refused
file changes nothing and gets its own message. Problem JSON files go to the
problem editor."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import QObject, Signal

from ..core.errors import WarmDeskError
from ..core.library import Library
from ..core.runfile import SUFFIX, RunFileError, read_runfile
from .background import run_in_background

PROBLEM_SUFFIX = ".json"


@dataclass
class OpenReport:
    """What happened to each file: imported run ids, or why it was refused."""

    imported: list[tuple[str, list[str], list[str]]] = field(default_factory=list)  # path, added, present
    refused: list[tuple[str, str]] = field(default_factory=list)                      # path, reason

    @property
    def run_ids(self) -> list[str]:
        return [rid for _, added, present in self.imported for rid in (*added, *present)]

    def summary(self) -> str:
        added = sum(len(a) for _, a, _ in self.imported)
        present = sum(len(p) for _, _, p in self.imported)
        parts = []
        if self.imported:
            parts.append(f"imported {added} run{'s' * (added != 1)} from "
                         f"{len(self.imported)} file{'s' * (len(self.imported) != 1)}"
                         + (f" ({present} already in the library)" if present else ""))
        if self.refused:
            parts.append(f"refused {len(self.refused)} file{'s' * (len(self.refused) != 1)}")
        return "; ".join(parts) or "nothing to open"


def import_run_files(library: Library, paths: Sequence[Path]) -> OpenReport:
    """Read and import each file on its own (runs in a pool thread)."""
    report = OpenReport()
    for path in paths:
        try:
            runs = read_runfile(path)
            added, present = library.import_runs(runs)
        except (RunFileError, WarmDeskError, OSError, ValueError) as exc:
            report.refused.append((str(path), str(exc) or type(exc).__name__))
            continue
        report.imported.append((str(path), added, present))
    return report


class FileOpener(QObject):
    """Sorts paths into run files and problem files and opens them."""

    runs_imported = Signal(object)      # OpenReport (after the background import)
    problem_requested = Signal(object)  # Path of a problem JSON to open in the editor
    refused = Signal(object)            # list of (path, reason) for files of no known kind

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.pending = 0   # imports still running

    @staticmethod
    def accepts(path: Path) -> bool:
        return path.suffix.lower() in (SUFFIX, PROBLEM_SUFFIX)

    def open_paths(self, paths: Sequence[str | Path]) -> None:
        run_files: list[Path] = []
        unknown: list[tuple[str, str]] = []
        problems: list[Path] = []
        for raw in paths:
            path = Path(raw)
            suffix = path.suffix.lower()
            if suffix == SUFFIX:
                run_files.append(path)
            elif suffix == PROBLEM_SUFFIX:
                problems.append(path)
            else:
                unknown.append((str(path), "not a WarmDesk file: expected a run file (.wdrun) "
                                           "or a problem (.json)"))
        for extra in problems[1:]:
            unknown.append((str(extra), "only one problem opens at a time; opened "
                                        f"{problems[0].name}"))
        if unknown:
            self.refused.emit(unknown)
        if problems:
            self.problem_requested.emit(problems[0])
        if run_files:
            library = self.library
            self.pending += 1

            def done(report: OpenReport) -> None:
                self.pending -= 1
                self.runs_imported.emit(report)

            run_in_background(
                lambda: import_run_files(library, run_files), done,
                lambda message: done(OpenReport(refused=[(str(p), message) for p in run_files])),
                owner=self)
