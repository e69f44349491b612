"""What one solver method does with the parts of a spec: the record every
method table holds (the tables live with their solvers in
:mod:`warmdesk.core.solvers`, and each kind picks its methods from them).
A bottom module: it imports nothing of ours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class MethodFacts:
    """What one method does with the parts of a spec (scipy's behaviour)."""

    bounds: bool = False        #: keeps every iterate within the variables' bounds
    constraints: bool = False   #: enforces general constraints (minimize only)
    gradient: bool = True       #: uses the exact gradient (or Jacobian)
    stiff: bool = False         #: ode: implicit, for stiff problems (exact Jacobian of the rhs)


NO_BOUNDS = MethodFacts()
BOUNDS = MethodFacts(bounds=True)


def methods_with(table: Mapping[str, MethodFacts], **wanted: bool) -> tuple[str, ...]:
    """The methods of ``table`` whose facts match, e.g. ``methods_with(t, bounds=True)``."""
    return tuple(m for m, f in table.items()
                 if all(getattr(f, name) == value for name, value in wanted.items()))
