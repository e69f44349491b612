"""What each scipy method does with a spec, per kind: the tables the kinds read.

They live here, apart from the solver adapters, because this module needs no
scipy: the kinds registry (and so every command and the app) can start without
importing scipy.optimize or scipy.integrate; an adapter is imported when a
problem of its kind is first solved (``warmdesk solve`` spent most of its time
importing, issue 16). The adapters re-export their tables under the old names
(``solvers.minimize.METHOD_FACTS`` and so on).
"""

from __future__ import annotations

from ..method_facts import BOUNDS, NO_BOUNDS, MethodFacts, methods_with

#: What each scipy.optimize.minimize method does with a spec (see
#: :mod:`warmdesk.core.method_capabilities`), in the order offered to users (the
#: first ones are the common choices). The minimize and train kinds pick theirs here.
MINIMIZE_METHOD_FACTS: dict[str, MethodFacts] = {
    "BFGS": NO_BOUNDS,
    "L-BFGS-B": BOUNDS,
    "CG": NO_BOUNDS,
    "Newton-CG": NO_BOUNDS,
    "TNC": BOUNDS,
    "Nelder-Mead": MethodFacts(bounds=True, gradient=False),
    "Powell": MethodFacts(bounds=True, gradient=False),
    "SLSQP": MethodFacts(bounds=True, constraints=True),
    "trust-constr": MethodFacts(bounds=True, constraints=True),
}
#: Accepted payloads per method (x0 is accepted by all).
MINIMIZE_PAYLOADS: dict[str, tuple[str, ...]] = {
    "BFGS": ("x0", "hess_inv"), "L-BFGS-B": ("x0",), "CG": ("x0",), "Newton-CG": ("x0",),
    "TNC": ("x0",), "Nelder-Mead": ("x0", "initial_simplex"), "Powell": ("x0", "direc"),
    "SLSQP": ("x0",), "trust-constr": ("x0", "qn_hess"),
}
#: State that is stored but not passed back, and why (measured on this machine:
#: trust-constr on a constrained quadratic and on Rosenbrock, 1% and 50% changes,
#: 24 trials: warm/cold work median 0.56 with x0 alone, 0.70 with the barrier
#: parameter, 0.61 with barrier and quasi-Newton matrix, worst 2.3x and 3.6x).
NOT_REUSED = {"barrier": "trust-constr's barrier parameter, passed back, made warm runs "
                         "slower than x0 alone (median 0.70 vs 0.56 of cold, worst 2.3x)",
              "direc": "Powell's previous directions made warm runs slower than x0 alone "
                       "(median 0.41 vs 0.32 of cold over 16 trials; unit or orthogonalised "
                       "directions did not do better)"}

#: What each scipy.optimize.least_squares method does with a spec.
FIT_METHOD_FACTS: dict[str, MethodFacts] = {"trf": BOUNDS, "dogbox": BOUNDS, "lm": NO_BOUNDS}
#: least_squares keeps no state worth passing back beyond x.
FIT_PAYLOADS = ("x0",)

#: What each scipy.integrate method is for: the explicit ones first.
ODE_METHOD_FACTS: dict[str, MethodFacts] = {
    "RK45": NO_BOUNDS, "DOP853": NO_BOUNDS,
    "Radau": MethodFacts(stiff=True), "BDF": MethodFacts(stiff=True),
    "LSODA": MethodFacts(stiff=True),
}
ODE_PAYLOADS = ("checkpoint", "live_solver")
#: The ode methods for stiff problems (they use the exact Jacobian of the right-hand side).
IMPLICIT_ODE_METHODS = methods_with(ODE_METHOD_FACTS, stiff=True)
