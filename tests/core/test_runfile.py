"""Run files (.wdrun): exact round trips, atomic writes, and a reader that
refuses every kind of hostile file with a one-line reason and writes nothing."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import stat
import struct
import time
import warnings
import zipfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warmdesk.core import runfile
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.runfile import (
    FORMAT,
    SUFFIX,
    RunFileError,
    read_runfile,
    sweep_temp_files,
    write_runfile,
)
from warmdesk.core.runs import HISTORY_COLUMNS, Run
from warmdesk.core.warmstart import warm_start_from_run

from .factories import build, lotka_volterra, rosenbrock

# ----------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def runs() -> list[Run]:
    """A BFGS run (state/hess_inv), an ode run (outputs, checkpoints), a warm-started run."""
    problem = build(rosenbrock())
    base = solve(problem)
    ode = solve(build(lotka_volterra()))
    nxt = problem.with_parameters(a=1.2)
    warm = solve(nxt, warm_start_from_run(nxt, base))
    assert "state/hess_inv" in base.arrays() and "outputs/y" in ode.arrays()
    assert warm.warm is not None and warm.warm.source_run_id == base.id
    return [base, ode, warm]


@pytest.fixture(scope="module")
def one_run(runs: list[Run]) -> Run:
    return runs[0]


@pytest.fixture(scope="module")
def one_bytes(one_run: Run, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A valid run file holding one run, as bytes to tamper with."""
    return write_runfile(tmp_path_factory.mktemp("one") / "one.wdrun", [one_run]).read_bytes()


# ------------------------------------------------------------------ helpers

def snapshot(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


def refused(path: Path, *words: str) -> str:
    """read_runfile raises RunFileError (nothing else), says why, and writes nothing."""
    before = snapshot(path.parent)
    with pytest.raises(RunFileError) as info:
        read_runfile(path)
    assert snapshot(path.parent) == before
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    for word in words:
        assert word.lower() in message.lower(), message
    return message


def assert_same_runs(got: list[Run], want: list[Run]) -> None:
    assert [r.id for r in got] == [r.id for r in want]
    for a, b in zip(got, want):
        assert a.to_dict() == b.to_dict()
        arrays_a, arrays_b = a.arrays(), b.arrays()
        assert list(arrays_a) == list(arrays_b)          # key order kept
        for key in arrays_b:
            x, y = arrays_a[key], arrays_b[key]
            assert x.dtype == y.dtype and x.shape == y.shape, key
            assert np.array_equal(x, y, equal_nan=True), key
            assert x.tobytes() == y.tobytes(), key        # bit for bit, NaN payloads too


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


Member = tuple["str | zipfile.ZipInfo", bytes]


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


def tampered(tmp_path: Path, data: bytes,
             edit: Callable[[dict[str, Any], dict[str, bytes]], Any], relist: bool = True) -> Path:
    manifest, members = unpack(data)
    edit(manifest, members)
    return pack(tmp_path / "bad.wdrun", manifest, members, relist)


Edit = Callable[[dict[str, Any], dict[str, bytes]], Any]


def add_member(name: str, data: bytes = b"x") -> Edit:
    return lambda manifest, members: members.update({name: data})


def on_manifest(change: Callable[[dict[str, Any]], Any]) -> Edit:
    return lambda manifest, members: change(manifest)


def replace(old: str, new: str) -> Callable[[str], str]:
    return lambda text: text.replace(old, new, 1)


def with_meta(tmp_path: Path, data: bytes, change: Callable[[dict[str, Any]], Any]) -> Path:
    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        rid = manifest["runs"][0]["id"]
        meta = json.loads(members[f"runs/{rid}/meta.json"])
        change(meta)
        members[f"runs/{rid}/meta.json"] = json.dumps(meta).encode()
    return tampered(tmp_path, data, edit)


def with_meta_text(tmp_path: Path, data: bytes, change: Callable[[str], str]) -> Path:
    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        key = f"runs/{manifest['runs'][0]['id']}/meta.json"
        members[key] = change(members[key].decode()).encode("utf-8", "surrogatepass")
    return tampered(tmp_path, data, edit)


def with_array(tmp_path: Path, data: bytes, key: str, raw: bytes) -> Path:
    """Replace (or add) array ``key`` of the run with raw .npy bytes, listed properly."""
    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        entry = manifest["runs"][0]
        members[f"runs/{entry['id']}/{key}.npy"] = raw
        if key not in entry["arrays"]:
            entry["arrays"].append(key)
    return tampered(tmp_path, data, edit)


def npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def npy_raw(header: dict[str, Any], payload: bytes) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + payload


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


def npy_member(data: bytes) -> str:
    manifest, _ = unpack(data)
    return f"runs/{manifest['runs'][0]['id']}/state/hess_inv.npy"


# --------------------------------------------------------------- round trips

def test_round_trip_is_exact(runs: list[Run], tmp_path: Path) -> None:
    path = tmp_path / f"three{SUFFIX}"
    assert write_runfile(path, runs) == path
    before = snapshot(tmp_path)
    back = read_runfile(str(path))
    assert snapshot(tmp_path) == before
    assert_same_runs(back, runs)
    assert list(back[1].solution) == list(runs[1].solution) == ["prey", "pred"]
    warm, want = back[2].warm, runs[2].warm
    assert warm is not None and want is not None and warm.to_dict() == want.to_dict()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]   # no temp file left


