"""The refusals of the run-file reader: one error type, and messages about
untrusted data and broken members in the user's words."""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from typing import Any

from .errors import WarmDeskError

# What the zip, zlib and npy layers raise on malformed input.
DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
           struct.error, KeyError, IndexError, OverflowError)


class RunFileError(WarmDeskError, ValueError):
    """str(exc) is one line saying why the file is refused (no traceback-like text)."""

    def __init__(self, message: str) -> None:
        super().__init__(re.sub(r"[\x00-\x1f\x7f]+", " ", message)[:1000])


class Refused(ValueError):
    """Raised inside parser callbacks; turned into a RunFileError by the caller."""


def show(value: Any) -> str:
    """A short, escaped rendering of untrusted data for a message."""
    if isinstance(value, str):
        return repr(value[:80]) + ("..." if len(value) > 80 else "")
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)[:80]
    return "a JSON object" if isinstance(value, dict) else f"a {type(value).__name__}"


def reason(exc: BaseException) -> str:
    """What a low-level error means for the user, in their words: the zip, zlib and
    numpy texts (zlib error numbers, numpy's pickling advice) are internals."""
    if isinstance(exc, zlib.error) or "decompress" in str(exc).lower():
        return "its compressed data is corrupt"
    if isinstance(exc, EOFError) or "truncated" in str(exc).lower():
        return "it ends too early: the file is truncated"
    if isinstance(exc, zipfile.BadZipFile):
        return "its zip structure is broken"
    if isinstance(exc, json.JSONDecodeError):
        return f"a syntax error at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, OSError):
        return f"the disk could not read it ({exc.strerror or 'input/output error'})"
    return "its bytes are not what the format says"



def damaged(name: str, exc: BaseException) -> RunFileError:
    if "CRC" in str(exc):
        return RunFileError(f"checksum mismatch for member {name}: the file is damaged")
    return RunFileError(f"member {name} is damaged: {reason(exc)}")


def check_listed_size(info: zipfile.ZipInfo, listed: dict[str, Any] | None) -> None:
    if listed is not None and info.file_size != listed["size"]:
        raise RunFileError(f"size mismatch for member {info.orig_filename}: the manifest says "
                           f"{listed['size']} bytes, the zip header {info.file_size}")
