"""The manifest of a run file (``manifest.json``, docs/run-file-format.md): its
fields checked before any member it lists is read (:mod:`warmdesk.core.runfile`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .runfile_errors import RunFileError, show
from .runfile_limits import FORMAT, FORMAT_VERSION, MANIFEST
from .runfile_meta import exact_keys, is_array_key, is_hash, is_id, is_size, text_check


def check_manifest(doc: Any) -> None:
    """``manifest.json`` as parsed: this format (a newer one says so), exactly its
    fields, each run listed once with valid array names and a history, and a size
    and sha256 for every member; raises :class:`RunFileError` naming what is wrong."""
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
