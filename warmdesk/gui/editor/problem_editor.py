"""The problem editor: create and edit problems of every registered kind in forms.

Layout: name, kind, tags and description at the top; tabs for the variables
(or ODE state), the parameters, the kind's model (expressions, columns,
settings), the data file with a preview, and the solver; a status line and
the list of problems (click one to go to its field) at the bottom.

How edits become a :class:`~warmdesk.core.problems.Problem`: every edit
restarts a 300 ms timer; then :meth:`ProblemEditor.spec` is validated by the
core's ``problem_from_dict`` in the background (it may read a CSV) under a
generation number, so the result of an older edit is dropped. A valid result
is emitted as ``problem_changed``; ``validity_changed`` carries every error
with its field path, as the core words it. Expressions are also checked on
each keystroke (on the GUI thread: microseconds) and their errors marked.

Fields the forms do not model are kept from the loaded spec, and untouched
fields keep their loaded values exactly, so loading a spec and changing
nothing gives back the same spec (with ``format`` and ``solver`` filled in, as
the core normalises it). Invalid text stays in its field (the spec then holds
it as typed, and the core names the field).

Opening a file (:meth:`ProblemEditor.load_file`) reads it in the background.
A file that is not a JSON object (unreadable, malformed JSON, a list) changes
nothing in the editor: the reason is shown above the status line and
``load_failed`` is emitted. A JSON object with bad fields is shown in the
forms with its errors listed, ready to be fixed and saved.
Saving (:meth:`ProblemEditor.save_file`) writes in the background (temp file,
then ``os.replace``) and emits ``saved`` or ``save_failed``; a relative data
path is rewritten when the problem moves to another folder.

Unsaved edits: :meth:`ProblemEditor.is_modified` tells whether the spec differs
from the one last loaded or saved (``modified_changed`` when that flips). An
edit marks it at once; the debounced check compares the specs, so an edit
undone by hand clears the mark again.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QScrollArea, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from ...core.kinds.registry import find_kind, kinds
from ...core.kinds.registry import kind as kind_of
from ...core.problems import FORMAT, Problem, fit_target_columns
from ...core.runs import Run
from ..background import run_in_background
from .data import DataPicker
from .expression import ERROR_COLOR
from .files import check_spec, read_spec_file, spec_json, write_atomic
from .forms import GenericForm, form_for
from .header import HeaderForm
from .model import MinimizeForm, ModelForm, OdeForm, names_hint
from .model_data import FitForm
from .solver import SolverPanel
from .starters import starter_spec
from .status import MODEL_TAB, StatusPanel, tab_of_field
from .values import error_lines, rebase_data_file
from .variables import ParametersTable, VariablesTable

STYLE = """
QLabel#hint { color: #666; }
QLabel#kind_label { padding: 0 4px; }
QTableView::item { padding: 0px 5px; }
"""


class ProblemEditor(QWidget):
    """Forms for a problem spec of any kind, validated as it is edited."""

    problem_changed = Signal(object)      # a valid Problem (debounced, after validation)
    validity_changed = Signal(bool, str)  # ok, every error with its field path ("" when ok)
    file_changed = Signal(str)            # the current file ("" when unsaved)
    saved = Signal(str)                   # a save_file finished: the path
    save_failed = Signal(str)             # a save_file failed: why
    load_failed = Signal(str)             # load_file could not read a spec: why (nothing changed)
    modified_changed = Signal(bool)       # the edits now differ (True) or not from the file

    DEBOUNCE_MS = 300

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current_path: Path | None = None
        self._base: dict[str, Any] = {}
        self._base_dir: Path | None = None
        self._kind = kinds()[0].name
        self._is_new = False
        self._loading = False
        self._problem: Problem | None = None
        self._pending = True
        self._generation = 0
        self._load_generation = 0
        self._last_validity: tuple[bool, str] | None = None
        self._clean_spec: dict[str, Any] = {}   # as last loaded or saved
        self._modified = False
        self.edit_count = 0                      # edits so far (a later edit is a new one)
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DEBOUNCE_MS)
        self._timer.timeout.connect(self._validate)
        self.new_problem(self._kind)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.header = HeaderForm()
        self.variables = VariablesTable()
        self.parameters = ParametersTable()
        #: kind name -> its Model form (see :mod:`.forms`), in the stack's order;
        #: a kind registered after the editor was built gets its form when first shown.
        self.forms: dict[str, ModelForm] = {}
        self.model_stack = QStackedWidget()
        for plugin in kinds():
            self._add_form(plugin.name)
        self.data = DataPicker()
        self.solver = SolverPanel()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for widget, title in ((self.variables, "Variables"), (self.parameters, "Parameters"),
                              (self.model_stack, "Model"), (self.data, "Data"),
                              (self.solver, "Solver")):
            self.tabs.addTab(widget, title)
        self.status_panel = StatusPanel()
        self.setStyleSheet(STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status_panel)
        for section in (self.header, self.variables, self.parameters, self.data, self.solver):
            section.edited.connect(self._edited)
        self.header.kind_chosen.connect(self._kind_chosen)
        self.data.columns_changed.connect(self._columns_changed)
        self.status_panel.field_clicked.connect(self._go_to_field)

    def _add_form(self, kind: str) -> ModelForm:
        form = self.forms[kind] = form_for(kind_of(kind))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(form)
        self.model_stack.addWidget(scroll)
        form.edited.connect(self._edited)
        return form

    # ------------------------------------------------------------------ public API
    def new_problem(self, kind: str) -> None:
        """A new, unsaved problem of ``kind`` with starter content that validates."""
        spec, base_dir = starter_spec(kind)
        self._render(spec, base_dir, None, is_new=True)

    def set_spec(self, spec: dict, base_dir: Path | None = None, path: Path | None = None) -> None:
        """Edit ``spec`` (relative data paths read from ``base_dir``); ``path`` is its file,
        None for an unsaved problem (such as a new problem from an earlier run)."""
        if not isinstance(spec, dict):
            raise TypeError(f"a problem spec is a dict, not {type(spec).__name__}")
        self._render(spec, Path(base_dir) if base_dir else None, Path(path) if path else None,
                     is_new=False)

    def new_from_run(self, run: Run) -> None:
        """'New problem from this run': its spec, unsaved, to vary and solve again."""
        base = run.info.get("base_dir")
        self.set_spec(copy.deepcopy(run.problem), Path(base) if base else None, None)

    def spec(self) -> dict:
        """The spec as currently edited (it may be invalid)."""
        spec = copy.deepcopy(self._base)
        kind, plugin = self._kind, kind_of(self._kind)
        self.header.apply(spec)
        if plugin.edits_variables:
            self.variables.apply(spec, plugin.words.unknowns)
            self.parameters.apply(spec, "parameters")
        self.forms[kind].apply(spec)
        if plugin.uses_dataset:
            self.data.apply(spec)
        self.solver.apply(spec)
        return spec if "format" in spec else {"format": FORMAT, **spec}

    def base_dir(self) -> Path | None:
        """The folder relative data paths of the edited spec are read from."""
        return self._base_dir

    def problem(self) -> Problem | None:
        """The validated problem for the current edits (None while invalid or being checked)."""
        return None if self._pending else self._problem

    def is_checking(self) -> bool:
        """An edit is waiting to be validated (``problem()`` is None meanwhile)."""
        return self._pending

    def is_valid(self) -> bool:
        return self.problem() is not None

    def set_parameter(self, name: str, value: float | list[float]) -> None:
        """Change a parameter as a user edit would (KeyError if there is no such parameter)."""
        value = value.tolist() if hasattr(value, "tolist") else value
        if isinstance(value, list):
            value = [float(v) for v in value]
        else:
            value = float(value)
        if not self.parameters.set_value(name, value):
            raise KeyError(f"no parameter named {name!r}")

    def load_file(self, path: Path) -> None:
        """Read a problem file in the background, then edit it (see the module doc for bad
        files)."""
        path = Path(path)
        self._load_generation += 1
        generation = self._load_generation
        self.status_panel.show_banner(f"Opening {path.name}…", error=False)
        run_in_background(lambda: read_spec_file(path),
                          lambda data: self._file_read(generation, path, data),
                          lambda message: self._file_failed(generation, path, message), owner=self)

    def save_file(self, path: Path) -> None:
        """Write ``spec()`` as JSON to ``path`` in the background (atomically)."""
        path = Path(path)
        spec = self.spec()
        new_dir = path.parent
        data = spec.get("data")
        rebased = None
        if (kind_of(self._kind).uses_dataset and isinstance(data, dict)
                and isinstance(data.get("file"), str)):
            rebased = rebase_data_file(data["file"], self._base_dir, new_dir)
            data["file"] = rebased
        try:
            text = spec_json(spec)
        except (TypeError, ValueError) as exc:
            self._save_failed(path, f"the spec cannot be written as JSON: {exc}")
            return
        run_in_background(lambda: write_atomic(path, text),
                          lambda _none: self._saved(path, rebased, spec),
                          lambda message: self._save_failed(path, message), owner=self)

    def is_modified(self) -> bool:
        """The problem has edits that are in no file (see the module docstring)."""
        return self._modified

    def display_name(self) -> str:
        """The problem's file name, else its name: how the user knows it."""
        if self.current_path is not None:
            return self.current_path.name
        return str(self._clean_spec.get("name") or "new problem")

    def take_over(self, other: ProblemEditor) -> None:
        """Edit what ``other`` edits, unsaved edits and all; ``other`` then has
        nothing left to lose (a library switch moves the problem to a new window)."""
        self.set_spec(other.spec(), other.base_dir(), other.current_path)
        self._clean_spec = copy.deepcopy(other._clean_spec)
        self._set_modified(other.is_modified())
        other._clean_spec = other.spec()
        other._set_modified(False)

    def status_text(self) -> str:
        """The validity line (what a user reads under the tabs)."""
        return self.status_panel.status.text()

    # ------------------------------------------------------------------ loading into forms
    def _render(self, spec: dict[str, Any], base_dir: Path | None, path: Path | None,
                is_new: bool) -> None:
        self._base = copy.deepcopy(spec)
        self._base_dir = base_dir
        self.current_path = path
        self._is_new = is_new
        kind = spec.get("kind")
        self._kind = kind if isinstance(kind, str) and find_kind(kind) else kinds()[0].name
        if self._kind not in self.forms:
            self._add_form(self._kind)
        self._loading = True
        try:
            self.header.load(spec, is_new)
            plugin = kind_of(self._kind)
            self.variables.set_state_mode(plugin.words.unknowns == "state")
            self.variables.load(spec.get(plugin.words.unknowns))
            self.parameters.load(spec.get("parameters"))
            self.forms[self._kind].load(spec)
            if plugin.uses_dataset:
                self.data.load(spec, base_dir)
            self.solver.load(self._kind, spec)
            self._arrange_tabs()
        finally:
            self._loading = False
        self.status_panel.hide_banner()
        self._last_validity = None
        self._clean_spec = self.spec()
        self._set_modified(False)
        self._refresh_names()
        self.file_changed.emit(str(path) if path else "")
        self._problem, self._pending = None, True
        self._validate()

    def _arrange_tabs(self) -> None:
        kind, plugin = self._kind, kind_of(self._kind)
        self.tabs.setTabText(0, plugin.words.tab)
        self.tabs.setTabVisible(0, plugin.edits_variables)
        self.tabs.setTabVisible(1, plugin.edits_variables)
        self.tabs.setTabVisible(3, plugin.uses_dataset)
        self.model_stack.setCurrentIndex(list(self.forms).index(kind))
        if not self.tabs.isTabVisible(self.tabs.currentIndex()) or self._is_new:
            self.tabs.setCurrentIndex(MODEL_TAB)

    def _kind_chosen(self, kind: str) -> None:
        def switch() -> None:
            if self._is_new:
                self.new_problem(kind)
            else:  # repairing a spec whose kind is no registered kind
                spec = self.spec()
                spec["kind"] = kind
                self._render(spec, self._base_dir, self.current_path, is_new=False)
        QTimer.singleShot(0, self, switch)

    def _file_read(self, generation: int, path: Path, data: dict[str, Any]) -> None:
        if generation == self._load_generation:
            self.set_spec(data, path.parent, path)

    def _file_failed(self, generation: int, path: Path, message: str) -> None:
        if generation != self._load_generation:
            return
        self.status_panel.show_banner(f"Could not open {path.name}: {message}\nThe editor "
                                      "still shows the previous problem.", error=True)
        self.load_failed.emit(message)

    def _saved(self, path: Path, rebased: str | None, written: dict[str, Any]) -> None:
        self.current_path = path
        moved = self._base_dir is None or self._base_dir.resolve() != path.parent.resolve()
        self._base_dir = path.parent
        if self._is_new:
            self._is_new = False
            self.header.set_kind_editable(False)
        # relative paths now start from the new folder
        if kind_of(self._kind).uses_dataset and moved:
            text = rebased if rebased is not None else self.data.path.text()
            same = text == self.data.path.text()
            self.data.set_path_text(text, path.parent)  # a new text is an edit: checked again
            if same:
                self._edited()
        self._clean_spec = written
        self._set_modified(self.spec() != written)   # edits made while it was written stay marked
        self.status_panel.show_banner(f"Saved {path}", error=False)
        self.file_changed.emit(str(path))
        self.saved.emit(str(path))

    def _save_failed(self, path: Path, message: str) -> None:
        self.status_panel.show_banner(f"Could not save {path.name}: {message}", error=True)
        self.save_failed.emit(message)

    # ------------------------------------------------------------------ edits and checking
    def _edited(self) -> None:
        if self._loading:
            return
        self.edit_count += 1
        self._set_modified(True)
        self._refresh_names()
        self._problem, self._pending = None, True
        self.status_panel.show_checking()
        self._timer.start()

    def _columns_changed(self, columns: list[str] | None) -> None:
        self.forms[self._kind].set_columns(columns)
        self._refresh_names()

    def _refresh_names(self) -> None:
        """Tell the expressions which names they may use (as the core builds the set)."""
        kind, plugin = self._kind, find_kind(self._kind)
        if plugin is None:   # unregistered since: _validate says so
            return
        variables = self.variables.names() if plugin.edits_variables else []
        parameters = self.parameters.names() if plugin.edits_variables else []
        form = self.forms[kind]
        groups = [(plugin.words.unknowns, variables),
                  ("parameters", parameters)]
        if isinstance(form, MinimizeForm):
            form.set_names(variables + parameters)
        elif isinstance(form, FitForm):
            columns = self.data.columns
            taken = fit_target_columns(form.target_column(), columns or [])
            usable = [c for c in columns or [] if c not in taken]
            form.set_names(variables + parameters + usable, open_names=columns is None)
            groups.append(("columns", usable) if columns is not None
                          else ("columns", ["(reading the data file…)"]))
        elif isinstance(form, GenericForm):
            form.set_names(variables + parameters)
        elif isinstance(form, OdeForm):
            form.set_states(variables, variables + parameters + ["t"])
            groups.append(("time", ["t"]))
        form.names_hint.setText(names_hint(groups))

    def _local_problems(self) -> list[tuple[str, str]]:
        plugin = kind_of(self._kind)
        found = self.forms[self._kind].local_problems()
        if not plugin.edits_variables:
            return found
        return (self.variables.problems(plugin.words.unknowns)
                + self.parameters.problems("parameters") + found)

    def _set_modified(self, modified: bool) -> None:
        if modified != self._modified:
            self._modified = modified
            self.modified_changed.emit(modified)

    def _validate(self) -> None:
        self._timer.stop()
        self._generation += 1
        generation = self._generation
        if find_kind(self._kind) is None:   # unregistered since (a plug-in unloaded)
            self._problem = None
            gone = [("kind", f"the kind '{self._kind}' is no longer available: "
                             "choose File > New problem")]
            self.status_panel.show_problems(gone)
            self._set_validity(False, error_lines(gone))
            return
        spec, local, base_dir = self.spec(), self._local_problems(), self._base_dir
        self._set_modified(spec != self._clean_spec)
        self.status_panel.show_checking()
        run_in_background(lambda: check_spec(spec, base_dir),
                          lambda result: self._checked(generation, local, result),
                          lambda message: self._checked(generation, local,
                                                        (None, [("(check)", message)])),
                          owner=self)

    def _checked(self, generation: int, local: list[tuple[str, str]],
                 result: tuple[Problem | None, list[tuple[str, str]]]) -> None:
        if generation != self._generation or self._timer.isActive():
            return  # an older edit's result
        problem, problems = result
        problems = local + problems
        self._pending = False
        self._mark_tabs(problems)
        self.solver.show_problems(problems)
        self.forms[self._kind].show_problems(problems)
        self.forms[self._kind].show_problem(None if problems else problem)
        if problems or problem is None:
            self._problem = None
            self.status_panel.show_problems(problems)
            self._set_validity(False, error_lines(problems))
            return
        self._problem = problem
        self.status_panel.show_ok(self._summary(problem))
        self._set_validity(True, "")
        self.problem_changed.emit(problem)

    def _summary(self, problem: Problem) -> str:
        parts = [problem.kind, f"{problem.size} unknowns"]
        if problem.dataset is not None:
            parts.append(f"{problem.dataset.rows} data rows")
        return ", ".join(parts) + f", method {problem.method}"

    def _set_validity(self, ok: bool, message: str) -> None:
        if self._last_validity != (ok, message):
            self._last_validity = (ok, message)
            self.validity_changed.emit(ok, message)

    def _mark_tabs(self, problems: list[tuple[str, str]]) -> None:
        bad = {tab_of_field(field) for field, _ in problems}
        normal = self.tabs.palette().color(self.tabs.foregroundRole())
        for index in range(self.tabs.count()):
            self.tabs.tabBar().setTabTextColor(index, ERROR_COLOR if index in bad else normal)

    def _go_to_field(self, field: str) -> None:
        index = tab_of_field(field)
        if index >= 0 and self.tabs.isTabVisible(index):
            self.tabs.setCurrentIndex(index)
        for expression in self.forms[self._kind].expression_fields():
            if field == expression.field or field.startswith(expression.field + "."):
                expression.edit.setFocus()
        if field == "solver.method":
            self.solver.method.setFocus()
        head = field.split(".")[0]
        if head in ("name", "tags", "description"):
            getattr(self.header, head).setFocus()
