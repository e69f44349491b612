"""Nothing outside ``warmdesk/core/kinds`` branches on a kind's name (issue 15).

The rest of the code asks the registry. The check reads the source with
:mod:`ast`: a comparison (``==``, ``!=``, ``in``, ``not in``) whose one side is
a kind's name as a string (or a tuple/list/set of them) and whose other side
is a name or attribute called ``kind`` (``kind``, ``problem.kind``,
``run.kind``, ``self._kind``) is a branch on the kind.
"""

from __future__ import annotations

import ast
from pathlib import Path

from warmdesk.core.kinds.registry import KIND_NAMES

ROOT = Path(__file__).resolve().parents[3] / "warmdesk"
KINDS_DIR = ROOT / "core" / "kinds"


def _is_kind_ref(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else (
        node.attr if isinstance(node, ast.Attribute) else "")
    return name.lstrip("_") == "kind"


def _is_kind_name(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in KIND_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts) and all(_is_kind_name(e) for e in node.elts)
    return False


def kind_branches(source: str, filename: str = "<src>") -> list[int]:
    """Line numbers of the comparisons of a kind reference with kind names."""
    lines = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for left, op, right in zip(sides, node.ops, sides[1:]):
            if not isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
                continue
            if ((_is_kind_ref(left) and _is_kind_name(right))
                    or (_is_kind_ref(right) and _is_kind_name(left))):
                lines.append(node.lineno)
    return lines


def test_the_check_sees_a_branch() -> None:
    assert kind_branches('if problem.kind == "ode":\n    pass\n') == [1]
    assert kind_branches('x = kind in ("fit", "train")\n') == [1]
    assert kind_branches('if "minimize" != self._kind:\n    pass\n') == [1]
    assert kind_branches('if tok.type == "op":\n    pass\n') == []
    assert kind_branches('if choice == "hand":\n    pass\n') == []


def test_nothing_outside_the_kinds_branches_on_a_kind() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if KINDS_DIR in path.parents:
            continue
        for line in kind_branches(path.read_text(encoding="utf-8"), str(path)):
            found.append(f"{path.relative_to(ROOT.parent)}:{line}")
    assert not found, "branches on a kind's name (ask core.kinds.registry):\n" + "\n".join(found)
