"""A run's status: one closed set of values, stored as their plain text.

``Status`` is a ``str`` enum, so the run files, the library's ``status``
column and ``--json`` keep exactly the texts they always had (``"converged"``
...); reading one back goes through :meth:`Status.parse`, which refuses a
text that is not a status with a message naming the allowed ones.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, overload

from .errors import UnknownStatusError


class Status(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    CONVERGED = "converged"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"

    # A status prints as its stored text (in f-strings, messages and the GUI).
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def parse(cls, value: Any) -> Status:
        """The status named by a stored text; :class:`UnknownStatusError` (a
        ``ValueError`` and a ``WarmDeskError``) for anything else."""
        try:
            return cls(value)
        except ValueError:
            raise UnknownStatusError(f"unknown run status {value!r}; expected one of "
                             f"{', '.join(s.value for s in cls)}") from None

    @property
    def is_final(self) -> bool:
        """The run has ended (it is neither waiting nor being solved)."""
        return self not in (Status.QUEUED, Status.RUNNING)

    @property
    def is_success(self) -> bool:
        """The solver met its tolerance: the result is a solution."""
        return self is Status.CONVERGED

    @property
    def keeps_result(self) -> bool:
        """The run ended with a point that can seed a warm start (a failed run
        can too, but only when it kept its last iterate: see ``runs.is_usable``)."""
        return self in (Status.CONVERGED, Status.STOPPED, Status.INTERRUPTED)

    @property
    def has_no_outcome(self) -> bool:
        """The run ended without an outcome worth recording (no saving, no
        expectation): it was cancelled or it failed."""
        return self in (Status.CANCELLED, Status.FAILED)


class StatusField:
    """A dataclass field that holds a :class:`Status`: whatever is assigned
    (a stored text or a Status) is parsed, so ``run.status`` is always a Status
    and an unknown text fails where it enters. Its default is ``QUEUED``."""

    def __set_name__(self, owner: type, name: str) -> None:
        # kept in the instance's __dict__ under its own name (a data descriptor
        # wins over it), so vars(run) and copies still show ``status``
        self._name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Status: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> Status: ...

    def __get__(self, obj: object | None, objtype: type | None = None) -> Status:
        if obj is None:  # the class attribute: what dataclasses take as the default
            return Status.QUEUED
        value: Status = obj.__dict__[self._name]
        return value

    def __set__(self, obj: object, value: Status | str) -> None:
        obj.__dict__[self._name] = Status.parse(value)


#: Every status, in the order of a run's life (the CLI's ``--status`` choices).
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
#: Statuses whose solution (and state) can seed a warm start.
USABLE_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if s.keeps_result)
