"""The metadata of a run in a run file (``meta.json``): every field checked, the
embedded problem parsed by the real spec reader, and the sender's paths made
harmless. See docs/run-file-format.md."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from .errors import SpecError
from .problems import KINDS, problem_from_dict
from .text_rules import check_run_texts
from .run_values import COUNT_WANTED, TIME_WANTED, WALL_WANTED, is_count, is_time, is_wall
from .runfile_errors import RunFileError
from .runfile_errors import show as _show
from .runs import STATUSES

_NAME = r"[A-Za-z][A-Za-z0-9_]{0,63}"
ID_RE = re.compile(r"[0-9a-f]{32}")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
ARRAY_KEY_RE = re.compile(rf"history|(?:solution|state|outputs)/{_NAME}")
# C0/C1 controls and the bidi overrides that can disguise a name on screen.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps \t \n \r


Check = Callable[[Any], bool]


def text_check(limit: int, multiline: bool = False) -> Check:
    bad = _CONTROL_MULTILINE if multiline else CONTROL
    return lambda v: isinstance(v, str) and len(v) <= limit and not bad.search(v)


def _matches(pattern: re.Pattern[str]) -> Check:
    return lambda v: isinstance(v, str) and bool(pattern.fullmatch(v))


def _optional(check: Check) -> Check:
    return lambda v: v is None or check(v)


def _is_number(v: Any) -> bool:
    return (isinstance(v, float) and math.isfinite(v)) or (type(v) is int and abs(v) <= 2**53)


def is_size(v: Any) -> bool:
    return type(v) is int and 0 <= v < 2**63


is_id, is_hash, _short = _matches(ID_RE), _matches(HEX64_RE), text_check(64)
is_array_key = _matches(ARRAY_KEY_RE)


def _is_warm(v: Any) -> bool:
    return (isinstance(v, dict) and set(v) == {"source_run_id", "payload", "mode", "report"}
            and _optional(is_id)(v["source_run_id"]) and isinstance(v["payload"], list)
            and len(v["payload"]) <= 100 and all(_short(p) for p in v["payload"])
            and _short(v["mode"]) and isinstance(v["report"], dict))


_COUNT = (is_count, COUNT_WANTED)
_HASH = (is_hash, "64 lowercase hex digits")
_TIME = (_optional(is_time), f"{TIME_WANTED}, or null")
#: Every field of ``Run.to_dict()``: (check, what it must be). No other field is allowed.
_META_FIELDS: dict[str, tuple[Check, str]] = {
    "id": (is_id, "32 lowercase hex digits"),
    "name": (text_check(200), "text of at most 200 characters without control characters"),
    "kind": (lambda v: isinstance(v, str) and v in KINDS, f"one of {', '.join(KINDS)}"),
    "method": (_short, "text of at most 64 characters"),
    "problem": (lambda v: isinstance(v, dict) and isinstance(v.get("format"), str),
                'an object with a "format" text'),
    "problem_hash": _HASH, "structure_hash": _HASH,
    "status": (lambda v: isinstance(v, str) and v in STATUSES, f"one of {', '.join(STATUSES)}"),
    "message": (text_check(100_000, True), "text of at most 100000 characters"),
    "created_at": (is_time, TIME_WANTED), "started_at": _TIME, "finished_at": _TIME,
    "wall_s": (is_wall, WALL_WANTED),
    "fun": (_optional(_is_number), "a finite number or null"),
    "nit": _COUNT, "nfev": _COUNT, "njev": _COUNT,
    "info": (lambda v: isinstance(v, dict), "an object"),
    "warm": (_optional(_is_warm), ("null or an object with source_run_id (null or 32 hex "
                                   "digits), payload (list of texts), mode (text) and report "
                                   "(object)")),
    "versions": (lambda v: isinstance(v, dict) and len(v) <= 100
                 and all(text_check(200)(x) for x in v.values()), "an object of texts"),
    "tags": (lambda v: isinstance(v, list) and len(v) <= 100 and all(_short(t) for t in v),
             "a list of at most 100 texts of at most 64 characters"),
    "notes": (text_check(100_000, True), "text of at most 100000 characters"),
}


def exact_keys(doc: dict[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in doc:
        if key not in allowed:
            raise RunFileError(f"{where} has an unknown field {_show(key)}")
    for key in allowed:
        if key not in doc:
            raise RunFileError(f"{where} lacks the field {key!r}")


def check_meta(meta: Any, run_id: str) -> dict[str, Any]:
    where = f"run {run_id}"
    if not isinstance(meta, dict):
        raise RunFileError(f"{where}: meta.json is not a JSON object")
    exact_keys(meta, tuple(_META_FIELDS), f"{where} meta.json")
    for key, (check, wants) in _META_FIELDS.items():
        if not check(meta[key]):
            raise RunFileError(f"{where}: field {key!r} must be {wants} (got {_show(meta[key])})")
    if meta["id"] != run_id:
        raise RunFileError(f"{where}: meta.json carries id {meta['id']} (id mismatch)")
    # the rule names, tags and notes obey wherever they are made (core/text_rules)
    texts = check_run_texts(meta["name"], meta["tags"], meta["notes"])
    if texts:
        raise RunFileError(f"{where}: {texts}")
    for key in ("created_at", "started_at", "finished_at", "wall_s", "fun"):
        if type(meta[key]) is int:
            meta[key] = float(meta[key])
    _check_problem(meta["problem"], where)
    return meta


_RELATIVE_DATA = "is relative, but the spec has no folder"


def _check_problem(spec: dict[str, Any], where: str) -> None:
    """The embedded problem, parsed by the real spec reader. Its data file is never
    opened: a relative stand-in without a folder makes the reader skip the data
    (and the checks of columns that need it) with one complaint, which is dropped."""
    spec = json.loads(json.dumps(spec))
    data = spec.get("data")
    stand_in = False
    if isinstance(data, dict) and isinstance(data.get("file"), str):
        data["file"] = "data.csv"
        stand_in = True
    try:
        problem_from_dict(spec, base_dir=None, record=True)  # a record: no new-solve rules
    except SpecError as exc:
        problems = [(f, m) for f, m in exc.problems
                    if not (stand_in and f == "data.file" and m.startswith(_RELATIVE_DATA))]
        if problems:
            field, message = problems[0]
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            raise RunFileError(f"{where}: its problem is not a valid problem spec: "
                               f"{field}: {message}{more}") from None


def _data_file_name(file: str) -> str:
    """Only the last part of a path, whichever separator the sender's system used."""
    return re.split(r"[/\\]", file)[-1]


def neutralise_paths(meta: dict[str, Any], where: str) -> None:
    """Paths in a run file are the sender's: they must never make WarmDesk read a
    local file the user did not choose. The sender's folder (``info.base_dir``) is
    dropped and the data file is cut to its name, so "New problem from this run"
    asks the user for the data; ``info.import_note`` says what was changed."""
    changes = []
    if "base_dir" in meta["info"]:
        meta["info"].pop("base_dir")
        changes.append("the sender's data folder was dropped")
    data = meta["problem"].get("data")
    if isinstance(data, dict) and isinstance(data.get("file"), str):
        name = _data_file_name(data["file"])
        if name in ("", ".", ".."):
            raise RunFileError(f"{where}: its problem's data.file {_show(data['file'])} "
                               "names no file")
        if name != data["file"]:
            changes.append(f"the data file path was cut to its name {name!r}")
            data["file"] = name
    if changes:
        meta["info"]["import_note"] = ("imported from a run file: " + " and ".join(changes)
                                       + "; choose the data file again before solving a new "
                                         "problem from this run")
