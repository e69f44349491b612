"""The app's persistent settings, read and written in one place with types.

Stored with QSettings (the platform's native store), or in an INI file named by
``$WARMDESK_SETTINGS`` (tests and portable installs)."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

ENV_VAR = "WARMDESK_SETTINGS"
PLOT_X = ("iter", "nfev", "wall_s")
PLOT_Y = ("fun", "grad_norm", "constr_viol", "t")


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

    def sync(self) -> None:
        self._qs.sync()

    # window layout (opaque blobs from Qt's saveGeometry/saveState)
    geometry = property(lambda self: self._bytes("window/geometry"),
                        lambda self, v: self._qs.setValue("window/geometry", v))
    window_state = property(lambda self: self._bytes("window/state"),
                            lambda self, v: self._qs.setValue("window/state", v))
    splitter_state = property(lambda self: self._bytes("window/splitter"),
                              lambda self, v: self._qs.setValue("window/splitter", v))

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._qs.value(key)
        return value if isinstance(value, QByteArray) else None

    # library
    @property
    def library_dir(self) -> str:
        return self._get("library/folder", "", str)

    @library_dir.setter
    def library_dir(self, value: str) -> None:
        self._qs.setValue("library/folder", value)

    @property
    def examples_offered(self) -> bool:
        return self._get("library/examples_offered", False, bool)

    @examples_offered.setter
    def examples_offered(self, value: bool) -> None:
        self._qs.setValue("library/examples_offered", bool(value))

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

    # warm start
    @property
    def guard(self) -> bool:
        return self._get("warm/guard", True, bool)

    @guard.setter
    def guard(self, value: bool) -> None:
        self._qs.setValue("warm/guard", bool(value))

    # files
    @property
    def last_folder(self) -> str:
        return self._get("files/last_folder", "", str)

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._qs.setValue("files/last_folder", value)
