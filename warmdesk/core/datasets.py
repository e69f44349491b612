"""CSV data sets for ``fit`` and ``train`` problems.

A data set is a header row of column names (each usable as a name in an
expression) and rows of finite numbers. Reading is bounded in size, and every
refusal names the file, and where it applies the row and the column.

A file read before in this process, with the same content (its SHA-256, which
every data set carries anyway), is not parsed again (:class:`_ReadBefore`): the
same data re-solved from the editor, a sweep's points, a re-calibration in one
session pay the hash (~8 ms for 12 MB) instead of the parse (~60 ms). Its values
are shared, so they are read-only.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import re
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError

MAX_BYTES = 200_000_000
MAX_COLUMNS = 1_000
COLUMN_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}\Z")  # \Z: no "x\n"


@dataclass
class Dataset:
    path: Path
    columns: list[str]
    values: np.ndarray  # rows x columns, float64, all finite
    sha256: str
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    #: [(values it was made from, mean, std)]: :meth:`summary`, made once; a box
    #: shared with the copies of a data set read again (:class:`_ReadBefore`)
    _summary: list[tuple[np.ndarray, list[float], list[float]]] = field(
        default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {c: i for i, c in enumerate(self.columns)}

    @property
    def rows(self) -> int:
        return int(self.values.shape[0])

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self._index[name]]

    def as_env(self) -> dict[str, np.ndarray]:
        return {c: self.column(c) for c in self.columns}

    @property
    def fingerprint(self) -> dict[str, object]:
        """A compact description used for hashing and for similarity between data sets."""
        return {"sha256": self.sha256, "rows": self.rows, "columns": list(self.columns)}

    def summary(self) -> dict[str, list[float]]:
        """Per-column mean and standard deviation (for comparing data sets).

        Computed once per data set (every run of a problem stores it; the two passes
        over 2000 rows x 3 columns cost ~0.15 ms a run), again only if ``values`` is
        replaced; fresh lists each call."""
        made = self._summary[0] if self._summary else None
        if made is None or made[0] is not self.values:
            made = (self.values, self.values.mean(axis=0).tolist(),
                    self.values.std(axis=0).tolist())
            self._summary[:] = [made]
        return {"mean": list(made[1]), "std": list(made[2])}

    def read_again(self, path: Path) -> Dataset:
        """This data set as read from ``path`` (same content): its values and
        summary shared, not copied."""
        again = copy.copy(self)
        again.path = path
        return again


def load_csv(path: Path) -> Dataset:
    """Read a numeric CSV file with a header row. Raises :class:`DataError`."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataError(f"{path.name}: {size} bytes is more than the {MAX_BYTES} allowed")
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    digest = _Digest(raw)
    if READ_BEFORE.may_hold(raw):
        hit = READ_BEFORE.get(digest.hexdigest())
        if hit is not None:
            return hit.read_again(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: not UTF-8 text (byte {exc.start})") from exc
    header = read_header(text, path)
    values = fast_values(raw, len(header))
    sha = digest.hexdigest()
    dataset = (parse_csv(text, path, sha) if values is None else
               Dataset(path=path, columns=header, values=values, sha256=sha))
    READ_BEFORE.put(raw, dataset)
    return dataset


class _ReadBefore:
    """Data sets read in this process, by content: the SHA-256 of the file's bytes
    (the key the library already trusts for a data set's identity). Looked up only
    when a file of the same size and the same first and last bytes was read, so a
    new file pays no extra hash (its hash runs beside the parse, :class:`_Digest`).
    Bounded in entries and in bytes held; thread-safe (solves and sweeps read in
    worker threads). The values are made read-only: every copy shares them."""

    MAX_ENTRIES = 16
    MAX_BYTES = 256_000_000   # values held, all entries together
    EDGE = 4096

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[tuple[int, bytes, bytes], Dataset]] = OrderedDict()
        self._lock = threading.Lock()

    def _shape(self, raw: bytes) -> tuple[int, bytes, bytes]:
        return len(raw), raw[:self.EDGE], raw[-self.EDGE:]

    def may_hold(self, raw: bytes) -> bool:
        shape = self._shape(raw)
        with self._lock:
            return any(item[0] == shape for item in self._items.values())

    def get(self, sha256: str) -> Dataset | None:
        with self._lock:
            item = self._items.get(sha256)
            if item is None:
                return None
            self._items.move_to_end(sha256)
            return item[1]

    def put(self, raw: bytes, dataset: Dataset) -> None:
        if dataset.values.nbytes > self.MAX_BYTES:
            return
        dataset.values.flags.writeable = False
        with self._lock:
            self._items[dataset.sha256] = (self._shape(raw), dataset)
            self._items.move_to_end(dataset.sha256)
            held = sum(item[1].values.nbytes for item in self._items.values())
            while len(self._items) > self.MAX_ENTRIES or held > self.MAX_BYTES:
                _, (_, dropped) = self._items.popitem(last=False)
                held -= dropped.values.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


