"""The CSV reader: numpy's fast parser and the row-by-row reader agree.

:func:`load_csv` reads the rows with numpy's C parser when it can and falls
back to the Python reader (which names the row and column of a bad value)
when it cannot. Whatever the fast path accepts must read exactly as the slow
one reads it, and whatever the slow one refuses must still be refused with
its message.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core.datasets import _Digest, fast_values, load_csv, parse_csv
from warmdesk.core.errors import DataError

TRICKY = ["1", "-2.5", " 3 ", "+1", ".5", "5.", "1e5", "1E-3", "0x10", "1_000", "١", "1.5\xa0",
          "１", "nan", "inf", "-inf", "infinity", "1e400", '"3"', '"1,5"', "", "  ", "abc", "1e",
          "--1", "1.5d3", "0b1", "#1", "1#", "'2'", "2j", "True"]


def _slow(path: Path) -> np.ndarray | str:
    raw = path.read_bytes()
    try:
        return parse_csv(raw.decode("utf-8-sig"), path, "").values
    except DataError as exc:
        return str(exc)


def _fast(path: Path) -> np.ndarray | str:
    try:
        return load_csv(path).values
    except DataError as exc:
        return str(exc)


@pytest.mark.parametrize("cell", TRICKY)
def test_each_tricky_cell_reads_the_same_both_ways(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"a,b\n1,{cell}\n2,3\n", encoding="utf-8")
    fast, slow = _fast(path), _slow(path)
    if isinstance(slow, str):
        assert fast == slow
    else:
        assert isinstance(fast, np.ndarray)
        np.testing.assert_array_equal(fast, slow)


def test_random_files_of_tricky_cells_read_the_same_both_ways(tmp_path: Path) -> None:
    rng = random.Random(7)
    line_ends = ["\n", "\r\n"]
    for i in range(300):
        rows = [",".join(rng.choice(TRICKY[:8] * 6 + TRICKY) for _ in range(3))
                for _ in range(rng.randint(0, 4))]
        if rng.random() < 0.2:
            rows.insert(rng.randint(0, len(rows)), rng.choice(["", "  ", ",,", "1,2", "1,2,3,4"]))
        end = rng.choice(line_ends)
        text = ("\ufeff" if rng.random() < 0.2 else "") + "x,y,z" + end + end.join(rows)
        path = tmp_path / f"r{i}.csv"
        path.write_bytes(text.encode("utf-8"))
        fast, slow = _fast(path), _slow(path)
        if isinstance(slow, str):
            assert fast == slow, text
        else:
            assert isinstance(fast, np.ndarray), (text, fast)
            np.testing.assert_array_equal(fast, slow, err_msg=text)


def test_a_plain_numeric_file_takes_the_fast_path(tmp_path: Path) -> None:
    values = np.random.default_rng(1).normal(size=(500, 4))
    lines = (",".join(repr(float(v)) for v in row) for row in values)
    raw = ("a,b,c,d\n" + "\n".join(lines)).encode()
    fast = fast_values(raw, 4)
    assert fast is not None
    np.testing.assert_array_equal(fast, values)  # repr round-trips exactly


@pytest.mark.parametrize("raw", [b"a,b\n", b"a,b", b'"a",b\n1,2\n', b"a,b\n1,2\n3\n",
                                 b"a,b\n1,nan\n", b"a,b\n\xff,1\n"])
def test_the_fast_path_declines_what_it_cannot_vouch_for(raw: bytes) -> None:
    assert fast_values(raw, 2) is None


@pytest.mark.parametrize("size", [10, 3_000_000])
def test_the_digest_is_the_files_sha256_small_or_threaded(size: int) -> None:
    raw = bytes(random.Random(size).getrandbits(8) for _ in range(1000)) * (size // 1000 + 1)
    assert _Digest(raw).hexdigest() == hashlib.sha256(raw).hexdigest()


def test_a_large_file_reads_fast_and_names_a_bad_value_late_in_it(tmp_path: Path) -> None:
    rows = [f"{i},{i * 0.5}" for i in range(50_000)]
    path = tmp_path / "big.csv"
    path.write_text("t,y\n" + "\n".join(rows) + "\n")
    data = load_csv(path)
    assert data.values.shape == (50_000, 2) and data.sha256 == hashlib.sha256(
        path.read_bytes()).hexdigest()
    rows[41_234] = "41234,oops"
    path.write_text("t,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"row 41236, column 'y': 'oops' is not a number"):
        load_csv(path)


def test_every_pair_of_plain_cells_reads_as_pythons_float_reads_it() -> None:
    for a, b in itertools.product(TRICKY[:8], repeat=2):
        got = fast_values(f"p,q\n{a},{b}\n".encode(), 2)
        assert got is not None and got.tolist() == [[float(a), float(b)]]


def test_the_summary_is_made_once_and_handed_out_as_fresh_lists(tmp_path: Path) -> None:
    """Every run stores its data set's column means and deviations: made once per
    data set (again when its values are replaced), equal to numpy's, and a caller
    changing the lists it got leaves the next caller's as they were."""
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,10\n2,20\n4,40\n")
    ds = load_csv(path)
    first = ds.summary()
    assert first == {"mean": ds.values.mean(axis=0).tolist(),
                     "std": ds.values.std(axis=0).tolist()}
    first["mean"].append(99.0)
    first["std"][0] = -1.0
    assert ds.summary() == {"mean": ds.values.mean(axis=0).tolist(),
                            "std": ds.values.std(axis=0).tolist()}
    ds.values = np.array([[0.0, 1.0], [2.0, 3.0]])
    assert ds.summary() == {"mean": [1.0, 2.0], "std": [1.0, 1.0]}
