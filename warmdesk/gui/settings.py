"""The app's persistent settings, read and written in one place with types.

Stored with QSettings (the platform's native store), or in an INI file named by
``$WARMDESK_SETTINGS`` (tests and portable installs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

ENV_VAR = "WARMDESK_SETTINGS"
PLOT_X = ("iter", "nfev", "wall_s")
PLOT_Y = ("fun", "grad_norm", "constr_viol", "t")


def _setting(key: str, default: Any, kind: type) -> property:
    """A typed setting stored under ``key`` (a bool setting stores a bool)."""
    def store(self: AppSettings, value: Any) -> None:
        self._qs.setValue(key, bool(value) if kind is bool else value)

    return property(lambda self: self._get(key, default, kind), store)


def _blob(key: str) -> property:
    """A blob stored under ``key`` (None when there is none)."""
    return property(lambda self: self._bytes(key),
                    lambda self, value: self._qs.setValue(key, value))


class AppSettings:
    def __init__(self, path: str | None = None) -> None:
        path = path or os.environ.get(ENV_VAR)
        self._qs = (QSettings(path, QSettings.Format.IniFormat) if path
                    else QSettings("WarmDesk", "WarmDesk"))

    def _get(self, key: str, default: Any, kind: type) -> Any:
        value = self._qs.value(key, default)
        if kind is bool:
            return value in (True, "true", "1", 1)
        try:
            return kind(value)
        except (TypeError, ValueError):
            return default

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._qs.value(key)
        return value if isinstance(value, QByteArray) else None

    def sync(self) -> None:
        self._qs.sync()

    # window layout (opaque blobs from Qt's saveGeometry/saveState)
    geometry = _blob("window/geometry")
    window_state = _blob("window/state")
    splitter_state = _blob("window/splitter")

    # library, warm start, files
    library_dir = _setting("library/folder", "", str)
    examples_offered = _setting("library/examples_offered", False, bool)
    guard = _setting("warm/guard", True, bool)
    last_folder = _setting("files/last_folder", "", str)

    # library table: the columns the user showed (True) or hid (False) in the header menu
    @property
    def column_choice(self) -> dict[str, bool]:
        text = self._get("library/columns", "", str)
        pairs = (item.split(":", 1) for item in text.split(",") if ":" in item)
        return {key: flag == "1" for key, flag in pairs if key}

    @column_choice.setter
    def column_choice(self, value: dict[str, bool]) -> None:
        self._qs.setValue("library/columns",
                          ",".join(f"{key}:{int(bool(on))}" for key, on in value.items()))

    def start_folder(self, fallback: Path) -> str:
        """Where a file dialog starts: the folder last used if it still exists,
        else ``fallback``."""
        last = self.last_folder
        return last if last and Path(last).is_dir() else str(fallback)

    # plots
    @property
    def plot_axes(self) -> tuple[str, str, bool, bool]:
        x = self._get("plot/x", "nfev", str)
        y = self._get("plot/y", "fun", str)
        return (x if x in PLOT_X else "nfev", y if y in PLOT_Y else "fun",
                self._get("plot/log_x", False, bool), self._get("plot/log_y", True, bool))

    @plot_axes.setter
    def plot_axes(self, value: tuple[str, str, bool, bool]) -> None:
        x, y, log_x, log_y = value
        for key, item in (("x", x), ("y", y), ("log_x", bool(log_x)), ("log_y", bool(log_y))):
            self._qs.setValue(f"plot/{key}", item)
