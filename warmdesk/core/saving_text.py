"""How a warm run's saving is said: one wording for the plot's title, the
status bar and anywhere else a saving is shown.

A saving means something only with what it was measured against. The library
records it (``run.info["saving"]``, see :mod:`warmdesk.core.advisor.outcomes`)
as *measured* against a cold run of the very same problem, or *estimated* from
the nearest cold run of a similar problem (same structure, other parameters).
The sentence says which, names that cold run, and gives both counts, e.g.::

    saved ~90%, estimated: 9 evaluations vs 86 for cold run 1b507f00 of a similar problem

Two runs the user puts side by side without a recorded saving between them are
related the same way (:func:`comparison_basis`); a cold run of another
structure gives no saving at all ("unrelated").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .kinds.registry import kind as kind_of
from .runs import Run
from .saving import EPOCHS_UNIT, Saving

#: basis -> (prefix of the percentage, how the cold run relates to the warm one)
_BASES = {"measured": ("", "of the same problem"),
          "estimated": ("~", "of a similar problem"),
          "unrelated": ("", "of an unrelated problem")}


def evaluation_unit(kind: str) -> str:
    """What a run's evaluation count counts: right-hand sides for ``ode``."""
    return kind_of(kind).words.evaluations


def saving_sentence(warm_nfev: int, cold_nfev: int, basis: str, cold_run: str,
                    unit: str = "evaluations") -> str:
    """The saving of a warm run over a cold one, with what it rests on.

    ``basis``: "measured" (same problem), "estimated" (a similar problem) or
    "unrelated" (another structure: counts only, no saving claimed)."""
    prefix, relation = _BASES.get(basis, ("", f"({basis})"))
    counts = f"{warm_nfev} {unit} vs {cold_nfev} for cold run {str(cold_run)[:8]} {relation}"
    if basis == "unrelated":
        return f"no saving to state: {counts}"
    if cold_nfev <= 0:
        return f"no saving to compute: {counts}"
    saving = 1.0 - warm_nfev / cold_nfev
    said = (f"saved {prefix}{round(100 * saving)}%" if saving >= 0
            else f"cost {prefix}{round(-100 * saving)}% more")
    return f"{said}, {basis}: {counts}"


def recorded_saving_sentence(saving: Any, unit: str = "evaluations") -> str | None:
    """The sentence for a recorded ``run.info["saving"]``; None if there is none
    (or it is malformed: a run file from elsewhere)."""
    read = Saving.read(saving)
    if read is None:
        return None
    # a training run's saving is counted in epochs (only that unit: a run file's
    # text is never shown as it is)
    in_epochs = saving.get("unit") == EPOCHS_UNIT
    return saving_sentence(read.warm_nfev, read.cold_nfev, read.basis, read.cold_run,
                           EPOCHS_UNIT if in_epochs else unit)


def comparison_basis(warm: Run, cold: Run) -> str:
    """How ``cold`` relates to ``warm``: the recorded basis when ``cold`` is the
    run the warm run's saving was recorded against, else by the problems'
    hashes ("measured", "estimated" or "unrelated")."""
    saving = warm.info.get("saving")
    if isinstance(saving, Mapping) and saving.get("cold_run") == cold.id \
            and saving.get("basis") in _BASES:
        return str(saving["basis"])
    if warm.problem_hash and warm.problem_hash == cold.problem_hash:
        return "measured"
    if warm.structure_hash and warm.structure_hash == cold.structure_hash:
        return "estimated"
    return "unrelated"


def comparison_sentence(warm: Run, cold: Run) -> str:
    """The saving of ``warm`` over ``cold`` (the runs' own counts), said as above."""
    return saving_sentence(warm.nfev, cold.nfev, comparison_basis(warm, cold), cold.id,
                           evaluation_unit(warm.kind))
