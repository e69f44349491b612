"""Every run status has its colour and its words in the app."""

from __future__ import annotations

from warmdesk.core.status import Status
from warmdesk.gui.glossary import STATUS_TIPS
from warmdesk.gui.status_colours import STATUS_COLOURS, UNKNOWN_STATUS_COLOUR, status_colour


def test_every_status_has_a_colour_and_a_tip() -> None:
    assert set(STATUS_COLOURS) == set(Status) == set(STATUS_TIPS)
    assert all(STATUS_TIPS[s].startswith(f"{s}: ") for s in Status)


def test_listing_rows_hold_plain_text() -> None:
    assert status_colour("converged") == STATUS_COLOURS[Status.CONVERGED]
    assert status_colour("from-a-newer-warmdesk") == UNKNOWN_STATUS_COLOUR