READ_BEFORE = _ReadBefore()


class _Digest:
    """The file's SHA-256, computed in a thread while the rows are parsed when
    the file is large (hashlib releases the GIL; ~8 ms for 12 MB here)."""

    THREAD_FROM = 1_000_000  # bytes: below this a thread costs more than it saves

    def __init__(self, raw: bytes) -> None:
        self._raw: bytes | None = raw
        self._hex = ""
        self._thread: threading.Thread | None = None
        if len(raw) >= self.THREAD_FROM:
            self._thread = threading.Thread(target=self._run, name="csv-sha256", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        assert self._raw is not None
        self._hex = hashlib.sha256(self._raw).hexdigest()
        self._raw = None

    def hexdigest(self) -> str:
        if self._hex:
            return self._hex
        if self._thread is None:
            self._run()
        else:
            self._thread.join()
        return self._hex


def fast_values(raw: bytes, columns: int) -> np.ndarray | None:
    """The data rows read by numpy's C parser, or None when it cannot vouch
    for them (then :func:`parse_csv` reads the file and names what is wrong).

    numpy accepts a subset of what Python's ``float`` does (no ``1_000``, no
    non-ASCII digits or spaces, no whitespace-only lines), so whatever it
    accepts reads the same both ways; a test checks this on tricky cells.
    The header must not be quoted: the slow path alone handles a header
    record that spans lines.
    """
    first_end = raw.find(b"\n")
    if first_end < 0 or b'"' in raw[:first_end]:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "input contained no data" -> slow path
            body = io.BytesIO(raw)  # shares raw's buffer: no copy of the file
            body.seek(first_end + 1)
            values = np.loadtxt(body, delimiter=",", dtype=float,
                                comments=None, quotechar='"', ndmin=2)
    except (ValueError, UserWarning):  # non-ASCII bytes read as latin-1 fail here too
        return None
    if values.shape[0] == 0 or values.shape[1] != columns or not np.isfinite(values).all():
        return None
    return values


def read_header(text: str, path: Path) -> list[str]:
    """The checked column names of the first row."""
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]  # not partition: no copy of the rest
    header = next(csv.reader([first_line]), [])
    header = [h.strip() for h in header]
    if not header or header == [""]:
        raise DataError(f"{path.name}: the first row must name the columns")
    if len(header) > MAX_COLUMNS:
        raise DataError(f"{path.name}: {len(header)} columns; at most {MAX_COLUMNS}")
    for i, name in enumerate(header):
        if not COLUMN_RE.match(name):
            raise DataError(f"{path.name}: column {i + 1} name {name[:40]!r} must start with a "
                            "letter and hold only letters, digits and '_'")
    if len(set(header)) != len(header):
        raise DataError(f"{path.name}: column names repeat")
    return header


def parse_csv(text: str, path: Path, sha256: str) -> Dataset:
    """Read every row in Python: slower than :func:`fast_values`, but it
    names the row and column of the first bad value."""
    header = read_header(text, path)
    rows: list[list[float]] = []
    reader = csv.reader(io.StringIO(text))
    next(reader)
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path.name}: row {line_no} has {len(row)} values, "
                            f"the header names {len(header)}")
        values = []
        for col, cell in zip(header, row):
            try:
                v = float(cell)
            except ValueError:
                raise DataError(f"{path.name}: row {line_no}, column '{col}': "
                                f"{cell.strip()[:30]!r} is not a number") from None
            if not np.isfinite(v):
                raise DataError(f"{path.name}: row {line_no}, column '{col}': "
                                f"{cell.strip()[:30]!r} is not a finite number")
            values.append(v)
        rows.append(values)
    if not rows:
        raise DataError(f"{path.name}: no data rows")
    return Dataset(path=path, columns=header, values=np.asarray(rows, dtype=float), sha256=sha256)
