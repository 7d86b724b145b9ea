"""The writer lock: one batch writer per project at a time.

SQLite already serialises single transactions; this lock serialises whole batch runs, so two
`autocode` processes never code the same transcripts at once or both decide a run is stale.
Readers need no lock (WAL lets them read while the writer commits).

The lock is an OS advisory lock (`flock`) on DIR/.autocode.lock, taken non-blocking. The kernel
drops it when the holding process exits for any reason, kill -9 included, so a lock can never go
stale: a leftover lock file only holds the pid of the last holder, for the error message.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from autocode.errors import InputError

LOCK_NAME = ".autocode.lock"
_PID_OFFSET = 16  # on Windows byte 0 is the locked byte; the pid is written past it
_POLL_S = 0.1

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

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


class ProjectLock:
    """An exclusive lock on a project folder, held until `release()` or process exit."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, project_dir: Path, wait: float = 0.0) -> ProjectLock:
        """Take the lock, retrying for up to `wait` seconds.

        Raises InputError "project is in use by another autocode process (pid N)" when another
        process (or another open Project in this process) holds it.
        """
        path = project_dir / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = _read_pid(fd)
                os.close(fd)
                waited = f"; waited {wait:g} s" if wait > 0 else ""
                raise InputError(
                    project_dir,
                    f"project is in use by another autocode process (pid {holder}){waited}",
                )
            time.sleep(_POLL_S)
        os.ftruncate(fd, _PID_OFFSET)
        os.lseek(fd, _PID_OFFSET, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(path, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the lock back; the lock file stays (removing it would race with a new holder)."""
        if self._fd is None:
            return
        try:
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None


def _read_pid(fd: int) -> str:
    os.lseek(fd, _PID_OFFSET, os.SEEK_SET)
    text = os.read(fd, 32).decode("ascii", "replace").strip("\x00 \n")
    return text if text.isdigit() else "unknown"
