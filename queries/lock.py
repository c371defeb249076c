"""An OS file lock beside the embedded store: one writing process (or handle) at a time."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from relex.queries.errors import StoreInUseError


def lock_path(db_path: Path) -> Path:
    """The lock file of the store at ``db_path``: "<db file>.lock" beside it."""
    return db_path.with_name(db_path.name + ".lock")


def holder_pid(db_path: Path) -> int | None:
    """The PID written in the store's lock file, if there is one."""
    try:
        text = lock_path(db_path).read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def in_use_error(db_path: Path) -> StoreInUseError:
    """The error that says who holds the store."""
    pid = holder_pid(db_path)
    who = f"PID {pid}" if pid is not None else "another process"
    return StoreInUseError(f"store {db_path} is in use by {who}")


class StoreLock:
    """An exclusive, non-blocking ``flock`` on "<db>.lock" holding the owner's PID.

    ``flock`` locks belong to the open file, so a second handle in the same process conflicts
    too; the kernel drops the lock when the process dies, so a crash leaves no stale lock.
    """

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and write our PID, or raise StoreInUseError naming the holder."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise in_use_error(self.db_path) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        """Clear the PID and drop the lock; safe to call twice."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None
