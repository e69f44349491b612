"""The memory terms a kind counts (:mod:`warmdesk.core.memory_estimate` adds
them up against this machine's limit; its docstring says how the factors were
measured). Shared by the kinds, so none of them imports another."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..problem_types import Problem

FLOAT = 8
OUTPUT_COPIES = 3
CHECKPOINT_COPIES = 2
FIT_JACOBIAN_COPIES = 12
TRAIN_DATA_COPIES = 6
#: Rows of history an ode run keeps at most (one per step: ``options.max_steps``).
HISTORY_ROW_BYTES = 9 * FLOAT * 2


@dataclass(frozen=True)
class MemoryNeed:
    """One big term of a solve's memory."""

    fields: tuple[str, ...]   #: the spec fields that set its size (the first is reported)
    what: str                 #: what it is, with the sizes, for a user
    bytes: int
    remedy: str               #: what to change to make it smaller


def matrix_need(problem: Problem, matrix_copies: Mapping[str, int], methods: tuple[str, ...],
                what: str, size_field: str) -> list[MemoryNeed]:
    """The n x n matrices the method keeps (``matrix_copies``: method -> copies
    alive at the peak), if it keeps any."""
    n, method = problem.size, problem.method
    copies = matrix_copies.get(method)
    if not copies:
        return []
    lean = [m for m in methods if m not in matrix_copies]
    return [MemoryNeed(("solver.method", size_field),
                       f"{method}'s {what} ({n} x {n} values, {copies} copies)",
                       n * n * FLOAT * copies,
                       f"choose a method that keeps no n x n matrix "
                       f"({', '.join(lean)}) or make '{size_field}' smaller")]
