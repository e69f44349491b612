"""The recorded saving as a typed value; stored keys and words unchanged."""

from __future__ import annotations

import json

import pytest

from warmdesk.core.saving import Saving
from warmdesk.core.saving_text import recorded_saving_sentence


def test_stored_form() -> None:
    s = Saving.of(9, 86, "1b507f00" + "0" * 24, "estimated")
    assert list(s.to_dict()) == ["value", "basis", "cold_run", "cold_nfev", "warm_nfev"]
    assert s.value == pytest.approx(1 - 9 / 86)
    assert Saving.read(json.loads(json.dumps(s.to_dict()))) == s
    assert recorded_saving_sentence(s.to_dict()) == (
        "saved ~90%, estimated: 9 evaluations vs 86 for cold run 1b507f00 of a similar problem")


@pytest.mark.parametrize("data", [None, [], {}, {"value": None, "basis": "measured"},
                                  {"value": 0.5, "basis": "measured", "cold_run": "c"},
                                  {"value": 0.5, "basis": "measured", "cold_run": "c",
                                   "cold_nfev": "many", "warm_nfev": 3}])
def test_malformed_reads_as_none(data: object) -> None:
    assert Saving.read(data) is None and recorded_saving_sentence(data) is None
