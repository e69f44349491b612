"""Run files (.wdrun): exact round trips, atomic writes, streamed reading and
writing, and refusals that need a tuned limit or a special file. The hostile
files with one fault each are in hostile_runfiles.py (checked by
test_hostile_runfiles.py)."""

from __future__ import annotations

import errno
import io
import json
import os
import time
import zipfile
from collections.abc import Callable
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
from warmdesk.core.problems import with_parameters
from warmdesk.core.warmstart import warm_start_from_run

from . import hostile_runfiles as hostile
from .factories import build, lotka_volterra, rosenbrock
from .hostile_runfiles import Edit, f8, pack, patch, sha, unpack, with_zeros

# ----------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def runs() -> list[Run]:
    """A BFGS run (state/hess_inv), an ode run (outputs, checkpoints), a warm-started run."""
    problem = build(rosenbrock())
    base = solve(problem)
    ode = solve(build(lotka_volterra()))
    nxt = with_parameters(problem, a=1.2)
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


def tampered(tmp_path: Path, data: bytes, edit: Edit, relist: bool = True) -> Path:
    return hostile.tampered(tmp_path / "bad.wdrun", data, edit, relist)


def on_manifest(change: Callable[[dict[str, Any]], Any]) -> Edit:
    return lambda manifest, members: change(manifest)


def with_meta(tmp_path: Path, data: bytes, change: Callable[[dict[str, Any]], Any]) -> Path:
    return hostile.with_meta(tmp_path / "bad.wdrun", data, change)


def with_meta_text(tmp_path: Path, data: bytes, change: Callable[[str], str]) -> Path:
    return hostile.with_meta_text(tmp_path / "bad.wdrun", data, change)


def with_array(tmp_path: Path, data: bytes, key: str, raw: bytes) -> Path:
    return hostile.with_array(tmp_path / "bad.wdrun", data, key, raw)


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
    run = Run.from_parts({**one_run.to_dict(), "name": evil,
                          "tags": [evil.replace(" ", "")[:20], "a\"b"],
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


# ---------------------------------------------------------- sizes and bombs

def test_refuses_a_file_over_the_size_limit(one_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "huge.wdrun"
    with open(path, "wb") as f:
        f.write(one_bytes)
        f.truncate(runfile.MAX_FILE_BYTES + 1)   # sparse: nothing is really written
    refused(path, "too large")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_refuses_a_named_pipe_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.wdrun")
    refused(tmp_path / "pipe.wdrun", "regular file")


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


def test_refuses_oversized_json(one_bytes: bytes, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "j.wdrun"
    path.write_bytes(one_bytes)
    monkeypatch.setattr(runfile, "MAX_JSON_BYTES", 1000)
    refused(path, "too large", ".json")


# ---------------------------------------------------------------- .npy members

def test_accepts_npy_format_2_headers(one_bytes: bytes, tmp_path: Path) -> None:
    arr = np.arange(6.0).reshape(2, 3)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=(2, 0), allow_pickle=False)
    (back,) = read_runfile(with_array(tmp_path, one_bytes, "outputs/table", buf.getvalue()))
    assert np.array_equal(back.outputs["table"], arr) and back.outputs["table"].flags.writeable


# ----------------------------------------------------------------------- JSON

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
    folder = Path(runfile.__file__).parent
    source = "".join((folder / f"{name}.py").read_text() for name in (
        "runfile", "runfile_errors", "runfile_json", "runfile_limits", "runfile_manifest",
        "runfile_meta", "runfile_npy", "runfile_write", "library/arrays"))
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
        def change(m: dict[str, Any], base_dir: str | None = base_dir, file: str = file) -> None:
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


def test_a_bad_npy_header_is_refused_before_its_data_is_inflated(one_bytes: bytes,
                                                                 tmp_path: Path) -> None:
    """A 60 MiB member (below the expansion bound) whose header lies (int64, or a
    shape of other size): refused from the header, without inflating the data."""
    n = 60 << 20
    for header, word in (({"descr": "<i8", "fortran_order": False, "shape": (1024, 7680)},
                          "float64"), (f8(512, 7680), "header declares")):
        path = with_zeros(tmp_path / "lie.wdrun", one_bytes, {"state/big": (header, n)})
        assert path.stat().st_size < 100_000
        started = time.perf_counter()
        peak = peak_bytes(partial(refused, path, "state/big", word))
        assert peak < 20 << 20, peak
        assert time.perf_counter() - started < 2


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
