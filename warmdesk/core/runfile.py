"""Run files (``.wdrun``): one self-contained zip holding one or more runs.

Format ``warmdesk.runfile/1`` (docs/run-file-format.md): ``manifest.json``
(format, creator, runs with their array keys in order, size and sha256 of every
other member), ``runs/<id>/meta.json`` (``Run.to_dict()`` as strict JSON) and
``runs/<id>/<key>.npy`` (float64 arrays: history, solution/*, state/*, outputs/*).

Threat model: run files are emailed between colleagues, so :func:`read_runfile`
treats every byte as hostile: truncated or bit-flipped files; zip headers that
lie (zip bombs, overlapping members, disagreeing sizes); member names that would
make a naive extractor write elsewhere (absolute, ``..``, symlinks); object
arrays whose unpickling runs code; JSON built to exhaust memory or the stack.
The reader never extracts or writes anything. It bounds the zip directory,
member count, every declared size, their total (by the machine's memory) and
their expansion before decompressing, then reads at most declared size + 1
bytes; admits only the exact member names of the format (no directories, links,
encryption or duplicates) and exactly the manifest's members; verifies the zip
CRC-32 and the manifest's size and sha256 of each member; parses each .npy
header itself from the member's first bytes, before inflating its data,
admitting only little-endian float64 of at most two dimensions whose data
length matches the header and the limits of its kind, then inflates the data
a chunk at a time into the array's own buffer (numpy never loads it); parses
JSON without NaN/Infinity, duplicate keys or deep nesting; checks every
metadata field (unknown fields are refused, numbers must be in range, the
embedded problem must pass the spec reader); and neutralises the sender's
paths. Nothing in a file is executed or evaluated: SQL in a run name stays
plain text (the library binds it as a parameter). Every problem raises
:class:`RunFileError` with a one-line reason in user words (never the text of
zlib, numpy or json). Writing is atomic, streams arrays, and checks runs
exactly as the reader will, so WarmDesk never writes a file it would refuse.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from .atomic_file import sweep_temp_files
from .runfile_errors import DAMAGE, RunFileError, check_listed_size, damaged, reason, show
from .runfile_json import parse_json
# The reader's limits are looked up here (tests narrow them on this module).
from .runfile_limits import (
    EXPANSION_MIN_BYTES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MAX_DIRECTORY_BYTES,
    MAX_EXPANSION,
    MAX_FILE_BYTES,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_TOTAL_BYTES,
    MAX_TOTAL_JSON_BYTES,
    MEMBER_RE,
    RATIO_MIN_BYTES,
    SUFFIX,
)
from .runfile_manifest import check_manifest
from .runfile_meta import CONTROL, check_meta, neutralise_paths
from .runfile_npy import read_array
from .runfile_write import write_runfile
from .runs import Run

__all__ = ["EXPANSION_MIN_BYTES", "FORMAT", "FORMAT_VERSION", "MANIFEST",
           "MAX_DIRECTORY_BYTES", "MAX_EXPANSION", "MAX_FILE_BYTES", "MAX_JSON_BYTES",
           "MAX_JSON_DEPTH", "MAX_MEMBER_BYTES", "MAX_MEMBERS", "MAX_RATIO", "MAX_TOTAL_BYTES",
           "MAX_TOTAL_JSON_BYTES", "MEMBER_RE", "RATIO_MIN_BYTES", "SUFFIX", "RunFileError",
           "read_runfile", "sweep_temp_files", "write_runfile"]


def read_runfile(path: str | Path) -> list[Run]:
    """Validate EVERYTHING before returning; raise RunFileError with the reason on any
    problem. Never writes anything anywhere."""
    try:  # O_NONBLOCK: opening a FIFO must not hang (it is refused just after)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise RunFileError(f"cannot open the file: {exc.strerror or exc}") from None
    st = os.fstat(fd)
    size = st.st_size
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise RunFileError("not a regular file")
    with os.fdopen(fd, "rb") as fh:
        if size == 0:
            raise RunFileError("the file is empty: not a WarmDesk run file")
        if size > MAX_FILE_BYTES:
            raise RunFileError(f"the file is {size} bytes; at most {MAX_FILE_BYTES} (too large)")
        if fh.read(4) != b"PK\x03\x04":
            raise RunFileError("not a WarmDesk run file (it is not a zip archive)")
        try:
            return _read_archive(fh, size)
        except RunFileError:
            raise
        except RecursionError:
            raise RunFileError("the file is nested too deeply to read") from None
        except DAMAGE as exc:
            raise RunFileError(f"the file is damaged: {reason(exc)}") from exc


def _check_directory(fh: IO[bytes], size: int) -> None:
    """Bound the zip directory before zipfile builds one object per entry. Finds the
    end record as zipfile does; ZIP64 is refused (run files stay far below it)."""
    search = min(size, 22 + 0xFFFF)
    tail_len = min(size, search + 20)        # + room for a ZIP64 locator
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    pos = len(tail) - 22
    if not (tail[pos:pos + 4] == b"PK\x05\x06" and tail[-2:] == b"\0\0"):
        pos = tail.rfind(b"PK\x05\x06", len(tail) - search)
    if pos < 0 or pos + 22 > len(tail):
        raise RunFileError("the file is damaged or truncated (no zip directory at its end)")
    if pos >= 20 and tail[pos - 20:pos - 16] == b"PK\x06\x07":
        raise RunFileError("ZIP64 archives are not run files (damaged or not ours)")
    entries, directory_bytes = struct.unpack_from("<HL", tail, pos + 10)
    if entries > MAX_MEMBERS or directory_bytes > MAX_DIRECTORY_BYTES:
        raise RunFileError(f"the archive has too many members (at most {MAX_MEMBERS})")


def _read_archive(fh: IO[bytes], size: int) -> list[Run]:
    _check_directory(fh, size)
    fh.seek(0)
    try:
        zf = zipfile.ZipFile(fh)
    except DAMAGE as exc:
        raise RunFileError(f"the file is damaged or truncated: {reason(exc)}") from None
    with zf:
        infos = _check_members(zf)
        manifest = _read_manifest(zf, infos)
        return [_read_run(zf, infos, manifest["members"], e) for e in manifest["runs"]]


_NAME_RULES: tuple[tuple[Callable[[str], Any], str], ...] = (
    (CONTROL.search, "has a NUL or control character"),
    (lambda n: n.startswith("/"), "is an absolute path"),
    (lambda n: "\\" in n, "contains a backslash"),
    (re.compile(r"[A-Za-z]:").match, "starts with a drive letter"),
    (lambda n: n.endswith("/"), "is a directory"),
    (lambda n: ".." in n.split("/"), "has a '..' component (path traversal)"),
    (lambda n: {"", "."} & set(n.split("/")), "has an empty or '.' path component"),
    (lambda n: not MEMBER_RE.fullmatch(n), "is not a member name a run file can have"),
)


def _member_problem(info: zipfile.ZipInfo, seen: dict[str, zipfile.ZipInfo]) -> str | None:
    name = info.orig_filename  # zipfile cuts .filename at a NUL; judge the real name
    why = next((why for broken, why in _NAME_RULES if broken(name)), None)
    if why is not None:
        return why
    mode, size = info.external_attr >> 16, info.file_size
    limit = MAX_JSON_BYTES if name.endswith(".json") else MAX_MEMBER_BYTES
    if name in seen:
        return "appears twice (duplicate member)"
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if stat.S_ISDIR(mode):
        return "is a directory"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return "uses an unsupported compression method"
    if size > limit:
        return f"declares {size} bytes; at most {limit} (too large)"
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != size:
        return "is stored but its two sizes differ: damaged"
    if size > RATIO_MIN_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
        return f"declares a compression ratio above {MAX_RATIO} (a zip bomb or a lying header)"
    return None


def _check_members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Names, kinds and declared sizes of all members, before reading any."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise RunFileError(f"the archive has {len(infos)} members; at most {MAX_MEMBERS}")
    out: dict[str, zipfile.ZipInfo] = {}
    total = total_json = 0
    for info in infos:
        why = _member_problem(info, out)
        if why is not None:
            raise RunFileError(f"member {show(info.orig_filename)} {why}")
        total += info.file_size
        total_json += info.file_size if info.orig_filename.endswith(".json") else 0
        if total > MAX_TOTAL_BYTES or total_json > MAX_TOTAL_JSON_BYTES:
            raise RunFileError(f"the members declare more than {MAX_TOTAL_BYTES} bytes in all, "
                               f"or {MAX_TOTAL_JSON_BYTES} of JSON (too large)")
        out[info.orig_filename] = info
    packed = sum(i.compress_size for i in infos)
    if total > EXPANSION_MIN_BYTES and total > MAX_EXPANSION * max(packed, 1):
        raise RunFileError(f"the members would expand to {total >> 20} MiB from "
                           f"{packed >> 10} KiB of compressed data, more than {MAX_EXPANSION} "
                           "times: an honest run file does not, so this is a memory bomb")
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for info, after in zip(ordered, ordered[1:] + [None]):
        end = after.header_offset if after is not None else zf.start_dir
        if info.header_offset + 30 + len(info.orig_filename) + info.compress_size > end:
            raise RunFileError(f"member {info.orig_filename} overlaps the next one "
                               "(damaged or a zip bomb)")
    return out


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                 listed: dict[str, Any] | None) -> bytes:
    name = info.orig_filename
    check_listed_size(info, listed)
    try:
        with zf.open(info) as f:
            data = f.read(info.file_size + 1)  # a lying header cannot inflate more
    except DAMAGE as exc:
        raise damaged(name, exc) from None
    if len(data) != info.file_size:
        raise RunFileError(f"member {name} holds {len(data)} bytes, not the {info.file_size} "
                           "its header declares: damaged")
    if listed is not None and hashlib.sha256(data).hexdigest() != listed["sha256"]:
        raise RunFileError(f"checksum mismatch for member {name} (its sha256 is not the "
                           "manifest's): damaged or altered")
    return data


def _read_manifest(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> dict[str, Any]:
    if MANIFEST not in infos:
        raise RunFileError("manifest.json is missing: not a WarmDesk run file")
    doc = parse_json(_read_member(zf, infos[MANIFEST], None), MANIFEST)
    check_manifest(doc)
    listed: dict[str, Any] = doc["members"]
    # ordered (the first missing one is named) and hashed (up to 10,000 members)
    needed = dict.fromkeys(f"runs/{e['id']}/{n}" for e in doc["runs"]
                           for n in ["meta.json"] + [f"{k}.npy" for k in e["arrays"]])
    for name in infos:
        if name != MANIFEST and name not in listed:
            raise RunFileError(f"unexpected member {name}: the manifest does not list it")
    for name in listed:
        if name not in infos:
            raise RunFileError(f"missing member {show(name)}: the manifest lists it")
        if name not in needed:
            raise RunFileError(f"unexpected member {name}: no run in the manifest uses it")
    for name in needed:
        if name not in listed:
            raise RunFileError(f"missing member {name}: a run in the manifest needs it")
    return doc


def _read_run(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
              listed: dict[str, Any], entry: dict[str, Any]) -> Run:
    rid = entry["id"]
    name = f"runs/{rid}/meta.json"
    meta = check_meta(parse_json(_read_member(zf, infos[name], listed[name]), name), rid)
    neutralise_paths(meta, f"run {rid}")
    arrays: dict[str, np.ndarray] = {}
    for key in entry["arrays"]:
        name = f"runs/{rid}/{key}.npy"
        arrays[key] = read_array(zf, infos[name], listed[name], key)
    return Run.from_parts(meta, arrays)
