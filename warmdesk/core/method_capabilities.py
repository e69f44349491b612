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
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodFacts:
    """What one method does with the parts of a spec (scipy's behaviour)."""

    bounds: bool = False        #: keeps every iterate within the variables' bounds
    constraints: bool = False   #: enforces general constraints (minimize only)
    gradient: bool = True       #: uses the exact gradient (or Jacobian)
    stiff: bool = False         #: ode: implicit, for stiff problems (exact Jacobian of the rhs)


_NO_BOUNDS = MethodFacts()
_BOUNDS = MethodFacts(bounds=True)

#: kind -> method -> facts, methods in the order offered to users (the first
#: ones are the common choices). The kind's methods are exactly these keys.
FACTS: dict[str, dict[str, MethodFacts]] = {
    "minimize": {
        "BFGS": _NO_BOUNDS,
        "L-BFGS-B": _BOUNDS,
        "CG": _NO_BOUNDS,
        "Newton-CG": _NO_BOUNDS,
        "TNC": _BOUNDS,
        "Nelder-Mead": MethodFacts(bounds=True, gradient=False),
        "Powell": MethodFacts(bounds=True, gradient=False),
        "SLSQP": MethodFacts(bounds=True, constraints=True),
        "trust-constr": MethodFacts(bounds=True, constraints=True),
    },
    "fit": {"trf": _BOUNDS, "dogbox": _BOUNDS, "lm": _NO_BOUNDS},
    "train": {
        "L-BFGS-B": _BOUNDS,
        "BFGS": _NO_BOUNDS,
        "CG": _NO_BOUNDS,
        "Newton-CG": _NO_BOUNDS,
        "TNC": _BOUNDS,
    },
    "ode": {
        "RK45": _NO_BOUNDS, "DOP853": _NO_BOUNDS,
        "Radau": MethodFacts(stiff=True), "BDF": MethodFacts(stiff=True),
        "LSODA": MethodFacts(stiff=True),
    },
}


def methods(kind: str) -> tuple[str, ...]:
    return tuple(FACTS[kind])


def facts(kind: str, method: str) -> MethodFacts:
    return FACTS.get(kind, {}).get(method, _NO_BOUNDS)


def honours_bounds(kind: str, method: str) -> bool:
    return facts(kind, method).bounds


def honours_constraints(kind: str, method: str) -> bool:
    return facts(kind, method).constraints


def methods_with(kind: str, **wanted: bool) -> tuple[str, ...]:
    """The kind's methods whose facts match, e.g. ``methods_with("minimize", bounds=True)``."""
    return tuple(m for m, f in FACTS[kind].items()
                 if all(getattr(f, name) == value for name, value in wanted.items()))


def _either(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def refusals(kind: str, method: str, bounded: list[str],
             constraints: int = 0) -> list[tuple[str, str]]:
    """``(field, message)`` for each part of a spec ``method`` would silently ignore.

    ``bounded``: the names of the variables that have a finite bound;
    ``constraints``: how many constraints the spec gives.
    """
    out: list[tuple[str, str]] = []
    word = "state" if kind == "ode" else "variable"
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
    f = facts(kind, method)
    if kind == "ode":
        return ("Stiff problems (uses the exact Jacobian of the right-hand side)."
                if f.stiff else "Non-stiff, explicit.")
    if kind == "fit":
        return ("Levenberg-Marquardt: no bounds, only the linear loss, needs rows ≥ unknowns."
                if method == "lm" else "Honours bounds and every loss.")
    if kind == "train":  # its weights have no bounds to honour
        return "Uses the exact gradient."
    notes = ["honours bounds" if f.bounds else "takes no bounds (a spec with bounds is refused)",
             "handles constraints" if f.constraints else "no constraints"]
    if not f.gradient:
        notes.append("uses no gradient")
    return "; ".join(notes).capitalize() + "."
