"""One bot process per database file: ``ProcessLock`` and ``DatabaseInUse``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.sqlite.process_lock import DatabaseInUse, ProcessLock

ROOT = Path(__file__).resolve().parents[2]
# Generous: a busy machine may take seconds to start a Python process.
STARTUP_TIMEOUT = 60

# Takes the lock, says so, then holds it until its stdin closes or it is killed.
HOLDER = """
import sys
from bot.storage.sqlite.process_lock import ProcessLock
lock = ProcessLock.acquire(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
"""


class LockHolder:
    """A real second process holding the lock on a database."""

    def __init__(self, db_path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db_path)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.pid = self.process.pid
        line = self._readline(STARTUP_TIMEOUT)
        if line.strip() != "ready":
            self.kill()
            assert self.process.stderr is not None
            raise AssertionError(
                f"the lock holder did not start: {line!r} {self.process.stderr.read()}"
            )

    def _readline(self, timeout: float) -> str:
        # readline() blocks; read on a thread so a hung helper fails the test, not the run.
        result: list[str] = []
        assert self.process.stdout is not None
        stdout = self.process.stdout
        reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        return result[0] if result else ""

    def kill(self) -> None:
        """SIGKILL: no Python code runs, nothing is released by hand."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(STARTUP_TIMEOUT)  # reaped: its descriptors are closed


@pytest.fixture
def holders() -> Iterator[list[LockHolder]]:
    started: list[LockHolder] = []
    yield started
    for holder in started:
        holder.kill()


def test_a_second_acquire_in_the_same_process_is_refused_with_our_pid(db_path: Path) -> None:
    with ProcessLock.acquire(db_path) as lock:
        assert lock.held
        with pytest.raises(DatabaseInUse) as refused:
            ProcessLock.acquire(db_path)
    message = str(refused.value)
    assert f"(pid {os.getpid()})" in message
    assert str(db_path.resolve()) in message
    assert "[database].path" in message
    assert "\n" not in message
    assert refused.value.holder_pid == os.getpid()
    assert refused.value.database == db_path.resolve()


def test_a_released_lock_can_be_taken_again(db_path: Path) -> None:
    first = ProcessLock.acquire(db_path)
    first.release()
    assert not first.held
    first.release()  # twice is harmless
    with ProcessLock.acquire(db_path) as second:
        assert second.held
    with ProcessLock.acquire(db_path):  # the context manager released it
        pass


def test_the_lock_is_a_side_file_and_the_database_is_not_touched(db_path: Path) -> None:
    with ProcessLock.acquire(db_path) as lock:
        assert lock.lock_path == db_path.with_name("auctions.db.lock")
        assert lock.lock_path.read_text(encoding="ascii") == f"{os.getpid()}\n"
        assert not db_path.exists()  # opening the database is the caller's job


def test_relative_and_absolute_paths_are_the_same_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with ProcessLock.acquire(Path("./real/x.db")):
        for other in (tmp_path / "real" / "x.db", Path("real/../real/x.db"), Path("link/x.db")):
            with pytest.raises(DatabaseInUse):
                ProcessLock.acquire(other)


def test_a_missing_folder_is_created(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "deeper" / "auctions.db"
    with ProcessLock.acquire(db_path) as lock:
        assert lock.lock_path is not None and lock.lock_path.parent.is_dir()


def test_a_memory_database_takes_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with ProcessLock.acquire(":memory:") as first, ProcessLock.acquire(Path(":memory:")) as second:
        assert not first.held and not second.held
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_pid_still_gives_a_clear_message(db_path: Path) -> None:
    with ProcessLock.acquire(db_path) as lock:
        assert lock.lock_path is not None
        lock.lock_path.write_text("not a pid\n", encoding="ascii")  # flock is advisory
        with pytest.raises(DatabaseInUse) as refused:
            ProcessLock.acquire(db_path)
    assert str(refused.value).startswith(
        f"another bot process is already using the database {db_path.resolve()};"
    )
    assert refused.value.holder_pid is None


def test_another_process_holds_the_lock_until_it_is_killed(
    db_path: Path, holders: list[LockHolder]
) -> None:
    holder = LockHolder(db_path)
    holders.append(holder)
    with pytest.raises(DatabaseInUse) as refused:
        ProcessLock.acquire(db_path)
    assert f"(pid {holder.pid})" in str(refused.value)
    assert refused.value.holder_pid == holder.pid

    holder.kill()  # no release, no clean-up: the kernel drops the lock with the process
    with ProcessLock.acquire(db_path) as lock:
        assert lock.held
        assert lock.lock_path is not None
        assert lock.lock_path.read_text(encoding="ascii") == f"{os.getpid()}\n"


def test_a_lock_held_here_blocks_another_process(db_path: Path) -> None:
    with ProcessLock.acquire(db_path):
        result = subprocess.run(
            [sys.executable, "-c", HOLDER, str(db_path)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=STARTUP_TIMEOUT,
            check=False,
        )
    assert result.returncode != 0
    assert "ready" not in result.stdout
    assert f"DatabaseInUse: another bot process (pid {os.getpid()})" in result.stderr
