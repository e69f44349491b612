"""Who owns a live run, and how another process proves that owner gone.

A run saved ``running`` belongs to the process that saved it (the CLI, the app;
a solver child never writes). Two records say so:

- an **OS lock** on the run's lock file in the library folder
  (``run-locks/<run id>.lock``), taken before the ``running`` row is committed
  and held until the run is saved finished (or the library is closed). The
  kernel releases it when the owner dies, however it dies: ``fcntl.flock`` on
  POSIX, ``msvcrt.locking`` on Windows.
- the **owner** (host name, pid, process start time) in the ``run_owners``
  table, written in the same transaction as the ``running`` row.

An owner is *provably gone* when its run's lock can be taken; where the lock
file is missing or locks are unavailable, when the owner ran on this host and
its pid is no longer alive or belongs to a process started at another time.
Anything else (a held lock; another host without a lock) counts as alive:
recovery must never turn a live run ``interrupted``.

The lock file is created, then locked, then checked to still be the file at
its path (another process may have removed a stale one meanwhile): the usual
way to make ``flock`` on a file that can be deleted safe.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: The folder, inside the library folder, holding one lock file per live run.
LOCK_DIR = "run-locks"
_PLAIN_ID = re.compile(r"[0-9a-f]{6,64}")


@lru_cache(maxsize=1)
def _boot_id() -> str:
    """This boot of the machine (Linux), so a start time is never matched across reboots."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str | None:
    """A token of when process ``pid`` started (None where it cannot be read:
    not Linux, or no such process). A zombie (dead, not yet reaped) has none."""
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat[stat.rfind(")") + 2:].split()   # after "pid (command) "
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return f"{_boot_id()}:{fields[19]}"   # field 22 of stat: start time in clock ticks


def _pid_alive(pid: int) -> bool | None:
    """Whether ``pid`` runs on this machine (None: cannot tell on this platform)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return None   # os.kill(pid, 0) would end the process there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True   # alive, owned by another user
    except OSError:
        return None
    if Path("/proc/self/stat").exists():   # Linux: a zombie is dead
        return process_start(pid) is not None
    return True


@dataclass(frozen=True)
class Owner:
    """The process that owns a live run."""

    host: str
    pid: int
    started: str | None   # process_start(pid) when recorded (None where unknown)

    @classmethod
    def this_process(cls) -> Owner:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, process_start(pid))

    def alive(self) -> bool | None:
        """False when provably gone (this host, and its pid is not alive or is a
        process started at another time), True when alive, None when this
        process cannot tell (another host, or a platform without the means)."""
        if self.host != socket.gethostname():
            return None
        alive = _pid_alive(self.pid)
        if alive is not True:
            return alive
        if self.started is None:
            return True
        now = process_start(self.pid)
        return True if now is None else now == self.started

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def lock_path(folder: Path, run_id: str) -> Path:
    """The lock file of run ``run_id`` in the library ``folder``."""
    name = run_id if _PLAIN_ID.fullmatch(run_id) else \
        "h" + hashlib.sha256(run_id.encode()).hexdigest()[:40]
    return folder / LOCK_DIR / f"{name}.lock"


class RunLock:
    """An OS lock held on one run's lock file (released by the kernel if we die)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self, remove: bool) -> None:
        """Let go of the lock; ``remove`` the file too (the run is no longer live).

        The file is removed while still locked (POSIX), so no other process can
        take a lock on it and then find it gone."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if remove and sys.platform != "win32":
            _unlink(self.path)
        try:
            _unlock(fd)
        finally:
            os.close(fd)
        if remove and sys.platform == "win32":   # an open file cannot be removed there
            _unlink(self.path)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass   # already removed (or in use on Windows): a stale file is harmless


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


def try_lock(path: Path, create: bool) -> RunLock | None:
    """Take the lock on ``path`` without waiting; None when another process
    holds it, or (``create`` False) when there is no such file.

    Raises OSError when locking is not possible here (e.g. a read-only folder)."""
    flags = os.O_RDWR | (os.O_CREAT if create else 0)
    for _ in range(100):   # retried only when a stale file is removed under us
        if create:
            path.parent.mkdir(exist_ok=True)
        try:
            fd = os.open(path, flags, 0o644)
        except FileNotFoundError:
            if create:
                continue
            return None
        try:
            if not _try_lock(fd):
                os.close(fd)
                return None
            if _same_file(fd, path):
                return RunLock(path, fd)
            _unlock(fd)   # removed (or replaced) by another process meanwhile
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        if not create:
            return None
    raise OSError(f"could not lock {path}: it keeps being replaced")


def claim(folder: Path, run_id: str) -> RunLock | None:
    """Take the lock of a run this process is about to save ``running``; None if
    another process holds it (that process owns the run)."""
    return try_lock(lock_path(folder, run_id), create=True)


def prove_gone(folder: Path, run_id: str, owner: Owner | None
               ) -> tuple[bool, RunLock | None]:
    """Whether the owner of a ``running`` run is provably gone, and the run's
    lock (held, when taken as the proof) to keep until the run is marked.

    ``owner`` None: no owner was recorded (a library from before owners were
    kept, or an imported run): gone unless someone holds its lock."""
    try:
        lock = try_lock(lock_path(folder, run_id), create=False)
    except OSError:
        lock, lockable = None, False
    else:
        lockable = True
    if lock is not None:
        return True, lock
    if lockable and lock_path(folder, run_id).exists():
        return False, None   # someone holds it: alive
    if owner is None:
        return True, None
    return owner.alive() is False, None


def remove_stale_locks(folder: Path, live_ids: set[str], limit: int = 1000) -> None:
    """Remove lock files left by runs that are no longer live (an owner or a
    recovering process killed between its commit and its clean-up). A file
    someone holds is left alone."""
    keep = {lock_path(folder, run_id).name for run_id in live_ids}
    try:
        entries = list(os.scandir(folder / LOCK_DIR))[:limit]
    except OSError:
        return
    for entry in entries:
        if entry.name in keep or not entry.name.endswith(".lock"):
            continue
        try:
            lock = try_lock(Path(entry.path), create=False)
        except OSError:
            continue
        if lock is not None:
            lock.release(remove=True)
