"""The library's array codec works a chunk at a time (issue 13 item 3): bit-for-bit
round trips, compatible with arrays stored before, and an import or a read of a
large run holds about one copy of each array, not three or four."""

from __future__ import annotations

import hashlib
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from warmdesk.core.library.arrays import decode_array, encode_array
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.library.arrays import array_to_bytes

from ..factories import build, lotka_volterra, rosenbrock

ARRAYS = [np.zeros(0), np.zeros((0, 9)), np.arange(5.0), np.full((3, 9), np.nan),
          np.frombuffer(np.array([0x7FF8000000000123], dtype="<u8").tobytes(), "<f8"),
          np.zeros((512, 1024)), np.random.default_rng(0).standard_normal((300, 700)),
          np.asfortranarray(np.arange(12.0).reshape(3, 4)), np.array(3.5)]   # 0-d: a scalar


def peak_of(action: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("arr", ARRAYS, ids=range(len(ARRAYS)))
def test_round_trip_is_bit_for_bit_and_hashes_the_npy_bytes(arr: np.ndarray) -> None:
    encoding, data, digest = encode_array(arr)
    raw = array_to_bytes(arr)
    assert digest == hashlib.sha256(raw).hexdigest()
    assert encoding == ("npyz" if len(zlib.compress(raw, 1)) < 0.9 * len(raw)
                        and len(raw) > 2048 else "npy")
    back = decode_array(encoding, b"".join(bytes(p) for p in data))
    assert back.shape == arr.shape and back.tobytes() == np.ascontiguousarray(arr).tobytes()
    assert back.flags.writeable


@pytest.mark.parametrize("arr", ARRAYS, ids=range(len(ARRAYS)))
def test_reads_arrays_stored_by_earlier_versions(arr: np.ndarray) -> None:
    raw = array_to_bytes(arr)
    for encoding, data in (("npy", raw), ("npyz", zlib.compress(raw, 1))):
        assert decode_array(encoding, data).tobytes() == np.ascontiguousarray(arr).tobytes()


def test_a_scalar_solution_comes_back_a_scalar(tmp_path: Path) -> None:
    """An ode's named state values are 0-d arrays; stored and read they stayed
    values of shape (1,) (numpy's ascontiguousarray makes every array 1-d at least)."""
    run = solve(build(lotka_volterra(t1=2.0)))
    assert {np.shape(v) for v in run.solution.values()} == {()}
    with Library(tmp_path / "lib") as library:
        library.save_run(run)
        back = library.get_run(run.id)
    assert {k: np.shape(v) for k, v in back.solution.items()} == \
        {k: np.shape(v) for k, v in run.solution.items()}


def test_a_large_run_is_stored_and_read_with_about_one_copy(tmp_path: Path) -> None:
    run = solve(build(rosenbrock(n=2)))
    big = np.random.default_rng(0).standard_normal((1280, 4096))      # 40 MiB
    run.state["big"] = big
    with Library(tmp_path / "lib") as lib:
        save = peak_of(lambda: lib.save_run(run))
        got: list[Any] = []
        read = peak_of(lambda: got.append(lib.get_run(run.id)))
    assert np.array_equal(got[0].state["big"], big)
    # before: the .npy bytes, their copy and the compressed bytes (save); the blob,
    # its copy, the inflated bytes and the array (read)
    assert save < 1.6 * big.nbytes, save / big.nbytes
    assert read < 2.3 * big.nbytes, read / big.nbytes


def test_a_read_is_one_snapshot_while_the_run_is_saved_again(tmp_path: Path) -> None:
    """Arrays read blob by blob come from one snapshot: a save replacing the run in
    another thread never gives a read half old, half new arrays."""
    import threading
    run = solve(build(rosenbrock(n=2)))
    done = threading.Event()
    with Library(tmp_path / "lib") as lib:
        lib.save_run(run)

        def save_again() -> None:
            i = 0
            while not done.is_set():
                i += 1
                run.state["a"], run.state["b"] = np.full(50_000, i / 1.0), np.full(50_000, i / 1.0)
                lib.save_run(run)
        writer = threading.Thread(target=save_again)
        writer.start()
        try:
            torn = 0
            for _ in range(300):
                got = lib.get_run(run.id)
                torn += "a" in got.state and got.state["a"][0] != got.state["b"][0]
        finally:
            done.set()
            writer.join()
    assert torn == 0


def test_headers_read_before_decode_alike_and_hostile_ones_are_refused_each_time() -> None:
    """The memo of headers (issue 16) changes nothing a reader sees: arrays of the
    same header come back bit for bit, an object header is refused every time,
    and a header numpy refuses is never kept."""
    from warmdesk.core.errors import LibraryError
    from warmdesk.core.library import arrays

    for arr in ARRAYS:
        data = array_to_bytes(arr)
        for _ in range(2):
            got = decode_array("npy", data)
            assert got.shape == arr.shape and got.dtype == arr.dtype
            assert got.tobytes() == arr.tobytes()     # C order, NaN payloads kept
    hostile = array_to_bytes(np.array([1.0, 2.0])).replace(b"'<f8'", b"'|O' ")
    broken = array_to_bytes(np.array([1.0, 2.0])).replace(b"'shape'", b"'shapf'")
    for data in (hostile, broken) * 2:
        with pytest.raises(LibraryError):
            decode_array("npy", data)
    assert not any(b"shapf" in header for header in arrays._HEADERS)
    for n in range(arrays._HEADERS_KEPT + 10):     # bounded
        decode_array("npy", array_to_bytes(np.zeros(n)))
    assert len(arrays._HEADERS) <= arrays._HEADERS_KEPT


def test_remembered_headers_are_the_ones_numpy_writes() -> None:
    """npy_header's memo (issue 16) is keyed by what decides the header: an
    F-ordered array and a strided one of the same shape get their own."""
    import io

    from warmdesk.core.library.arrays import npy_header

    cases = [*ARRAYS, np.arange(12.0).reshape(3, 4), np.arange(24.0).reshape(6, 4)[::2],
             np.asfortranarray(np.arange(12.0).reshape(3, 4)), np.arange(6, dtype=np.int32),
             np.zeros(3, dtype=">f8"), np.array([True, False]),
             np.zeros(2, dtype=[("a", "<f8")])]
    for _ in range(2):
        for arr in cases:
            buf = io.BytesIO()
            np.lib.format.write_array_header_1_0(
                buf, np.lib.format.header_data_from_array_1_0(arr))
            assert npy_header(arr) == buf.getvalue()
