"""No import cycles inside ``warmdesk`` at module level (issue 15, item 6).

import-linter has no cycle contract, so this test builds the graph itself from
the source with :mod:`ast`: an edge ``a -> b`` for every import of a
``warmdesk`` module that runs when ``a`` is imported (module level, including
``if``/``try`` blocks and class bodies; not imports inside functions, nor those
under ``if TYPE_CHECKING:``). Any strongly connected component of more than one
module (or a module importing itself) is a cycle, and the test names it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "warmdesk"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

#: Cycles that exist today, each the set of modules in it. The test fails if
#: a cycle appears that is not inside one of these; shrink this list as
#: cycles are broken, never grow it. (Empty: none today.)
KNOWN_CYCLES: list[frozenset[str]] = []

Graph = dict[str, set[str]]


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_statements(body: list[ast.stmt], lazy: bool = False) -> Iterator[ast.stmt]:
    """Statements executed when the module is imported: not function bodies
    (unless ``lazy``: then imports inside functions count too), never
    ``if TYPE_CHECKING:`` blocks (their ``else`` does run)."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not lazy:
            continue
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _runtime_statements(node.orelse, lazy)
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _runtime_statements(getattr(node, field, []) or [], lazy)
        for handler in getattr(node, "handlers", []) or []:
            yield from _runtime_statements(handler.body, lazy)
        for case in getattr(node, "cases", []) or []:
            yield from _runtime_statements(case.body, lazy)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of ``from <module> import ...`` in module ``current``."""
    if node.level == 0:
        return node.module or ""
    base = current.split(".")
    if not is_package:
        base.pop()
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path = ROOT, lazy: bool = False) -> Graph:
    """``module -> the warmdesk modules it imports at module level`` (and, if
    ``lazy``, inside functions too)."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: Graph = {name: set() for name in files}

    def known(name: str) -> str | None:
        """``name`` or its nearest enclosing module that is ours."""
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _runtime_statements(tree.body, lazy):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(name, path.name == "__init__.py", node)
                # ``from pkg import sub`` imports the submodule ``pkg.sub``
                targets = [f"{source}.{alias.name}" for alias in node.names]
            for target in targets:
                if target.split(".")[0] == PACKAGE and (hit := known(target)):
                    graph[name].add(hit)
    return graph


def cycles(graph: Graph) -> list[frozenset[str]]:
    """The strongly connected components that are cycles (Tarjan's algorithm,
    iterative so a deep graph cannot overflow the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(frozenset(component))
    return found


def describe(graph: Graph, component: frozenset[str]) -> str:
    """One concrete cycle through ``component``, as ``a -> b -> ... -> a``."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & component):
            if child == start:
                return " -> ".join(paths[node] + [start])
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    raise AssertionError(f"{sorted(component)} is not a cycle")


def test_no_new_import_cycles() -> None:
    graph = import_graph()
    new = [c for c in cycles(graph) if not any(c <= known for known in KNOWN_CYCLES)]
    assert not new, (
        "import cycles at module level (break them, e.g. by moving the shared "
        "part into a module both import):\n"
        + "\n".join(describe(graph, c) for c in new))


#: Cycles that only imports inside functions close (a late import hides a
#: cycle, it does not remove it). Empty since the kinds became plug-ins
#: (issue 15): never grow it.
KNOWN_LAZY_CYCLES: list[frozenset[str]] = []


def test_no_import_cycles_even_through_imports_inside_functions() -> None:
    graph = import_graph(lazy=True)
    new = [c for c in cycles(graph) if not any(c <= known for known in KNOWN_LAZY_CYCLES)]
    assert not new, (
        "import cycles closed by imports inside functions (a late import hides a "
        "cycle; break it by layering instead):\n"
        + "\n".join(describe(graph, c) for c in new))


@pytest.fixture
def tiny_package(tmp_path: Path) -> Path:
    """A throwaway ``warmdesk`` package with a cycle a -> b -> c -> a, an import
    inside a function (not an edge) and one under TYPE_CHECKING (not one either)."""
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("try:\n    from ..c import thing\nexcept ImportError:\n"
                                      "    pass\n")
    (pkg / "c.py").write_text("import warmdesk.a\nthing = 1\n")
    (pkg / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from . import a\n\ndef f():\n    from . import c\n")
    return pkg


def test_the_graph_sees_cycles_and_skips_lazy_imports(tiny_package: Path) -> None:
    graph = import_graph(tiny_package)
    assert graph["warmdesk.d"] == set()
    assert graph["warmdesk.a"] == {"warmdesk.sub.b"}
    assert graph["warmdesk.sub.b"] == {"warmdesk.c"}
    found = cycles(graph)
    assert found == [frozenset({"warmdesk.a", "warmdesk.sub.b", "warmdesk.c"})]
    assert describe(graph, found[0]) == "warmdesk.a -> warmdesk.sub.b -> warmdesk.c -> warmdesk.a"


def test_the_lazy_graph_counts_imports_inside_functions(tiny_package: Path) -> None:
    graph = import_graph(tiny_package, lazy=True)
    assert graph["warmdesk.d"] == {"warmdesk.c"}  # TYPE_CHECKING still skipped
