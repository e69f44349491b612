"""One WarmDesk per user and library: a second launch hands its files to the
running instance over a local socket (``QLocalServer``) and exits, so
double-clicking several run files does not open several windows.

Protocol (``warmdesk.open/1``): the new launch connects, writes one JSON line
``{"format": "warmdesk.open/1", "paths": ["/abs/a.wdrun", ...]}`` and waits for
``ok`` (taken) or ``refused`` (malformed). The running instance treats every
message as untrusted data: it reads at most :data:`MAX_MESSAGE_BYTES`, accepts
only that exact shape with absolute paths, and does nothing but emit
:attr:`SingleInstance.files_received` with them (the window opens them through
its one open-files path, which checks every file). Nothing received is run.

The server's name is a hash of the user and the library folder, so another
library (``--library``) gets its own window. On Linux the socket lives in the
user's private runtime directory (``$XDG_RUNTIME_DIR``, else a 0700 folder of
ours in the temp directory), where no other user can plant one; elsewhere Qt's
per-user defaults apply (a named pipe on Windows, ``$TMPDIR`` on macOS). A
socket left by a crashed instance is removed (``QLocalServer.removeServer``)
once a probe finds nobody answering."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

FORMAT = "warmdesk.open/1"
MAX_MESSAGE_BYTES = 256 * 1024
MAX_PATHS = 1000
MAX_PATH_CHARS = 4096
#: A connection that has not sent its line by then is dropped.
PEER_TIMEOUT_MS = 5000
ACK_OK, ACK_REFUSED = b"ok\n", b"refused\n"


def instance_key(library_folder: str | Path) -> str:
    """The key of the instance serving ``library_folder`` for this user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return f"{user}\n{Path(library_folder).expanduser().resolve()}"


def server_name(key: str) -> str:
    """The ``QLocalServer`` name for ``key``: a full socket path in the user's
    private runtime directory on Linux, a plain (per-user) name elsewhere."""
    name = "warmdesk-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    if sys.platform.startswith("linux"):
        folder = private_runtime_dir()
        if folder is not None:
            return os.path.join(folder, name)
    return name


def _private(folder: str) -> bool:
    """A real directory of ours that nobody else may enter."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and stat.S_IMODE(info.st_mode) & 0o077 == 0)


def private_runtime_dir() -> str | None:
    """``$XDG_RUNTIME_DIR``, else ``<tmp>/warmdesk-<uid>`` (made 0700), if private."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and _private(runtime):
        return runtime
    folder = os.path.join(tempfile.gettempdir(), f"warmdesk-{os.getuid()}")
    try:
        os.makedirs(folder, 0o700, exist_ok=True)  # or made by an earlier launch: checked below
    except OSError:
        return None
    return folder if _private(folder) else None


def encode_message(paths: Sequence[str | os.PathLike[str]]) -> bytes:
    """One protocol line with ``paths`` made absolute (the receiver has another cwd)."""
    absolute = [os.path.abspath(os.fspath(p)) for p in paths]
    return json.dumps({"format": FORMAT, "paths": absolute}).encode("utf-8") + b"\n"


def decode_message(line: bytes) -> list[str]:
    """The paths in one protocol line; ValueError for anything else."""
    if len(line) > MAX_MESSAGE_BYTES:
        raise ValueError("message too long")
    try:
        doc = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"not a JSON line: {exc}") from exc
    if not isinstance(doc, dict) or set(doc) != {"format", "paths"} or doc["format"] != FORMAT:
        raise ValueError(f"not a {FORMAT} message")
    paths = doc["paths"]
    if not isinstance(paths, list) or len(paths) > MAX_PATHS:
        raise ValueError(f"paths must be a list of at most {MAX_PATHS}")
    for path in paths:
        if (not isinstance(path, str) or not path or len(path) > MAX_PATH_CHARS
                or "\x00" in path or not os.path.isabs(path)):
            raise ValueError("every path must be an absolute path")
    return list(paths)


