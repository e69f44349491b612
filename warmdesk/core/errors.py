"""Error types shared by the core. Each says what went wrong and where."""

from __future__ import annotations


class WarmDeskError(Exception):
    """Base class of every error the core raises on purpose."""


class SpecError(WarmDeskError, ValueError):
    """A problem spec is malformed. Carries one message per offending field.

    ``problems`` is a list of ``(field, message)``; ``field`` is a dotted path
    such as ``variables.x.lower`` or ``solver.method``.
    """

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self._format())

    @property
    def fields(self) -> list[str]:
        return [field for field, _ in self.problems]

    def _format(self) -> str:
        where = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            field, message = self.problems[0]
            return f"{where}{field}: {message}"
        lines = [f"{where}{len(self.problems)} problems in the spec:"]
        lines += [f"  {field}: {message}" for field, message in self.problems]
        return "\n".join(lines)


class FormatVersionError(SpecError):
    """A file was written by a newer WarmDesk (a format version from the future)."""


class DataError(WarmDeskError, ValueError):
    """A data file (CSV) cannot be used: names the file, row and column."""


class SolveFailed(WarmDeskError):
    """The solve cannot go on (NaN/Inf objective, solver exception)."""


class WarmStartError(WarmDeskError, ValueError):
    """A warm-start source cannot be applied to the problem at all."""


class LibraryError(WarmDeskError):
    """The run library cannot be read or written."""


class UnknownStatusError(WarmDeskError, ValueError):
    """A stored run status is not one this WarmDesk knows (a newer one's, or damage)."""
