"""The :class:`Kind` base: one object per problem kind that owns everything
the rest of the code used to ask with ``if kind == ...``.

A kind owns its name and words, its spec fields and how they are read, its
methods and what each honours (bounds, constraints, payloads, options), its
contribution to the structure hash (through its reader), its solver adapter,
its warm-start mapping, its advisor features and memory estimate, and what the
GUI needs to know. Modelled on scipy's ``optimize/_minimize.py``: one dispatch
table (:mod:`.registry`), per-method facts and option checks.

Kinds never import each other (an import-linter contract says so); what two
kinds share lives in :mod:`.mapping`, :mod:`.memory` or :mod:`warmdesk.core.solvers`.
See ``docs/kinds.md`` for how to add one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from ..datasets import Dataset
from ..expressions import Expression
from ..method_facts import NO_BOUNDS, MethodFacts
from ..problem_types import Problem, Variable
from ..runs import Run
from ..solvers.base import SolveContext, WarmStart
from .memory import MemoryNeed

#: (type, low, high) per option name: see :mod:`warmdesk.core.solvers.options`.
OptionRules = Mapping[str, tuple[str, float, float]]
#: x (flat) -> (objective, constraint violation), for the advisor.
Merit = Callable[[np.ndarray], tuple[float, float]]


class FieldReader(Protocol):
    """What a kind's :meth:`Kind.read` may ask of the spec reader
    (:class:`warmdesk.core.spec_reader.SpecReader`, which sits above the kinds):
    each method checks one field, reports what is wrong with :meth:`fail` and
    returns what it could read."""

    errors: list[tuple[str, str]]

    def fail(self, fld: str, message: str) -> None: ...

    def show(self, value: Any) -> str: ...

    def variables(self, fld: str, variables: Any,
                  need_start: bool = True) -> list[Variable]: ...

    def expression(self, fld: str, text: Any, names: list[str]) -> Expression | None: ...

    def dataset(self, d: dict[str, Any]) -> Dataset | None: ...

    def column(self, fld: str, value: Any, dataset: Dataset) -> str: ...

    def number_field(self, d: dict[str, Any], key: str, default: float, low: float,
                     high: float = math.inf, low_open: bool = False) -> float: ...

    def all_names(self, p: Problem) -> list[str]: ...

    def no_clash(self, p: Problem, columns: list[str]) -> None: ...


@dataclass(frozen=True)
class Words:
    """How the kind's things are named for users."""

    unknowns: str = "variables"        #: the spec field of the unknowns (and editor group)
    unknown: str = "variable"          #: one of them, in messages
    tab: str = "Variables"             #: the editor tab that edits them
    evaluations: str = "evaluations"   #: what a run's evaluation count counts
    solution: str = "solution"         #: what a converged run's result is called
    unfinished: str = "last iterate"   #: ... and an unfinished run's
    matrix: str = "n x n matrices"     #: the method's big matrices (memory messages)
    size_field: str = "variables"      #: the spec field that sets the number of unknowns


@dataclass(frozen=True)
class FormField:
    """One spec field as the app's generic form edits it (for a kind without a
    form of its own): ``expression`` (checked as typed, with the names in
    scope), ``number``, ``text``, or ``json`` (a JSON value, or plain text)."""

    name: str
    type: Literal["expression", "number", "text", "json"] = "json"
    label: str = ""      #: empty: the name, capitalised
    tip: str = ""


