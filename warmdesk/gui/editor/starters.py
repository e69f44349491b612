"""Starter content for a new problem of each kind: small, valid, and a pattern to
edit. ``fit`` and ``train`` starters read a CSV of the bundled examples (their
folder is the spec's folder until the problem is saved elsewhere, when the
data path is rewritten to still point at it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...core.kinds.registry import kind as kind_of
from ...core.problems import FORMAT, KINDS
from ...resources_path import examples_dir


def starter_spec(kind: str) -> tuple[dict[str, Any], Path | None]:
    """The starter spec for ``kind`` and the folder its relative data path is read from."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    head: dict[str, Any] = {"format": FORMAT, "name": f"new {kind} problem", "kind": kind}
    body, reads_examples = kind_of(kind).starter()  # each kind owns its starter
    return {**head, **body}, examples_dir() if reads_examples else None
