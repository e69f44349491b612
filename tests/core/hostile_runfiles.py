"""A generator of hostile run files (issue 13): each one a real exported run with
exactly one fault, and the words its refusal must contain.

:func:`cases` lists them; ``Case.make(folder, good)`` writes one into ``folder``
from ``good``, the bytes of a real exported run file (see
``tests/core/test_hostile_runfiles.py``). The zip helpers here (``unpack``,
``pack``, ``patch``, ...) are the ones ``test_runfile.py`` uses as well.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import struct
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from warmdesk.core import runfile, runfile_npy
from warmdesk.core.spec_limits import MAX_VARIABLE_SIZE

Edit = Callable[[dict[str, Any], dict[str, bytes]], Any]
Member = tuple["str | zipfile.ZipInfo", bytes]


# ----------------------------------------------------------------- zip helpers
def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unpack(data: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if n != "manifest.json"}
        return json.loads(zf.read("manifest.json")), members


def zinfo(name: str, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = mode << 16
    return info


def pack(path: Path, manifest: dict[str, Any] | bytes,
         members: dict[str, bytes] | Sequence[Member], relist: bool = True) -> Path:
    """Write a zip; with ``relist`` the manifest lists exactly these members."""
    items = list(members.items()) if isinstance(members, dict) else list(members)
    if isinstance(manifest, dict):
        if relist:
            manifest = {**manifest, "members": {
                (n if isinstance(n, str) else n.filename): {"size": len(d), "sha256": sha(d)}
                for n, d in items}}
        manifest = json.dumps(manifest).encode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # duplicate names
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(zinfo("manifest.json"), manifest)
            for name, data in items:
                zf.writestr(name if isinstance(name, zipfile.ZipInfo) else zinfo(name), data)
    return path


def records(data: bytes, signature: bytes, name_at: int, name_len_at: int,
            name: str) -> list[int]:
    """Offsets of the local (PK\\3\\4) or central (PK\\1\\2) records of member ``name``."""
    out, pos = [], data.find(signature)
    while pos >= 0:
        (length,) = struct.unpack_from("<H", data, pos + name_len_at)
        if data[pos + name_at:pos + name_at + length] == name.encode():
            out.append(pos)
        pos = data.find(signature, pos + 1)
    return out


def patch(data: bytes, name: str, local: tuple[int, str] | None,
          central: tuple[int, str], value: int) -> bytes:
    """Overwrite a header field of member ``name`` (local and/or central record)."""
    buf = bytearray(data)
    for sig, field, name_at, len_at in ((b"PK\x01\x02", central, 46, 28),
                                         (b"PK\x03\x04", local, 30, 26)):
        if field is None:
            continue
        for pos in records(data, sig, name_at, len_at, name):
            struct.pack_into(field[1], buf, pos + field[0], value)
    return bytes(buf)


def npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def npy_raw(header: dict[str, Any], payload: bytes) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + payload


def f8(*shape: int) -> dict[str, Any]:
    return {"descr": "<f8", "fortran_order": False, "shape": shape}


def run_id(data: bytes) -> str:
    return str(unpack(data)[0]["runs"][0]["id"])


def array_member(data: bytes, key: str = "history") -> str:
    return f"runs/{run_id(data)}/{key}.npy"


def tampered(path: Path, data: bytes, edit: Edit, relist: bool = True) -> Path:
    manifest, members = unpack(data)
    edit(manifest, members)
    return pack(path, manifest, members, relist)


def with_meta(path: Path, data: bytes, change: Callable[[dict[str, Any]], Any]) -> Path:
    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        key = f"runs/{manifest['runs'][0]['id']}/meta.json"
        meta = json.loads(members[key])
        change(meta)
        members[key] = json.dumps(meta).encode()
    return tampered(path, data, edit)


def with_meta_text(path: Path, data: bytes, change: Callable[[str], str]) -> Path:
    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        key = f"runs/{manifest['runs'][0]['id']}/meta.json"
        members[key] = change(members[key].decode()).encode("utf-8", "surrogatepass")
    return tampered(path, data, edit)


def with_array(path: Path, data: bytes, key: str, raw: bytes) -> Path:
    """Replace (or add) array ``key`` of the run with raw .npy bytes, listed properly."""
    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        entry = manifest["runs"][0]
        members[f"runs/{entry['id']}/{key}.npy"] = raw
        if key not in entry["arrays"]:
            entry["arrays"].append(key)
    return tampered(path, data, edit)


def zeros_member(zf: zipfile.ZipFile, name: str, header: dict[str, Any],
                 nbytes: int) -> dict[str, Any]:
    """Stream a .npy member of ``header`` + ``nbytes`` zero bytes into ``zf``; return
    its manifest entry. Holds at most 4 MiB."""
    head = npy_raw(header, b"")
    digest, chunk = hashlib.sha256(head), bytes(4 << 20)
    with zf.open(zinfo(name), "w", force_zip64=False) as out:
        out.write(head)
        left = nbytes
        while left:
            piece = chunk[:min(left, len(chunk))]
            out.write(piece)
            digest.update(piece)
            left -= len(piece)
    return {"size": len(head) + nbytes, "sha256": digest.hexdigest()}


def with_zeros(path: Path, data: bytes, arrays: dict[str, tuple[dict[str, Any], int]]) -> Path:
    """The run plus extra state arrays of zeros (streamed), all listed properly."""
    manifest, members = unpack(data)
    rid = manifest["runs"][0]["id"]
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in members.items():
            zf.writestr(zinfo(name), blob)
            manifest["members"][name] = {"size": len(blob), "sha256": sha(blob)}
        for key, (header, nbytes) in arrays.items():
            name = f"runs/{rid}/{key}.npy"
            manifest["members"][name] = zeros_member(zf, name, header, nbytes)
            manifest["runs"][0]["arrays"].append(key)
        zf.writestr(zinfo("manifest.json"), json.dumps(manifest))
    return path


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


# ----------------------------------------------------------------------- cases
Make = Callable[[Path, bytes], Path]


@dataclass(frozen=True)
class Case:
    """One hostile file: ``make(folder, good)`` writes it; its refusal names ``words``."""

    id: str
    make: Make
    words: tuple[str, ...] = ()


def _raw(name: str, build: Callable[[bytes], bytes]) -> Make:
    def make(folder: Path, good: bytes) -> Path:
        path = folder / name
        path.write_bytes(build(good))
        return path
    return make


def _file_cases() -> list[Case]:
    def flip(good: bytes) -> bytes:
        name = array_member(good)
        (pos,) = records(good, b"PK\x03\x04", 30, 26, name)
        name_len, extra_len = struct.unpack_from("<HH", good, pos + 26)
        out = bytearray(good)
        out[pos + 30 + name_len + extra_len + 40] ^= 0x10
        return bytes(out)

    def broken_deflate(good: bytes) -> bytes:
        name = array_member(good)
        (pos,) = records(good, b"PK\x03\x04", 30, 26, name)
        name_len, extra_len = struct.unpack_from("<HH", good, pos + 26)
        out = bytearray(good)
        start = pos + 30 + name_len + extra_len
        out[start:start + 6] = b"\xff" * 6
        return bytes(out)

    def other_zip(_: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("hello.txt", "hi")
        return buf.getvalue()

    def no_manifest(good: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, blob in unpack(good)[1].items():
                zf.writestr(zinfo(name), blob)
        return buf.getvalue()

    def many(_: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for i in range(runfile.MAX_MEMBERS + 1):
                zf.writestr(f"m{i}", b"")
        return buf.getvalue()

    def big_directory(good: bytes) -> bytes:
        end = good.rfind(b"PK\x05\x06")
        return good[:end + 12] + struct.pack("<L", runfile.MAX_DIRECTORY_BYTES + 1) + \
            good[end + 16:]

    def zip64(good: bytes) -> bytes:
        end = good.rfind(b"PK\x05\x06")
        return good[:end] + b"PK\x06\x07" + bytes(16) + good[end:]

    def sizes(value: int) -> Callable[[bytes], bytes]:
        return lambda good: patch(good, array_member(good), (22, "<L"), (24, "<L"), value)

    def flag(local: tuple[int, str], central: tuple[int, str],
             value: int) -> Callable[[bytes], bytes]:
        return lambda good: patch(good, array_member(good), local, central, value)

    def overlap(good: bytes) -> bytes:
        meta = f"runs/{run_id(good)}/meta.json"
        (first,) = records(good, b"PK\x03\x04", 30, 26, meta)
        return patch(good, array_member(good), None, (42, "<L"), first)

    out = [
        Case("empty", _raw("empty.wdrun", lambda g: b""), ("empty",)),
        Case("random-bytes", _raw("random.wdrun",
                                  lambda g: np.random.default_rng(1).bytes(5000)), ("zip",)),
        Case("json-not-zip", _raw("spec.wdrun", lambda g: b'{"format": "warmdesk.runfile/1"}'),
             ("zip",)),
        Case("zip-magic-only", _raw("pk.wdrun", lambda g: b"PK\x03\x04" + bytes(100)),
             ("damaged",)),
        Case("other-zip", _raw("other.wdrun", other_zip), ("hello.txt",)),
        Case("no-manifest", _raw("nomanifest.wdrun", no_manifest), ("manifest.json",)),
        Case("flipped-bit", _raw("flip.wdrun", flip), ("history",)),
        Case("broken-deflate", _raw("deflate.wdrun", broken_deflate),
             ("history", "compressed data")),
        Case("too-many-members", _raw("many.wdrun", many), ("too many",)),
        Case("huge-directory", _raw("dir.wdrun", big_directory), ("too many",)),
        Case("zip64", _raw("zip64.wdrun", zip64), ("ZIP64",)),
        Case("declares-300MiB", _raw("big.wdrun", sizes(300 << 20)), ("too large",)),
        Case("zip-bomb-ratio", _raw("ratio.wdrun", sizes(200 << 20)), ("ratio",)),
        Case("overlapping", _raw("overlap.wdrun", overlap), ("overlap",)),
        Case("encrypted", _raw("enc.wdrun", flag((6, "<H"), (8, "<H"), 0x1)), ("encrypted",)),
        Case("lzma", _raw("lzma.wdrun", flag((8, "<H"), (10, "<H"), 14)), ("compression",)),
        Case("stored-sizes-differ", _raw("stored.wdrun", flag((8, "<H"), (10, "<H"), 0)),
             ("history",)),
    ]
    for cut in (4, 30, 100, -100, -22, -1):
        out.append(Case(f"truncated{cut}", _raw(f"cut{cut}.wdrun", lambda g, c=cut: g[:c])))
    out.append(Case("truncated-half", _raw("half.wdrun", lambda g: g[:len(g) // 2])))
    return out


def _edit(name: str, edit: Edit, relist: bool = True) -> Make:
    return lambda folder, good: tampered(folder / name, good, edit, relist)


def _member_cases() -> list[Case]:
    out = []
    names = [("/etc/passwd", "absolute"), ("../evil.npy", ".."), ("runs/../../x.npy", ".."),
             ("runs\\x.npy", "backslash"), ("C:/x.npy", "drive letter"),
             ("runs/\x01x.npy", "control"), ("runs//x.npy", "empty"),
             ("evil.txt", "not a member"), ("runs/./meta.json", "'.'"),
             ("runs/", "directory"), ("runs/x/", "directory")]
    for i, (name, word) in enumerate(names):
        out.append(Case(f"member-name-{i}-{word}",
                        _edit("name.wdrun", lambda m, mem, n=name: mem.update({n: b"x"})),
                        (word,)))

    def nul(folder: Path, good: bytes) -> Path:
        path = tampered(folder / "nul.wdrun", good, lambda m, mem: mem.update({"runs/aZZb": b"x"}))
        path.write_bytes(path.read_bytes().replace(b"runs/aZZb", b"runs/a\0\0b"))
        return path

    def moded(mode: int) -> Make:
        def make(folder: Path, good: bytes) -> Path:
            manifest, members = unpack(good)
            target = array_member(good)
            items = [(zinfo(n, mode) if n == target else n, d) for n, d in members.items()]
            return pack(folder / "mode.wdrun", manifest, items, relist=False)
        return make

    def duplicate(folder: Path, good: bytes) -> Path:
        manifest, members = unpack(good)
        name = array_member(good)
        return pack(folder / "dup.wdrun", manifest, list(members.items()) +
                    [(name, members[name])], relist=False)

    def symlink_to_passwd(folder: Path, good: bytes) -> Path:
        manifest, members = unpack(good)
        name = array_member(good)
        items = [(zinfo(n, stat.S_IFLNK | 0o777), b"/etc/passwd") if n == name else (n, d)
                 for n, d in members.items()]
        return pack(folder / "link.wdrun", manifest, items)

    def outside_pattern(build: Callable[[str], str]) -> Make:
        return lambda f, g: tampered(f / "name.wdrun", g,
                                     lambda m, mem: mem.update({build(run_id(g)): b"x"}))
    patterns = [("digit-first", lambda r: f"runs/{r}/solution/1bad.npy"),
                ("upper-id", lambda r: f"runs/{r.upper()}/meta.json"),
                ("other-group", lambda r: f"runs/{r}/other/x.npy"),
                ("exe-suffix", lambda r: f"runs/{r}/solution/x.npy.exe"),
                ("short-id", lambda r: f"runs/{r[:-1]}/meta.json"),
                ("long-name", lambda r: f"runs/{r}/solution/{'a' * 65}.npy")]
    out += [Case(f"member-name-{cid}", outside_pattern(build), ("not a member",))
            for cid, build in patterns]
    def extra(good: bytes) -> str:
        return f"runs/{run_id(good)}/solution/extra.npy"
    out += [
        Case("nul-in-name", nul, ("NUL",)),
        Case("symlink-member", moded(stat.S_IFLNK | 0o777), ("symbolic link",)),
        Case("symlink-to-passwd", symlink_to_passwd, ("symbolic link",)),
        Case("directory-member", moded(stat.S_IFDIR | 0o755), ("directory",)),
        Case("duplicate-member", duplicate, ("twice",)),
        Case("unlisted-member", lambda f, g: tampered(
            f / "x.wdrun", g, lambda m, mem: mem.update({extra(g): npy_bytes(np.zeros(2))}),
            relist=False), ("unexpected member",)),
        Case("unused-member", lambda f, g: tampered(
            f / "x.wdrun", g, lambda m, mem: mem.update({extra(g): npy_bytes(np.zeros(2))})),
            ("unexpected member", "no run")),
        Case("missing-listed-member", lambda f, g: tampered(
            f / "x.wdrun", g, lambda m, mem: mem.pop(array_member(g)), relist=False),
            ("missing member",)),
        Case("missing-member", lambda f, g: tampered(
            f / "x.wdrun", g, lambda m, mem: mem.pop(array_member(g))), ("missing member",)),
    ]
    return out


def _manifest_cases() -> list[Case]:
    def on(change: Callable[[dict[str, Any]], Any]) -> Edit:
        return lambda manifest, members: change(manifest)

    def listed(change: Callable[[dict[str, Any], str], Any]) -> Make:
        def make(folder: Path, good: bytes) -> Path:
            manifest, members = unpack(good)
            change(manifest, array_member(good))
            return pack(folder / "listed.wdrun", manifest, members, relist=False)
        return make

    def wrong_sha(m: dict[str, Any], name: str) -> None:
        m["members"][name]["sha256"] = "0" * 64

    def wrong_size(m: dict[str, Any], name: str) -> None:
        m["members"][name]["size"] += 1

    def bad_entry(m: dict[str, Any], name: str) -> None:
        m["members"][name] = {"size": -1, "sha256": "x"}

    def altered(folder: Path, good: bytes) -> Path:
        manifest, members = unpack(good)
        name = array_member(good)
        members[name] = members[name][:-8] + bytes(8)
        return pack(folder / "alt.wdrun", manifest, members, relist=False)

    def raw_manifest(text: bytes) -> Make:
        return lambda folder, good: pack(folder / "m.wdrun", text, unpack(good)[1])

    def huge_manifest(m: dict[str, Any]) -> None:
        m["created_by"] = "x" * (runfile.MAX_JSON_BYTES + 1)

    changes: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
        ("newer-format", lambda m: m.update(format="warmdesk.runfile/2"), "newer"),
        ("other-format", lambda m: m.update(format="warmdesk.problem/1"), "format"),
        ("format-number", lambda m: m.update(format=1), "format"),
        ("manifest-extra-field", lambda m: m.update(extra=1), "unknown field"),
        ("manifest-lacks-field", lambda m: m.pop("created_by"), "lacks"),
        ("no-runs", lambda m: m.update(runs=[]), "no runs"),
        ("created-at-not-iso", lambda m: m.update(created_at="last tuesday"), "ISO-8601"),
        ("run-id-traversal", lambda m: m["runs"][0].update(id="../../etc"), "invalid run id"),
        ("run-entry-extra", lambda m: m["runs"][0].update(extra=1), "unknown field"),
        ("array-traversal", lambda m: m["runs"][0]["arrays"].append("solution/../x"),
         "not a valid array name"),
        ("array-bogus-group", lambda m: m["runs"][0]["arrays"].append("bogus/x"),
         "not a valid array name"),
        ("array-twice", lambda m: m["runs"][0]["arrays"].append("history"), "listed twice"),
        ("run-twice", lambda m: m["runs"].append(dict(m["runs"][0])), "listed twice"),
        ("huge-manifest", huge_manifest, "too large"),
        ("deep-manifest", lambda m: m.update(extra=nested(200)), "nested too deeply"),
    ]
    out = [Case(f"manifest-{cid}", _edit("m.wdrun", on(change)), (word,))
           for cid, change, word in changes]
    out += [
        Case("manifest-wrong-sha", listed(wrong_sha), ("checksum mismatch",)),
        Case("manifest-wrong-size", listed(wrong_size), ("size mismatch",)),
        Case("manifest-bad-entry", listed(bad_entry), ("entry of member",)),
        Case("content-altered", altered, ("checksum mismatch",)),
        Case("manifest-not-object", raw_manifest(b'["not", "an", "object"]'),
             ("not a JSON object",)),
        Case("manifest-nan", raw_manifest(b'{"format": NaN}'), ("NaN",)),
        Case("manifest-broken-json", raw_manifest(b'{"format": '), ("not valid JSON",)),
    ]
    return out


def _json_cases() -> list[Case]:
    def text(cid: str, change: Callable[[str], str], *words: str) -> Case:
        return Case(f"meta-json-{cid}", lambda f, g: with_meta_text(f / "j.wdrun", g, change),
                    words)

    deep = "[" * 100_000 + "]" * 100_000
    return [
        *(text(f"literal-{lit}", lambda t, x=lit: t.replace('"wall_s": ', f'"wall_s": {x}, '
                                                            '"x": ', 1), lit)
          for lit in ("NaN", "Infinity", "-Infinity")),
        text("1e400", lambda t: t.replace('"info": {', '"info": {"big": 1e400, ', 1),
             "non-finite"),
        text("deep-list", lambda t: t.replace('"info": {', f'"info": {{"deep": {deep}, ', 1),
             "nested too deeply"),
        Case("meta-json-deep-object", lambda f, g: with_meta(
            f / "j.wdrun", g, lambda m: m["info"].update(deep=nested(100))), ("nested",)),
        text("truncated", lambda t: t[:-5], "not valid JSON"),
        text("duplicate-key", lambda t: t.replace('"name": ', '"name": "a", "name": ', 1),
             "duplicate"),
        text("lone-surrogate", lambda t: t.replace('"kind": ', '"x": "\\ud800", "kind": ', 1),
             "Unicode"),
        text("not-utf8", lambda t: "\udcff" + t, "UTF-8"),
        text("list", lambda t: "[1, 2]", "not a JSON object"),
        text("huge-int", lambda t: t.replace('"nit": ', '"nit": 1' + "0" * 5000 + ', "z": ', 1),
             "not valid JSON"),
    ]


#: (field, value, word): one bad value of a meta.json field each; every numeric field
#: gets non-finite, huge and negative values (JSON cannot carry NaN: see _json_cases).
META_VALUES: list[tuple[str, Any, str]] = [
    ("id", "0" * 32, "id mismatch"), ("id", "XYZ", "'id'"), ("id", 7, "'id'"),
    ("name", "x" * 201, "'name'"), ("name", "a\x1b]0;pwned\x07b", "'name'"),
    ("name", "a\u202eb", "'name'"), ("name", None, "'name'"),
    # core/text_rules, the rule of names/tags made here: zero-width space, padding, a spaced tag
    ("name", "a\u200bb", "the name"), ("name", " padded ", "the name"),
    ("tags", ["two words"], "white space"), ("notes", "line\u2028sep", "the notes"),
    ("kind", "rm -rf", "'kind'"), ("kind", ["ode"], "'kind'"),
    ("method", "m" * 65, "'method'"), ("status", "pwned", "'status'"), ("status", "", "'status'"),
    ("status", None, "'status'"), ("problem_hash", "abc", "'problem_hash'"),
    ("structure_hash", 5, "'structure_hash'"), ("message", None, "'message'"),
    ("created_at", "yesterday", "'created_at'"), ("created_at", None, "'created_at'"),
    ("created_at", 1e300, "'created_at'"), ("created_at", -1.0, "'created_at'"),
    ("created_at", -1e18, "'created_at'"), ("created_at", 1e20, "'created_at'"),
    ("started_at", 1e300, "'started_at'"), ("started_at", -5, "'started_at'"),
    ("finished_at", 1e300, "'finished_at'"), ("finished_at", [], "'finished_at'"),
    ("wall_s", 1e308, "'wall_s'"), ("wall_s", -1.0, "'wall_s'"), ("wall_s", "1", "'wall_s'"),
    ("fun", "1.0", "'fun'"), ("fun", True, "'fun'"), ("fun", 2**80, "'fun'"),
    ("nit", -1, "'nit'"), ("nit", True, "'nit'"), ("nit", 1.5, "'nit'"), ("nit", 2**60, "'nit'"),
    ("nfev", 2**70, "'nfev'"), ("nfev", -3, "'nfev'"), ("njev", None, "'njev'"),
    ("njev", 1e300, "'njev'"), ("info", [], "'info'"), ("versions", [], "'versions'"),
    ("versions", {"numpy": 2}, "'versions'"), ("tags", ["t"] * 101, "'tags'"),
    ("tags", ["x" * 65], "'tags'"), ("tags", [1], "'tags'"), ("tags", ["a\x1b[2Jb"], "'tags'"),
    ("notes", "n" * 100_001, "'notes'"), ("notes", 5, "'notes'"), ("warm", [], "'warm'"),
    ("warm", {"source_run_id": "nope", "payload": [], "mode": "r", "report": {}}, "'warm'"),
    ("warm", {"source_run_id": None, "payload": [1], "mode": "r", "report": {}}, "'warm'"),
    ("problem", [], "'problem'"), ("problem", {"kind": "minimize"}, "'problem'"),
    ("problem", {"format": "warmdesk.problem/1", "kind": "minimize"}, "problem spec"),
    ("problem", {"format": "warmdesk.problem/9", "name": "x", "kind": "minimize"},
     "problem spec"),
    ("problem", {"format": "warmdesk.problem/1", "name": "x", "kind": "minimize",
                 "variables": {"x": 1.0}, "objective": "__import__('os').system('id')"},
     "objective"),
    ("problem", {"format": "warmdesk.problem/1", "name": "x", "kind": "minimize",
                 "variables": {"x": {"size": 10**9}}, "objective": "sum(x)"}, "size"),
]


def _meta_cases() -> list[Case]:
    out = [Case(f"meta-{field}-{i}", lambda f, g, k=field, v=value: with_meta(
        f / "meta.wdrun", g, lambda m: m.update({k: v})), (word,))
        for i, (field, value, word) in enumerate(META_VALUES)]

    def data_file(value: str) -> Make:
        def change(m: dict[str, Any]) -> None:
            m["problem"]["data"] = {"file": value}
        return lambda f, g: with_meta(f / "meta.wdrun", g, change)
    out += [
        Case("meta-unknown-field", lambda f, g: with_meta(f / "m.wdrun", g,
                                                          lambda m: m.update(evil="x")),
             ("unknown field",)),
        Case("meta-missing-field", lambda f, g: with_meta(f / "m.wdrun", g,
                                                          lambda m: m.pop("nit")), ("lacks",)),
        Case("meta-data-file-dots", data_file("/etc/.."), ("problem",)),
    ]
    return out


def _npy_cases() -> list[Case]:
    headers: list[tuple[str, dict[str, Any], int, str]] = [
        ("object", {"descr": "|O", "fortran_order": False, "shape": (3,)}, 24, "object arrays"),
        ("big-endian", {"descr": ">f8", "fortran_order": False, "shape": (2,)}, 16, "float64"),
        ("int64", {"descr": "<i8", "fortran_order": False, "shape": (2,)}, 16, "float64"),
        ("float32", {"descr": "<f4", "fortran_order": False, "shape": (4,)}, 16, "float64"),
        ("structured", {"descr": [("a", "<f8")], "fortran_order": False, "shape": (2,)}, 16,
         "float64"),
        ("fortran", {"descr": "<f8", "fortran_order": True, "shape": (2, 2)}, 32, "Fortran"),
        ("3d", f8(2, 2, 2), 64, "dimensions"),
        ("declares-more", f8(100_000, 100_000), 80, "declares"),
        ("declares-fewer", f8(2), 80, "declares"),
        ("dim-too-large", f8(10_000_001, 0), 0, "dimension"),
        ("negative-dim", {"descr": "<f8", "fortran_order": False, "shape": (-1,)}, 8,
         "dimension"),
        ("solution-too-long", f8(MAX_VARIABLE_SIZE + 1), 0, str(MAX_VARIABLE_SIZE)),
    ]
    out = [Case(f"npy-{cid}", lambda f, g, h=header, n=payload: with_array(
        f / "npy.wdrun", g, "state/evil", npy_raw(h, b"\x01" * n)), ("state/evil", word))
        for cid, header, payload, word in headers]
    out[-1] = Case("npy-solution-too-long", lambda f, g: with_array(
        f / "npy.wdrun", g, "solution/x", npy_raw(f8(MAX_VARIABLE_SIZE + 1), b"")),
        ("solution/x", str(MAX_VARIABLE_SIZE)))

    eval_header = b"{'descr': __import__('os').system('touch PWNED'), 'fortran_order': False, " \
                  b"'shape': (1,), }"
    eval_header += b" " * (63 - (10 + len(eval_header)) % 64) + b"\n"
    raws = [
        ("not-npy", b"not an array", "not a valid .npy"),
        ("version-3", b"\x93NUMPY\x03\x00" + npy_raw(f8(1), bytes(8))[8:], "not supported"),
        ("eval-in-header", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(eval_header))
         + eval_header + bytes(8), "not a valid .npy"),
        ("malformed-header", b"\x93NUMPY\x01\x00" + struct.pack("<H", 6) + b"{'a'}\n" + bytes(8),
         "header"),
        ("pickled", npy_raw({"descr": "|O", "fortran_order": False, "shape": (1,)},
                            b"\x80\x04cos\nsystem\n."), "object arrays"),
        ("header-cut", b"\x93NUMPY\x01\x00\xff\x00{'descr'", "not a valid .npy"),
    ]
    out += [Case(f"npy-{cid}", lambda f, g, r=raw: with_array(f / "npy.wdrun", g, "solution/x",
                                                              r), ("solution/x", word))
            for cid, raw, word in raws]
    out += [
        Case("history-columns", lambda f, g: with_array(
            f / "h.wdrun", g, "history", npy_bytes(np.zeros((4, 3)))), ("history", "columns")),
        Case("history-1d", lambda f, g: with_array(f / "h.wdrun", g, "history",
                                                   npy_bytes(np.zeros(9))), ("history",)),
        Case("history-rows", lambda f, g: with_array(
            f / "h.wdrun", g, "history", npy_raw(f8(runfile_npy.MAX_HISTORY_ROWS + 1, 9), b"")),
            ("history", "rows")),
        Case("no-history", _edit("h.wdrun", _drop_history), ("no history",)),
    ]
    return out


def _drop_history(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
    manifest["runs"][0]["arrays"].remove("history")
    members.pop(f"runs/{manifest['runs'][0]['id']}/history.npy")


def _bomb_cases() -> list[Case]:
    n = 250 << 20
    return [
        Case("bomb-4x250MiB-zeros", lambda f, g: with_zeros(
            f / "bomb.wdrun", g, {f"state/z{i}": (f8(4096, 8000), n) for i in range(4)}),
            ("expand",)),
        Case("bomb-250MiB-int-header", lambda f, g: with_zeros(
            f / "bomb.wdrun", g, {"state/z": ({"descr": "<i8", "fortran_order": False,
                                              "shape": (4096, 8000)}, n)}), ("expand",)),
        Case("bomb-60MiB-int-header", lambda f, g: with_zeros(
            f / "bomb.wdrun", g, {"state/z": ({"descr": "<i8", "fortran_order": False,
                                              "shape": (1024, 7680)}, 60 << 20)}),
            ("state/z", "float64")),
        Case("bomb-60MiB-shape-lie", lambda f, g: with_zeros(
            f / "bomb.wdrun", g, {"state/z": (f8(512, 7680), 60 << 20)}),
            ("state/z", "declares")),
    ]


def cases() -> list[Case]:
    """Every hostile file, one fault each."""
    out = (_file_cases() + _member_cases() + _manifest_cases() + _json_cases() +
           _meta_cases() + _npy_cases() + _bomb_cases())
    assert len({c.id for c in out}) == len(out), "case ids must be unique"
    return out


#: (id, base_dir, data.file): sender paths that must never point at a local file. These
#: files are accepted: the reader drops base_dir and cuts data.file to its name.
PATH_ESCAPES = [("base-dir-etc", "/etc", "passwd"), ("dots", "/", "../../etc/passwd"),
                ("absolute-file", None, "/etc/passwd"),
                ("windows", "C:\\Windows", "..\\system.ini"),
                ("home", "~", ".ssh/id_rsa")]
