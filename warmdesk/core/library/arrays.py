"""How the library stores one array: ``.npy`` bytes, zlib-compressed when that
pays (encoding ``npyz``, else ``npy``), with the sha256 of the ``.npy`` bytes.

Both directions work a chunk at a time (issue 13 item 3): encoding never
builds the whole ``.npy`` bytes of an array it compresses, and decoding
inflates straight into the array's own buffer, so an array costs its own size
plus its stored size, not three or four copies.
"""

from __future__ import annotations

import hashlib
import io
import math
import sys
import zlib
from collections.abc import Callable

import numpy as np

from ..errors import LibraryError
from .sql import Connection

COMPRESS_ABOVE_BYTES = 2048
CHUNK = 1 << 20
_NPY_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0}
#: Headers read before, by their bytes: ``(shape, fortran order, dtype)``. numpy
#: reads a header with ``ast.literal_eval`` (~25 us, two thirds of decoding a
#: small array); a library's arrays share a few headers (issue 16: a suggestion
#: reads two). Only what numpy accepted is kept; a header is at most a few
#: hundred bytes, and the memo at most _HEADERS_KEPT of them.
_HEADERS: dict[bytes, tuple[tuple[int, ...], bool, np.dtype]] = {}
_HEADERS_KEPT = 512
#: Headers written before, by ``(dtype.str, shape, C-, F-contiguous)`` (which decide
#: numpy's ``fortran_order``); plain dtypes only; at most _HEADERS_KEPT of them.
_WRITTEN: dict[tuple[str, tuple[int, ...], bool, bool], bytes] = {}


def npy_header(arr: np.ndarray) -> bytes:
    """The header ``np.save`` writes before ``arr``'s bytes (C order); remembered
    by dtype, shape and order (numpy formats it through ``repr``, ~15 us; a save
    writes a few arrays of a few shapes, issue 16)."""
    flags = arr.flags
    key = ((arr.dtype.str, arr.shape, flags.c_contiguous, flags.f_contiguous)
           if arr.dtype.fields is None else None)
    head = _WRITTEN.get(key) if key is not None else None
    if head is None:
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(arr))
        head = buf.getvalue()
        if key is not None and len(_WRITTEN) < _HEADERS_KEPT:
            _WRITTEN[key] = head
    return head


def _chunks(arr: np.ndarray) -> list[memoryview]:
    data = arr.reshape(-1).view(np.uint8).data
    return [data[at:at + CHUNK] for at in range(0, len(data), CHUNK)]


#: The stored bytes of an array as a list of buffers, in order, never joined.
Pieces = list


def encode_array(arr: np.ndarray) -> tuple[str, Pieces, str]:
    """``(encoding, stored bytes as pieces, sha256 of the .npy bytes)`` of ``arr``.
    ``npy`` pieces are views of ``arr`` itself (no copy); ``npyz`` pieces are the
    compressed chunks."""
    arr = np.asarray(arr, order="C")   # (not ascontiguousarray: it makes a 0-d array 1-d)
    if arr.dtype.hasobject:
        raise LibraryError("an array of Python objects cannot be stored")
    head = npy_header(arr)
    raw_size = len(head) + arr.nbytes
    digest = hashlib.sha256(head)
    chunks = _chunks(arr)
    if raw_size > COMPRESS_ABOVE_BYTES:
        packer = zlib.compressobj(1)
        packed = [packer.compress(head)]
        for chunk in chunks:
            digest.update(chunk)
            packed.append(packer.compress(chunk))
        packed.append(packer.flush())
        if stored_size(packed) < 0.9 * raw_size:
            return "npyz", [p for p in packed if p], digest.hexdigest()
        del packed
    else:
        for chunk in chunks:
            digest.update(chunk)
    return "npy", [head, *chunks], digest.hexdigest()


def stored_size(pieces: Pieces) -> int:
    return sum(memoryview(p).nbytes for p in pieces)


