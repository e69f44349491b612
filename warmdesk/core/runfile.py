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

import errno
import hashlib
import json
import math
import os
import re
import stat
import struct
import time
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np

from .. import __version__
from .atomic_file import sweep_temp_files, write_atomically
from .runfile_errors import DAMAGE, Refused, RunFileError, check_listed_size, damaged, reason, show
from .runfile_meta import (
    CONTROL,
    check_meta,
    exact_keys,
    is_array_key,
    is_hash,
    is_id,
    is_size,
    neutralise_paths,
    text_check,
)
from .runfile_npy import READ_CHUNK, npy_header_bytes, read_array
from .runs import Run

__all__ = ["FORMAT", "SUFFIX", "RunFileError", "read_runfile", "sweep_temp_files",
           "write_runfile"]

FORMAT = "warmdesk.runfile/1"
FORMAT_VERSION = 1
SUFFIX = ".wdrun"
MANIFEST = "manifest.json"

MAX_FILE_BYTES = 1 << 30           # the whole file
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 256 << 20       # one member, uncompressed
MAX_RATIO = 1100                   # honest deflate stays below ~1032:1
RATIO_MIN_BYTES = 1 << 20          # the ratio is checked for members larger than this
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 512   # the zip central directory
MAX_JSON_BYTES = 16 << 20          # manifest.json and each meta.json
MAX_TOTAL_JSON_BYTES = 128 << 20   # all JSON members together
MAX_JSON_DEPTH = 64
#: All members of a file may expand to at most this many times the file's compressed
#: bytes, once they declare more than ``EXPANSION_MIN_BYTES``: honest float64 data
#: compresses a few times at most; a small file declaring a gigabyte is a memory bomb.
MAX_EXPANSION = 100
EXPANSION_MIN_BYTES = 64 << 20


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return 8 << 30      # a platform that does not say: assume a small machine


# All members, uncompressed: a reader holds the arrays it returns in memory, so at most
# an eighth of the machine's memory (and 1 GiB).
MAX_TOTAL_BYTES = min(1 << 30, _physical_memory() // 8)

_NAME = r"[A-Za-z][A-Za-z0-9_]{0,63}"
MEMBER_RE = re.compile(rf"manifest\.json|runs/[0-9a-f]{{32}}/(?:meta\.json|"
                       rf"(?:history|(?:solution|state|outputs)/{_NAME})\.npy)")
# --------------------------------------------------------------------- JSON
def _refuse_constant(name: str) -> Any:
    raise Refused(f"holds {name}: non-finite numbers are not allowed")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Refused(f"has the duplicate key {show(key)}")
        out[key] = value
    return out


def _check_plain(doc: Any, what: str) -> None:
    """Depth, finite numbers and encodable text, without recursion."""
    stack = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise RunFileError(f"{what} is nested too deeply (more than {MAX_JSON_DEPTH})")
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in pairs:
                stack += [(key, depth + 1), (item, depth + 1)]
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise RunFileError(f"{what} holds text that is not valid Unicode") from None
        elif isinstance(value, float) and not math.isfinite(value):
            raise RunFileError(f"{what} holds a non-finite number, which is not allowed")


def _parse_json(data: bytes, what: str) -> Any:
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant,
                         object_pairs_hook=_unique_keys)
    except RecursionError:
        raise RunFileError(f"{what} is nested too deeply") from None
    except UnicodeDecodeError:
        raise RunFileError(f"{what} is not UTF-8 text") from None
    except Refused as exc:
        raise RunFileError(f"{what} {exc}") from None
    except ValueError as exc:
        raise RunFileError(f"{what} is not valid JSON ({reason(exc)})") from None
    _check_plain(doc, what)
    return doc


