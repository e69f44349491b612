"""Starter content for a new problem of each kind: small, valid, and a pattern to
edit. ``fit`` and ``train`` starters read a CSV of the bundled examples (their
folder is the spec's folder until the problem is saved elsewhere, when the
data path is rewritten to still point at it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...core.kinds.registry import find_kind, kinds
from ...core.problems import FORMAT
from ...resources_path import examples_dir


def starter_spec(kind: str) -> tuple[dict[str, Any], Path | None]:
    """The starter spec for ``kind`` and the folder its relative data path is read from."""
    plugin = find_kind(kind)
    if plugin is None:
        names = ", ".join(k.name for k in kinds())
        raise ValueError(f"kind must be one of {names} (got {kind!r})")
    head: dict[str, Any] = {"format": FORMAT, "name": f"new {kind} problem", "kind": kind}
    try:
        body, reads_examples = plugin.starter()  # each kind owns its starter
    except NotImplementedError:  # a kind without one opens empty, its errors listed
        body, reads_examples = {}, False
    return {**head, **body}, examples_dir() if reads_examples else None