class _Inflater:
    """Reads the bytes of a stored array in order, inflating ``npyz`` as it goes;
    ``source(n)`` gives up to ``n`` more stored bytes (b"" at the end)."""

    def __init__(self, encoding: str, source: Callable[[int], bytes]) -> None:
        if encoding not in ("npy", "npyz"):
            raise LibraryError(f"unknown array encoding {encoding!r}")
        self.source = source
        self.zlib = zlib.decompressobj() if encoding == "npyz" else None
        self.tail = b""            # stored bytes read but not inflated yet

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end)."""
        out = bytearray()
        while len(out) < n:
            if self.zlib is None:
                piece = self.source(n - len(out))
            else:
                stored = self.tail or self.source(CHUNK)
                if not stored:
                    piece = self.zlib.flush()
                else:
                    piece = self.zlib.decompress(stored, n - len(out))
                    self.tail = self.zlib.unconsumed_tail
            if not piece:
                break
            out += piece
        return bytes(out)

    def readinto(self, buf: memoryview) -> int:
        got = 0
        while got < len(buf):
            piece = self.read(min(CHUNK, len(buf) - got))
            if not piece:
                break
            buf[got:got + len(piece)] = piece
            got += len(piece)
        return got


def _from_bytes(data: bytes | memoryview) -> Callable[[int], bytes]:
    view, pos = memoryview(data), [0]

    def source(n: int) -> bytes:
        piece = view[pos[0]:pos[0] + n].tobytes()
        pos[0] += len(piece)
        return piece
    return source


def write_blob(db: Connection, rowid: int, pieces: Pieces) -> None:
    """Fill the ``arrays.data`` of row ``rowid`` (made with ``zeroblob(stored_size)``)
    a piece at a time: SQLite never holds a copy of the whole blob."""
    if sys.version_info < (3, 11):   # no incremental blob I/O: the whole blob at once
        db.execute("UPDATE arrays SET data = ? WHERE rowid = ?", (b"".join(pieces), rowid))
        return
    with db.blobopen("arrays", "data", rowid) as blob:
        for piece in pieces:
            blob.write(piece)


def read_blob_array(db: Connection, rowid: int, encoding: str) -> np.ndarray:
    """The array in ``arrays.data`` of row ``rowid``, read a chunk at a time."""
    if sys.version_info < (3, 11):   # no incremental blob I/O: the whole blob at once
        (data,) = db.execute("SELECT data FROM arrays WHERE rowid = ?", (rowid,)).fetchone()
        return decode_array(encoding, data)
    with db.blobopen("arrays", "data", rowid, readonly=True) as blob:
        return _decode(_Inflater(encoding, blob.read))


def decode_array(encoding: str, data: bytes) -> np.ndarray:
    """The array stored as ``(encoding, data)``, read with ``allow_pickle=False``
    semantics: object arrays are refused."""
    return _decode(_Inflater(encoding, _from_bytes(data)))


def _decode(src: _Inflater) -> np.ndarray:
    try:
        prefix = io.BytesIO(src.read(8))     # magic and version
        version = np.lib.format.read_magic(prefix)
        header_len_size = 2 if version == (1, 0) else 4
        more = src.read(header_len_size)
        (header_len,) = np.frombuffer(more, dtype="<u2" if header_len_size == 2 else "<u4")
        header = prefix.getvalue() + more + src.read(int(header_len))
        known = _HEADERS.get(header)
        if known is None:
            fp = io.BytesIO(header)
            np.lib.format.read_magic(fp)
            known = _NPY_READERS[version](fp, max(10_000, int(header_len) + 1))
            if len(_HEADERS) < _HEADERS_KEPT and len(header) <= 1024:
                _HEADERS[header] = known
        shape, fortran, dtype = known
        if dtype.hasobject:
            raise LibraryError("a stored array holds Python objects: refused")
        arr = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
        buf = arr.reshape(-1, order="A").view(np.uint8).data if arr.size else memoryview(b"")
        if src.readinto(buf) != math.prod(shape) * dtype.itemsize:
            raise LibraryError("a stored array is shorter than its header says")
    except (zlib.error, ValueError, KeyError, EOFError) as exc:
        raise LibraryError(f"a stored array cannot be read: {exc}") from exc
    return arr


def array_to_bytes(arr: np.ndarray) -> bytes:
    """The ``.npy`` bytes of ``arr`` (what encoding ``npy`` stores)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(arr, order="C"), allow_pickle=False)
    return buf.getvalue()


def array_from_bytes(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def raw_npy(encoding: str, data: bytes) -> bytes:
    """The ``.npy`` bytes of a stored array (inflated when ``npyz``), whose
    sha256 is the stored checksum."""
    if encoding == "npyz":
        return zlib.decompress(data)
    if encoding == "npy":
        return bytes(data)
    raise LibraryError(f"unknown array encoding {encoding!r}")
