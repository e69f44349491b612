"""The library alone speaks SQL (issue 15, item 4), checked from the source
with :mod:`ast`, imports inside functions included (import-linter's contracts
in pyproject.toml see the same for ``warmdesk`` at module level):

- only ``warmdesk/core/library/sql.py`` imports sqlite3 (tests and
  benchmarks may, to make or inspect a library file as another program would);
- no module of ``warmdesk`` outside the library holds SQL text;
- nothing outside the library (the advisor first) imports one of its
  modules: only its public package, ``warmdesk.core.library``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "warmdesk"
LIBRARY = PACKAGE / "core" / "library"
THE_WRAPPER = LIBRARY / "sql.py"
ADVISOR = PACKAGE / "core" / "advisor"
#: A statement as a string literal: what only the library may hold.
SQL_TEXT = re.compile(r"\b(SELECT\b.*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM|"
                      r"UPDATE\s+\w+\s+SET|PRAGMA\s+\w+|CREATE\s+(TABLE|INDEX))\b", re.S)


def _sources(folder: Path) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imported(path: Path, tree: ast.Module) -> Iterator[tuple[str, int]]:
    """Every module an import statement in ``tree`` names (relative ones resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module, node.lineno
            # ``from pkg import name`` may name a module of pkg
            yield from ((f"{module}.{alias.name}", node.lineno) for alias in node.names)


def test_only_the_wrapper_imports_sqlite3() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{line}"
                 for path, tree in _sources(PACKAGE) if path != THE_WRAPPER
                 for module, line in _imported(path, tree)
                 if module == "sqlite3" or module.startswith("sqlite3.")]
    assert offenders == [], f"sqlite3 imported outside warmdesk/core/library/sql.py: {offenders}"


def test_no_sql_text_outside_the_library() -> None:
    offenders = []
    for path, tree in _sources(PACKAGE):
        if LIBRARY in path.parents:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    SQL_TEXT.search(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], f"SQL text outside warmdesk/core/library: {offenders}"


def _private_imports(folder: Path) -> list[str]:
    private = {f"warmdesk.core.library.{p.stem}" for p in LIBRARY.glob("*.py")
               if p.stem != "__init__"}
    return [f"{path.relative_to(ROOT)}:{line} imports {module}"
            for path, tree in _sources(folder) if LIBRARY not in path.parents
            for module, line in _imported(path, tree) if module in private]


def test_the_advisor_uses_the_library_package_only() -> None:
    assert _private_imports(ADVISOR) == []


def test_nothing_outside_the_library_imports_its_modules() -> None:
    assert _private_imports(PACKAGE) == []


def test_the_checks_see_what_they_look_for() -> None:
    """The patterns are live: the library's own modules match them."""
    tree = ast.parse(THE_WRAPPER.read_text(encoding="utf-8"))
    assert any(m == "sqlite3" for m, _ in _imported(THE_WRAPPER, tree))
    assert SQL_TEXT.search("SELECT f.run_id FROM run_features f")
    assert SQL_TEXT.search("PRAGMA user_version")
    assert not SQL_TEXT.search("select the runs from the library")
    fake = ADVISOR / "advice.py"
    imports = set(m for m, _ in _imported(fake, ast.parse("from ..library.features import x")))
    assert "warmdesk.core.library.features" in imports
