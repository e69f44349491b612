"""The kind registry and each kind's contract: every kind answers every
question the rest of the code asks, and no kind imports another."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from warmdesk.core import problems
from warmdesk.core.engine import new_run
from warmdesk.core.kinds import registry
from warmdesk.core.kinds.base import Kind
from warmdesk.core.method_capabilities import FACTS, method_note
from warmdesk.core.memory_estimate import estimate
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.saving_text import evaluation_unit
from warmdesk.resources_path import examples_dir

KINDS_DIR = Path(registry.__file__).parent
BUILT_IN = ("minimize", "fit", "train", "ode", "network")


def test_the_registry_names_the_four_kinds_in_order() -> None:
    assert registry.KIND_NAMES == BUILT_IN
    assert tuple(k.name for k in registry.kinds()) == BUILT_IN
    assert registry.kind("ode").name == "ode"
    assert registry.find_kind("nope") is None
    with pytest.raises(KeyError, match="minimize, fit, train, ode"):
        registry.kind("nope")


def test_the_old_names_are_views_of_the_registry() -> None:
    assert problems.KINDS == BUILT_IN
    for k in registry.kinds():
        assert problems.METHODS[k.name] == tuple(k.methods)
        assert problems.DEFAULT_METHOD[k.name] == k.default_method
        assert problems.KIND_FIELDS[k.name] == k.fields
        assert FACTS[k.name] == dict(k.methods)
    assert problems.IMPLICIT_ODE_METHODS == ("Radau", "BDF", "LSODA")
    assert problems.TRAIN_METHODS == ("L-BFGS-B", "BFGS", "CG", "Newton-CG", "TNC")


def test_built_in_kinds_cannot_be_replaced_or_removed() -> None:
    with pytest.raises(ValueError):
        registry.register(registry.kind("fit"))
    with pytest.raises(ValueError):
        registry.unregister("fit")


def starter_problem(kind: Kind) -> problems.Problem:
    body, reads_examples = kind.starter()
    spec = {"format": problems.FORMAT, "name": f"new {kind.name}", "kind": kind.name, **body}
    return problem_from_dict(spec, base_dir=examples_dir() if reads_examples else None)


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_kind_answers_every_question(name: str) -> None:
    kind = registry.kind(name)
    assert kind.tip and kind.fields and kind.methods
    assert kind.default_method in kind.methods
    for method in kind.methods:
        assert isinstance(dict(kind.options(method)), dict)
        assert kind.payloads(method)
        assert method_note(name, method).endswith(".")
    words = kind.words
    assert all(isinstance(getattr(words, w), str) and getattr(words, w) for w in (
        "unknowns", "unknown", "tab", "evaluations", "solution", "unfinished", "matrix",
        "size_field"))
    assert evaluation_unit(name) == words.evaluations
    problem = starter_problem(kind)  # the starter is a valid spec of the kind
    assert problem.kind == name and problem.size > 0
    assert all(need.bytes >= 0 for need in estimate(problem))
    assert isinstance(problem.structure_extra, dict)
    if kind.has_merit:
        f, violation = kind.merit(problem)(problem.start_vector())
        assert math.isfinite(f) and violation == 0.0
    else:
        with pytest.raises(ValueError):
            kind.merit(problem)
    kind.check_solvable(problem, None)


def test_words_of_ode_and_train() -> None:
    ode, train = registry.kind("ode"), registry.kind("train")
    assert (ode.words.unknowns, ode.words.tab, ode.words.solution) == (
        "state", "State", "final state")
    assert ode.curve_is_time and not ode.has_cold_references and not ode.keeps_last_iterate
    assert train.uses_dataset and not train.edits_variables
    assert registry.curve_is_time("ode") and not registry.curve_is_time("")


def test_train_adds_its_model_to_the_structure() -> None:
    problem = starter_problem(registry.kind("train"))
    assert problem.structure_extra == {"train_model": "logistic"}
    spec = dict(problem.spec, model="multinomial")
    other = problem_from_dict(spec, base_dir=problem.base_dir)
    assert other.structure_hash() != problem.structure_hash()


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names |= {f"{base}.{a.name}" if not node.module else base for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


@pytest.mark.parametrize("name", BUILT_IN)
def test_kinds_do_not_import_each_other(name: str) -> None:
    others = {n for n in BUILT_IN if n != name}
    imported = _imports(KINDS_DIR / f"{name}.py")
    bad = {i for i in imported for o in others
           if i in (f".{o}", f"..{o}") or i.endswith(f"kinds.{o}") or i == f"..kinds.{o}"}
    assert not bad
    assert not any("registry" in i for i in imported)


def test_the_fit_kind_maps_a_warm_start_by_name() -> None:
    """A kind's warm start is its own: here through the shared restart mapping."""
    fit = registry.kind("fit")
    problem = starter_problem(fit)
    run = new_run(problem)
    run.status = "converged"
    run.solution = {"N0": np.array(400.0), "tau": np.array(4.0), "gone": np.array(1.0)}
    run.info["layout"] = [["N0", 1], ["tau", 1], ["gone", 1]]
    warm = fit.warm_start(problem, run)
    assert warm.payload == ["x0"] and warm.report["matched"] == ["N0", "tau"]
    assert warm.report["defaulted"] == ["bg"] and warm.report["dropped"] == ["gone"]
    assert warm.x0 is not None and list(warm.x0) == [400.0, 4.0, 1.0]
