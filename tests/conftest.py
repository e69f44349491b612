"""Test-wide setup: Qt renders offscreen (set before Qt is imported anywhere),
and the tests never touch the user's own folders.

:func:`private_home` gives the whole session a home of its own in pytest's
temporary folder, before any ``QApplication`` exists: ``HOME``, the XDG
config/data/cache/state folders, the default library (``$WARMDESK_LIBRARY``)
and the folder Qt keeps its settings in (``QSettings.setPath``; Qt's own file
dialogs remember their state in ``QtProject.conf`` there). Subprocesses the
tests start inherit it. ``tests/test_clean_home.py`` checks it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

#: XDG variable -> folder under the session's home.
XDG_FOLDERS = {"XDG_CONFIG_HOME": ".config", "XDG_DATA_HOME": ".local/share",
               "XDG_CACHE_HOME": ".cache", "XDG_STATE_HOME": ".local/state"}


def _point_qt_settings_at(config: Path) -> None:
    """Qt computes its settings folder once per process: set it outright."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:   # a core-only environment: nothing of Qt's can write
        return
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(config))


@pytest.fixture(scope="session", autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        for variable, folder in XDG_FOLDERS.items():
            (home / folder).mkdir(parents=True, exist_ok=True)
            mp.setenv(variable, str(home / folder))
        mp.setenv("WARMDESK_LIBRARY", str(home / "library"))
        mp.delenv("WARMDESK_SETTINGS", raising=False)   # AppSettings() uses the native store
        _point_qt_settings_at(home / XDG_FOLDERS["XDG_CONFIG_HOME"])
        yield home
