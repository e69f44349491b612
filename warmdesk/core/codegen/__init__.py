"""Fast exact evaluators generated from the checked expression tree (issue 16).

Plain numpy functions of the flat vector, built as Python syntax-tree objects (never
text) and compiled once per problem: value code (:mod:`.forward`), reverse-mode
gradients of scalar objectives (:mod:`.reverse`), forward-mode Jacobians
(:mod:`.jacobian`), Hessian-vector products (:mod:`.hessian`, reverse over forward);
the derivative rules are in :mod:`.rules`, the one compile step
and its audit in :mod:`.emit`. See docs/expressions.md, "The generated path".
"""

from .hessian import Hvp, hvp_program
from .ir import Layout, layout_of
from .programs import ScalarProgram, VectorProgram, scalar_program, vector_program

__all__ = ["Layout", "layout_of", "Hvp", "hvp_program", "ScalarProgram", "VectorProgram",
           "scalar_program", "vector_program"]
