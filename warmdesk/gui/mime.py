"""The drag-and-drop format for run ids moved inside the app (table -> panels)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData

RUN_IDS_MIME = "application/x-warmdesk-run-ids"
_ID_CHARS = frozenset("0123456789abcdefABCDEF-")


def run_ids_mime(run_ids: list[str]) -> QMimeData:
    data = QMimeData()
    data.setData(RUN_IDS_MIME, QByteArray("\n".join(run_ids).encode("ascii")))
    data.setText(" ".join(run_ids))
    return data


def run_ids_from_mime(data: QMimeData) -> list[str]:
    """The run ids in ``data`` (empty when it carries none). Ids are hex and
    dashes; anything else is dropped rather than trusted."""
    if not data.hasFormat(RUN_IDS_MIME):
        return []
    raw = bytes(data.data(RUN_IDS_MIME).data()).decode("ascii", "replace")
    ids = (line.strip() for line in raw.splitlines())
    return [i for i in ids if i and len(i) <= 64 and set(i) <= _ID_CHARS]
