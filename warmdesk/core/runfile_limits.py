"""The run-file format's names and limits (docs/run-file-format.md).

One place for both sides: the reader (:mod:`warmdesk.core.runfile`) refuses
whatever exceeds a limit, and the writer (:mod:`warmdesk.core.runfile_write`)
never writes what the reader would refuse. The reader looks the limits up among
the names :mod:`warmdesk.core.runfile` imports from here, so narrowing one there
(``monkeypatch.setattr(runfile, "MAX_RATIO", 10)``) narrows the reader.
"""

from __future__ import annotations

import os
import re

FORMAT = "warmdesk.runfile/1"
FORMAT_VERSION = 1
SUFFIX = ".wdrun"
MANIFEST = "manifest.json"

MAX_FILE_BYTES = 1 << 30           # the whole file
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 256 << 20       # one member, uncompressed
MAX_RATIO = 1100                   # honest deflate stays below ~1032:1
RATIO_MIN_BYTES = 1 << 20          # the ratio is checked for members larger than this
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 512   # the zip central directory
MAX_JSON_BYTES = 16 << 20          # manifest.json and each meta.json
MAX_TOTAL_JSON_BYTES = 128 << 20   # all JSON members together
MAX_JSON_DEPTH = 64
#: All members of a file may expand to at most this many times the file's compressed
#: bytes, once they declare more than ``EXPANSION_MIN_BYTES``: honest float64 data
#: compresses a few times at most; a small file declaring a gigabyte is a memory bomb.
MAX_EXPANSION = 100
EXPANSION_MIN_BYTES = 64 << 20


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return 8 << 30      # a platform that does not say: assume a small machine


# All members, uncompressed: a reader holds the arrays it returns in memory, so at most
# an eighth of the machine's memory (and 1 GiB).
MAX_TOTAL_BYTES = min(1 << 30, _physical_memory() // 8)

_NAME = r"[A-Za-z][A-Za-z0-9_]{0,63}"
MEMBER_RE = re.compile(rf"manifest\.json|runs/[0-9a-f]{{32}}/(?:meta\.json|"
                       rf"(?:history|(?:solution|state|outputs)/{_NAME})\.npy)")
