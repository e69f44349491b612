"""core.atomic_file: the old file or the new one, never half, and no temp left behind."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from warmdesk.core.atomic_file import write_atomically


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "problem.json"
    target.write_text("old")

    def half_then_fail(fh: BinaryIO) -> None:
        fh.write(b"new but unfinished")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="mid-write"):
        write_atomically(target, half_then_fail)
    assert [p.name for p in tmp_path.iterdir()] == ["problem.json"]
    assert target.read_text() == "old"
    write_atomically(target, lambda fh: fh.write(b"new"))
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["problem.json"]


def test_a_missing_folder_is_an_os_error_for_the_caller(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "no" / "file.json", lambda fh: fh.write(b"x"))
