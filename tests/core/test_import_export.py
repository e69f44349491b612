"""Import and export through the real command line: a round trip into an empty
library is bit for bit; hostile files are refused with a reason, exit code 2,
and leave the library byte-identical and nothing written elsewhere."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.runfile import write_runfile
from warmdesk.core.problems import with_parameters
from warmdesk.core.warmstart import warm_start_from_run

from ..cli_runner import run_cli as cli
from .factories import build, lotka_volterra, rosenbrock


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("source")
    problem = build(rosenbrock())
    base = solve(problem)
    nxt = with_parameters(problem, a=1.01)
    warm = solve(nxt, warm_start_from_run(nxt, base))
    ode = solve(build(lotka_volterra()))
    with Library(folder) as lib:
        lib.save_runs([base, warm, ode])
    return folder, [base.id, warm.id, ode.id]


def test_export_import_round_trip_bit_for_bit(source, tmp_path: Path) -> None:
    folder, ids = source
    out = cli("export", *ids, "-o", str(tmp_path / "runs.wdrun"), library=folder, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    empty = tmp_path / "empty"
    out = cli("import", str(tmp_path / "runs.wdrun"), library=empty, cwd=tmp_path)
    assert out.returncode == 0 and "3 added" in out.stdout
    again = cli("import", str(tmp_path / "runs.wdrun"), library=empty, cwd=tmp_path)
    assert again.returncode == 0 and "3 already there" in again.stdout
    with Library(folder) as a, Library(empty) as b:
        assert b.count() == 3
        for run_id in ids:
            x, y = a.get_run(run_id), b.get_run(run_id)
            assert x.to_dict() == y.to_dict()
            ax, ay = x.arrays(), y.arrays()
            assert list(ax) == list(ay)
            for key in ax:
                assert ax[key].tobytes() == ay[key].tobytes(), key
        assert b.lineage(ids[1], "ancestors")[0]["id"] == ids[0]
        assert b.check() == []


def _hostile_files(valid: bytes, folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        files[name] = folder / f"{name}.wdrun"
        files[name].write_bytes(data)

    put("not-a-zip", b"this is not a zip file at all")
    put("truncated", valid[: len(valid) // 2])
    flipped = bytearray(valid)
    flipped[len(flipped) // 3] ^= 0x40
    put("bit-flipped", bytes(flipped))
    members = {}
    with zipfile.ZipFile(io.BytesIO(valid)) as z:
        for info in z.infolist():
            members[info.filename] = z.read(info)

    def rezip(extra: dict[str, bytes], drop: tuple[str, ...] = ()) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in {**members, **extra}.items():
                if name not in drop:
                    z.writestr(name, data)
        return buf.getvalue()

    put("zip-slip", rezip({"../../evil.txt": b"owned"}))
    manifest = json.loads(members["manifest.json"])
    manifest["format"] = "warmdesk.runfile/9"
    put("future", rezip({"manifest.json": json.dumps(manifest).encode()}))
    npy = next(n for n in members if n.endswith("history.npy"))
    obj = io.BytesIO()
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)  # what an attacker sends
    put("object-array", rezip({npy: obj.getvalue()}))
    meta = next(n for n in members if n.endswith("meta.json"))
    put("checksum", rezip({meta: members[meta].replace(b"rosenbrock", b"rosenbrocK")}))
    return files


def test_hostile_files_are_refused_and_change_nothing(source, tmp_path: Path) -> None:
    folder, ids = source
    valid = tmp_path / "valid.wdrun"
    with Library(folder) as lib:
        write_runfile(valid, [lib.get_run(ids[0])])
    files = _hostile_files(valid.read_bytes(), tmp_path)
    library = tmp_path / "lib"
    with Library(library) as lib:
        lib.save_run(solve(build(rosenbrock(n=3))))
    before = {p.name: p.read_bytes() for p in library.iterdir()}
    outside = sorted(p.name for p in tmp_path.iterdir())
    out = cli("import", *map(str, files.values()), library=library, cwd=tmp_path)
    assert out.returncode == 2
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("refused")]
    assert len(lines) == len(files), out.stderr
    for name, path in files.items():
        line = next(ln for ln in lines if str(path) in ln)
        assert len(line) > len(str(path)) + 12, line  # a reason is given
    assert "newer WarmDesk" in next(ln for ln in lines if "future" in ln)
    assert "object" in next(ln for ln in lines if "object-array" in ln).lower()
    after = {p.name: p.read_bytes() for p in library.iterdir()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == outside
    assert not (tmp_path.parent / "evil.txt").exists()
