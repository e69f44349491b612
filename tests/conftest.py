"""Test-wide setup: Qt renders offscreen (set before Qt is imported anywhere)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")
