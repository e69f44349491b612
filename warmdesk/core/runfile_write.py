"""Writing run files (``.wdrun``, docs/run-file-format.md): atomically, arrays
streamed a chunk at a time, every run checked exactly as the reader
(:mod:`warmdesk.core.runfile`) will check it, within the same limits."""

from __future__ import annotations

import errno
import hashlib
import stat
import time
import zipfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np

from .. import __version__
from .atomic_file import sweep_temp_files, write_atomically
from .runfile_errors import RunFileError, show
from .runfile_json import check_plain, dump_json, json_ready
from .runfile_limits import (
    FORMAT,
    MANIFEST,
    MAX_FILE_BYTES,
    MAX_JSON_BYTES,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_TOTAL_BYTES,
    MAX_TOTAL_JSON_BYTES,
)
from .runfile_meta import check_meta, is_id
from .runfile_npy import READ_CHUNK, npy_header_bytes
from .runs import Run


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
            meta = json_ready(run.to_dict(), f"run {run.id}")
            check_plain(meta, f"run {run.id} meta")
            metas.append(dump_json(check_meta(meta, run.id)))
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
        zf.writestr(_zipinfo(MANIFEST), dump_json(manifest))
    if fh.tell() > MAX_FILE_BYTES:
        raise RunFileError(f"cannot write: the run file would exceed {MAX_FILE_BYTES} bytes")
