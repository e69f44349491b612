"""The ``warmdesk`` command run in this process, read back as a process's result.

``run_cli("solve", spec, "--json", library=lib)`` is what a user's shell runs as
``WARMDESK_LIBRARY=lib warmdesk solve spec --json``: it calls
:func:`warmdesk.cli.main` with the arguments and returns a
:class:`subprocess.CompletedProcess` (``returncode``, ``stdout``, ``stderr``), so a
test reads it as it read a real process's. In-process it costs no interpreter
start-up (0.5-1 s a command) and ``warmdesk/cli.py`` shows in coverage.

What a process would give, kept here:

- stdout and stderr are UTF-8 text streams that are not terminals, strict on
  stdout and ``backslashreplace`` on stderr as Python's own are, read back with
  universal newlines as ``subprocess.run(text=True)`` does: text the command
  could not print fails here as it would fail there;
- ``env`` (and ``library``, as ``$WARMDESK_LIBRARY``) and ``cwd`` hold for the
  call only and are restored after it, as are the SIGINT/SIGTERM handlers, which
  must come back as they were (a command that leaves its handlers behind fails);
- ``SystemExit`` becomes the return code; any other exception escapes into the
  test with its traceback (a process would have printed it and exited 1).

The desktop app is never started here: the paths of ``main`` that would start
Qt (no subcommand, ``--self-test``) raise :class:`AppStarted` instead, so a
command line that wrongly opens the app fails the test rather than opening a
window in a core test. Tests of the app, of signals, of processes competing for
a library or killed, and of a whole process's memory still start a real process.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

import warmdesk.cli
import warmdesk.self_test

#: The handlers a command installs while it solves; it must restore them.
RESTORED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class AppStarted(AssertionError):
    """``main`` took a path that starts the desktop app (Qt) in the test process."""


def run_cli(*args: str | os.PathLike[str], library: Path | None = None,
            cwd: Path | None = None,
            env: Mapping[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
    """``warmdesk *args`` with ``$WARMDESK_LIBRARY`` = ``library`` (if given), the
    variables of ``env`` set (None: unset) and ``cwd`` as the working folder."""
    argv = [os.fspath(a) for a in args]
    changes: dict[str, str | None] = dict(env or {})
    if library is not None:
        changes["WARMDESK_LIBRARY"] = os.fspath(library)
    out, err = _stream("strict"), _stream("backslashreplace")
    handlers = {signum: signal.getsignal(signum) for signum in RESTORED_SIGNALS}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in changes.items():
            if value is None:
                mp.delenv(name, raising=False)
            else:
                mp.setenv(name, value)
        if cwd is not None:
            mp.chdir(cwd)
        mp.setattr(warmdesk.cli, "_gui", _app_started)
        mp.setattr(warmdesk.self_test, "run_self_test", _app_started)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = _exit_status(warmdesk.cli.main(argv), err)
            except SystemExit as exc:  # as ``sys.exit(main())`` in a process
                code = _exit_status(exc.code, err)
    left = {s: h for s, h in handlers.items() if signal.getsignal(s) is not h}
    assert not left, f"warmdesk {' '.join(argv)} left signal handlers behind: {left}"
    return subprocess.CompletedProcess(["warmdesk", *argv], code, _text(out), _text(err))


def _app_started(*args: Any, **kwargs: Any) -> int:
    raise AppStarted("warmdesk.cli.main would start the desktop app (Qt) in the test "
                     "process; run it in a real process (tests/gui) or pass a subcommand")


def _stream(errors: str) -> io.TextIOWrapper:
    """A text stream like a redirected ``sys.stdout``: UTF-8, not a terminal."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors=errors, newline="\n")


def _text(stream: io.TextIOWrapper) -> str:
    """What ``subprocess.run(text=True)`` reads: decoded, universal newlines."""
    stream.flush()
    raw = stream.buffer.getvalue()  # type: ignore[attr-defined]
    return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _exit_status(code: object, err: io.TextIOWrapper) -> int:
    """The exit status ``sys.exit(code)`` gives a process (a text: printed, status 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=err)
    return 1
