"""One entry point for opening files: drops on the window, File > Open, the
command line (``warmdesk FILE ...``), another launch's hand-over and the OS's
file-open events all call :meth:`FileOpener.open_paths`.

Run files (``.wdrun``) are read and imported in the background through the
run-file reader's checks and the library's one-transaction import; a refused
file changes nothing and gets its own message. Problem JSON files go to the
problem editor."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import QObject, Signal

from ..core.errors import WarmDeskError
from ..core.library import Library
from ..core.runfile import SUFFIX, read_runfile
from .background import run_in_background

PROBLEM_SUFFIX = ".json"


@dataclass
class OpenReport:
    """What happened to each file: imported run ids, or why it was refused."""

    # (path, added, present)
    imported: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

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


#: What to do about a refused file, by why it was refused (appended to the reason).
ADVICE = {
    "kind": "Open run files (.wdrun) or problem files (.json).",
    "unreadable": "Check that the file is there and that you may read it, then open it again.",
    "damaged": "Nothing from it was added. Ask for a fresh copy: WarmDesk writes one with "
               "File > Export selected runs (or `warmdesk export`).",
    "library": "Nothing from it was added. Open it again; if the library keeps refusing, "
               "check that its folder is writable and has free space.",
    "one_problem": "Open the other problems one at a time.",
}


def refusal(why: str, advice: str) -> str:
    """A refused file's reason for the user: why, then what to do (ADVICE key)."""
    return f"{why.rstrip('. ')}. {ADVICE[advice]}"


#: A parenthesised detail quoting a Python exception ("(BadZipFile: ...)",
#: "(error: Error -3 while decompressing data)"): the zip and zlib layers' words,
#: not the user's. The sentence around it says what is wrong.
_EXCEPTION_DETAIL = re.compile(r"\s*\((?:error|[A-Za-z_]\w*(?:Error|Exception|ZipFile)):[^()]*\)")


def plain_reason(text: str) -> str:
    """``text`` without quoted exception details (see _EXCEPTION_DETAIL)."""
    return _EXCEPTION_DETAIL.sub("", text).strip() or "it could not be read"


def _read_refusal(path: Path, exc: Exception) -> str:
    """Why a run file could not be read, in words (never an exception's repr)."""
    if not path.is_file() or not os.access(path, os.R_OK):
        why = "no such file" if not path.exists() else "cannot read the file"
        return refusal(why, "unreadable")
    if isinstance(exc, WarmDeskError):
        return refusal(plain_reason(str(exc)), "damaged")
    if isinstance(exc, OSError):
        return refusal(f"cannot read the file ({exc.strerror or 'it could not be opened'})",
                       "unreadable")
    return refusal("it is damaged or not a run file WarmDesk can read", "damaged")


def import_run_files(library: Library, paths: Sequence[Path]) -> OpenReport:
    """Read and import each file on its own (runs in a pool thread). A file that
    cannot be read is refused with the reason and what to do; a failure of the
    library itself is raised (it concerns every file, not this one)."""
    report = OpenReport()
    for path in paths:
        try:
            runs = read_runfile(path)
        except Exception as exc:  # noqa: BLE001 - whatever a hostile file does, it is refused
            report.refused.append((str(path), _read_refusal(path, exc)))
            continue
        try:
            added, present = library.import_runs(runs)
        except WarmDeskError as exc:   # the library's checks refused these runs
            report.refused.append((str(path), refusal(plain_reason(str(exc)), "damaged")))
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
                unknown.append((str(path), refusal("not a WarmDesk file", "kind")))
        for extra in problems[1:]:
            unknown.append((str(extra), refusal("only one problem opens at a time; opened "
                                                f"{problems[0].name}", "one_problem")))
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
                lambda message: done(OpenReport(refused=[
                    (str(p), refusal(f"the library could not store its runs ({message})",
                                     "library")) for p in run_files])),
                owner=self)
