"""One colour per run status, shared by the library table and the run details."""

from __future__ import annotations

STATUS_COLOURS = {"converged": "#2e7d32", "failed": "#c62828", "running": "#1565c0",
                  "stopped": "#ef6c00", "interrupted": "#8d6e63", "cancelled": "#757575",
                  "queued": "#757575"}
#: For a status not in the table (a newer WarmDesk's).
UNKNOWN_STATUS_COLOUR = "#616161"


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, UNKNOWN_STATUS_COLOUR)
