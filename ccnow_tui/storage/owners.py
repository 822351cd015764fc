"""Process liveness: which processes that opened the profile's store still run.

Each process holds an OS lock on a file of its own, ``owners/<token>.lock`` beside the
store, for as long as its store is open. A batch left ``sending`` by a process whose
file is unlocked (kill -9, a dropped SSH session) is told apart from one still in
flight: the store then holds it as ``unknown``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .paths import PRIVATE_FILE_MODE, ensure_private_dir
from .schema import Write

try:  # POSIX; elsewhere liveness falls back to the process id
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class Owners:
    """This process among the store's owners: its token, process id and host, its lock
    file while the store is open, and whether another owner still runs."""

    def __init__(self, folder: Path, token: str, pid: int, hostname: str) -> None:
        self.folder = folder  # owners/, beside the store
        self.token = token
        self.pid = pid
        self.hostname = hostname
        self.fd: int | None = None  # the lock file's, while held

    def hold(self) -> None:
        """Create and lock this process's file (held until :meth:`release`)."""
        ensure_private_dir(self.folder)
        path = self.folder / f"{self.token}.lock"
        # Locked under a temporary name, then renamed into place: a lock file is never
        # seen unlocked while its process lives, so an unlocked one is safe to sweep.
        tmp = self.folder / f".{self.token}.tmp"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE_MODE)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, f"{self.pid} {self.hostname}\n".encode())
            os.rename(tmp, path)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        self.fd = fd

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            (self.folder / f"{self.token}.lock").unlink(missing_ok=True)
        finally:
            os.close(self.fd)  # closing releases the lock
            self.fd = None

    def alive(self, owner: str, pid: int = 0, hostname: str = "") -> bool:
        """Whether the process that opened the store as ``owner`` still runs."""
        if owner == self.token:
            return True
        path = self.folder / f"{owner}.lock"
        if fcntl is None:  # pragma: no cover - no file locks: ask the OS about the pid
            if hostname and hostname != self.hostname:
                return True  # cannot tell: never take another machine's batch for dead
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            except OSError:
                return True
            return True
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            return False  # created before any claim, removed only at close: gone
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def sweep(self, conn: sqlite3.Connection) -> None:
        """Forget processes that are gone: their lock files and their undo history.

        Their batches in flight, if any, were turned unknown first (``Store.recover``).
        """
        if fcntl is None:  # pragma: no cover - cannot tell who is gone without file locks
            return
        gone = []
        for path in self.folder.glob("*.lock"):
            owner = path.stem
            if owner != self.token and not self.alive(owner):
                gone.append(owner)
                path.unlink(missing_ok=True)
        owners = {o for (o,) in conn.execute("SELECT DISTINCT owner FROM undo")}
        gone += [o for o in owners - set(gone) if o != self.token and not self.alive(o)]
        if gone:
            with Write(conn) as c:
                c.executemany("DELETE FROM undo WHERE owner = ?", [(o,) for o in gone])
