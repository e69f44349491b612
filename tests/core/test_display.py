"""One bad row never breaks a display (issue 13 items 2 and 5): the real command
line lists and shows a library holding runs whose fields are out of range
(stored before the run-file reader checked them) or whose text carries terminal
escapes, flags the bad run, shows the others, and writes nothing unprintable."""

from __future__ import annotations

from pathlib import Path

import pytest

from warmdesk.core.display import (
    INVALID,
    format_count,
    format_duration,
    format_number,
    format_when,
    printable,
    row_flag,
)
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.runs import Run, new_run_id

from ..cli_runner import run_cli as cli
from .factories import build, rosenbrock

OSC_TITLE = "\x1b]0;pwned\x07"
HOSTILE_TEXT = f"evil{OSC_TITLE}\x1b[2J\u202egnp.exe\r\x00"


def unprintable(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 32 and c not in "\n") or 0x7f <= ord(c) <= 0x9f
            or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]


@pytest.fixture(scope="module")
def good() -> Run:
    return solve(build(rosenbrock(n=2)))


def variant(run: Run, **changes: object) -> Run:
    out = Run.from_parts({**run.to_dict(), **changes}, run.arrays())
    out.id = new_run_id()
    return out


BAD_ROWS = [{"created_at": 1e300}, {"created_at": -1e18}, {"wall_s": 1e308},
            {"started_at": -5.0, "finished_at": 1e200}, {"nfev": 2**62}]


@pytest.fixture
def bad_library(tmp_path: Path, good: Run) -> tuple[Path, list[Run]]:
    """A library as a run file imported before the fix could leave it."""
    runs = [good] + [variant(good, **c) for c in BAD_ROWS]
    runs.append(variant(good, name=HOSTILE_TEXT, tags=["t\x1b[31m"], notes=HOSTILE_TEXT,
                        message=HOSTILE_TEXT))
    with Library(tmp_path / "lib") as lib:
        lib.save_runs(runs)
    return tmp_path / "lib", runs


def test_runs_lists_every_row_and_flags_the_bad_ones(bad_library) -> None:
    folder, runs = bad_library
    out = cli("runs", "--limit", "100", library=folder)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == len(runs), out.stdout
    for run in runs:
        (line,) = [x for x in lines if x.startswith(run.id[:12])]
        flagged = "invalid" in line
        assert flagged == bool(row_flag(run.to_dict())), line
    assert max(len(x) for x in lines) < 400       # no 309-digit numbers
    assert unprintable(out.stdout) == [] and unprintable(out.stderr) == []
    assert "\\x1b]0;pwned\\x07" in out.stdout      # escaped, visible


@pytest.mark.parametrize("index", range(1, len(BAD_ROWS) + 2))
def test_show_never_crashes_on_a_bad_run(bad_library, index: int) -> None:
    folder, runs = bad_library
    out = cli("show", runs[index].id, library=folder)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and len(out.stdout) < 3000
    assert unprintable(out.stdout) == []
    if row_flag(runs[index].to_dict()):
        assert "invalid" in out.stdout


def test_printable_escapes_controls_escapes_and_bidi() -> None:
    assert printable(HOSTILE_TEXT) == ("evil\\x1b]0;pwned\\x07\\x1b[2J\\u202egnp.exe\\x0d"
                                       "\\x00")
    assert printable("a\nb\tc", multiline=True) == "a\nb\tc"
    assert printable("a\nb") == "a\\x0ab"
    assert printable("ok ünïcode 名前") == "ok ünïcode 名前"
    assert printable(None) == "" and printable("x" * 10, limit=3) == "xxx…"


def test_formatting_never_raises() -> None:
    for value in (None, 1e300, -1e18, float("nan"), float("inf"), "x", True, 2**80, [1]):
        for fmt in (format_when, format_duration, format_number, format_count):
            assert isinstance(fmt(value), str)
    assert format_when(1e300) == INVALID and format_when(-1.0) == INVALID
    assert format_duration(1e308) == INVALID and format_duration(3.25) == "3.2 s"
    assert format_duration(7384) == "2 h 03 min"
    assert format_number(1e308) == "1e+308" and format_number(None) == "-"
    assert row_flag({"created_at": 1e300, "wall_s": 1.0}) == "invalid created_at"
    assert row_flag({"created_at": 1.7e9, "wall_s": 1.0, "fun": None}) == ""
