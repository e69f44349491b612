"""The arrays of a run file (``.npy`` members): each header judged from the
member's first bytes before its data is inflated, the data inflated a chunk at
a time straight into the array, and arrays written without a copy."""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from typing import Any, cast

import numpy as np

from .spec_limits import MAX_VARIABLE_SIZE
from .runfile_errors import DAMAGE, Refused, RunFileError, check_listed_size, damaged
from .runfile_errors import show as _show
from .runfile_meta import ARRAY_KEY_RE
from .runs import HISTORY_COLUMNS

MAX_NDIM = 2
MAX_DIM = 10_000_000
NPY_MAX_HEADER = 10_000
#: A run's history has one row per iteration: 2 million rows is 144 MB.
MAX_HISTORY_ROWS = 2_000_000
READ_CHUNK = 1 << 20


def _shape_problem(key: str, shape: tuple[Any, ...]) -> str | None:
    if len(shape) > MAX_NDIM:
        return f"array {key} has {len(shape)} dimensions; at most {MAX_NDIM} are allowed"
    if any(type(d) is not int or not 0 <= d <= MAX_DIM for d in shape):
        return f"array {key} has a dimension that is negative or above {MAX_DIM}"
    if key == "history" and (len(shape) != 2 or shape[1] != len(HISTORY_COLUMNS)):
        return f"history must be a table of {len(HISTORY_COLUMNS)} columns (got shape {shape})"
    if key == "history" and shape[0] > MAX_HISTORY_ROWS:
        return f"history has {shape[0]} rows; at most {MAX_HISTORY_ROWS} (one per iteration)"
    if key.startswith("solution/") and math.prod(shape) > MAX_VARIABLE_SIZE:
        return (f"array {key} holds {math.prod(shape)} values; a variable has at most "
                f"{MAX_VARIABLE_SIZE}")
    return None



_NPY_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0}


def _npy_header(prefix: bytes, size: int, name: str, key: str) -> tuple[tuple[int, ...], int]:
    """Shape and data offset of a .npy member from its first bytes, checked against
    the member's declared ``size`` before any of its data is inflated."""
    fp = io.BytesIO(prefix)
    try:
        version = np.lib.format.read_magic(fp)
        if version not in _NPY_READERS:
            raise Refused(f"{name}: .npy version {version} is not supported")
        shape, fortran, dtype = _NPY_READERS[version](fp, NPY_MAX_HEADER)
    except Refused as exc:
        raise RunFileError(str(exc)) from None
    except (ValueError, TypeError, SyntaxError, RecursionError, EOFError, KeyError) as exc:
        what = ("ends inside its header" if isinstance(exc, EOFError) or len(prefix) < 10
                else "has a malformed header")
        raise RunFileError(f"{name} is not a valid .npy array: it {what}") from None
    if dtype.hasobject:
        raise RunFileError(f"{name}: object arrays are not allowed (they would need unpickling)")
    if dtype.str != "<f8":
        raise RunFileError(f"{name}: arrays must hold little-endian float64, not {dtype.str}")
    if fortran:
        raise RunFileError(f"{name}: Fortran-order arrays are not allowed")
    problem = _shape_problem(key, shape)
    if problem:
        raise RunFileError(f"{name}: {problem}")
    declared, held = math.prod(shape) * 8, size - fp.tell()
    if declared != held:
        raise RunFileError(f"{name}: the header declares shape {shape} ({declared} bytes) "
                           f"but the data is {held} bytes")
    return shape, fp.tell()


def read_array(zf: zipfile.ZipFile, info: zipfile.ZipInfo, listed: dict[str, Any],
                key: str) -> np.ndarray:
    """Inflate one .npy member straight into its own array, a chunk at a time: the
    header is judged from the first bytes, so a lying member is refused before its
    data is inflated, and an accepted one is never held twice."""
    name = info.orig_filename
    check_listed_size(info, listed)
    digest = hashlib.sha256()
    try:
        # typeshed says IO[bytes]; reading a member gives a ZipExtFile (it has readinto)
        with cast(zipfile.ZipExtFile, zf.open(info)) as f:
            prefix = f.read(min(info.file_size, 12 + NPY_MAX_HEADER))
            shape, offset = _npy_header(prefix, info.file_size, name, key)
            arr = np.empty(shape, dtype="<f8")
            buf = arr.reshape(-1).view(np.uint8).data
            digest.update(prefix)
            head = prefix[offset:]
            buf[:len(head)] = head
            pos = len(head)
            while pos < len(buf):
                got = f.readinto(buf[pos:pos + READ_CHUNK])
                if not got:
                    break
                digest.update(buf[pos:pos + got])
                pos += got
            extra = f.read(1)     # reaching the end checks the CRC-32
    except RunFileError:
        raise
    except DAMAGE as exc:
        raise damaged(name, exc) from None
    if pos != len(buf) or extra:
        raise RunFileError(f"member {name} holds {'more' if extra else 'fewer'} bytes than "
                           "its header declares: damaged")
    if digest.hexdigest() != listed["sha256"]:
        raise RunFileError(f"checksum mismatch for member {name} (its sha256 is not the "
                           "manifest's): damaged or altered")
    return arr


def npy_header_bytes(key: str, value: np.ndarray, run_id: str) -> tuple[bytes, np.ndarray]:
    """The .npy header ``np.save`` would write, and the C-ordered little-endian float64
    array (no copy when it already is one) whose bytes follow it."""
    if not ARRAY_KEY_RE.fullmatch(key):
        raise RunFileError(f"cannot write run {run_id}: {_show(key)} is not a valid array name")
    arr = np.asarray(value, dtype="<f8", order="C")
    problem = _shape_problem(key, arr.shape)
    if problem:
        raise RunFileError(f"cannot write run {run_id}: {problem}")
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(arr))
    return buf.getvalue(), arr