def _plain(value: Any, where: str) -> Any:
    """A JSON-ready copy for writing: non-finite floats become null."""
    if isinstance(value, dict):
        bad = next((k for k in value if not isinstance(k, str)), None)
        if bad is not None:
            raise RunFileError(f"{where} has a key that is not text: {show(bad)}")
        return {k: _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v, where) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, (str, bool, int)):
        return value
    raise RunFileError(f"{where} holds a {type(value).__name__}, which a run file cannot store")


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, allow_nan=False, ensure_ascii=False, indent=1).encode("utf-8")


# ------------------------------------------------------------------ reading
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


def _check_manifest(doc: Any) -> None:
    if not isinstance(doc, dict):
        raise RunFileError("manifest.json is not a JSON object")
    fmt = doc.get("format")
    newer = re.fullmatch(r"warmdesk\.runfile/([0-9]{1,9})", fmt) if isinstance(fmt, str) else None
    if newer and int(newer.group(1)) > FORMAT_VERSION:
        raise RunFileError(f"made by a newer WarmDesk (format {fmt}); this one reads {FORMAT}")
    if fmt != FORMAT:
        raise RunFileError(f"not a WarmDesk run file (format {show(fmt)}); this one reads {FORMAT}")
    exact_keys(doc, ("format", "created_by", "created_at", "runs", "members"), MANIFEST)
    try:
        if not text_check(200)(doc["created_by"]) or not text_check(64)(doc["created_at"]):
            raise ValueError
        datetime.fromisoformat(doc["created_at"])
    except ValueError:
        raise RunFileError("manifest.json: created_by must be a short text and created_at an "
                           "ISO-8601 time") from None
    if not isinstance(doc["runs"], list) or not doc["runs"]:
        raise RunFileError("manifest.json lists no runs")
    seen: set[str] = set()
    for i, entry in enumerate(doc["runs"]):
        if not isinstance(entry, dict):
            raise RunFileError(f"manifest.json runs[{i}] is not a JSON object")
        exact_keys(entry, ("id", "arrays"), f"manifest.json runs[{i}]")
        rid, keys = entry["id"], entry["arrays"]
        if not is_id(rid):
            raise RunFileError(f"manifest.json runs[{i}] has an invalid run id {show(rid)}")
        if rid in seen:
            raise RunFileError(f"run {rid} is listed twice in the manifest")
        seen.add(rid)
        if not isinstance(keys, list):
            raise RunFileError(f"run {rid}: its array list is not a list")
        bad = [k for k in keys if not is_array_key(k)]
        if bad:
            raise RunFileError(f"run {rid}: {show(bad[0])} is not a valid array name")
        if len(set(keys)) != len(keys):
            raise RunFileError(f"run {rid}: an array is listed twice")
        if "history" not in keys:
            raise RunFileError(f"run {rid} has no history array")
    if not isinstance(doc["members"], dict):
        raise RunFileError("manifest.json: members is not a JSON object")
    for name, item in doc["members"].items():
        if not (isinstance(item, dict) and set(item) == {"size", "sha256"}
                and is_size(item["size"]) and is_hash(item["sha256"])):
            raise RunFileError(f"manifest.json: the entry of member {show(name)} must be "
                               '{"size": bytes, "sha256": 64 hex digits}')


