"""``python -m warmdesk``: the same as the ``warmdesk`` command."""

import sys

from warmdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