class _Peer(QObject):
    """One incoming connection: reads one line (bounded), answers, closes."""

    def __init__(self, socket: QLocalSocket, owner: SingleInstance) -> None:
        super().__init__(owner)
        self._socket = socket
        self._owner = owner
        self._buffer = bytearray()
        self._done = False
        socket.setParent(self)
        socket.readyRead.connect(self._read)
        socket.disconnected.connect(self._hung_up)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self._finish(None, "the sender went quiet"))
        self._timer.start(PEER_TIMEOUT_MS)
        self._read()  # bytes may have arrived before the connection was taken

    def _read(self) -> None:
        if self._done:
            return
        self._buffer += bytes(self._socket.readAll().data())
        end = self._buffer.find(b"\n")
        if end < 0:
            if len(self._buffer) > MAX_MESSAGE_BYTES:
                self._finish(None, "message too long")
            return
        try:
            paths = decode_message(bytes(self._buffer[:end]))
        except ValueError as exc:
            self._finish(None, str(exc))
            return
        self._finish(paths, "")

    def _hung_up(self) -> None:
        if not self._done:
            self._read()   # the last bytes may have come with the hang-up
        if not self._done:
            self._done = True
            self._timer.stop()
            if self._buffer:   # a bare connect (a probe) is no message: nothing to say
                self._owner.message_refused.emit("the sender hung up mid-message")
        self.deleteLater()

    def _finish(self, paths: list[str] | None, reason: str) -> None:
        if self._done:
            return
        self._done = True
        self._timer.stop()
        if self._socket.state() == QLocalSocket.LocalSocketState.ConnectedState:
            self._socket.write(ACK_OK if paths is not None else ACK_REFUSED)
            self._socket.flush()
            self._socket.disconnectFromServer()
        else:
            self.deleteLater()
        if paths is None:
            self._owner.message_refused.emit(reason)
        else:
            self._owner.files_received.emit(paths)


class SingleInstance(QObject):
    """The running instance's server, and the new launch's client.

    Usage at start-up: ``if instance.send_to_running(files): exit`` (a running
    instance took them); else ``instance.listen()`` and connect
    :attr:`files_received` to the window's open-files path."""

    #: absolute paths from another launch (maybe none: then just show the window)
    files_received = Signal(list)
    message_refused = Signal(str)   # why a connection's message was refused

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(key)
        self.last_error = ""
        self._server: QLocalServer | None = None

    # ------------------------------------------------------------ the new launch
    def send_to_running(self, paths: Sequence[str | os.PathLike[str]],
                        timeout_ms: int = 1000) -> bool:
        """Hand ``paths`` to a running instance; True once it acknowledged them.

        Returns at once if no instance runs, else within ``timeout_ms``. It waits
        in a local event loop (a new launch has no window yet), so it also works
        with the server in the same thread."""
        message = encode_message(paths)
        socket = QLocalSocket()
        loop = QEventLoop()
        reply = bytearray()

        def read() -> None:
            reply.extend(bytes(socket.readAll().data()))
            if b"\n" in reply:
                loop.quit()

        socket.connected.connect(lambda: socket.write(message))
        socket.readyRead.connect(read)
        socket.disconnected.connect(loop.quit)
        socket.errorOccurred.connect(lambda _error: loop.quit())
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        socket.connectToServer(self.name)
        if socket.state() == QLocalSocket.LocalSocketState.UnconnectedState:
            self.last_error = socket.errorString()   # nobody serves this name
            return False
        timer.start(timeout_ms)
        if b"\n" not in reply:
            run_loop = loop.exec   # Qt's local event loop
            run_loop()
        timer.stop()
        reply.extend(bytes(socket.readAll().data()))
        socket.abort()
        if bytes(reply).startswith(ACK_OK):
            return True
        self.last_error = ("the running instance refused the message" if reply
                           else "the running instance did not answer: " + socket.errorString())
        return False

    # ------------------------------------------------------------ the running instance
    def listen(self) -> bool:
        """Start serving; False if another live instance serves this key (or
        listening failed: see :attr:`last_error`). Removes a stale socket."""
        if self._server is not None and self._server.isListening():
            return True
        if self._someone_answers():   # before listening: a rename-based listen would steal it
            self.last_error = "another WarmDesk serves this library"
            return False
        server = QLocalServer(self)
        if sys.platform == "win32":       # the pipe's ACL; on Unix the folder is private
            server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._new_connections)
        if not server.listen(self.name):
            if server.serverError() != QAbstractSocket.SocketError.AddressInUseError:
                self.last_error = server.errorString()
                return False
            if self._someone_answers():
                self.last_error = "another WarmDesk serves this library"
                return False
            QLocalServer.removeServer(self.name)  # left behind by a crashed instance
            if not server.listen(self.name):
                self.last_error = server.errorString()
                return False
        self._server = server
        return True

    def is_listening(self) -> bool:
        return self._server is not None and self._server.isListening()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _someone_answers(self) -> bool:
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        alive = probe.waitForConnected(300)
        probe.abort()
        return alive

    def _new_connections(self) -> None:
        server = self._server
        while server is not None and server.hasPendingConnections():
            socket = server.nextPendingConnection()
            if socket is not None:
                _Peer(socket, self)


def claim_or_hand_over(library_folder: str | Path, paths: Sequence[str | os.PathLike[str]],
                       timeout_ms: int = 1000) -> SingleInstance | None:
    """At start-up: None if a running WarmDesk for this library took ``paths``
    (this launch should exit 0); else this launch's instance, serving if it
    could (``is_listening()``; if not, ``last_error`` says why and the app
    simply runs on its own)."""
    instance = SingleInstance(instance_key(library_folder))
    if instance.send_to_running(paths, timeout_ms):
        return None
    instance.listen()
    return instance