def test_manifest_layout(runs: list[Run], tmp_path: Path) -> None:
    path = write_runfile(tmp_path / "x.wdrun", runs[:2])
    manifest, members = unpack(path.read_bytes())
    assert manifest["format"] == FORMAT == "warmdesk.runfile/1"
    assert manifest["created_by"].startswith("warmdesk ")
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["runs"] == [{"id": r.id, "arrays": list(r.arrays())} for r in runs[:2]]
    assert set(manifest["members"]) == set(members)
    for name, data in members.items():
        assert manifest["members"][name] == {"size": len(data), "sha256": sha(data)}
    with zipfile.ZipFile(path) as zf:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
    ode = runs[1]
    assert f"runs/{ode.id}/outputs/y.npy" in members
    assert f"runs/{ode.id}/state/checkpoint_y.npy" in members
    assert f"runs/{ode.id}/solution/prey.npy" in members


def test_non_finite_meta_values_become_null(one_run: Run, tmp_path: Path) -> None:
    run = Run.from_parts(one_run.to_dict(), one_run.arrays())
    run.status, run.fun = "failed", float("nan")
    run.info = {**run.info, "big": float("inf"), "nested": [1.0, float("-inf"), np.float64(2.5)]}
    run.history = type(run.history)(np.full((3, len(HISTORY_COLUMNS)), np.nan))
    (back,) = read_runfile(write_runfile(tmp_path / "nan.wdrun", [run]))
    assert back.fun is None
    assert back.info["big"] is None and back.info["nested"] == [1.0, None, 2.5]
    assert np.isnan(back.history.array).all() and back.history.array.shape == (3, 9)


def test_sql_like_text_is_plain_text(one_run: Run, tmp_path: Path) -> None:
    evil = "x'); DROP TABLE runs;--"
    run = Run.from_parts({**one_run.to_dict(), "name": evil, "tags": [evil[:20], "a\"b"],
                          "notes": f"{evil}\n\t\"quoted\" \\ back"}, one_run.arrays())
    (back,) = read_runfile(write_runfile(tmp_path / "sql.wdrun", [run]))
    assert back.name == evil and back.tags == run.tags and back.notes == run.notes
    with Library(tmp_path / "lib") as lib:
        assert lib.import_runs([back]) == ([run.id], [])
        assert lib.get_run(run.id).name == evil


def test_zero_arrays_compress_well_and_are_accepted(one_run: Run, tmp_path: Path) -> None:
    """Honest deflate reaches ~1030:1 on zeros; MAX_RATIO must not refuse that."""
    run = Run.from_parts(one_run.to_dict(), one_run.arrays())
    run.state["zeros"] = np.zeros((512, 1024))          # 4 MiB
    (back,) = read_runfile(write_runfile(tmp_path / "z.wdrun", [run]))
    assert_same_runs([back], [run])


# ------------------------------------------------------- not a (good) zip

def test_refuses_files_that_are_not_run_files(tmp_path: Path) -> None:
    (tmp_path / "empty.wdrun").write_bytes(b"")
    refused(tmp_path / "empty.wdrun", "empty")
    (tmp_path / "random.wdrun").write_bytes(np.random.default_rng(1).bytes(5000))
    refused(tmp_path / "random.wdrun", "zip")
    (tmp_path / "spec.wdrun").write_text(json.dumps({"format": FORMAT, "runs": []}))
    refused(tmp_path / "spec.wdrun", "zip")
    (tmp_path / "pk.wdrun").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    refused(tmp_path / "pk.wdrun", "damaged")
    (tmp_path / "folder.wdrun").mkdir()
    refused(tmp_path / "folder.wdrun", "regular file")
    refused(tmp_path / "missing.wdrun", "cannot open")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("hello.txt", "hi")
    refused(tmp_path / "other.zip", "hello.txt", "not a member")
    with zipfile.ZipFile(tmp_path / "nomanifest.wdrun", "w") as zf:
        zf.writestr("runs/" + "a" * 32 + "/meta.json", "{}")
    refused(tmp_path / "nomanifest.wdrun", "manifest.json is missing")


@pytest.mark.parametrize("cut", [4, 30, 100, 0.5, -100, -23, -22, -1])
def test_refuses_truncated_files(one_bytes: bytes, tmp_path: Path, cut: float) -> None:
    n = int(len(one_bytes) * cut) if isinstance(cut, float) else cut
    path = tmp_path / "cut.wdrun"
    path.write_bytes(one_bytes[:n])
    message = refused(path)
    assert any(w in message for w in ("damaged", "truncated", "missing")), message


def test_refuses_a_flipped_bit_in_member_data(one_bytes: bytes, tmp_path: Path) -> None:
    name = npy_member(one_bytes)
    (pos,) = records(one_bytes, b"PK\x03\x04", 30, 26, name)
    name_len, extra_len = struct.unpack_from("<HH", one_bytes, pos + 26)
    data = bytearray(one_bytes)
    data[pos + 30 + name_len + extra_len + 40] ^= 0x10
    path = tmp_path / "flip.wdrun"
    path.write_bytes(bytes(data))
    message = refused(path, name)
    assert "checksum mismatch" in message or "damaged" in message


def test_refuses_checksum_and_size_disagreeing_with_manifest(one_bytes: bytes,
                                                             tmp_path: Path) -> None:
    name = npy_member(one_bytes)

    def wrong_sha(m: dict[str, Any], _: dict[str, bytes]) -> None:
        m["members"][name]["sha256"] = "0" * 64
    refused(tampered(tmp_path, one_bytes, wrong_sha, relist=False), "checksum mismatch", name)

    def wrong_size(m: dict[str, Any], _: dict[str, bytes]) -> None:
        m["members"][name]["size"] += 1
    refused(tampered(tmp_path, one_bytes, wrong_size, relist=False), "size mismatch", name)

    def altered(m: dict[str, Any], members: dict[str, bytes]) -> None:   # content changed,
        members[name] = members[name][:-8] + b"\0" * 8                    # manifest kept
    refused(tampered(tmp_path, one_bytes, altered, relist=False), "checksum mismatch")