class Kind:
    """One problem kind. Subclasses set the class attributes and override the
    methods their kind needs; the defaults suit a restart kind with variables."""

    name: str = ""
    #: What the kind does, in a line (the editor's tooltip for it).
    tip: str = ""
    #: The spec fields of this kind (beyond the common ones).
    fields: frozenset[str] = frozenset()
    #: method -> what it honours, in the order offered to users.
    methods: Mapping[str, MethodFacts] = {}
    default_method: str = ""
    words: Words = Words()
    #: method -> n x n matrices alive at the peak (memory estimate).
    matrix_copies: Mapping[str, int] = {}

    #: Its runs end with an objective value (``run.fun``); an ode's end with a state.
    has_objective: bool = True

    # -- advisor and guard features
    #: Candidates are ranked by the new problem's merit (else: by checkpoints).
    has_merit: bool = True
    #: Cold runs of the same structure are references for the guard and the
    #: worse-than-cold check (an ode run has no objective to compare).
    has_cold_references: bool = True
    #: Objective values of two parameter sets compare directly (else the guard
    #: compares progress as a fraction: the data and the loss scale differ).
    compares_objective_values: bool = False
    #: How many times lower than at the default start the new objective must be
    #: at a *different problem's* start (another structure, mapped by name) for
    #: the advisor to offer it (:func:`~warmdesk.core.advisor.merit.different_problem_bar`).
    #: 1: any lower value will do (a network fine-tuned from another data set's
    #: model: reusing what was learnt elsewhere is the point, and its guard
    #: checks the generalization it costs).
    different_problem_factor: float = 10.0
    #: Its warm starts are guarded by validation loss against cold seeds (a
    #: network: :mod:`warmdesk.core.advisor.training_guard`), not by work.
    guards_generalization: bool = False
    #: A failed run keeps its last finite iterate as a warm-start source.
    keeps_last_iterate: bool = True

    # -- what the GUI needs to know
    #: The editor shows the Variables (or State) and Parameters tabs.
    edits_variables: bool = True
    #: The spec reads a data file (the editor's Data tab; relative paths move).
    uses_dataset: bool = False
    #: A history row's "fun" column is empty; the curve's y is the time reached.
    curve_is_time: bool = False
    #: File > New problem's entry for this kind (with its mnemonic) and its tip;
    #: empty: see :meth:`new_problem_entry`.
    menu_text: str = ""
    menu_tip: str = ""
    #: The fields the app's generic form edits, typed (empty: see :meth:`form_fields`).
    form_field_types: tuple[FormField, ...] = ()

    @property
    def method_names(self) -> tuple[str, ...]:
        return tuple(self.methods)

    def facts(self, method: str) -> MethodFacts:
        return self.methods.get(method, NO_BOUNDS)

    def options(self, method: str) -> OptionRules:
        """The solver options ``method`` takes, with their types and ranges."""
        return {}

    def payloads(self, method: str) -> tuple[str, ...]:
        """The warm-start payloads ``method`` accepts."""
        return ("x0",)

    def read(self, reader: FieldReader, d: dict[str, Any], problem: Problem) -> None:
        """Read and check this kind's fields of spec ``d`` into ``problem``
        (errors go to ``reader.fail``); set ``problem.structure_extra`` for
        anything beyond the common structure keys."""
        raise NotImplementedError

    def check_solvable(self, problem: Problem, warm: WarmStart | None) -> None:
        """Raise :class:`SpecError` for input the solve would refuse at its start."""

    def solve(self, ctx: SolveContext) -> None:
        """The solver adapter: solve ``ctx.problem`` into ``ctx.run``."""
        raise NotImplementedError

    def warm_start(self, problem: Problem, run: Run) -> WarmStart:
        """The warm start a usable ``run`` of this kind offers ``problem``
        (with any solver state; raise :class:`WarmStartError` if none applies)."""
        raise NotImplementedError

    def merit(self, problem: Problem) -> Merit:
        """The new problem's judgement of a start point (see :attr:`has_merit`)."""
        raise ValueError(f"no merit for kind {self.name!r}")

    def memory_needs(self, problem: Problem) -> list[MemoryNeed]:
        """The big terms of the memory a solve of ``problem`` needs."""
        return []

    def method_note(self, method: str) -> str:
        """What a method can do, in a line (the editor shows it under the method)."""
        f = self.facts(method)
        notes = ["honours bounds" if f.bounds else
                 "takes no bounds (a spec with bounds is refused)",
                 "handles constraints" if f.constraints else "no constraints"]
        if not f.gradient:
            notes.append("uses no gradient")
        return "; ".join(notes).capitalize() + "."

    def new_problem_entry(self) -> tuple[str, str]:
        """File > New problem's text and tip for this kind (defaults from its name)."""
        return (self.menu_text or "&" + self.name.capitalize(),
                self.menu_tip or f"A new {self.name} problem")

    def form_fields(self) -> tuple[FormField, ...]:
        """What a generic form edits: the declared :attr:`form_field_types`, else
        every field the other tabs do not edit (the unknowns, ``data``) as JSON."""
        if self.form_field_types:
            return self.form_field_types
        elsewhere = {self.words.unknowns} if self.edits_variables else set()
        if self.uses_dataset:
            elsewhere.add("data")
        return tuple(FormField(f) for f in sorted(self.fields - elsewhere))

    def starter(self) -> tuple[dict[str, Any], bool]:
        """A small valid starter spec (without format, name, kind) for a new
        problem, and whether its data path is relative to the bundled examples."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<kind {self.name}>"


def read_target_and_features(reader: FieldReader, d: dict[str, Any], p: Any) -> bool:
    """``target`` and ``features`` of a data-fitting kind (train, network): the
    features default to every column but the target. Sets ``p.target`` and
    ``p.features``; False when ``features`` is not a list to go on with."""
    p.target = reader.column("target", d.get("target"), p.dataset)
    features = d.get("features")
    if features is None:
        features = [c for c in p.dataset.columns if c != p.target]
    if not isinstance(features, list) or not features:
        reader.fail("features", "must be a non-empty list of column names")
        return False
    for i, f in enumerate(features):
        reader.column(f"features[{i}]", f, p.dataset)
        if f == p.target:
            reader.fail(f"features[{i}]", "the target cannot be a feature")
    p.features = [str(f) for f in features]
    return True
