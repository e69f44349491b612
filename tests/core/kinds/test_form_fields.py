"""What the app's generic form edits for a kind without a form of its own."""

from __future__ import annotations

from warmdesk.core.kinds.base import FormField, Words

from .test_fake_kind import Simplex


def test_undeclared_fields_are_the_ones_no_other_tab_edits() -> None:
    assert Simplex().form_fields() == (FormField("objective"),)   # "points": its tab

    class WithData(Simplex):
        fields = frozenset({"points", "data", "model", "l2"})
        uses_dataset = True

    assert [f.name for f in WithData().form_fields()] == ["l2", "model"]

    class NoVariables(Simplex):
        edits_variables = False
        words = Words(unknowns="points")

    assert [f.name for f in NoVariables().form_fields()] == ["objective", "points"]


def test_declared_fields_are_taken_as_declared() -> None:
    class Typed(Simplex):
        form_field_types = (FormField("objective", "expression", "Objective"),)

    assert Typed().form_fields() == (FormField("objective", "expression", "Objective"),)


def test_new_problem_entry_defaults_from_the_name() -> None:
    assert Simplex().new_problem_entry() == ("&Simplex", "A new simplex problem")
