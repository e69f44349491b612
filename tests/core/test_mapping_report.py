"""The mapping report read as a typed value; its printed form unchanged."""

from __future__ import annotations

from warmdesk.core.mapping_report import MappingReport, format_report

FULL = {"source_run_id": "abc", "matched": ["a"], "resized": [
    {"name": "x", "from": 6, "to": 8, "taken": 6}], "defaulted": ["z"], "dropped": ["old"],
    "clipped": {"x": 2}, "refused": {"hess_inv": "the layout changed"},
    "source_note": "made by BFGS", "payload": ["x0"], "mode": "restart", "future_key": 1}


def test_full_report_text() -> None:
    assert format_report(FULL) == "\n".join([
        "warm start from abc: payload x0 (restart)",
        "  matched:   a",
        "  resized:   x 6 -> 8 (first 6 taken, rest from the start)",
        "  defaulted: z (from the start)",
        "  dropped:   old",
        "  clipped:   x (2 values into the new bounds)",
        "  note:      made by BFGS",
        "  not used:  hess_inv: the layout changed"])


def test_ode_and_minimal_reports() -> None:
    assert format_report({}) == "warm start from None: payload  (restart)"
    ode = {"source_run_id": "r", "payload": ["checkpoint"], "mode": "exact-resume",
           "checkpoint_t": 2.5, "note": "from its last checkpoint"}
    assert format_report(ode).splitlines()[-1] == "  resumes at t=2.5; from its last checkpoint"
    report = MappingReport.from_dict(ode)
    assert report.checkpoint_t == 2.5 and report.mode == "exact-resume" and not report.matched
