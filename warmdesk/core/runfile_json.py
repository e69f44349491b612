"""Strict JSON for run files: parsed without NaN/Infinity, duplicate keys or deep
nesting (checked without recursion), and written only from plain values, so the
writer stores exactly what the reader (:mod:`warmdesk.core.runfile`) admits."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from .runfile_errors import Refused, RunFileError, reason, show
from .runfile_limits import MAX_JSON_DEPTH


def _refuse_constant(name: str) -> Any:
    raise Refused(f"holds {name}: non-finite numbers are not allowed")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Refused(f"has the duplicate key {show(key)}")
        out[key] = value
    return out


def check_plain(doc: Any, what: str) -> None:
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


def parse_json(data: bytes, what: str) -> Any:
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
    check_plain(doc, what)
    return doc


def json_ready(value: Any, where: str) -> Any:
    """A JSON-ready copy for writing: non-finite floats become null."""
    if isinstance(value, dict):
        bad = next((k for k in value if not isinstance(k, str)), None)
        if bad is not None:
            raise RunFileError(f"{where} has a key that is not text: {show(bad)}")
        return {k: json_ready(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_ready(v, where) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, (str, bool, int)):
        return value
    raise RunFileError(f"{where} holds a {type(value).__name__}, which a run file cannot store")


def dump_json(doc: Any) -> bytes:
    return json.dumps(doc, allow_nan=False, ensure_ascii=False, indent=1).encode("utf-8")
