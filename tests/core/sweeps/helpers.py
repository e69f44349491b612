"""Sweeps over the bundled Bratu example, for the sweep tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from warmdesk.core.sweeps import SweepSpec, sweep_from_dict

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples" / "sweeps"


def bratu_sweep(**fields: Any) -> SweepSpec:
    """The Bratu problem along ``lam`` (a path unless ``vary`` is given)."""
    spec: dict[str, Any] = {"format": "warmdesk.sweep/1", "name": "bratu-test",
                            "problem": "bratu.json", "check": {"max_fun": 1e-14}}
    spec.update(fields)
    if not any(k in spec for k in ("vary", "path", "csv")):
        spec["vary"] = {"lam": {"from": 0.1, "to": 4.1, "num": 33}}
    return sweep_from_dict(spec, EXAMPLES)
