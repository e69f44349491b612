"""What text people give things may hold: run and problem names, tags, notes.

One rule for every way such text enters (a problem spec, ``warmdesk tag``, the
app's rename/tag/notes dialogs, the library's setters, a run file being
imported or written), so a run that can be created can always be exported and
imported again.

Refused everywhere: control characters (Unicode category Cc: C0, DEL, C1, so
terminal escape sequences such as ANSI colours and OSC titles cannot start),
format characters (Cf: the bidi overrides and isolates that make text read
backwards on screen, zero-width spaces, the soft hyphen), line and paragraph
separators (Zl, Zp) and lone surrogates (Cs, which cannot be stored as UTF-8).
Zero-width (non-)joiners (U+200C, U+200D) are kept: Persian, Indic scripts and
emoji need them. Notes may also hold line breaks (``\\n``) and tabs. Names and
tags must not start or end with white space (two names that look alike must
be alike); a tag is one word (no white space at all), because tags are
separated by spaces wherever they are typed or listed.

Each ``check_*`` returns ``None`` when the text is acceptable, else one
sentence saying what is wrong, where, and what to do; it never changes the
text. Display-time escaping of old or foreign text is a separate concern
(:mod:`warmdesk.cli_output`).
"""

from __future__ import annotations

import unicodedata
from typing import Any

NAME_LIMIT = 200          # run and problem names (and constraint names)
TAG_LIMIT = 64            # one tag
MAX_TAGS = 100            # tags of one run or problem
NOTES_LIMIT = 100_000     # a run's notes
DESCRIPTION_LIMIT = 10_000  # a problem's description

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_KEPT_FORMAT = frozenset("\u200c\u200d")   # zero-width non-joiner and joiner
_MULTILINE_KEPT = frozenset("\n\t")


def forbidden_character(text: str, multiline: bool = False) -> tuple[int, str] | None:
    """The first character ``text`` must not hold, as ``(index, character)``, or None."""
    for index, char in enumerate(text):
        if char in _KEPT_FORMAT or (multiline and char in _MULTILINE_KEPT):
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return index, char
    return None


def describe_character(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character named so it can be found."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "a control character")
    return f"U+{ord(char):04X} ({name})"


_CONTROL_NAMES = {"\n": "line break", "\r": "carriage return", "\t": "tab",
                  "\x1b": "escape", "\x00": "NUL", "\x07": "bell", "\x7f": "delete"}


def check_label(text: Any, what: str, limit: int = NAME_LIMIT) -> str | None:
    """A one-line label (a run's or problem's name): 1 to ``limit`` characters,
    no control or format characters, no white space at either end."""
    if not isinstance(text, str):
        return f"{what} must be text"
    if not text.strip() or len(text) > limit:
        return f"{what} must hold 1 to {limit} characters" + (
            f" (it has {len(text)}; shorten it)" if text.strip() else "")
    bad = _character_problem(text, what, multiline=False)
    if bad:
        return bad
    if text != text.strip():
        return f"{what} starts or ends with white space; remove it"
    return None


def check_tag(tag: Any, what: str = "tag") -> str | None:
    """One tag: a single word of 1 to 64 characters, no control or format characters."""
    if not isinstance(tag, str):
        return f"{what} must be text"
    if not tag:
        return f"{what} must not be empty"
    bad = _character_problem(tag, f"{what} {tag[:40]!r}", multiline=False)
    if bad:
        return bad
    if any(c.isspace() for c in tag):
        return (f"{what} {tag[:40]!r} holds white space; tags are single words "
                "(join words with '-' or '_')")
    if len(tag) > TAG_LIMIT:
        return f"{what} {tag[:40]!r}... has {len(tag)} characters; at most {TAG_LIMIT}"
    return None


def check_tags(tags: Any, what: str = "tags") -> str | None:
    """A list of at most 100 tags, each passing :func:`check_tag`."""
    if not isinstance(tags, (list, tuple)):
        return f"{what} must be a list of words"
    if len(tags) > MAX_TAGS:
        return f"{what}: {len(tags)} tags; remove some (at most {MAX_TAGS})"
    return next((p for p in (check_tag(t) for t in tags) if p), None)


def check_notes(text: Any, what: str = "notes", limit: int = NOTES_LIMIT) -> str | None:
    """Free text (notes, a description): line breaks and tabs allowed, other
    control and format characters not; at most ``limit`` characters."""
    if not isinstance(text, str):
        return f"{what} must be text"
    if len(text) > limit:
        return f"{what} has {len(text)} characters; shorten them to at most {limit}"
    return _character_problem(text, what, multiline=True)


def _character_problem(text: str, what: str, multiline: bool) -> str | None:
    found = forbidden_character(text, multiline)
    if found is None:
        return None
    index, char = found
    allowed = " (line breaks and tabs are fine)" if multiline else ""
    return (f"{what} holds {describe_character(char)} at position {index + 1}: control and "
            f"invisible formatting characters are not allowed; remove it{allowed}")


def check_run_texts(name: Any, tags: Any, notes: Any) -> str | None:
    """A run's name, tags and notes, as a run file is written or read: the
    first problem, or None. The run-file format calls this, so a run that can
    be made here can be exported, and a run that is imported could have been
    made here."""
    return (check_label(name, "the name") or check_tags(tags, "the tags")
            or check_notes(notes, "the notes"))
