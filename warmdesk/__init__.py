"""WarmDesk: keep every numerical solve and warm-start the next one from it."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("warmdesk")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
