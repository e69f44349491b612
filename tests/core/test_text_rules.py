"""Names, tags and notes: one rule wherever they enter (issue 13 item 5).

Hostile text (a trailing newline, bidi overrides, ANSI and OSC escapes, C1
controls, line separators) is refused with a reason naming the field, by the
problem spec, the library's setters and ``warmdesk tag``; whatever is accepted
can be exported and imported again.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from warmdesk.core.engine import solve
from warmdesk.core.errors import LibraryError, SpecError
from warmdesk.core.library import Library
from warmdesk.core.problems import problem_from_dict
from warmdesk.core.runfile import read_runfile, write_runfile
from warmdesk.core.text_rules import (check_label, check_notes, check_run_texts, check_tag,
                                      check_tags)

from ..cli_runner import run_cli as warmdesk
from .factories import ROSENBROCK, rosenbrock

#: Text that must never become a name or a tag: (what it is, the text).
HOSTILE = [
    ("trailing newline", "quad\n"),
    ("carriage return", "quad\rfake"),
    ("right-to-left override", "quad\u202etxt.exe"),
    ("left-to-right isolate", "quad\u2066x\u2069"),
    ("ANSI colour", "\x1b[31mred"),
    ("OSC window title", "\x1b]0;pwned\x07"),
    ("C1 CSI", "quad\x9b2J"),
    ("next line (C1)", "quad\x85"),
    ("line separator", "quad\u2028more"),
    ("paragraph separator", "quad\u2029more"),
    ("zero-width space", "qu\u200bad"),
    ("byte order mark", "\ufeffquad"),
    ("NUL", "quad\x00"),
    ("DEL", "quad\x7f"),
    ("lone surrogate", "quad\ud800"),
]
FINE_NAMES = ["rosenbrock", "Rosenbrock n=10, a=1.05", "Läufer – 2. Lauf", "日本語の名前",
              "ملاحظه\u200cها", "👩\u200d🔬 lab", "x" * 200]
HOSTILE_IDS = [what for what, _ in HOSTILE]


def spec(**changes: object) -> dict:
    out = copy.deepcopy(ROSENBROCK)
    out.update(changes)
    return out


def fields_of(exc: pytest.ExceptionInfo[SpecError]) -> list[str]:
    return [f for f, _ in exc.value.problems]


# --------------------------------------------------------------------------- the rule
@pytest.mark.parametrize("what, text", HOSTILE, ids=HOSTILE_IDS)
def test_the_rule_refuses_control_and_format_characters(what: str, text: str) -> None:
    notes = [check_notes(text)] if text != "quad\n" else []   # notes may hold line breaks
    for problem in [check_label(text, "name"), check_tag(text), check_tags(["ok", text])] + notes:
        assert problem is not None, what
        assert "U+" in problem and "remove it" in problem   # names the character, says what to do


@pytest.mark.parametrize("name", FINE_NAMES)
def test_the_rule_accepts_ordinary_names_in_any_script(name: str) -> None:
    assert check_label(name, "name") is None


def test_names_and_tags_have_no_white_space_at_their_ends_and_tags_none_inside() -> None:
    assert "white space" in check_label(" quad", "name")
    assert "white space" in check_label("quad ", "name")
    assert "1 to 200 characters" in check_label("   ", "name")
    assert "1 to 200 characters" in check_label("x" * 201, "name")
    assert "single words" in check_tag("two words")
    assert "single words" in check_tag("tab\u00a0space")       # any white space, not just ' '
    assert "at most 64" in check_tag("t" * 65)
    assert "at most 100" in check_tags([f"t{i}" for i in range(101)])
    assert check_tags(["a", "b-c", "d_e", "ä"]) is None


def test_notes_keep_line_breaks_and_tabs_but_no_other_controls() -> None:
    assert check_notes("first line\n\tindented\nlast") is None
    assert "U+001B" in check_notes("fine\n\x1b[2Jcleared")
    assert "U+202E" in check_notes("fine\n\u202eevil")
    assert "at most 100000" in check_notes("n" * 100_001)


def test_the_run_file_check_is_the_same_rule() -> None:
    assert check_run_texts("Läufer – 2. Lauf", ["b-c"], "line\n\tline") is None
    for what, text in HOSTILE:
        assert check_run_texts(text, [], "") == check_label(text, "the name"), what
        assert check_run_texts("ok", ["ok", text], "") == check_tag(text), what
    assert "U+001B" in check_run_texts("ok", [], "\x1b[2J")


# --------------------------------------------------------------------------- problem specs
@pytest.mark.parametrize("what, text", HOSTILE, ids=HOSTILE_IDS)
def test_a_spec_refuses_hostile_names_and_tags(what: str, text: str) -> None:
    with pytest.raises(SpecError) as exc:
        problem_from_dict(spec(name=text))
    assert fields_of(exc) == ["name"], what
    with pytest.raises(SpecError) as exc:
        problem_from_dict(spec(tags=["ok", text]))
    assert fields_of(exc) == ["tags"], what
    bad_constraint = {**rosenbrock("SLSQP"),
                      "constraints": [{"type": "ineq", "expr": "x[0] + 5", "name": text}]}
    with pytest.raises(SpecError) as exc:
        problem_from_dict(bad_constraint)
    assert fields_of(exc) == ["constraints[0].name"], what


def test_a_spec_refuses_a_trailing_newline_in_variable_and_parameter_names() -> None:
    """NAME_RE used '$', which matches before a final newline: 'x\\n' was a valid name."""
    variables = {"x\n": {"size": 10, "start": 0.0}}
    with pytest.raises(SpecError) as exc:
        problem_from_dict(spec(variables=variables))
    assert "variables.x\n" in fields_of(exc)
    with pytest.raises(SpecError) as exc:
        problem_from_dict(spec(parameters={"a": 1.0, "b\n": 100.0}))
    assert "parameters.b\n" in fields_of(exc)


def test_a_spec_refuses_tags_with_spaces_which_the_library_cannot_keep_apart() -> None:
    with pytest.raises(SpecError) as exc:
        problem_from_dict(spec(tags=["two words"]))
    assert fields_of(exc) == ["tags"]
    assert "single words" in exc.value.problems[0][1]


def test_a_spec_refuses_controls_in_its_description_but_keeps_line_breaks() -> None:
    assert problem_from_dict(spec(description="line one\nline two")).description
    with pytest.raises(SpecError) as exc:
        problem_from_dict(spec(description="fine\x1b]0;title\x07"))
    assert fields_of(exc) == ["description"]


# --------------------------------------------------------------------------- the library
@pytest.fixture
def library(tmp_path: Path):
    lib = Library(tmp_path / "lib")
    yield lib
    lib.close()


@pytest.fixture
def run_id(library: Library) -> str:
    run = solve(problem_from_dict(rosenbrock(n=2)))
    library.save_run(run)
    return run.id


@pytest.mark.parametrize("what, text", HOSTILE, ids=HOSTILE_IDS)
def test_the_library_setters_refuse_hostile_text_and_change_nothing(
        library: Library, run_id: str, what: str, text: str) -> None:
    before = library.get_meta(run_id)
    with pytest.raises(LibraryError, match="U\\+"):
        library.rename(run_id, text)
    with pytest.raises(LibraryError, match="U\\+"):
        library.set_tags(run_id, ["ok", text])
    if "\n" not in text:
        with pytest.raises(LibraryError, match="U\\+"):
            library.set_notes(run_id, text)
    assert library.get_meta(run_id) == before, what


def test_the_library_keeps_what_the_rule_accepts(library: Library, run_id: str) -> None:
    library.rename(run_id, "Läufer – 2. Lauf")
    library.set_tags(run_id, ["b-c", "日本"])
    library.set_notes(run_id, "line one\n\tline two")
    meta = library.get_meta(run_id)
    assert (meta["name"], meta["tags"], meta["notes"]) == (
        "Läufer – 2. Lauf", ["b-c", "日本"], "line one\n\tline two")


# --------------------------------------------------------------------------- created => exportable
CANDIDATES = [text for _, text in HOSTILE] + FINE_NAMES + [
    "with\ttab", "soft\u00adhyphen", "nbsp\u00a0inside", "emoji 🎉", "a" * 64]


def test_every_run_that_can_be_created_can_be_exported_and_imported(tmp_path: Path,
                                                                    library: Library) -> None:
    """For each candidate text: either the spec or the setter refuses it, or the run
    carrying it as its name, tag and notes round-trips through a run file."""
    exported = 0
    for i, text in enumerate(CANDIDATES):
        try:
            problem = problem_from_dict(spec(name=text, tags=[text]))
        except SpecError:
            problem = None
        if problem is not None:
            run = solve(problem)
            library.save_run(run)
            write_runfile(tmp_path / f"spec{i}.wdrun", [library.get_run(run.id)])
            back = read_runfile(tmp_path / f"spec{i}.wdrun")[0]
            assert (back.name, back.tags) == (text, [text])
            exported += 1
        run = solve(problem_from_dict(rosenbrock(n=2)))
        library.save_run(run)
        for setter, value in ((library.rename, text), (library.set_tags, [text]),
                              (library.set_notes, text)):
            try:
                setter(run.id, value)
            except LibraryError:
                continue
            write_runfile(tmp_path / f"set{i}.wdrun", [library.get_run(run.id)])
            read_runfile(tmp_path / f"set{i}.wdrun")
            exported += 1
    assert exported >= len(FINE_NAMES)      # the rule is not simply "refuse everything"


# --------------------------------------------------------------------------- the command line
def test_warmdesk_tag_refuses_escape_sequences_and_leaves_the_tags(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    with Library(folder) as lib:
        run = solve(problem_from_dict(rosenbrock(n=2)))
        run.tags = ["keep"]
        lib.save_run(run)
    for bad in ("\x1b]0;pwned\x07", "\x1b[31mred", "rtl\u202e", "two words"):
        out = warmdesk("tag", run.id, "--add", bad, library=folder)
        assert out.returncode == 2, out.stderr
        assert "warmdesk: " in out.stderr and ("U+" in out.stderr or "single words" in out.stderr)
        assert "\x1b" not in out.stderr and "\u202e" not in out.stderr  # the message is escaped
    with Library(folder) as lib:
        assert lib.get_meta(run.id)["tags"] == ["keep"]
    out = warmdesk("tag", run.id, "--add", "fine", library=folder)
    assert out.returncode == 0 and out.stdout.split() == ["keep", "fine"]


def test_warmdesk_solve_refuses_a_problem_named_with_an_escape_sequence(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(spec(name="quad\x1b]0;pwned\x07")))
    out = warmdesk("solve", str(path), library=tmp_path / "lib")
    assert out.returncode == 2
    assert "name" in out.stderr and "U+001B" in out.stderr and "\x1b" not in out.stderr
