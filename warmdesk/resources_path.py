"""Where the app's resources (icons, examples, desktop files) are, from a source
tree, an installed package or a frozen bundle. Qt-free."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "WARMDESK_RESOURCES"


def resources_dir() -> Path:
    """``$WARMDESK_RESOURCES``, else the bundle's ``resources`` (PyInstaller),
    else ``resources/`` beside the package (source tree and editable installs),
    else the copy installed inside the package."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "resources", here / "resources"):
        if (candidate / "examples").is_dir():
            return candidate
    return here.parent / "resources"


def examples_dir() -> Path:
    return resources_dir() / "examples"


def docs_dir() -> Path:
    """The user guide's pages (``docs/*.md``): ``resources/docs`` in a bundle (the
    PyInstaller spec copies them there) or under ``$WARMDESK_RESOURCES``, else
    ``docs/`` of the source tree."""
    bundled = resources_dir() / "docs"
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parent.parent / "docs"


def icon_path() -> Path:
    return resources_dir() / "icons" / "warmdesk.svg"