# ---------------------------------------------------------- sizes and bombs

def test_refuses_a_file_over_the_size_limit(one_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "huge.wdrun"
    with open(path, "wb") as f:
        f.write(one_bytes)
        f.truncate(runfile.MAX_FILE_BYTES + 1)   # sparse: nothing is really written
    refused(path, "too large")


def test_refuses_too_many_members(tmp_path: Path) -> None:
    path = tmp_path / "many.wdrun"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(runfile.MAX_MEMBERS + 1):
            zf.writestr(f"m{i}", b"")
    refused(path, "too many")


def test_refuses_oversized_or_zip64_directories(one_bytes: bytes, tmp_path: Path) -> None:
    end = one_bytes.rfind(b"PK\x05\x06")
    path = tmp_path / "dir.wdrun"
    path.write_bytes(one_bytes[:end + 12] + struct.pack("<L", runfile.MAX_DIRECTORY_BYTES + 1)
                     + one_bytes[end + 16:])
    refused(path, "too many")
    path.write_bytes(one_bytes[:end] + b"PK\x06\x07" + bytes(16) + one_bytes[end:])
    refused(path, "ZIP64")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_refuses_a_named_pipe_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.wdrun")
    refused(tmp_path / "pipe.wdrun", "regular file")


def test_refuses_declared_sizes_before_reading(one_bytes: bytes, tmp_path: Path) -> None:
    name = npy_member(one_bytes)
    size_fields = ((22, "<L"), (24, "<L"))
    path = tmp_path / "bomb.wdrun"
    path.write_bytes(patch(one_bytes, name, *size_fields, value=300 << 20))
    refused(path, "too large", name)
    path.write_bytes(patch(one_bytes, name, *size_fields, value=200 << 20))
    refused(path, "ratio", "zip bomb")


def test_refuses_total_declared_size(one_bytes: bytes, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.wdrun"
    path.write_bytes(one_bytes)
    monkeypatch.setattr(runfile, "MAX_TOTAL_BYTES", 2000)
    refused(path, "in all", "too large")


def test_refuses_a_real_high_ratio_member(one_run: Run, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    run = Run.from_parts(one_run.to_dict(), one_run.arrays())
    run.state["zeros"] = np.zeros(300_000)
    path = write_runfile(tmp_path / "z.wdrun", [run])
    monkeypatch.setattr(runfile, "MAX_RATIO", 10)
    refused(path, "ratio")


def test_a_lying_header_cannot_inflate_more(one_bytes: bytes, tmp_path: Path) -> None:
    """Declared size smaller than the real data: we read declared + 1 and the CRC fails."""
    name = npy_member(one_bytes)
    manifest, members = unpack(one_bytes)
    declared = len(members[name]) // 2
    manifest["members"][name]["size"] = declared
    path = pack(tmp_path / "lie.wdrun", manifest, members, relist=False)
    path.write_bytes(patch(path.read_bytes(), name, (22, "<L"), (24, "<L"), declared))
    message = refused(path, name)
    assert "checksum mismatch" in message or "damaged" in message


def test_refuses_overlapping_members(one_bytes: bytes, tmp_path: Path) -> None:
    manifest, _ = unpack(one_bytes)
    meta = f"runs/{manifest['runs'][0]['id']}/meta.json"
    (first,) = records(one_bytes, b"PK\x03\x04", 30, 26, meta)
    path = tmp_path / "overlap.wdrun"
    path.write_bytes(patch(one_bytes, npy_member(one_bytes), None, (42, "<L"), first))
    refused(path, "overlap")


def test_refuses_oversized_json(one_bytes: bytes, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "j.wdrun"
    path.write_bytes(one_bytes)
    monkeypatch.setattr(runfile, "MAX_JSON_BYTES", 1000)
    refused(path, "too large", ".json")


# ------------------------------------------------------------- member names

NAMES = [("/etc/passwd", "absolute"), ("../evil.npy", ".."), ("runs/../../x.npy", ".."),
         ("runs\\x.npy", "backslash"), ("C:/x.npy", "drive letter"),
         ("runs/\x01x.npy", "control"), ("runs//x.npy", "empty"), ("evil.txt", "not a member"),
         ("runs/./meta.json", "'.'"), ("runs/", "directory"), ("runs/x/", "directory")]


@pytest.mark.parametrize("name, word", NAMES)
def test_refuses_bad_member_names(one_bytes: bytes, tmp_path: Path, name: str, word: str) -> None:
    refused(tampered(tmp_path, one_bytes, add_member(name)), word)


def test_refuses_names_outside_the_pattern(one_bytes: bytes, tmp_path: Path) -> None:
    rid = unpack(one_bytes)[0]["runs"][0]["id"]
    for name in (f"runs/{rid}/solution/1bad.npy", f"runs/{rid.upper()}/meta.json",
                 f"runs/{rid}/other/x.npy", f"runs/{rid}/solution/x.npy.exe",
                 f"runs/{rid[:-1]}/meta.json", f"runs/{rid}/solution/{'a' * 65}.npy"):
        path = tampered(tmp_path, one_bytes, add_member(name))
        refused(path, "not a member")


def test_refuses_a_nul_in_a_name(one_bytes: bytes, tmp_path: Path) -> None:
    path = tampered(tmp_path, one_bytes, add_member("runs/aZZb"))
    path.write_bytes(path.read_bytes().replace(b"runs/aZZb", b"runs/a\0\0b"))
    refused(path, "NUL")


def test_refuses_duplicate_symlink_directory_and_encrypted_members(one_bytes: bytes,
                                                                   tmp_path: Path) -> None:
    manifest, members = unpack(one_bytes)
    name = npy_member(one_bytes)
    twice = list(members.items()) + [(name, members[name])]
    refused(pack(tmp_path / "dup.wdrun", manifest, twice, relist=False), "twice", name)
    for mode, word in ((stat.S_IFLNK | 0o777, "symbolic link"), (stat.S_IFDIR | 0o755,
                                                                   "directory")):
        items = [(zinfo(n, mode) if n == name else n, d) for n, d in members.items()]
        refused(pack(tmp_path / "mode.wdrun", manifest, items, relist=False), word, name)
    path = tmp_path / "enc.wdrun"
    path.write_bytes(patch(one_bytes, name, (6, "<H"), (8, "<H"), 0x1))
    refused(path, "encrypted", name)
    path.write_bytes(patch(one_bytes, name, (8, "<H"), (10, "<H"), 14))   # LZMA
    refused(path, "compression")


def test_refuses_unexpected_and_missing_members(one_bytes: bytes, tmp_path: Path) -> None:
    rid = unpack(one_bytes)[0]["runs"][0]["id"]
    extra = f"runs/{rid}/solution/extra.npy"
    add = npy_bytes(np.zeros(2))
    refused(tampered(tmp_path, one_bytes, lambda m, mem: mem.update({extra: add}),
                     relist=False), "unexpected member", extra)
    refused(tampered(tmp_path, one_bytes, lambda m, mem: mem.update({extra: add})),
            "unexpected member", "no run")
    name = npy_member(one_bytes)
    refused(tampered(tmp_path, one_bytes, lambda m, mem: mem.pop(name), relist=False),
            "missing member", name)
    refused(tampered(tmp_path, one_bytes, lambda m, mem: mem.pop(name)), "missing member", name)


# ---------------------------------------------------------------- .npy members

NPY_CASES = [
    ({"descr": "|O", "fortran_order": False, "shape": (3,)}, 24, "object arrays are not allowed"),
    ({"descr": ">f8", "fortran_order": False, "shape": (2,)}, 16, "float64"),
    ({"descr": "<i8", "fortran_order": False, "shape": (2,)}, 16, "float64"),
    ({"descr": "<f4", "fortran_order": False, "shape": (4,)}, 16, "float64"),
    ({"descr": [("a", "<f8")], "fortran_order": False, "shape": (2,)}, 16, "float64"),
    ({"descr": "<f8", "fortran_order": True, "shape": (2, 2)}, 32, "Fortran"),
    ({"descr": "<f8", "fortran_order": False, "shape": (2, 2, 2)}, 64, "dimensions"),
    ({"descr": "<f8", "fortran_order": False, "shape": (100_000, 100_000)}, 80, "declares"),
    ({"descr": "<f8", "fortran_order": False, "shape": (2,)}, 80, "declares"),
    ({"descr": "<f8", "fortran_order": False, "shape": (10_000_001, 0)}, 0, "dimension"),
    ({"descr": "<f8", "fortran_order": False, "shape": (-1,)}, 8, "dimension"),
]


@pytest.mark.parametrize("header, payload, word", NPY_CASES)
def test_refuses_bad_npy_headers(one_bytes: bytes, tmp_path: Path, header: dict[str, Any],
                                 payload: int, word: str) -> None:
    raw = npy_raw(header, b"\x01" * payload)
    refused(with_array(tmp_path, one_bytes, "state/hess_inv", raw), "hess_inv", word)


def test_refuses_npy_that_is_not_npy(one_bytes: bytes, tmp_path: Path) -> None:
    refused(with_array(tmp_path, one_bytes, "solution/x", b"not an array"), "not a valid .npy")
    v3 = b"\x93NUMPY\x03\x00" + npy_raw({"descr": "<f8", "fortran_order": False,
                                          "shape": (1,)}, b"\0" * 8)[8:]
    refused(with_array(tmp_path, one_bytes, "solution/x", v3), "not supported")
    header = b"{'descr': __import__('os').system('touch PWNED'), 'fortran_order': False, " \
             b"'shape': (1,), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    evil = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 8
    refused(with_array(tmp_path, one_bytes, "solution/x", evil), "not a valid .npy")
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    pickled = npy_raw({"descr": "|O", "fortran_order": False, "shape": (1,)},
                      b"\x80\x04cos\nsystem\n.")
    refused(with_array(tmp_path, one_bytes, "solution/x", pickled), "object arrays")


def test_refuses_a_bad_history(one_bytes: bytes, tmp_path: Path) -> None:
    refused(with_array(tmp_path, one_bytes, "history", npy_bytes(np.zeros((4, 3)))),
            "history", "columns")
    refused(with_array(tmp_path, one_bytes, "history", npy_bytes(np.zeros(9))), "history")

    def drop_history(m: dict[str, Any], members: dict[str, bytes]) -> None:
        m["runs"][0]["arrays"].remove("history")
        members.pop(f"runs/{m['runs'][0]['id']}/history.npy")
    refused(tampered(tmp_path, one_bytes, drop_history), "no history")


def test_accepts_npy_format_2_headers(one_bytes: bytes, tmp_path: Path) -> None:
    arr = np.arange(6.0).reshape(2, 3)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=(2, 0), allow_pickle=False)
    (back,) = read_runfile(with_array(tmp_path, one_bytes, "outputs/table", buf.getvalue()))
    assert np.array_equal(back.outputs["table"], arr) and back.outputs["table"].flags.writeable


# ----------------------------------------------------------------------- JSON

def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_refuses_non_finite_json_numbers(one_bytes: bytes, tmp_path: Path) -> None:
    for literal in ("NaN", "Infinity", "-Infinity"):
        refused(with_meta_text(tmp_path, one_bytes, replace('"wall_s": ',
                                                            f'"wall_s": {literal}, "x": ')),
                literal)
    path = with_meta_text(tmp_path, one_bytes, lambda t: t.replace('"info": {', '"info": '
                                                                   '{"big": 1e400, ', 1))
    refused(path, "non-finite")


def test_refuses_deeply_nested_json(one_bytes: bytes, tmp_path: Path) -> None:
    refused(with_meta(tmp_path, one_bytes, lambda m: m["info"].update(deep=nested(100))),
            "nested too deeply")
    deep = "[" * 100_000 + "]" * 100_000
    path = with_meta_text(tmp_path, one_bytes,
                          lambda t: t.replace('"info": {', f'"info": {{"deep": {deep}, ', 1))
    refused(path, "nested too deeply")


def test_refuses_malformed_json(one_bytes: bytes, tmp_path: Path) -> None:
    refused(with_meta_text(tmp_path, one_bytes, lambda t: t[:-5]), "not valid JSON")
    refused(with_meta_text(tmp_path, one_bytes, lambda t: t.replace('"name": ', '"name": "a", '
                                                                    '"name": ', 1)), "duplicate")
    refused(with_meta_text(tmp_path, one_bytes, lambda t: t.replace('"name": "rosenbrock"',
                                                                    '"name": "\\ud800"')),
            "Unicode")
    refused(with_meta_text(tmp_path, one_bytes, lambda t: "\udcff" + t), "UTF-8")
    refused(with_meta_text(tmp_path, one_bytes, lambda t: "[1, 2]"), "not a JSON object")
    refused(with_meta_text(tmp_path, one_bytes, lambda t: t.replace('"nit": ', '"nit": 1' +
                                                                    "0" * 5000 + ', "z": ')),
            "not valid JSON")


META_CASES = [
    ("id", "0" * 32, "id mismatch"), ("id", "XYZ", "'id'"), ("id", 7, "'id'"),
    ("name", "x" * 201, "'name'"), ("name", "a\x1bb", "'name'"), ("name", "a\u202eb", "'name'"),
    ("name", None, "'name'"), ("kind", "rm -rf", "'kind'"), ("kind", ["ode"], "'kind'"),
    ("method", "m" * 65, "'method'"), ("status", "pwned", "'status'"),
    ("problem", [], "'problem'"), ("problem", {"kind": "minimize"}, "'problem'"),
    ("problem_hash", "abc", "'problem_hash'"), ("structure_hash", 5, "'structure_hash'"),
    ("message", None, "'message'"), ("created_at", "yesterday", "'created_at'"),
    ("created_at", None, "'created_at'"), ("started_at", "x", "'started_at'"),
    ("finished_at", [], "'finished_at'"), ("wall_s", -1.0, "'wall_s'"),
    ("fun", "1.0", "'fun'"), ("fun", True, "'fun'"), ("nit", -1, "'nit'"),
    ("nit", True, "'nit'"), ("nit", 1.5, "'nit'"), ("nfev", 2**70, "'nfev'"),
    ("njev", None, "'njev'"), ("info", [], "'info'"), ("versions", [], "'versions'"),
    ("versions", {"numpy": 2}, "'versions'"), ("tags", ["t"] * 101, "'tags'"),
    ("tags", ["x" * 65], "'tags'"), ("tags", [1], "'tags'"), ("tags", "a", "'tags'"),
    ("tags", ["a\nb"], "'tags'"), ("notes", "n" * 100_001, "'notes'"), ("notes", 5, "'notes'"),
    ("warm", [], "'warm'"),
    ("warm", {"source_run_id": "nope", "payload": [], "mode": "restart", "report": {}}, "'warm'"),
    ("warm", {"source_run_id": None, "payload": [1], "mode": "restart", "report": {}}, "'warm'"),
    ("warm", {"source_run_id": None, "payload": [], "mode": "r", "report": [], }, "'warm'"),
    ("warm", {"source_run_id": None, "payload": [], "mode": "r", "report": {}, "x": 1}, "'warm'"),
    # issue 13 item 2: values a display cannot show, and embedded specs that are not specs
    ("created_at", 1e300, "'created_at'"), ("created_at", -1.0, "'created_at'"),
    ("created_at", -1e18, "1970"), ("started_at", 1e300, "'started_at'"),
    ("finished_at", -5.0, "'finished_at'"), ("wall_s", 1e308, "'wall_s'"),
    ("nit", 2**60, "'nit'"),
    ("problem", {"format": "warmdesk.problem/1", "kind": "minimize"}, "problem"),
    ("problem", {"format": "warmdesk.problem/1", "name": "x", "kind": "minimize",
                 "variables": {"x": 1.0}, "objective": "__import__('os')"}, "objective"),
    ("problem", {"format": "warmdesk.problem/9"}, "problem"),
]


@pytest.mark.parametrize("field, value, word", META_CASES)
def test_refuses_bad_meta_fields(one_bytes: bytes, tmp_path: Path, field: str, value: Any,
                                 word: str) -> None:
    refused(with_meta(tmp_path, one_bytes, lambda m: m.update({field: value})), word)


def test_refuses_unknown_and_missing_meta_fields(one_bytes: bytes, tmp_path: Path) -> None:
    refused(with_meta(tmp_path, one_bytes, lambda m: m.update(evil="x")), "unknown field",
            "evil")
    refused(with_meta(tmp_path, one_bytes, lambda m: m.pop("nit")), "lacks", "nit")


def test_accepts_valid_variants_of_meta_fields(one_bytes: bytes, tmp_path: Path) -> None:
    def change(m: dict[str, Any]) -> None:
        m.update(fun=None, started_at=None, finished_at=None, created_at=1700000000, nit=0,
                 warm={"source_run_id": None, "payload": ["x0"], "mode": "restart",
                       "report": {}})
    (back,) = read_runfile(with_meta(tmp_path, one_bytes, change))
    assert back.fun is None and back.created_at == 1.7e9 and isinstance(back.created_at, float)
    assert back.warm is not None and back.warm.source_run_id is None


# ------------------------------------------------------------------- manifest

def test_refuses_other_format_versions(one_bytes: bytes, tmp_path: Path) -> None:
    for fmt in ("warmdesk.runfile/2", "warmdesk.runfile/99"):
        path = tampered(tmp_path, one_bytes, on_manifest(partial(dict.update, format=fmt)))
        assert refused(path) == (f"made by a newer WarmDesk (format {fmt}); this one reads "
                                 "warmdesk.runfile/1")
    others: tuple[Any, ...] = ("warmdesk.problem/1", "warmdesk.runfile/0", "warmdesk.runfile/1.1",
                               1, None)
    for other in others:
        path = tampered(tmp_path, one_bytes, on_manifest(partial(dict.update, format=other)))
        refused(path, "not a WarmDesk run file", "format")


def test_refuses_bad_manifests(one_bytes: bytes, tmp_path: Path) -> None:
    def twice(m: dict[str, Any], _: Any) -> None:
        m["runs"].append(dict(m["runs"][0]))
    refused(tampered(tmp_path, one_bytes, twice), "listed twice")
    cases: list[tuple[Callable[[dict[str, Any]], Any], str]] = [
        (lambda m: m.update(extra=1), "unknown field"),
        (lambda m: m.pop("created_by"), "lacks"),
        (lambda m: m.update(runs=[]), "no runs"),
        (lambda m: m.update(created_at="last tuesday"), "ISO-8601"),
        (lambda m: m["runs"][0].update(id="../../etc"), "invalid run id"),
        (lambda m: m["runs"][0].update(extra=1), "unknown field"),
        (lambda m: m["runs"][0]["arrays"].append("solution/../x"), "not a valid array name"),
        (lambda m: m["runs"][0]["arrays"].append("bogus/x"), "not a valid array name"),
        (lambda m: m["runs"][0]["arrays"].append("history"), "listed twice"),
    ]
    for change, word in cases:
        refused(tampered(tmp_path, one_bytes, on_manifest(change)), word)
    manifest, members = unpack(one_bytes)
    name = npy_member(one_bytes)
    manifest["members"][name] = {"size": -1, "sha256": "x"}
    refused(pack(tmp_path / "m.wdrun", manifest, members, relist=False), "entry of member")
    refused(pack(tmp_path / "m.wdrun", b'["not", "an", "object"]', members), "not a JSON object")
    refused(pack(tmp_path / "m.wdrun", b'{"format": NaN}', members), "NaN")


# ----------------------------------------------------------- random damage

@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[Run]]:
    run = solve(build(rosenbrock(n=2)))
    path = write_runfile(tmp_path_factory.mktemp("tiny") / "t.wdrun", [run])
    return path.read_bytes(), read_runfile(path)


@settings(max_examples=100, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_damage_is_refused_or_harmless(tiny: tuple[bytes, list[Run]], tmp_path: Path,
                                              data: st.DataObject) -> None:
    original, want = tiny
    if data.draw(st.booleans(), label="truncate"):
        damaged = original[:data.draw(st.integers(0, len(original) - 1), label="length")]
    else:
        buf = bytearray(original)
        for _ in range(data.draw(st.integers(1, 3), label="flips")):
            buf[data.draw(st.integers(0, len(buf) - 1), label="at")] ^= data.draw(
                st.integers(1, 255), label="mask")
        damaged = bytes(buf)
    path = tmp_path / "damaged.wdrun"
    path.write_bytes(damaged)
    before = snapshot(tmp_path)
    try:
        got = read_runfile(path)
    except RunFileError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:   # a flip in bytes that carry no content (a timestamp, a comment)
        assert_same_runs(got, want)
    assert snapshot(tmp_path) == before


# ----------------------------------------------------------------- writing

def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


class ArraysFail(Run):
    def arrays(self) -> dict[str, np.ndarray]:
        raise RuntimeError("disk pulled mid-export")


def test_failed_write_leaves_destination_and_no_temp(one_run: Run, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "runs.wdrun"
    dest.write_bytes(b"old content")
    bad = ArraysFail(**{k: v for k, v in vars(one_run).items()})
    bad.id = "f" * 32
    with pytest.raises(RuntimeError, match="mid-export"):
        write_runfile(dest, [one_run, bad])
    assert listing(tmp_path) == {"runs.wdrun": b"old content"}

    def full_disk(*args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")
    for target in ("replace", "fsync"):
        with monkeypatch.context() as m:
            m.setattr(runfile.os, target, full_disk)
            with pytest.raises(RunFileError, match="no space left on the disk while writing"):
                write_runfile(dest, [one_run])
        assert listing(tmp_path) == {"runs.wdrun": b"old content"}
    write_runfile(dest, [one_run])
    assert_same_runs(read_runfile(dest), [one_run])
    assert [p.name for p in tmp_path.iterdir()] == ["runs.wdrun"]


def test_writer_refuses_runs_the_reader_would_refuse(one_run: Run, tmp_path: Path) -> None:
    def variant(**changes: Any) -> Run:
        return Run.from_parts({**one_run.to_dict(), **changes}, one_run.arrays())
    cases = [([variant(name="bad\x00name")], "'name'"), ([variant(id="not-hex")], "32 lowercase"),
             ([one_run, one_run], "twice"), ([], "without runs"),
             ([variant(info={"f": {1, 2}})], "cannot store"), ([variant(info={1: "x"})], "key")]
    for runs_, word in cases:
        with pytest.raises(RunFileError, match=word):
            write_runfile(tmp_path / "x.wdrun", runs_)
    bad = Run.from_parts(one_run.to_dict(), one_run.arrays())
    bad.state["cube"] = np.zeros((2, 2, 2))
    with pytest.raises(RunFileError, match="dimensions"):
        write_runfile(tmp_path / "x.wdrun", [bad])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RunFileError, match="cannot write"):
        write_runfile(tmp_path / "no" / "such" / "x.wdrun", [one_run])


def test_sweep_removes_only_old_temp_files_of_ours(one_run: Run, tmp_path: Path) -> None:
    old = tmp_path / f".a.wdrun.tmp-{'0' * 32}"
    fresh = tmp_path / f".b.wdrun.tmp-{'1' * 32}"
    others = [tmp_path / ".a.wdrun.tmp-notours", tmp_path / "notes.txt",
              tmp_path / f"a.wdrun.tmp-{'2' * 32}"]
    for p in [old, fresh, *others]:
        p.write_text("x")
    hours_ago = time.time() - 7200
    for p in [old, *others]:
        os.utime(p, (hours_ago, hours_ago))
    assert sweep_temp_files(tmp_path) == 1
    assert not old.exists() and fresh.exists() and all(p.exists() for p in others)
    os.utime(fresh, (hours_ago, hours_ago))
    write_runfile(tmp_path / "x.wdrun", [one_run])        # a write sweeps too
    assert not fresh.exists() and all(p.exists() for p in others)
    assert sweep_temp_files(tmp_path / "missing") == 0


def test_module_never_unpickles_or_evaluates() -> None:
    source = Path(runfile.__file__).read_text()
    for word in ("pickle.", "import pickle", "allow_pickle=True", "eval(", "exec(", "PySide",
                 "PyQt"):
        assert word not in source, word


# ------------------------------------------------- paths in an imported run

def test_an_imported_run_never_points_at_local_files(tmp_path: Path) -> None:
    """Issue 13 item 2: the sender's base_dir and an absolute or '..' data.file
    would point 'New problem from this run' at any local file: the reader drops
    base_dir, keeps only the data file's name, and says so in the run's info."""
    from .factories import fit_spec, write_peaks
    folder = tmp_path / "sender"
    folder.mkdir()
    write_peaks(folder)
    from warmdesk.core.problems import load_problem
    spec_path = folder / "peaks.json"
    spec_path.write_text(json.dumps(fit_spec()))
    run = solve(load_problem(spec_path))
    assert run.info["base_dir"] == str(folder)
    data = write_runfile(tmp_path / "fit.wdrun", [run]).read_bytes()
    for base_dir, file in ((str(folder), "peaks.csv"), ("/etc", "passwd"),
                           ("/", "../../etc/passwd"), (None, "/etc/passwd"),
                           ("C:\\Windows", "..\\system.ini")):
        def change(m: dict[str, Any]) -> None:
            if base_dir is None:
                m["info"].pop("base_dir")
            else:
                m["info"]["base_dir"] = base_dir
            m["problem"]["data"]["file"] = file
        (back,) = read_runfile(with_meta(tmp_path, data, change))
        assert "base_dir" not in back.info
        kept = back.problem["data"]["file"]
        assert "/" not in kept and "\\" not in kept and kept not in ("", ".", ".."), kept
        assert "imported" in back.info["import_note"]
        with Library(tmp_path / "lib") as lib:     # stored as read: base_dir gone
            lib.import_runs([back])
            assert "base_dir" not in lib.get_run(back.id).info


def test_an_honest_exported_run_round_trips_with_its_spec_checked(runs: list[Run],
                                                                   tmp_path: Path) -> None:
    """The embedded spec is parsed by the real validator; every run WarmDesk
    writes passes it (minimize, ode, warm-started)."""
    back = read_runfile(write_runfile(tmp_path / "ok.wdrun", runs))
    assert_same_runs(back, runs)


# ------------------------------------------ memory bombs within the limits (item 3)

def peak_bytes(action: Callable[[], Any]) -> int:
    """Peak of Python-side allocations (numpy's buffers included: numpy reports them
    to tracemalloc) while ``action`` runs."""
    import tracemalloc
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def zeros_member(zf: zipfile.ZipFile, name: str, header: dict[str, Any], nbytes: int) -> dict:
    """Stream a .npy member of ``header`` + ``nbytes`` zero bytes into ``zf`` (DEFLATE);
    return its manifest entry. Never holds more than 4 MiB."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    digest, size = hashlib.sha256(buf.getvalue()), len(buf.getvalue())
    chunk = bytes(4 << 20)
    with zf.open(zinfo(name), "w", force_zip64=False) as out:
        out.write(buf.getvalue())
        left = nbytes
        while left:
            piece = chunk[:min(left, len(chunk))]
            out.write(piece)
            digest.update(piece)
            left -= len(piece)
    return {"size": size + nbytes, "sha256": digest.hexdigest()}


def zeros_runfile(path: Path, one_bytes: bytes, arrays: dict[str, tuple[dict[str, Any], int]]
                  ) -> Path:
    """The run of ``one_bytes`` plus extra state arrays made of zeros, listed properly."""
    manifest, members = unpack(one_bytes)
    rid = manifest["runs"][0]["id"]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(zinfo(name), data)
            manifest["members"][name] = {"size": len(data), "sha256": sha(data)}
        for key, (header, nbytes) in arrays.items():
            name = f"runs/{rid}/{key}.npy"
            manifest["members"][name] = zeros_member(zf, name, header, nbytes)
            manifest["runs"][0]["arrays"].append(key)
        zf.writestr(zinfo("manifest.json"), json.dumps(manifest))
    return path


def f8(*shape: int) -> dict[str, Any]:
    return {"descr": "<f8", "fortran_order": False, "shape": shape}


def test_a_bad_npy_header_is_refused_before_its_data_is_inflated(one_bytes: bytes,
                                                                 tmp_path: Path) -> None:
    """A 60 MiB member (below the expansion bound) whose header lies (int64, or a
    shape of other size): refused from the header, without inflating the data."""
    n = 60 << 20
    for header, word in (({"descr": "<i8", "fortran_order": False, "shape": (1024, 7680)},
                          "float64"), (f8(512, 7680), "header declares")):
        path = zeros_runfile(tmp_path / "lie.wdrun", one_bytes, {"state/big": (header, n)})
        assert path.stat().st_size < 100_000
        started = time.perf_counter()
        peak = peak_bytes(lambda: refused(path, "state/big", word))
        assert peak < 20 << 20, peak
        assert time.perf_counter() - started < 2


def test_a_small_file_expanding_to_a_gigabyte_is_refused_unread(one_bytes: bytes,
                                                                tmp_path: Path) -> None:
    """Issue 13 item 3: 1 MB of DEFLATE holding 4 arrays of 250 MiB of zeros, every
    member within its own limits, imported at 1.6 GB peak: now refused from the
    declared sizes (an honest run file never expands this much), nothing inflated."""
    n = 250 << 20
    arrays = {f"state/z{i}": (f8(4096, 8000), n) for i in range(4)}
    path = zeros_runfile(tmp_path / "bomb.wdrun", one_bytes, arrays)
    assert path.stat().st_size < 1_200_000
    started = time.perf_counter()
    peak = peak_bytes(lambda: refused(path, "expand"))
    assert peak < 20 << 20 and time.perf_counter() - started < 2, peak


def test_limits_by_kind_of_array(one_bytes: bytes, tmp_path: Path) -> None:
    from warmdesk.core.problems import MAX_VARIABLE_SIZE
    rows = runfile.MAX_HISTORY_ROWS + 1
    refused(with_array(tmp_path, one_bytes, "history", npy_raw(f8(rows, 9), b"")), "history",
            "rows")
    too_long = npy_raw(f8(MAX_VARIABLE_SIZE + 1), b"")
    refused(with_array(tmp_path, one_bytes, "solution/x", too_long), "solution/x",
            str(MAX_VARIABLE_SIZE))


def test_an_accepted_array_is_read_once_into_its_own_buffer(one_run: Run,
                                                            tmp_path: Path) -> None:
    """No second copy: reading a run with a 40 MiB array peaks near 40 MiB."""
    run = Run.from_parts(one_run.to_dict(), one_run.arrays())
    run.state["big"] = np.random.default_rng(0).standard_normal((1280, 4096))
    path = write_runfile(tmp_path / "big.wdrun", [run])
    got: list[Run] = []
    peak = peak_bytes(lambda: got.extend(read_runfile(path)))
    assert_same_runs(got, [run])
    assert peak < 1.3 * run.state["big"].nbytes, peak / run.state["big"].nbytes


def test_writing_streams_arrays(one_run: Run, tmp_path: Path) -> None:
    """Export holds no .npy copy of an array: writing a 40 MiB array peaks well
    below twice its size."""
    run = Run.from_parts(one_run.to_dict(), one_run.arrays())
    run.state["big"] = np.random.default_rng(0).standard_normal((1280, 4096))
    peak = peak_bytes(lambda: write_runfile(tmp_path / "w.wdrun", [run]))
    assert peak < 0.5 * run.state["big"].nbytes, peak / run.state["big"].nbytes
    assert_same_runs(read_runfile(tmp_path / "w.wdrun"), [run])


# ------------------------------------------------ refusals in user words (item 8)

INTERNALS = ("Error -3", "zlib", "allow_pickle", "Traceback", "ValueError", "BadZipFile",
             "Expecting", "char ", "Header", "EOFError", "struct", "KeyError", "errno")


def test_refusals_say_what_is_wrong_in_user_words(one_bytes: bytes, tmp_path: Path) -> None:
    name = npy_member(one_bytes)
    (pos,) = records(one_bytes, b"PK\x03\x04", 30, 26, name)
    name_len, extra_len = struct.unpack_from("<HH", one_bytes, pos + 26)
    start = pos + 30 + name_len + extra_len
    data = bytearray(one_bytes)
    data[start:start + 6] = b"\xff" * 6         # the DEFLATE stream itself is broken
    path = tmp_path / "deflate.wdrun"
    path.write_bytes(bytes(data))
    messages = [refused(path, name, "compressed data")]
    bad_header = b"\x93NUMPY\x01\x00" + struct.pack("<H", 6) + b"{'a'}\n" + b"\0" * 8
    messages.append(refused(with_array(tmp_path, one_bytes, "solution/x", bad_header),
                            "solution/x", "header"))
    messages.append(refused(with_meta_text(tmp_path, one_bytes, lambda t: t[:-5]),
                            "meta.json", "not valid JSON", "line"))
    pickled = npy_raw({"descr": "|O", "fortran_order": False, "shape": (1,)}, b"\x80\x04.")
    messages.append(refused(with_array(tmp_path, one_bytes, "solution/x", pickled),
                            "solution/x", "object"))
    for message in messages:
        assert not [w for w in INTERNALS if w in message], message
