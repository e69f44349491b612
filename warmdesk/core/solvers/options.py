"""The solver options a spec may set, per method, with their types and ranges.

Each kind picks its table (``Kind.options``). Options are passed to scipy
only after this check, so a typo ("gtoll") or a wrong type is a spec error
that names the field, not a scipy traceback.
"""

from __future__ import annotations

import math
from typing import Any

# (type, low, high): floats must lie in (low, high], NONNEG in [0, high], ints in [low, high].
POS = ("float", 0.0, math.inf)
NONNEG = ("nonneg", 0.0, math.inf)
COUNT = ("int", 1, 10_000_000)
FRACTION = ("float", 0.0, 1.0)
FLAG = ("bool", 0, 1)

MINIMIZE_OPTIONS: dict[str, dict[str, tuple[str, float, float]]] = {
    "BFGS": {"gtol": POS, "maxiter": COUNT, "xrtol": NONNEG, "c1": FRACTION, "c2": FRACTION},
    "L-BFGS-B": {"maxcor": COUNT, "ftol": POS, "gtol": POS, "maxfun": COUNT, "maxiter": COUNT,
                 "maxls": COUNT},
    "CG": {"gtol": POS, "maxiter": COUNT, "c1": FRACTION, "c2": FRACTION},
    "Newton-CG": {"xtol": POS, "maxiter": COUNT},
    "TNC": {"maxfun": COUNT, "ftol": NONNEG, "xtol": NONNEG, "gtol": NONNEG, "eta": NONNEG,
            "stepmx": NONNEG, "maxCGit": ("int", -2, 10_000_000), "accuracy": NONNEG,
            "rescale": NONNEG},
    "Nelder-Mead": {"maxiter": COUNT, "maxfev": COUNT, "xatol": POS, "fatol": POS,
                    "adaptive": FLAG},
    "Powell": {"maxiter": COUNT, "maxfev": COUNT, "xtol": POS, "ftol": POS},
    "SLSQP": {"maxiter": COUNT, "ftol": POS},
    "trust-constr": {"gtol": POS, "xtol": POS, "barrier_tol": POS, "maxiter": COUNT,
                     "initial_tr_radius": POS, "initial_constr_penalty": POS,
                     "initial_barrier_parameter": POS, "initial_barrier_tolerance": POS},
}
FIT_OPTIONS: dict[str, tuple[str, float, float]] = {
    "ftol": POS, "xtol": POS, "gtol": POS, "max_nfev": COUNT}
ODE_OPTIONS: dict[str, tuple[str, float, float]] = {
    "rtol": POS, "atol": POS, "max_step": POS, "first_step": POS, "max_steps": COUNT}


Rules = dict[str, tuple[str, float, float]]


def check_options(allowed: Rules, method: str, options: dict[str, Any]) -> list[tuple[str, str]]:
    """Return ``(option, message)`` for each bad option (empty when all are fine);
    ``allowed``: the method's rules (its kind says which: ``Kind.options``)."""
    problems: list[tuple[str, str]] = []
    for name, value in options.items():
        key = str(name)[:80]
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            problems.append((key, f"is not an option of {method} (known: {known})"))
            continue
        typ, low, high = allowed[name]
        if value is None:   # JSON null: neither "off" nor "default" is guessed for it
            problems.append((key, "must be a value, not null (leave the option out for "
                                  "its default)"))
            continue
        if typ == "bool":
            if not isinstance(value, bool):
                problems.append((key, "must be true or false"))
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append((key, f"must be a number (got {type(value).__name__})"))
            continue
        if typ == "int" and not (isinstance(value, int) or float(value).is_integer()):
            problems.append((key, "must be a whole number"))
            continue
        inside = {"float": low < value <= high, "nonneg": low <= value <= high,
                  "int": low <= value <= high}[typ]
        if not math.isfinite(value) or not inside:
            problems.append((key, {"float": f"must be in ({low:g}, {high:g}]",
                                   "nonneg": "must be >= 0",
                                   "int": f"must be from {low:g} to {high:g}"}[typ]))
    return problems


def coerce_options(allowed: Rules, options: dict[str, Any]) -> dict[str, Any]:
    """Checked options with whole-number floats (``10.0``) turned into ints for scipy."""
    return {k: int(v) if allowed.get(k, ("",))[0] == "int" else v for k, v in options.items()}
