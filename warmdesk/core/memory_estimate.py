"""How much memory a solve needs, estimated from the spec before it starts, and
the limit it must stay under.

Without this, a spec whose output cannot fit (an ``ode`` with 20,000 states and
100,000 output times: 16 GB for the output alone) was accepted and failed
seconds or minutes later with a MemoryError, or got the process killed. The
validator (:mod:`.spec_reader`) calls :func:`memory_problems`, so the CLI, the
problem editor and the GUI's solve launcher all refuse such a spec at once,
naming the fields that drive the size.

Only the big terms are counted: arrays that grow with the product of two
sizes. Their factors (copies alive at the peak) were measured here with
tracemalloc on real solves that were saved to a library (numpy allocations
are traced; scipy's Fortran work arrays are not, which the factors allow for):

- ode output ``y`` (state size x t_eval points): 2.2 copies at the peak
  (the dense block, the stacked array, its bytes while it is saved) -> 3.
- ode Jacobian of implicit methods (n x n): Radau 11.0, BDF 6.0, LSODA 1.0
  traced plus its Fortran work array -> 12, 7, 3.
- minimize matrices (n x n): BFGS 6.0, SLSQP 10.5, trust-constr 2.0 (more with
  constraints), Nelder-Mead 3.0 (the simplex), Powell 1.0 (the directions)
  -> 7, 12, 6, 4, 2; L-BFGS-B, CG, Newton-CG, TNC keep no n x n matrix.
- fit Jacobian (data rows x unknowns): trf 10.3, dogbox 9.3, lm 5.2 for a
  40-term model -> 12 for every method (a longer model holds more).
- train: the feature matrix and per-class scores (rows x (features + classes))
  -> 6, plus the method's matrices over the weights.

The limit is half of this machine's physical memory: the solve has to share
the machine with the app, the library and everything else running, and a
process that swaps is no faster than one refused.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import TYPE_CHECKING

from .kinds.memory import (CHECKPOINT_COPIES, FIT_JACOBIAN_COPIES, FLOAT,  # noqa: F401
                           HISTORY_ROW_BYTES, OUTPUT_COPIES, TRAIN_DATA_COPIES, MemoryNeed)
from .kinds.registry import kind as kind_of
from .kinds.registry import kinds

if TYPE_CHECKING:
    from .kinds.base import Kind
    from .problem_types import Problem

#: The share of physical memory a solve may plan to use.
LIMIT_SHARE = 0.5
#: Assumed when the machine will not say how much memory it has (8 GB).
FALLBACK_PHYSICAL_BYTES = 8 << 30
#: n x n matrices alive at the peak, per kind and method (a view of the kinds').
MATRIX_COPIES = {(k.name, m): c for k in kinds() for m, c in k.matrix_copies.items()}


def physical_memory() -> int:
    """This machine's physical memory in bytes (Linux, macOS, Windows; else a fallback)."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and size > 0:
            return int(pages) * int(size)
    except (AttributeError, ValueError, OSError):
        pass
    if sys.platform == "win32":
        total = _windows_physical_memory()
        if total:
            return total
    return FALLBACK_PHYSICAL_BYTES


def _windows_physical_memory() -> int:
    class MemoryStatus(ctypes.Structure):
        _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                    ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                    ("ullTotalPageFile", ctypes.c_ulonglong),
                    ("ullAvailPageFile", ctypes.c_ulonglong),
                    ("ullTotalVirtual", ctypes.c_ulonglong),
                    ("ullAvailVirtual", ctypes.c_ulonglong),
                    ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]
    status = MemoryStatus()
    status.dwLength = ctypes.sizeof(MemoryStatus)
    try:
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return int(status.ullTotalPhys)
    except (AttributeError, OSError):
        pass
    return 0


def memory_limit() -> int:
    """The most a solve may plan to use: half of physical memory."""
    return int(physical_memory() * LIMIT_SHARE)


def estimate(problem: Problem, kind: Kind | None = None) -> list[MemoryNeed]:
    """The big terms of the memory a solve of ``problem`` needs (validated sizes):
    each kind counts its own (``Kind.memory_needs``)."""
    return (kind or kind_of(problem.kind)).memory_needs(problem)


def memory_problems(problem: Problem, kind: Kind | None = None,
                    limit: int | None = None) -> list[tuple[str, str]]:
    """``(field, message)`` when a solve of ``problem`` would not fit in memory
    (:func:`memory_limit`); empty when it fits."""
    needs = estimate(problem, kind)
    out: list[tuple[str, str]] = []
    limit = memory_limit() if limit is None else limit
    total = sum(need.bytes for need in needs)
    if total > limit:
        biggest = max(needs, key=lambda need: need.bytes)
        out.append((biggest.fields[0],
                    f"the solve would need about {human(total)} of memory, more than the "
                    f"{human(limit)} a solve may use on this machine (half of its "
                    f"{human(physical_memory())}); most of it is {biggest.what}: "
                    f"{human(biggest.bytes)}. To solve it, {biggest.remedy}"))
    return out


def human(size: float) -> str:
    """Bytes as a user reads them: 16 GB, 750 MB, 12 kB (powers of 1000)."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            value = size / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{int(size)} bytes"
