"""Sweeps in the app (issue 18): the sweep editor and its path preview, the
runner in a worker thread, the progress and the result plot (docs/gui.md)."""
