"""Every hostile run file of the generator (tests/core/hostile_runfiles.py), built
from a real exported run, is refused with a reason in user words; the library
it was imported into stays byte-identical and sound; each import stays under
300 MB and 2 s (issue 13, "Done when").

Memory is measured two ways. In process, tracemalloc gives each import's own
peak of Python and numpy allocations (numpy reports its buffers to it); it can
be reset per file, which a process's ru_maxrss cannot. Then the real command
line imports every file in one process and its peak resident memory (VmHWM),
which also counts what zlib and SQLite allocate in C, bounds them all at once.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.problems import load_problem
from warmdesk.core.runfile import RunFileError, read_runfile, write_runfile

from ..cli_runner import run_cli as cli
from .factories import fit_spec, write_peaks
from .hostile_runfiles import PATH_ESCAPES, Case, cases, with_meta

PEAK_LIMIT = 300 << 20
TIME_LIMIT = 2.0
CASES = cases()
#: Texts of the zip, zlib, numpy and json layers that a user should never be shown.
INTERNALS = ("Error -3", "zlib", "allow_pickle", "Traceback", "ValueError", "BadZipFile",
             "Expecting", "EOFError", "struct.error", "KeyError", "OverflowError",
             "UnicodeDecodeError", "JSONDecodeError")


def peak_resident_kb() -> int:
    """This process's peak resident memory in KiB. On Linux VmHWM, since ru_maxrss
    also counts the parent's memory inherited at fork (before exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """A real fit solved into a library, exported: the run file every case starts from,
    and the library (holding that run) the cases are imported into."""
    root = tmp_path_factory.mktemp("source")
    write_peaks(root)
    (root / "peaks.json").write_text(json.dumps(fit_spec()))
    run = solve(load_problem(root / "peaks.json"))
    library = root / "library"
    with Library(library) as lib:
        lib.save_run(run)
        stored = lib.get_run(run.id)
    good = write_runfile(root / "good.wdrun", [stored]).read_bytes()
    return good, library


def test_there_are_at_least_80_hostile_files() -> None:
    assert len(CASES) >= 80, len(CASES)


def import_like_the_cli(path: Path, library: Path) -> str:
    """What ``warmdesk import`` does with one file; returns the refusal."""
    with Library(library) as lib:
        try:
            lib.import_runs(read_runfile(path))
        except RunFileError as exc:
            return str(exc)
    raise AssertionError(f"{path.name} was imported")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_hostile_file_is_refused(case: Case, exported: tuple[bytes, Path],
                                      tmp_path: Path) -> None:
    good, library = exported
    path = case.make(tmp_path, good)
    outside, before = folder_digest(tmp_path), folder_digest(library)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = import_like_the_cli(path, library)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message and "\n" not in message and len(message) < 1000
    for word in case.words:
        assert word.lower() in message.lower(), message
    assert not [w for w in INTERNALS if w in message], message
    assert folder_digest(library) == before, "the library changed"
    assert folder_digest(tmp_path) == outside, "something was written beside the file"
    assert not Path("PWNED").exists() and not (tmp_path / "PWNED").exists()
    assert peak < PEAK_LIMIT, f"{peak >> 20} MiB"
    assert seconds < TIME_LIMIT, f"{seconds:.2f} s"


def test_the_command_line_refuses_them_all_within_300_MB(exported: tuple[bytes, Path],
                                                         tmp_path: Path) -> None:
    """One real ``warmdesk import`` of every file: exit 2, one reason per file,
    the library byte-identical and ``warmdesk check`` sound; the process's peak
    resident memory (over all imports) under 300 MB."""
    good, library = exported
    paths = []
    for i, case in enumerate(CASES):
        folder = tmp_path / f"{i:03d}"
        folder.mkdir()
        paths.append(str(case.make(folder, good)))
    before = folder_digest(library)
    script = (inspect.getsource(peak_resident_kb) + "\nimport resource, sys\n"
              "from pathlib import Path\nfrom warmdesk.cli import main\ncode = main()\n"
              "print('MAXRSS_KB', peak_resident_kb(), file=sys.stderr)\nsys.exit(code)\n")
    env = dict(os.environ, WARMDESK_LIBRARY=str(library))
    started = time.perf_counter()
    # a real process: its peak resident memory is what is measured
    out = subprocess.run([sys.executable, "-c", script, "import", *paths], env=env,
                         capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    assert out.returncode == 2, out.stderr[-2000:]
    refusals = [line for line in out.stderr.splitlines() if line.startswith("refused ")]
    assert len(refusals) == len(CASES), out.stderr[-3000:]
    assert out.stdout == ""
    (rss,) = [int(line.split()[1]) for line in out.stderr.splitlines()
              if line.startswith("MAXRSS_KB")]
    assert rss * 1024 < PEAK_LIMIT, f"peak resident memory {rss // 1024} MiB"
    assert seconds < TIME_LIMIT * len(CASES)
    assert folder_digest(library) == before
    check = cli("check", library=library)
    assert check.returncode == 0 and "sound (1 run)" in check.stdout, check.stdout


@pytest.mark.parametrize("case_id, base_dir, data_file", PATH_ESCAPES,
                         ids=[p[0] for p in PATH_ESCAPES])
def test_sender_paths_never_point_at_local_files(exported: tuple[bytes, Path], tmp_path: Path,
                                                 case_id: str, base_dir: str | None,
                                                 data_file: str) -> None:
    good, _ = exported

    def change(meta: dict[str, Any]) -> None:
        meta["info"].pop("base_dir", None)
        if base_dir is not None:
            meta["info"]["base_dir"] = base_dir
        meta["problem"]["data"]["file"] = data_file
    (run,) = read_runfile(with_meta(tmp_path / f"{case_id}.wdrun", good, change))
    assert "base_dir" not in run.info
    kept = run.problem["data"]["file"]
    assert "/" not in kept and "\\" not in kept and kept not in ("", ".", ".."), kept
    assert "imported from a run file" in run.info["import_note"]
