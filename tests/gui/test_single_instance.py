"""A second launch hands its files to the running instance over a local socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket

from warmdesk.gui.single_instance import (
    MAX_MESSAGE_BYTES,
    SingleInstance,
    claim_or_hand_over,
    decode_message,
    encode_message,
    instance_key,
    server_name,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def key(tmp_path: Path) -> str:
    return instance_key(tmp_path / "library")


@pytest.fixture
def running(qtbot, key: str):
    instance = SingleInstance(key)
    assert instance.listen(), instance.last_error
    yield instance
    instance.close()


def test_the_key_depends_on_the_user_and_the_library(qtbot, tmp_path: Path) -> None:
    a, b = instance_key(tmp_path / "a"), instance_key(tmp_path / "b")
    assert a != b and server_name(a) != server_name(b)
    assert instance_key(tmp_path / "a" / ".." / "a") == a      # one folder, one name
    if sys.platform.startswith("linux"):
        folder = Path(server_name(a)).parent
        assert folder.is_dir() and folder.stat().st_mode & 0o077 == 0   # private to the user


def test_no_running_instance_returns_false_at_once(qtbot, key: str, tmp_path: Path) -> None:
    started = time.monotonic()
    sender = SingleInstance(key)
    assert not sender.send_to_running([tmp_path / "x.wdrun"], timeout_ms=5000)
    assert time.monotonic() - started < 1.0
    assert sender.last_error


def test_files_reach_the_running_instance_as_absolute_paths(qtbot, running, key, tmp_path,
                                                             monkeypatch) -> None:
    """Two objects in one process and thread: the sender waits in a local event
    loop, in which the server answers."""
    monkeypatch.chdir(tmp_path)
    with qtbot.waitSignal(running.files_received, timeout=5000) as blocker:
        taken = SingleInstance(key).send_to_running(["a.wdrun", str(tmp_path / "b c.wdrun")],
                                                    timeout_ms=5000)
    assert taken
    assert blocker.args[0] == [str(tmp_path / "a.wdrun"), str(tmp_path / "b c.wdrun")]


def test_an_empty_launch_is_handed_over_too(qtbot, running, key) -> None:
    """A second plain launch asks the running window to show itself."""
    with qtbot.waitSignal(running.files_received, timeout=5000) as blocker:
        assert SingleInstance(key).send_to_running([], timeout_ms=5000)
    assert blocker.args[0] == []


def test_a_sender_in_another_thread(qtbot, running, key) -> None:
    taken: list[bool] = []
    sender = threading.Thread(target=lambda: taken.append(
        SingleInstance(key).send_to_running(["/t/run.wdrun"], timeout_ms=5000)))
    with qtbot.waitSignal(running.files_received, timeout=5000) as blocker:
        sender.start()
    qtbot.waitUntil(lambda: not sender.is_alive(), timeout=5000)
    assert taken == [True] and blocker.args[0] == ["/t/run.wdrun"]


def test_a_second_process_hands_over_and_gets_the_acknowledgement(qtbot, running, key,
                                                                  tmp_path) -> None:
    script = textwrap.dedent(f"""
        import sys
        from PySide6.QtCore import QCoreApplication
        from warmdesk.gui.single_instance import SingleInstance
        app = QCoreApplication([])
        taken = SingleInstance({key!r}).send_to_running(sys.argv[1:], timeout_ms=5000)
        print("taken" if taken else "not taken")
        sys.exit(0 if taken else 3)
    """)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with qtbot.waitSignal(running.files_received, timeout=20000) as blocker:
        child = subprocess.Popen([sys.executable, "-c", script, "run 1.wdrun", "/abs/run2.wdrun"],
                                 cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: child.poll() is not None, timeout=20000)
    assert child.stdout is not None and child.stdout.read().strip() == "taken"
    assert child.returncode == 0
    assert blocker.args[0] == [str(tmp_path / "run 1.wdrun"), "/abs/run2.wdrun"]


def test_only_one_instance_listens(qtbot, running, key) -> None:
    other = SingleInstance(key)
    assert not other.listen()
    assert "another WarmDesk" in other.last_error
    assert running.is_listening()


def test_a_stale_socket_is_replaced(qtbot, key) -> None:
    name = server_name(key)
    if not os.path.isabs(name):
        pytest.skip("a socket file exists only on Linux here")
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(name)            # what a crashed instance leaves: a socket file, nobody listening
    crashed.close()
    assert os.path.exists(name)
    instance = SingleInstance(key)
    try:
        assert instance.listen(), instance.last_error
        assert instance.is_listening()
    finally:
        instance.close()
    assert not os.path.exists(name)   # closing removes the socket file


def _raw_exchange(qtbot, running: SingleInstance, payload: bytes) -> bytes:
    client = QLocalSocket()
    client.connectToServer(running.name)
    assert client.waitForConnected(2000)
    client.write(payload)
    client.flush()
    reply = bytearray()
    qtbot.waitUntil(lambda: reply.extend(bytes(client.readAll().data())) or b"\n" in reply,
                    timeout=5000)
    client.abort()
    return bytes(reply)


@pytest.mark.parametrize("payload", [
    b"not json\n",
    b'{"format": "warmdesk.open/1", "paths": ["relative.wdrun"]}\n',
    b'{"format": "warmdesk.open/1", "paths": "/a.wdrun"}\n',
    b'{"format": "warmdesk.open/1", "paths": [], "run": "rm -rf /"}\n',
    b'{"format": "other/1", "paths": []}\n',
    b"[" * 100_000 + b"\n",
])
def test_malformed_messages_are_refused(qtbot, running, payload: bytes) -> None:
    received: list[list[str]] = []
    running.files_received.connect(received.append)
    with qtbot.waitSignal(running.message_refused, timeout=5000):
        reply = _raw_exchange(qtbot, running, payload)
    assert reply == b"refused\n"
    assert received == []


def test_an_endless_message_is_cut_off(qtbot, running) -> None:
    with qtbot.waitSignal(running.message_refused, timeout=5000) as blocker:
        reply = _raw_exchange(qtbot, running, b"x" * (MAX_MESSAGE_BYTES + 10))
    assert blocker.args[0] == "message too long"
    assert reply == b"refused\n"


def test_message_round_trip() -> None:
    line = encode_message(["/a/b.wdrun", "/c d/é.wdrun"])
    assert line.endswith(b"\n") and b"\n" not in line[:-1]
    assert decode_message(line[:-1]) == ["/a/b.wdrun", "/c d/é.wdrun"]
    assert json.loads(line)["format"] == "warmdesk.open/1"
    with pytest.raises(ValueError):
        decode_message(json.dumps({"format": "warmdesk.open/1",
                                   "paths": ["/x"] * 1001}).encode())
    with pytest.raises(ValueError):
        decode_message(b'{"format": "warmdesk.open/1", "paths": ["/a\\u0000b"]}')


def test_claim_or_hand_over(qtbot, tmp_path: Path) -> None:
    first = claim_or_hand_over(tmp_path / "lib", [])
    assert first is not None and first.is_listening()
    try:
        with qtbot.waitSignal(first.files_received, timeout=5000) as blocker:
            assert claim_or_hand_over(tmp_path / "lib", ["/x/a.wdrun"]) is None
        assert blocker.args[0] == ["/x/a.wdrun"]
        other = claim_or_hand_over(tmp_path / "other lib", ["/x/b.wdrun"])   # its own window
        assert other is not None and other.is_listening()
        other.close()
    finally:
        first.close()
