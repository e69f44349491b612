"""The advisor on the ``network`` kind: a model trained on other data (other
features: another structure) is what a fine-tune starts from, so it competes
whenever its mapped weights lower the new training loss at all (not only when
ten times lower, the bar for other kinds' different problems)."""

from __future__ import annotations

from pathlib import Path

from warmdesk.core.advisor import suggest
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.problems import load_problem

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def test_the_example_pair_is_fine_tuned_not_started_cold(tmp_path: Path) -> None:
    base = load_problem(EXAMPLES / "mlp_base.json")
    nxt = load_problem(EXAMPLES / "mlp_next.json")
    assert base.structure_hash() != nxt.structure_hash()   # a new feature: a different problem
    with Library(tmp_path / "lib") as lib:
        source = solve(base)
        lib.save_run(source)
        advice = suggest(lib, nxt)
    assert not advice.start_cold, advice.reason
    top = advice.top
    assert top is not None and top.run_id == source.id
    assert top.warm.report["mode"] == "shrink_perturb"
    assert "offered" in top.explanation and "a fine-tune" in top.explanation
