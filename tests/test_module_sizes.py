"""Modules stay small (issue 15, "done when"): none in ``warmdesk`` over 500
lines, and the median near 150.

The median leaves out the ``__init__.py`` files: most only name a package's
public API in a few lines and would pull the median down, hiding big modules.
"""

from __future__ import annotations

import statistics
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "warmdesk"
MAX_LINES = 500
MAX_MEDIAN = 160


def _sizes() -> dict[str, int]:
    return {str(path.relative_to(PACKAGE.parent)): len(path.read_text("utf-8").splitlines())
            for path in sorted(PACKAGE.rglob("*.py"))}


def test_no_module_is_over_500_lines() -> None:
    sizes = _sizes()
    assert len(sizes) > 100, "the package's modules were not found"
    too_big = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert too_big == {}, f"split these by responsibility (at most {MAX_LINES} lines): {too_big}"


def test_the_median_module_is_near_150_lines() -> None:
    sizes = {name: n for name, n in _sizes().items() if not name.endswith("__init__.py")}
    median = statistics.median(sizes.values())
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:5]
    print(f"{len(sizes)} modules (__init__.py aside): median {median:g} lines; "
          f"largest: {', '.join(f'{name} {n}' for name, n in largest)}")
    assert median <= MAX_MEDIAN
