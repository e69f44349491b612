"""The frozen app's entry point (PyInstaller runs this as ``__main__``).

Solver child processes start from this very executable (``multiprocessing``'s
``spawn``): ``freeze_support()`` must come first, so a child runs its solve and
exits before anything of the GUI is imported."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from warmdesk.cli import main

    sys.exit(main())
