"""What each solver method can do, per kind: one table, asked by everyone.

The spec validator refuses a spec whose method would ignore part of it (bounds
given to BFGS, constraints given to L-BFGS-B): scipy drops them with at most a
warning and returns a point outside the bounds as a success, so a solve of such
a spec would be a silent failure. The problem editor shows the same refusal and
each method's abilities (:func:`method_note`), the minimize adapter passes
bounds only to methods that take them, and the warm-start mapping says when a
stored run's point was made by a method that ignored its bounds.

Runs already in a library keep their spec as it was; nothing here is applied
when a stored run is listed, shown, exported or imported, only when a spec is
validated for a new solve or an edit.

The facts themselves live with the solvers (each method table) and each kind
picks its methods (``Kind.methods``, :mod:`warmdesk.core.kinds`); this module
asks the kind registry.
"""

from __future__ import annotations

from typing import Any

from .kinds.registry import kind as kind_of
from .kinds.registry import kinds
from .method_facts import MethodFacts
from .method_facts import methods_with as _methods_with
from .solvers.options import check_options as _check_options

__all__ = ["FACTS", "MethodFacts", "allowed_options", "check_options", "facts",
           "honours_bounds", "honours_constraints", "method_note", "methods", "methods_with",
           "refusals"]

#: kind -> method -> facts (a view of the kinds' tables), methods in the order
#: offered to users. The kind's methods are exactly these keys.
FACTS: dict[str, dict[str, MethodFacts]] = {k.name: dict(k.methods) for k in kinds()}


def methods(kind: str) -> tuple[str, ...]:
    return kind_of(kind).method_names


def facts(kind: str, method: str) -> MethodFacts:
    return kind_of(kind).facts(method)


def honours_bounds(kind: str, method: str) -> bool:
    return facts(kind, method).bounds


def honours_constraints(kind: str, method: str) -> bool:
    return facts(kind, method).constraints


def methods_with(kind: str, **wanted: bool) -> tuple[str, ...]:
    """The kind's methods whose facts match, e.g. ``methods_with("minimize", bounds=True)``."""
    return _methods_with(kind_of(kind).methods, **wanted)


def allowed_options(kind: str, method: str) -> dict[str, tuple[str, float, float]]:
    """The options ``method`` of ``kind`` takes, with their types and ranges."""
    return dict(kind_of(kind).options(method))


def check_options(kind: str, method: str, options: dict[str, Any]) -> list[tuple[str, str]]:
    """``(option, message)`` for each bad option (empty when all are fine)."""
    return _check_options(allowed_options(kind, method), method, options)


def _either(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def refusals(kind: str, method: str, bounded: list[str],
             constraints: int = 0) -> list[tuple[str, str]]:
    """``(field, message)`` for each part of a spec ``method`` would silently ignore.

    ``bounded``: the names of the variables that have a finite bound;
    ``constraints``: how many constraints the spec gives.
    """
    out: list[tuple[str, str]] = []
    word = kind_of(kind).words.unknown
    if bounded and not honours_bounds(kind, method):
        which = ", ".join(f"'{n}'" for n in bounded[:5]) + (", ..." if len(bounded) > 5 else "")
        bounding = methods_with(kind, bounds=True)
        remedy = (f"choose a method that honours bounds ({_either(bounding)})"
                  if bounding else "this kind has no method that does")
        out.append(("solver.method",
                    f"{method} does not honour bounds, and {word} {which} "
                    f"{'has' if len(bounded) == 1 else 'have'} them: it would return a "
                    f"point outside them; {remedy}, or remove the bounds"))
    if constraints and not honours_constraints(kind, method):
        constraining = methods_with(kind, constraints=True)
        out.append(("solver.method",
                    f"{method} cannot handle constraints ({constraints} given): it would "
                    f"ignore them; use {_either(constraining)}, or remove the constraints"))
    return out


def method_note(kind: str, method: str) -> str:
    """What a method can do, in a line (the editor shows it under the method)."""
    return kind_of(kind).method_note(method)
