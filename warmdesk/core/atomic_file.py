"""Replacing a file so that a reader (or a crash) sees the old one or the new one,
never half of one: the run-file writer and the problem editor both save this way.

A temp file ``.<name>.tmp-<32 hex>`` is created beside the target (``x`` mode,
never following an existing name), written, flushed and fsynced, renamed over
the target, and the folder is fsynced so the rename survives a power cut. On
any error the temp file is removed and the target is untouched; the OSError
goes to the caller, who says what it means for its file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TEMP_MARK = ".tmp-"
_TEMP_RE = re.compile(rf"\..+{re.escape(TEMP_MARK)}[0-9a-f]{{32}}")


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Replace ``path`` with what ``write(fh)`` writes to a binary file handle."""
    tmp = path.parent / f".{path.name}{TEMP_MARK}{uuid.uuid4().hex}"
    created = False
    try:
        with open(tmp, "xb") as fh:
            created = True
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable, where a folder can be opened
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return path


def sweep_temp_files(folder: Path, older_than_s: float = 3600) -> int:
    """Remove our orphaned temp files (``.<name>.tmp-<32 hex>``, regular files only)
    older than ``older_than_s`` seconds from ``folder``; return how many went."""
    cutoff, removed = time.time() - older_than_s, 0
    try:
        entries = [e for e in os.scandir(folder) if _TEMP_RE.fullmatch(e.name)]
    except OSError:
        return 0
    for entry in entries:
        with contextlib.suppress(OSError):
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and st.st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
    return removed
