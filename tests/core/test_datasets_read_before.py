"""A data file read before in this process, same content, is not parsed again
(warmdesk.core.datasets._ReadBefore): its values are shared and read-only, a
changed file is read afresh, a bad file is refused every time, memory is bounded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core import datasets
from warmdesk.core.datasets import READ_BEFORE, _ReadBefore, load_csv
from warmdesk.core.engine import solve
from warmdesk.core.errors import DataError
from warmdesk.core.problems import problem_from_dict


def _write(path: Path, rows: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 5, rows)
    y = 2.0 * np.exp(-1.3 * t) + 0.4 + rng.normal(0, 0.01, rows)
    np.savetxt(path, np.column_stack([t, y]), delimiter=",", header="t,y", comments="",
               fmt="%.17g")
    return path


def test_the_same_content_read_again_shares_the_parsed_values(tmp_path: Path) -> None:
    first = load_csv(_write(tmp_path / "a.csv", 5000, 1))
    copy = tmp_path / "b.csv"
    copy.write_bytes((tmp_path / "a.csv").read_bytes())
    again = load_csv(copy)
    assert again.values is first.values   # not parsed again
    assert again.path == copy and first.path == tmp_path / "a.csv"
    assert again.sha256 == first.sha256 == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert again.columns == first.columns == ["t", "y"]
    assert again.summary() == first.summary()


def test_shared_values_are_read_only(tmp_path: Path) -> None:
    dataset = load_csv(_write(tmp_path / "a.csv", 50, 2))
    with pytest.raises(ValueError, match="read-only"):
        dataset.values[0, 0] = 99.0
    with pytest.raises(ValueError, match="read-only"):
        dataset.column("y")[:] = 0.0


def test_a_file_changed_inside_with_the_same_size_and_edges_is_read_afresh(
        tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", 5000, 3)
    first = load_csv(path)
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    digit = next(i for i in range(middle, len(raw)) if chr(raw[i]).isdigit()
                 and raw[i] != ord("9"))
    raw[digit] += 1   # one digit in the middle: same size, same first and last 4 KB
    path.write_bytes(bytes(raw))
    changed = load_csv(path)
    assert changed.values is not first.values
    assert changed.sha256 != first.sha256
    assert (changed.values != first.values).sum() == 1


def test_a_bad_file_is_refused_every_time_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("t,y\n1,2\n3,abc\n")
    for _ in range(2):
        with pytest.raises(DataError, match="row 3, column 'y'"):
            load_csv(path)


def test_held_entries_and_bytes_are_bounded(tmp_path: Path) -> None:
    cache = _ReadBefore()
    cache.MAX_ENTRIES = 3
    made = []
    for i in range(5):
        path = _write(tmp_path / f"{i}.csv", 100, 10 + i)
        made.append(load_csv(path))
        cache.put(path.read_bytes(), made[-1])
    assert [cache.get(d.sha256) is not None for d in made] == [False, False, True, True, True]
    small = _ReadBefore()
    small.MAX_BYTES = 2 * made[0].values.nbytes   # room for two of these
    for i, dataset in enumerate(made):
        small.put((tmp_path / f"{i}.csv").read_bytes(), dataset)
    assert [small.get(d.sha256) is not None for d in made] == [False, False, False, True, True]


def test_a_fit_solved_twice_from_fresh_specs_gives_the_same_run(tmp_path: Path) -> None:
    READ_BEFORE.clear()
    path = _write(tmp_path / "decay.csv", 2000, 4)
    spec = {"format": "warmdesk.problem/1", "name": "decay", "kind": "fit",
            "variables": {"A": {"start": 1.0}, "k": {"start": 0.5}, "c": {"start": 0.0}},
            "data": {"file": str(path)}, "target": "y", "model": "A*exp(-k*t) + c",
            "solver": {"method": "trf", "options": {}}}
    first = problem_from_dict(spec)
    cold = solve(first)
    assert datasets.READ_BEFORE.get(first.dataset.sha256) is not None
    second = problem_from_dict(spec)
    assert second.dataset.values is first.dataset.values
    again = solve(second)
    assert again.nfev == cold.nfev
    for name in ("A", "k", "c"):
        assert np.array_equal(again.solution[name], cold.solution[name])