def _read_manifest(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> dict[str, Any]:
    if MANIFEST not in infos:
        raise RunFileError("manifest.json is missing: not a WarmDesk run file")
    doc = _parse_json(_read_member(zf, infos[MANIFEST], None), MANIFEST)
    _check_manifest(doc)
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
    meta = check_meta(_parse_json(_read_member(zf, infos[name], listed[name]), name), rid)
    neutralise_paths(meta, f"run {rid}")
    arrays: dict[str, np.ndarray] = {}
    for key in entry["arrays"]:
        name = f"runs/{rid}/{key}.npy"
        arrays[key] = read_array(zf, infos[name], listed[name], key)
    return Run.from_parts(meta, arrays)


# ------------------------------------------------------------------ writing
def write_runfile(path: str | Path, runs: Sequence[Run]) -> Path:
    """Write ``runs`` into one run file at ``path``, atomically.

    A temp file ``.<name>.tmp-<32 hex>`` in the same folder is written, flushed,
    fsynced and renamed onto ``path``, then the folder is fsynced; on any error
    the temp file is removed and ``path`` is untouched. Orphaned temp files
    older than an hour are swept first. Raises RunFileError for runs the format
    cannot hold and for OS errors (a full disk says so).
    """
    path, runs = Path(path), list(runs)
    metas = _prepare(runs)
    sweep_temp_files(path.parent)
    try:
        write_atomically(path, lambda fh: _write_archive(fh, runs, metas))
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise RunFileError(f"no space left on the disk while writing {path}") from exc
        raise RunFileError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def _prepare(runs: list[Run]) -> list[bytes]:
    """Each run's meta.json, checked exactly as the reader will check it."""
    if not runs:
        raise RunFileError("cannot write a run file without runs")
    seen: set[str] = set()
    metas = []
    for run in runs:
        if not is_id(run.id):
            raise RunFileError(f"cannot write run {show(run.id)}: a run id is 32 lowercase "
                               "hex digits")
        if run.id in seen:
            raise RunFileError(f"cannot write: run {run.id} is given twice")
        seen.add(run.id)
        try:
            meta = _plain(run.to_dict(), f"run {run.id}")
            _check_plain(meta, f"run {run.id} meta")
            metas.append(_dump(check_meta(meta, run.id)))
        except RunFileError as exc:
            raise RunFileError(f"cannot write {exc}") from None
        if len(metas[-1]) > MAX_JSON_BYTES:
            raise RunFileError(f"cannot write run {run.id}: its metadata is too large")
    if sum(len(m) for m in metas) > MAX_TOTAL_JSON_BYTES:
        raise RunFileError("cannot write: the runs' metadata is too large for one run file")
    return metas


def _zipinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _write_member(zf: zipfile.ZipFile, name: str, head: bytes, arr: np.ndarray | None) -> str:
    """Stream ``head`` and then ``arr``'s bytes into member ``name`` a chunk at a
    time (no copy of the array); return the sha256 of what was written."""
    digest = hashlib.sha256(head)
    with zf.open(_zipinfo(name), "w", force_zip64=False) as out:
        out.write(head)
        if arr is not None:
            data = arr.reshape(-1).view(np.uint8).data
            for at in range(0, len(data), READ_CHUNK):
                out.write(data[at:at + READ_CHUNK])
                digest.update(data[at:at + READ_CHUNK])
    return digest.hexdigest()


def _write_archive(fh: IO[bytes], runs: list[Run], metas: list[bytes]) -> None:
    members: dict[str, dict[str, Any]] = {}
    entries: list[dict[str, Any]] = []
    total = 0
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for run, meta in zip(runs, metas):
            arrays = run.arrays()
            blobs = [("meta.json", meta, None)] + [
                (f"{key}.npy", *npy_header_bytes(key, value, run.id))
                for key, value in arrays.items()]
            for leaf, head, arr in blobs:
                name = f"runs/{run.id}/{leaf}"
                size = len(head) + (0 if arr is None else arr.nbytes)
                total += size
                if (size > MAX_MEMBER_BYTES or len(members) + 2 > MAX_MEMBERS
                        or total > MAX_TOTAL_BYTES):
                    raise RunFileError(f"cannot write: {name} makes the run file too large "
                                       "(see the limits in docs/run-file-format.md)")
                members[name] = {"size": size, "sha256": _write_member(zf, name, head, arr)}
            entries.append({"id": run.id, "arrays": list(arrays)})
        manifest = {"format": FORMAT, "created_by": f"warmdesk {__version__}",
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "runs": entries, "members": members}
        zf.writestr(_zipinfo(MANIFEST), _dump(manifest))
    if fh.tell() > MAX_FILE_BYTES:
        raise RunFileError(f"cannot write: the run file would exceed {MAX_FILE_BYTES} bytes")
