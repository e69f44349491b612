"""A kind added with ``registry.register`` reaches a solve child: the child
starts with the built-in kinds only and registers the parent's added ones from
their classes' import names (plain data)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from warmdesk.core.kinds import registry
from warmdesk.core.kinds.base import Kind
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.process import ProcessSolve
from warmdesk.core.status import Status

from .test_fake_kind import Simplex, spec


@pytest.fixture
def simplex() -> Iterator[Kind]:
    kind = Simplex()
    registry.register(kind)
    try:
        yield kind
    finally:
        registry.unregister(kind.name)


def test_added_kinds_are_named_by_their_import_names(simplex: Kind) -> None:
    class Local(Simplex):
        name = "local"

    registry.register(Local())
    try:
        assert registry.added_kinds() == [(Simplex.__module__, "Simplex")]
    finally:
        registry.unregister("local")


def test_register_added_imports_and_registers_once(simplex: Kind) -> None:
    refs = registry.added_kinds()
    registry.unregister("simplex")
    registry.register_added(refs)
    assert isinstance(registry.find_kind("simplex"), Simplex)
    registry.register_added(refs)                       # known already: left alone
    with pytest.raises(TypeError, match="is not a Kind"):
        registry.register_added([("warmdesk.core.problems", "Problem")])


def test_a_child_process_solves_an_added_kind(simplex: Kind) -> None:
    run = ProcessSolve(problem_from_dict(spec())).wait(timeout=120)
    assert run.status == Status.CONVERGED, run.message
