"""The warm-start advisor: rank earlier runs as sources for a new problem, say
when to start cold, guard a warm run against harm, and learn from outcomes."""

from .advice import Advice, Suggestion
from .by_kind import suggest
from .guard import GuardReport, guarded_solve
from .outcomes import record_outcome

__all__ = ["Advice", "Suggestion", "suggest", "GuardReport", "guarded_solve", "record_outcome"]
