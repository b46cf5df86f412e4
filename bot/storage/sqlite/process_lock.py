"""One bot process per database file.

Two bots on the same SQLite file both connect to Discord and both answer every interaction,
so every command would run twice. SQLite itself happily lets both in (WAL mode is made for
concurrent connections), so the bot takes an exclusive lock on a side file, ``<db>.lock``,
before it opens the database, and refuses to start if another process holds it.

The lock is ``flock(2)``: the kernel drops it when the holder's file descriptor is closed,
which includes the process exiting, crashing or being killed with SIGKILL. A dead bot never
leaves a stale lock behind, so there is nothing to clean up by hand and no pid to check for
liveness. The pid in the file is only there for the operator's error message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.ports import StartupError

MEMORY = ":memory:"
# Enough for any pid and a newline; a longer read would only find garbage anyway.
_PID_BYTES = 32


class DatabaseInUse(StartupError):
    """Another process holds the lock on this database; the message is one line for the
    operator."""

    def __init__(self, database: Path, holder_pid: int | None) -> None:
        self.database = database
        self.holder_pid = holder_pid
        who = "another bot process" + ("" if holder_pid is None else f" (pid {holder_pid})")
        super().__init__(
            f"{who} is already using the database {database}; stop it first, "
            "or point this one at another file with [database].path"
        )


class ProcessLock:
    """An exclusive, process-lifetime lock on a database file. Use ``acquire``."""

    def __init__(self, database: Path | None, lock_path: Path | None, fd: int | None) -> None:
        self.database = database
        self.lock_path = lock_path
        self._fd = fd

    @classmethod
    def acquire(cls, db_path: Path | str) -> ProcessLock:
        """Lock ``db_path`` for this process, creating its folder if missing; raise
        ``DatabaseInUse`` if another process (or another ``acquire`` here) holds it.
        An in-memory database is private to its connection, so it takes no lock."""
        if str(db_path) == MEMORY:
            return cls(None, None, None)
        path = Path(db_path).absolute()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Resolved once the folder exists, so ./data/x.db, /abs/data/x.db and a path through
        # a symlinked folder all name the same lock file.
        database = path.resolve()
        lock_path = database.with_name(database.name + ".lock")
        # No O_TRUNC: the file may hold the current holder's pid, which we need for the
        # message. os.open makes the descriptor non-inheritable (PEP 446), so a child process
        # started by the bot cannot keep the lock alive after the bot dies.
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise DatabaseInUse(database, holder) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            # Written only after locking: whoever reads a pid here while the lock is held
            # reads the holder's (a dead holder's leftover pid is overwritten right now).
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        return cls(database, lock_path, fd)

    @property
    def held(self) -> bool:
        """Whether this object holds a lock (never for an in-memory database)."""
        return self._fd is not None

    def release(self) -> None:
        """Let another process take the database. Safe to call more than once."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # The file stays: deleting it would race with a process that has just opened it and
        # is about to lock the old, unlinked file while a third creates a new one. Emptying
        # it means no pid is left over to mislead anyone.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> ProcessLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"ProcessLock({self.database or MEMORY!s}, held={self.held})"


def _read_pid(fd: int) -> int | None:
    """The holder's pid from the lock file, or None if it is missing or unreadable (the
    holder may have locked but not yet written it, or someone edited the file)."""
    try:
        text = os.pread(fd, _PID_BYTES, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None
