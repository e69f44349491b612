"""The run status enum: stored texts unchanged, rules in one place."""

from __future__ import annotations

import json
import sqlite3

import pytest

from warmdesk.core.errors import WarmDeskError
from warmdesk.core.runs import STATUSES, USABLE_STATUSES, Run, is_usable
from warmdesk.core.status import Status


def test_values_are_the_stored_texts() -> None:
    assert [s.value for s in Status] == ["queued", "running", "converged", "stopped", "failed",
                                         "interrupted", "cancelled"]
    assert STATUSES == tuple(s.value for s in Status)
    assert USABLE_STATUSES == ("converged", "stopped", "interrupted")


def test_prints_json_and_sql_as_plain_text() -> None:
    assert str(Status.CONVERGED) == "converged"
    assert f"{Status.STOPPED}: {Status.FAILED:>8}" == "stopped:   failed"
    assert json.dumps({"status": Status.INTERRUPTED}) == '{"status": "interrupted"}'
    assert Status.CONVERGED == "converged" and "converged" == Status.CONVERGED
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (s TEXT)")
    db.execute("INSERT INTO t VALUES (?)", (Status.CANCELLED,))
    assert db.execute("SELECT s, typeof(s) FROM t").fetchone() == ("cancelled", "text")


def test_parse_refuses_unknown_with_clear_message() -> None:
    assert Status.parse("stopped") is Status.STOPPED
    with pytest.raises(WarmDeskError):  # shown by the app and the CLI like any refusal
        Status.parse(None)
    with pytest.raises(ValueError, match=r"unknown run status 'exploded'; expected one of "
                                         r"queued, running, converged"):
        Status.parse("exploded")


@pytest.mark.parametrize("status, final, success, keeps, no_outcome", [
    (Status.QUEUED, False, False, False, False),
    (Status.RUNNING, False, False, False, False),
    (Status.CONVERGED, True, True, True, False),
    (Status.STOPPED, True, False, True, False),
    (Status.FAILED, True, False, False, True),
    (Status.INTERRUPTED, True, False, True, False),
    (Status.CANCELLED, True, False, False, True),
])
def test_rules(status: Status, final: bool, success: bool, keeps: bool,
               no_outcome: bool) -> None:
    assert status.is_final is final
    assert status.is_success is success
    assert status.keeps_result is keeps
    assert status.has_no_outcome is no_outcome


def test_usable_failed_only_with_kept_iterate() -> None:
    assert is_usable(Status.FAILED, {"kept_iterate": True})
    assert not is_usable(Status.FAILED, {})
    assert is_usable("stopped", None) and not is_usable(None, None)


def test_run_status_round_trips_as_enum() -> None:
    run = Run("a" * 32, "r", "minimize", "BFGS", {}, "h", "s")
    assert run.status is Status.QUEUED
    run.status = Status.CONVERGED
    back = Run.from_parts(json.loads(json.dumps(run.to_dict())), run.arrays())
    assert back.status is Status.CONVERGED
    assert run.to_dict()["status"] == "converged"
    run.status = "stopped"  # a stored text is parsed where it enters
    assert run.status is Status.STOPPED
    with pytest.raises(ValueError, match="unknown run status 'done'"):
        run.status = "done"
    meta = run.to_dict() | {"status": "exploded"}
    with pytest.raises(ValueError, match="unknown run status 'exploded'"):
        Run.from_parts(meta, {})
