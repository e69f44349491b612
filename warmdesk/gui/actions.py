"""Every user action declared once (id, text, shortcut, tip, menu) with what it
does (:func:`window_handlers`); the menus and the toolbar are built from these
declarations. Also declared here: the context actions on runs (the library
table's menu, built by ``library/edit_commands.py``) and View > Panels (each
dock's own show/hide toggle)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QPushButton, QToolBar

from ..core.kinds.registry import kinds
from .about import about_box
from .user_guide import show_user_guide

if TYPE_CHECKING:
    from .main_window import MainWindow


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    menu: str
    shortcut: str | QKeySequence.StandardKey | None = None
    tip: str = ""
    toolbar: bool = False
    submenu: str | None = None
    separator: bool = False     # a separator above it in its menu


NEW_PROBLEM_MENU = "&New problem"


def new_problem_actions() -> tuple[ActionSpec, ...]:
    """File > New problem: one entry per registered kind, in the registry's order
    (ids ``new_<kind>``; Ctrl+N makes a problem of the first kind)."""
    entries = []
    for i, k in enumerate(kinds()):
        text, tip = k.new_problem_entry()
        entries.append(ActionSpec(f"new_{k.name}", text, "&File",
                                  QKeySequence.StandardKey.New if i == 0 else None, tip,
                                  submenu=NEW_PROBLEM_MENU))
    return tuple(entries)


#: The fixed actions (File > New problem's entries come first: :func:`all_actions`).
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "&Open…", "&File", QKeySequence.StandardKey.Open,
               "Open a problem or a sweep (.json) or import run files (.wdrun)", toolbar=True),
    ActionSpec("open_sweep", "Open s&weep…", "&File", None,
               "Open a sweep file (warmdesk.sweep/1): a problem solved over a range of its "
               "parameters, each point warm-started from its neighbour"),
    ActionSpec("open_library_sweep", "Open sweep from li&brary…", "&File", None,
               "Draw a sweep whose runs are in the library (from `warmdesk sweep` or an "
               "earlier session) in the Sweep tab"),
    ActionSpec("new_sweep", "New sweep from the &problem…", "&File", None,
               "Sweep the problem being edited over its parameters"),
    ActionSpec("save_problem", "&Save problem", "&File", QKeySequence.StandardKey.Save,
               "Save the problem being edited"),
    ActionSpec("save_problem_as", "Save problem &as…", "&File", "Ctrl+Shift+S"),
    ActionSpec("export_runs", "&Export selected runs…", "&File", "Ctrl+E",
               "Write the selected runs to a .wdrun file"),
    ActionSpec("load_examples", "Load bundled e&xamples", "&File", None,
               "Solve the bundled example problems so their runs can seed warm starts",
               separator=True),
    ActionSpec("choose_library", "Use another &library folder…", "&File", None,
               "Open the run library in another folder (it is used from then on)",
               separator=True),
    ActionSpec("quit", "&Quit", "&File", QKeySequence.StandardKey.Quit),
    ActionSpec("undo", "&Undo", "&Edit", "Ctrl+Z", separator=True),
    ActionSpec("redo", "&Redo", "&Edit", "Ctrl+Shift+Z"),
    ActionSpec("find", "&Find runs", "&Edit", QKeySequence.StandardKey.Find,
               "Filter the library by name or notes"),
    ActionSpec("delete_runs", "&Delete selected runs", "&Edit", QKeySequence.StandardKey.Delete,
               separator=True),
    ActionSpec("solve", "&Solve", "&Run", "Ctrl+Return",
               "Solve the problem with the chosen warm start (guarded if the guard is on)",
               toolbar=True),
    ActionSpec("solve_cold", "Solve &cold", "&Run", "Ctrl+Shift+Return",
               "Solve the problem from its own start", toolbar=True),
    ActionSpec("interrupt_all", "&Interrupt all", "&Run", "Ctrl+.",
               "Stop every running solve, keeping what it reached", toolbar=True),
    ActionSpec("refresh_advice", "Refresh &suggestions", "&Run", QKeySequence.StandardKey.Refresh),
    ActionSpec("compare", "&Compare selected runs", "&View", "Ctrl+D",
               "Plot the selected runs together", toolbar=True),
    ActionSpec("export_plot", "Export &plot…", "&View", "Ctrl+Shift+E"),
    ActionSpec("details", "Run &details", "&View", "Ctrl+I"),
    ActionSpec("user_guide", "&User guide", "&Help", QKeySequence.StandardKey.HelpContents,
               "The user guide: the window, problems, warm starts, the library"),
    ActionSpec("warm_start_help", "What is a &warm start?", "&Help", None,
               "What a warm start is, what it reuses, and when it hurts"),
    ActionSpec("about", "&About WarmDesk", "&Help", None, separator=True),
)


def all_actions() -> tuple[ActionSpec, ...]:
    """Every action, as the kinds registered now make File > New problem."""
    return new_problem_actions() + ACTIONS


#: The context actions on runs: id, text, tip, how many runs it needs ("one" or
#: "some"), the view it belongs to (None: both, or "live"/"trash").
RUN_ACTIONS = (
    ("open", "Open", "Show the run's details (Enter, double-click)", "one", None),
    ("compare", "Compare (plot)", "Plot the selected runs together", "some", None),
    ("warm_start", "Use as warm start", "Warm-start the next solve from this run", "one", None),
    ("new_problem", "New problem from this run", "Open this run's problem in the editor",
     "one", None),
    ("show_sweep", "Show its sweep", "Draw the sweep this run belongs to in the Sweep tab",
     "one", "live"),
    ("export", "Export…", "Write the runs to a .wdrun file", "some", None),
    ("tag", "Tag…", "Add or remove tags", "some", None),
    ("rename", "Rename…", "Rename the run", "one", None),
    ("notes", "Notes…", "Edit the run's notes", "one", None),
    ("delete", "Delete", "Move the runs to the trash (Del; undoable)", "some", "live"),
    ("restore", "Restore", "Bring the runs back from the trash", "some", "trash"))
RUN_ACTION_SHORTCUTS = {"open": Qt.Key.Key_Return, "delete": QKeySequence.StandardKey.Delete}


def run_action_button(key: str) -> QPushButton:
    """A button for a context action on runs (the run details' "Use as warm
    start"...), with the text and tip declared in ``RUN_ACTIONS``."""
    text, tip = next((text, tip) for k, text, tip, _, _ in RUN_ACTIONS if k == key)
    return QPushButton(text, toolTip=tip, statusTip=tip)

#: View > Panels: one entry per dock (its own toggle action, so the check follows
#: the dock); a hidden dock's room goes to the library and the plot.
PANELS_MENU = ("&View", "&Panels")


def window_handlers(w: MainWindow) -> dict[str, Callable[[], object]]:
    """What each action of :func:`all_actions` does in the window ``w``, by id."""
    b, files = w.browser, w.files
    new_problem: dict[str, Callable[[], object]] = {
        f"new_{k.name}": (lambda name=k.name: files.new_problem(name)) for k in kinds()}
    return {
        **new_problem,
        "open": files.open_dialog, "open_sweep": w.sweeps.open_dialog,
        "open_library_sweep": w.sweeps.open_library_dialog,
        "new_sweep": w.sweeps.new_from_problem, "save_problem": files.save_problem,
        "save_problem_as": lambda: files.save_problem(ask=True),
        "export_runs": b.export_selected, "load_examples": w.load_examples,
        "choose_library": w.state.choose_library,
        "quit": w.close, "undo": b.undo_stack.undo,
        "redo": b.undo_stack.redo, "find": b.focus_filter,
        "delete_runs": b.delete_selected,
        "solve": lambda: w.launcher.solve(cold=False),
        "solve_cold": lambda: w.launcher.solve(cold=True),
        "interrupt_all": w.interrupt_all, "refresh_advice": w.warm_panel.refresh,
        "compare": lambda: w.plots.show_runs(b.selected_run_ids()),
        "export_plot": w.plot_tabs.export_dialog, "details": w.open_selected_details,
        "about": lambda: about_box(w, str(w.library.folder)),
        "user_guide": lambda: show_user_guide(w),
        "warm_start_help": lambda: show_user_guide(w, "warm-starts.md"),
    }


def build_actions(window: QMainWindow, handlers: dict[str, Callable[[], object]]
                  ) -> dict[str, QAction]:
    """Create the declared actions, connect each to its handler, and fill the
    menu bar and the main toolbar."""
    actions: dict[str, QAction] = {}
    menus: dict[str, QMenu] = {}
    submenus: dict[tuple[str, str], QMenu] = {}
    toolbar = QToolBar("Main", window)
    toolbar.setObjectName("main_toolbar")
    window.addToolBar(toolbar)
    for spec in all_actions():
        action = QAction(spec.text, window)
        action.setObjectName(f"action_{spec.id}")
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        handler = handlers.get(spec.id)
        if handler is not None:
            action.triggered.connect(lambda _checked=False, h=handler: h())
        menu = menus.get(spec.menu)
        if menu is None:
            menu = menus[spec.menu] = window.menuBar().addMenu(spec.menu)
        if spec.submenu:
            key = (spec.menu, spec.submenu)
            if key not in submenus:
                submenus[key] = menu.addMenu(spec.submenu)
            submenus[key].addAction(action)
        else:
            if spec.separator:
                menu.addSeparator()
            menu.addAction(action)
        if spec.toolbar:
            toolbar.addAction(action)
        actions[spec.id] = action
    return actions


def add_panel_actions(window: QMainWindow, docks: tuple[QDockWidget, ...]
                      ) -> dict[str, QAction]:
    """View > Panels: each dock can be hidden and brought back (by object name)."""
    top, sub = PANELS_MENU
    view = next((a.menu() for a in window.menuBar().actions() if a.menu() is not None
                 and a.text().replace("&", "") == top.replace("&", "")), None)
    menu = (view or window.menuBar().addMenu(top)).addMenu(sub)
    actions = {}
    for dock in docks:
        action = dock.toggleViewAction()
        action.setStatusTip(f"Show or hide the {dock.windowTitle()} panel")
        menu.addAction(action)
        actions[dock.objectName()] = action
    return actions
