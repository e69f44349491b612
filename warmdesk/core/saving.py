"""A warm run's saving over a cold one, as the library records it in
``run.info["saving"]`` (see :mod:`warmdesk.core.advisor.outcomes`); the words
for it are in :mod:`warmdesk.core.saving_text`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Against a cold run of the very same problem.
MEASURED = "measured"
#: From the nearest cold run of a similar problem (same structure).
ESTIMATED = "estimated"


#: The unit of a training run's saving, stored as its ``unit`` (a fine-tune trains
#: its whole epoch budget as a cold run does: its evaluations say nothing of what
#: it saved; the epochs it took to reach cold's validation loss do).
EPOCHS_UNIT = "epochs to cold's validation loss"


@dataclass(frozen=True)
class Saving:
    value: float        # 1 - warm_nfev / cold_nfev (negative: the warm run cost more)
    basis: str          # MEASURED or ESTIMATED
    cold_run: str       # the cold run it was measured against
    cold_nfev: int
    warm_nfev: int

    @classmethod
    def of(cls, warm_nfev: int, cold_nfev: int, cold_run: str, basis: str) -> Saving:
        """The saving of ``warm_nfev`` evaluations over ``cold_nfev`` (> 0)."""
        return cls(1.0 - warm_nfev / cold_nfev, basis, cold_run, cold_nfev, warm_nfev)

    def to_dict(self) -> dict[str, Any]:
        """The stored form (the keys and their order are the stored ones)."""
        return {"value": self.value, "basis": self.basis, "cold_run": self.cold_run,
                "cold_nfev": self.cold_nfev, "warm_nfev": self.warm_nfev}

    @classmethod
    def read(cls, data: Any) -> Saving | None:
        """A recorded saving, or None when there is none or it is malformed (a
        run file from elsewhere): shown as far as it can be, never a crash."""
        if not isinstance(data, Mapping) or data.get("value") is None:
            return None
        try:
            return cls(float(data["value"]), str(data["basis"]), str(data["cold_run"]),
                       int(data["cold_nfev"]), int(data["warm_nfev"]))
        except (KeyError, TypeError, ValueError):
            return None
