"""One colour per run status, shared by the library table and the run details."""

from __future__ import annotations

from ..core.status import Status

STATUS_COLOURS: dict[str, str] = {
    Status.CONVERGED: "#2e7d32", Status.FAILED: "#c62828", Status.RUNNING: "#1565c0",
    Status.STOPPED: "#ef6c00", Status.INTERRUPTED: "#8d6e63", Status.CANCELLED: "#757575",
    Status.QUEUED: "#757575"}
#: For a status not in the table (a newer WarmDesk's).
UNKNOWN_STATUS_COLOUR = "#616161"


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, UNKNOWN_STATUS_COLOUR)
