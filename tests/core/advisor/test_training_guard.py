"""The training guard (advisor.training_guard) on real training runs: a model
overfitted to half of the data and fine-tuned on all of it generalizes worse
than cold training (Ash & Adams 2020) and is flagged; one trained with early
stopping is not. Validation losses come from a held-out validation file, so
the rows the old model saw do not leak into the comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from warmdesk.core.advisor import guarded_solve
from warmdesk.core.advisor.guard_decision import GuardAction, GuardReason
from warmdesk.core.advisor.training_guard import COLD_SEEDS
from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.solvers.base import SolveControl
from warmdesk.core.solvers.network_settings import SHRINK_DEFAULT
from warmdesk.core.warmstart import warm_start_from_run

from ..solvers.network_data import write_csv


def _noisy(rows: int, seed: int) -> dict[str, np.ndarray]:
    """A non-linear boundary with 15% of the labels flipped: easy to overfit."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4))
    score = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] - 0.5 * x[:, 3]
    y = (score + 0.25 * rng.normal(size=rows) > 0).astype(float)
    flip = rng.random(rows) < 0.15
    y[flip] = 1 - y[flip]
    return {"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "e": x[:, 3], "y": y}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("gap")
    full = _noisy(400, 1)
    write_csv(d / "half.csv", {k: v[:200] for k, v in full.items()})
    write_csv(d / "full.csv", full)
    write_csv(d / "val.csv", _noisy(600, 2))
    return d


def _spec(d: Path, data: str, epochs: int, stop: bool = True, **more: Any) -> dict[str, Any]:
    return {"format": "warmdesk.problem/1", "name": "gap", "kind": "network",
            "data": {"file": str(d / data)}, "target": "y", "output": "binary",
            "layers": [64], "epochs": epochs, "batch_size": 32,
            "validation": {"file": str(d / "val.csv")},
            **({"early_stopping": {"patience": 10}} if stop else {}), **more,
            "solver": {"method": "adam", "options": {"learning_rate": 0.01}}}


def _fine_tune(lib: Library, files: Path, base_epochs: int, base_stops: bool,
               mode: str = "plain", base_data: str = "half.csv", **base: Any
               ) -> tuple[Any, Any]:
    source = solve(problem_from_dict(_spec(files, base_data, base_epochs, base_stops, **base)))
    lib.save_run(source)
    problem = problem_from_dict(_spec(files, "full.csv", 60, fine_tune=mode))
    kept, report = guarded_solve(lib, problem, warm_start_from_run(problem, source),
                                 SolveControl())
    lib.save_runs(report.runs)
    return kept, report


def test_an_overfitted_model_fine_tuned_on_more_data_is_flagged(tmp_path: Path,
                                                                files: Path) -> None:
    with Library(tmp_path / "lib") as lib:
        kept, report = _fine_tune(lib, files, base_epochs=300, base_stops=False)
    warm, *colds = report.runs
    assert len(colds) == COLD_SEEDS and all(c.warm is None for c in colds)
    assert [c.info["network"]["seed"] for c in colds] == [0, 1, 2]
    gap = warm.info["guard"]["generalization"]
    assert gap["flagged"] and gap["gap"] > gap["spread"] > 0
    assert gap["warm_val_loss"] == warm.info["network"]["val_loss"]
    assert gap["suggestion"] == {"fine_tune": {"mode": "shrink_perturb"}}
    assert report.decision.reason is GuardReason.GENERALIZATION_GAP
    assert report.action is GuardAction.FELL_BACK and kept is colds[0]
    assert "generalization gap" in report.reason and "shrink" in report.reason
    assert all(r.info["guard"]["kept"] == kept.id for r in report.runs)


def test_a_model_trained_with_early_stopping_is_not_flagged(tmp_path: Path,
                                                            files: Path) -> None:
    with Library(tmp_path / "lib") as lib:
        kept, report = _fine_tune(lib, files, base_epochs=60, base_stops=True)
    warm = report.runs[0]
    gap = warm.info["guard"]["generalization"]
    assert not gap["flagged"] and gap["gap"] <= gap["spread"]
    assert "suggestion" not in gap
    assert report.action is GuardAction.KEPT_WARM_CHECKED and kept is warm
    assert "no generalization gap" in report.reason


def test_stored_cold_runs_are_reused_and_a_stored_cold_is_not_saved_again(
        tmp_path: Path, files: Path) -> None:
    with Library(tmp_path / "lib") as lib:
        _, first = _fine_tune(lib, files, base_epochs=300, base_stops=False)
        kept, again = _fine_tune(lib, files, base_epochs=300, base_stops=False)
    assert len(first.runs) == 1 + COLD_SEEDS
    assert len(again.runs) == 1   # the cold seeds came from the library
    assert again.decision.reason is GuardReason.GENERALIZATION_GAP
    assert again.action is GuardAction.KEPT_WARM and kept is again.runs[0]
    assert again.cold_run == first.runs[1].id
    assert f"cold run {first.runs[1].id[:12]} generalizes better" in again.reason


def test_an_exact_resume_is_not_judged(tmp_path: Path, files: Path) -> None:
    problem = problem_from_dict(_spec(files, "full.csv", 20))
    interrupted = solve(problem, control=SolveControl(max_evaluations=30))  # epoch 3
    assert interrupted.status.value == "interrupted"
    with Library(tmp_path / "lib") as lib:
        kept, report = guarded_solve(lib, problem, warm_start_from_run(problem, interrupted),
                                     SolveControl())
    assert report.decision.reason is GuardReason.RESUMED and report.runs == [kept]
    assert "generalization" not in kept.info["guard"]


def test_the_advisor_learns_the_mode_that_paid_for_the_family(tmp_path: Path,
                                                              files: Path) -> None:
    from warmdesk.core.advisor import suggest
    from warmdesk.core.advisor.fine_tune_modes import choose, records
    with Library(tmp_path / "lib") as lib:
        for _ in range(2):   # plain fine-tunes of an early-stopped model: no gap
            _, report = _fine_tune(lib, files, base_epochs=60, base_stops=True)
            assert not report.runs[0].info["guard"]["generalization"]["flagged"]
        unnamed = problem_from_dict(_spec(files, "full.csv", 60))
        named = problem_from_dict(_spec(files, "full.csv", 60, fine_tune="shrink_perturb"))
        [plain] = records(lib, unnamed)
        assert (plain.mode, plain.tried, plain.flagged) == ("plain", 2, 0)
        mode, why = choose(lib, unnamed) or ("", "")
        advice = suggest(lib, unnamed)
        assert choose(lib, named) is None        # a spec that names its mode is obeyed
        obeyed = suggest(lib, named)
    assert mode == "plain" and "a generalization gap in 0 of 2" in why
    assert advice.top is not None and advice.top.warm.report["mode"] == "plain"
    assert "the advisor chose plain" in advice.top.warm.report["note"]
    assert obeyed.top is not None and obeyed.top.warm.report["mode"] == "shrink_perturb"



def test_following_the_guards_suggestions_closes_the_gap(tmp_path: Path, files: Path) -> None:
    """The overfitted model flagged above, fine-tuned again as the guard offers
    each time (plain -> shrink-and-perturb -> a smaller shrink): each gap is
    smaller than the last, and within three fine-tunes the guard stops flagging
    (what it offers is sound). Each fine-tune has its own library, so each
    trains its own cold seeds (the same ones: the same cold problem)."""
    mode: Any = "plain"
    gaps = []
    for i in range(3):
        with Library(tmp_path / f"lib{i}") as lib:
            kept, report = _fine_tune(lib, files, base_epochs=300, base_stops=False, mode=mode)
        warm = report.runs[0]
        gap = warm.info["guard"]["generalization"]
        gaps.append(gap["gap"])
        if not gap["flagged"]:
            break
        mode = gap["suggestion"]["fine_tune"]
        assert mode["mode"] == "shrink_perturb"
    assert not gap["flagged"] and gap["mode"] == "shrink_perturb" and len(gaps) >= 2
    assert all(later < earlier for earlier, later in zip(gaps, gaps[1:]))
    assert report.action is GuardAction.KEPT_WARM_CHECKED and kept is warm
    assert warm.warm is not None
    assert warm.warm.report["fine_tune"]["shrink"] <= SHRINK_DEFAULT


def test_a_fine_tunes_saving_is_counted_in_epochs_not_mini_batches(tmp_path: Path,
                                                                   files: Path) -> None:
    """Fine-tuned or cold, a network trains its epochs: the saving that means
    something is how soon it reached cold's validation loss."""
    from warmdesk.core.advisor import record_outcome
    from warmdesk.core.saving_text import recorded_saving_sentence
    with Library(tmp_path / "lib") as lib:
        # a model of this very data (seed 1: its validation loss is below the
        # cold seeds' median), fine-tuned again: it starts where cold ends
        _, report = _fine_tune(lib, files, base_epochs=60, base_stops=True,
                               base_data="full.csv", seed=1)
        warm = report.runs[0]
        for run in report.runs[1:]:
            assert record_outcome(lib, run) is None   # a cold seed: nothing to record
        saving = record_outcome(lib, warm)
        stored = lib.get_run(warm.id, history=False).info.get("saving")
    gap = warm.info["guard"]["generalization"]
    assert gap["epochs_to_cold_best"] is not None, gap   # this fine-tune reaches cold's loss
    assert saving is not None and stored == saving
    assert saving["warm_nfev"] == gap["epochs_to_cold_best"] < warm.nfev
    assert saving["cold_nfev"] == round(gap["cold_epochs_to_best"])
    sentence = recorded_saving_sentence(saving, "mini-batches")
    assert sentence is not None and "epochs to cold's validation loss" in sentence
    assert recorded_saving_sentence({**saving, "unit": "<b>hostile</b>"}, "mini-batches") \
        .endswith("of the same problem") and "hostile" not in str(
        recorded_saving_sentence({**saving, "unit": "<b>hostile</b>"}, "mini-batches"))
