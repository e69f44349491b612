"""CSV data sets for ``fit`` and ``train`` problems.

A data set is a header row of column names (each usable as a name in an
expression) and rows of finite numbers. Reading is bounded in size, and every
refusal names the file, and where it applies the row and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
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
        """Per-column mean and standard deviation (for comparing data sets)."""
        return {"mean": self.values.mean(axis=0).tolist(), "std": self.values.std(axis=0).tolist()}


def load_csv(path: Path) -> Dataset:
    """Read a numeric CSV file with a header row. Raises :class:`DataError`."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataError(f"{path.name}: {size} bytes is more than the {MAX_BYTES} allowed")
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: not UTF-8 text (byte {exc.start})") from exc
    return parse_csv(text, path, hashlib.sha256(raw).hexdigest())


def parse_csv(text: str, path: Path, sha256: str) -> Dataset:
    first_line, _, _ = text.partition("\n")
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
