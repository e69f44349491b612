"""The main path through the real window: define a problem, solve it cold,
change a parameter, see the earlier run suggested with its explanation, solve
warm, see both curves overlaid with the saving annotated."""

from __future__ import annotations

from warmdesk.core.library import RunQuery

from ..core.factories import rosenbrock

SOLVE_TIMEOUT = 90_000


def _finished(qtbot, window, action: str):
    with qtbot.waitSignal(window.manager.job_finished, timeout=SOLVE_TIMEOUT) as blocker:
        window.actions[action].trigger()
    return blocker.args[1]


def test_cold_then_warm_with_the_saving_annotated(qtbot, window) -> None:
    editor, panel = window.editor, window.warm_panel
    spec = rosenbrock("BFGS", n=10, a=1.0, gtol=1e-8)
    spec["name"] = "calibration"
    with qtbot.waitSignal(editor.problem_changed, timeout=20000):
        editor.set_spec(spec)
    with qtbot.waitSignal(panel.advice_ready, timeout=20000) as advice:
        panel.refresh()
    assert advice.args[0].start_cold            # an empty library: nothing to warm-start from
    cold = _finished(qtbot, window, "solve").run
    assert cold.status == "converged" and cold.warm is None
    assert window.library.get_meta(cold.id)["status"] == "converged"

    def for_the_new_problem(advice) -> bool:
        problem = editor.problem()
        return (advice is not None and problem is not None
                and problem.spec["parameters"]["a"] == 1.01
                and panel.advice_problem_hash() == problem.content_hash())

    with qtbot.waitSignal(panel.advice_ready, timeout=20000,
                          check_params_cb=for_the_new_problem) as blocker:
        editor.set_parameter("a", 1.01)
    top = blocker.args[0].top
    assert top.run_id == cold.id
    assert "parameters" in top.explanation
    assert panel.selected_source() == cold.id
    assert panel.guard_enabled()

    result = _finished(qtbot, window, "solve")
    warm = result.run
    assert warm.status == "converged"
    assert warm.warm is not None and warm.warm.source_run_id == cold.id
    assert warm.nfev < cold.nfev
    saving = warm.info["saving"]
    assert saving["cold_run"] == cold.id and saving["value"] > 0.3
    qtbot.waitUntil(lambda: "saved" in window.plot.comparison_text(), timeout=20000)
    assert f"{round(100 * saving['value'])}%" in window.plot.comparison_text()
    assert {warm.id, cold.id} <= set(window.plot.run_ids())
    qtbot.waitUntil(lambda: window.browser.selected_run_ids() == [warm.id], timeout=20000)
    assert window.library.count(RunQuery(limit=0)) >= 2
